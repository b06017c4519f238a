#include "util/cpu_features.h"

#include <cstdlib>

namespace attnscope {

namespace {

CpuFeatures detectFeatures()
{
    CpuFeatures features;
#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
    // libgcc's cpuid probe also checks XGETBV, so AVX/AVX-512 are reported only when the OS saves
    // the ymm/zmm state (a CPU flag alone would fault in a VM that hides it).
    __builtin_cpu_init();
    features.avx2 = __builtin_cpu_supports("avx2");
    features.fma = __builtin_cpu_supports("fma");
    features.avx512f = __builtin_cpu_supports("avx512f");
    features.avx512vl = __builtin_cpu_supports("avx512vl");
    features.avx512dq = __builtin_cpu_supports("avx512dq");
    features.avx512bw = __builtin_cpu_supports("avx512bw");
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 11
    features.amxBf16 = __builtin_cpu_supports("amx-bf16");
#endif
#endif
    return features;
}

} // namespace

const CpuFeatures& cpuFeatures()
{
    static const CpuFeatures features = detectFeatures();
    return features;
}

CpuIsa widestIsa(const CpuFeatures& features)
{
    if (!features.avx2 || !features.fma) {
        return CpuIsa::Portable;
    }
    if (features.avx512f && features.avx512vl && features.avx512dq && features.avx512bw) {
        return CpuIsa::Avx512;
    }
    return CpuIsa::Avx2;
}

CpuIsa resolveIsa(CpuIsa available, std::optional<CpuIsa> requested)
{
    if (requested && static_cast<int>(*requested) < static_cast<int>(available)) {
        return *requested;
    }
    return available;
}

std::optional<CpuIsa> parseCpuIsa(std::string_view text)
{
    if (text == "portable") {
        return CpuIsa::Portable;
    }
    if (text == "avx2") {
        return CpuIsa::Avx2;
    }
    if (text == "avx512") {
        return CpuIsa::Avx512;
    }
    return std::nullopt;
}

const char* cpuIsaName(CpuIsa isa)
{
    switch (isa) {
    case CpuIsa::Portable:
        return "portable";
    case CpuIsa::Avx2:
        return "avx2";
    case CpuIsa::Avx512:
        return "avx512";
    }
    return "portable";
}

CpuIsa activeCpuIsa()
{
    const char* requested = std::getenv("ATTNSCOPE_CPU_ISA");
    return resolveIsa(widestIsa(cpuFeatures()), requested != nullptr ? parseCpuIsa(requested) : std::nullopt);
}

} // namespace attnscope

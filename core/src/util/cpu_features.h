#pragma once
// Which vector instruction sets the running CPU offers, and which one a kernel family should use.
// The binary is compiled for a baseline (x86-64-v3 by default, see cmake/AttnscopeWarnings.cmake);
// wider paths (AVX-512) are compiled with function target attributes and chosen here at run time,
// so one binary runs on any machine of the baseline and uses the best kernel each one has.

#include <optional>
#include <string_view>

namespace attnscope {

/// Kernel instruction sets, ordered: a CPU that runs one runs every lower one.
enum class CpuIsa {
    Portable = 0, ///< plain C++ (any architecture; what non-x86 builds use)
    Avx2 = 1,     ///< AVX2 + FMA, 256-bit
    Avx512 = 2,   ///< AVX-512 F (+ VL, DQ, BW), 512-bit
};

/// What the CPU (and the OS, which must save the wider registers) supports.
struct CpuFeatures {
    bool avx2 = false;
    bool fma = false;
    bool avx512f = false;
    bool avx512vl = false;
    bool avx512dq = false;
    bool avx512bw = false;
    bool amxBf16 = false; ///< reported only; no kernel uses it yet
};

/// Queries the running CPU once (cpuid through __builtin_cpu_supports); all false off x86.
const CpuFeatures& cpuFeatures();

/// The widest CpuIsa `features` can run.
CpuIsa widestIsa(const CpuFeatures& features);

/// The ISA to use: `available`, capped by `requested` when given (a request above what the CPU
/// has is capped to what it has, never honoured).
CpuIsa resolveIsa(CpuIsa available, std::optional<CpuIsa> requested);

/// Parses "portable" / "avx2" / "avx512" (the ATTNSCOPE_CPU_ISA values); nullopt otherwise.
std::optional<CpuIsa> parseCpuIsa(std::string_view text);

/// "portable", "avx2" or "avx512".
const char* cpuIsaName(CpuIsa isa);

/// The ISA kernels use in this process: widestIsa(cpuFeatures()) capped by the environment
/// variable ATTNSCOPE_CPU_ISA when it names a valid ISA (for tests and benchmarks).
CpuIsa activeCpuIsa();

} // namespace attnscope

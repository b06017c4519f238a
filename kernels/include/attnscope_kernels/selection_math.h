#pragma once
// Per-element math of the score-selecting variants (threshold, dsa, sac) shared by their CPU code
// and the CUDA selection kernels (selection*.cu), so that both sides keep the same pairs for the
// same score bits: the order-preserving integer image of a float, the threshold rules, the
// counter-based uniform of SAC's Gumbel noise and its distance prior, and the bin choice of a
// radix select. Plain C++17, no std:: (nvcc compiles this too).

#include "attnscope_kernels/host_device.h"

#if !defined(__CUDA_ARCH__)
#include <cmath>
#include <cstring>
#endif

namespace attnscope {

/// Unsigned bits that sort like the float: larger float, larger bits. -0 is read as +0 first, so
/// that the two zeros (equal as floats) get the same image.
ATTNSCOPE_HD unsigned orderedFloatBits(float value)
{
    const float folded = value == 0.0f ? 0.0f : value;
#if defined(__CUDA_ARCH__)
    const unsigned bits = __float_as_uint(folded);
#else
    unsigned bits = 0;
    std::memcpy(&bits, &folded, sizeof bits);
#endif
    return (bits & 0x80000000u) != 0u ? ~bits : (bits | 0x80000000u);
}

/// The float whose orderedFloatBits() is `ordered` (the +0 image gives +0).
ATTNSCOPE_HD float floatFromOrderedBits(unsigned ordered)
{
    const unsigned bits = (ordered & 0x80000000u) != 0u ? (ordered & 0x7fffffffu) : ~ordered;
#if defined(__CUDA_ARCH__)
    return __uint_as_float(bits);
#else
    float value = 0.0f;
    std::memcpy(&value, &bits, sizeof value);
    return value;
#endif
}

/// threshold:by=score and dsa:select=threshold keep a key whose score is within delta of the row's
/// maximum (the comparison in double, as the CPU variants always did).
ATTNSCOPE_HD bool withinDeltaOfMax(float score, float maxScore, double delta)
{
    return score >= maxScore - delta;
}

/// One step of splitmix64 (advances *state): the generator behind attn::Rng, attn::mixSeed and
/// attn::hashUniform.
ATTNSCOPE_HD unsigned long long splitmix64(unsigned long long* state)
{
    unsigned long long z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/// Counter-based uniform in [0, 1) of a (key, a, b) triple (attn::hashUniform): integer hashing
/// and one exact scaling, so host and device give the same bits.
ATTNSCOPE_HD double hashUniform01(unsigned long long key, unsigned long long a, unsigned long long b)
{
    unsigned long long state = key ^ (a * 0xD1B54A32D192ED03ull);
    state = splitmix64(&state) ^ (b * 0x8CB92BA72F3D8DD7ull);
    return static_cast<double>(splitmix64(&state) >> 11) * (1.0 / 9007199254740992.0);
}

/// SAC's distance prior of a pair, -log(1 + |i - j|) (before the beta weight). The device's log1p
/// and the C library's may differ in the last bit of the double (see the GPU tests' tie rule).
ATTNSCOPE_HD double sacDistancePrior(int queryPos, int keyPos)
{
    const int distance = queryPos > keyPos ? queryPos - keyPos : keyPos - queryPos;
#if defined(__CUDA_ARCH__)
    return -log1p(static_cast<double>(distance));
#else
    return -std::log1p(static_cast<double>(distance));
#endif
}

/// One digit of a most-significant-digit-first radix select for the `remaining`-th largest value
/// (1-based) among those whose higher digits are already fixed: `histogram` counts them per digit
/// value (bins entries). The chosen digit is the highest bin at which the counts from the top reach
/// `remaining`; `remainingInBin` is then the rank still wanted inside that bin (1-based). Returns
/// false (nothing chosen) when the bins hold fewer than `remaining` values or remaining < 1.
ATTNSCOPE_HD bool pickRadixBin(const unsigned long long* histogram, int bins, long long remaining,
                               unsigned* bin, long long* remainingInBin)
{
    if (remaining < 1) {
        return false;
    }
    unsigned long long above = 0;
    for (int index = bins - 1; index >= 0; --index) {
        const unsigned long long here = histogram[index];
        if (above + here >= static_cast<unsigned long long>(remaining)) {
            *bin = static_cast<unsigned>(index);
            *remainingInBin = remaining - static_cast<long long>(above);
            return true;
        }
        above += here;
    }
    return false;
}

} // namespace attnscope

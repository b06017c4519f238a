#pragma once
// The per-element steps of the sbm variant's mask that the CPU (attention/variant_sbm.cpp) and the
// CUDA kernels (kernels/src/sbm_kernels.cu) both run, so that one seed gives one mask on either
// backend (issue #7):
//   - k-means: the logit of a point against a centroid (fixed summation order) and the nearest
//     centroid (first maximum);
//   - sampling: counter-based uniforms (draw t of row i is a pure function of (key, i, t), not of
//     a sequential stream), the alias draw of a key cluster, the draw's place on the cluster's
//     cumulative key mass, the key at that place, and the floor's geometric gaps.
// Only +, -, *, / and explicit fma on IEEE values (and bit moves), whose results the two compilers
// round the same way: no a*b + c is left for a compiler to contract, and the one logarithm is
// computed here rather than taken from two different math libraries.
// Plain C++17, no std:: containers (nvcc compiles this too).

#include "attnscope_kernels/host_device.h"

#include <math.h>

namespace attnscope {

/// SplitMix64's increment (Steele, Lea, Flood 2014; Vigna's splitmix64.c).
inline constexpr unsigned long long kSplitMixGamma = 0x9E3779B97F4A7C15ull;

/// SplitMix64's output function of a state.
ATTNSCOPE_HD unsigned long long splitMixOutput(unsigned long long state)
{
    state = (state ^ (state >> 30)) * 0xBF58476D1CE4E5B9ull;
    state = (state ^ (state >> 27)) * 0x94D049BB133111EBull;
    return state ^ (state >> 31);
}

/// Output number `counter` (from 0) of SplitMix64 seeded with `key`, computed directly: the
/// state after counter + 1 steps is key + (counter + 1)·gamma. A counter-based generator, so a
/// draw does not depend on how many draws came before it or on which thread makes it.
ATTNSCOPE_HD unsigned long long counterBits(unsigned long long key, unsigned long long counter)
{
    return splitMixOutput(key + (counter + 1ull) * kSplitMixGamma);
}

/// Uniform in [0, 1) from the top 53 bits (exact: an integer below 2^53 times 2^-53).
ATTNSCOPE_HD double unitFromBits(unsigned long long bits)
{
    return static_cast<double>(bits >> 11) * (1.0 / 9007199254740992.0);
}

/// Uniform in (0, 1], for a logarithm.
ATTNSCOPE_HD double openUnitFromBits(unsigned long long bits)
{
    return static_cast<double>((bits >> 11) + 1ull) * (1.0 / 9007199254740992.0);
}

/// Uniform number `index` of query row `row` in the stream `key`: counter row·2^32 + index.
/// Rows are below 2^31 and a row makes fewer than 2^32 draws of one stream.
ATTNSCOPE_HD double sbmRowUniform(unsigned long long key, int row, unsigned long long index)
{
    const unsigned long long counter = (static_cast<unsigned long long>(static_cast<unsigned>(row)) << 32) +
                                       (index & 0xFFFFFFFFull);
    return unitFromBits(counterBits(key, counter));
}

/// The IEEE bits of a double and back (no library call on either side).
ATTNSCOPE_HD unsigned long long doubleToBits(double value)
{
#if defined(__CUDA_ARCH__)
    return static_cast<unsigned long long>(__double_as_longlong(value));
#else
    unsigned long long bits = 0;
    __builtin_memcpy(&bits, &value, sizeof bits);
    return bits;
#endif
}

ATTNSCOPE_HD double bitsToDouble(unsigned long long bits)
{
#if defined(__CUDA_ARCH__)
    return __longlong_as_double(static_cast<long long>(bits));
#else
    double value = 0.0;
    __builtin_memcpy(&value, &bits, sizeof value);
    return value;
#endif
}

/// Natural logarithm of a positive finite u (the floor calls it on (0, 1]): u = m·2^e with m in
/// [√½, √2) taken from the bits (subnormals scaled by 2^54 first, exactly), log m = 2·atanh(s) for
/// s = (m - 1)/(m + 1), |s| <= 0.172, by its series to s^23 (truncation below 1e-18 relative)
/// evaluated in a fixed Estrin order; a few ulp from the exact value.
ATTNSCOPE_HD double portableLog(double u)
{
    int exponent = 0;
    if (u < 2.2250738585072014e-308) {
        u *= 18014398509481984.0; // 2^54, exact
        exponent = -54;
    }
    const unsigned long long bits = doubleToBits(u);
    exponent += static_cast<int>((bits >> 52) & 0x7FFull) - 1022;
    // [0.5, 1): the same significand with the exponent of 0.5.
    double mantissa = bitsToDouble((bits & 0x000FFFFFFFFFFFFFull) | 0x3FE0000000000000ull);
    if (mantissa < 0.70710678118654752) {
        mantissa *= 2.0; // exact
        exponent -= 1;
    }
    const double s = (mantissa - 1.0) / (mantissa + 1.0);
    const double s2 = s * s;
    const double s4 = s2 * s2;
    const double s8 = s4 * s4;
    // Σ_{i=0}^{11} s2^i / (2i + 1) as pairs, quadruples, then the three quadruples by s8.
    const double q0 = fma(1.0 / 3.0, s2, 1.0);
    const double q1 = fma(1.0 / 7.0, s2, 1.0 / 5.0);
    const double q2 = fma(1.0 / 11.0, s2, 1.0 / 9.0);
    const double q3 = fma(1.0 / 15.0, s2, 1.0 / 13.0);
    const double q4 = fma(1.0 / 19.0, s2, 1.0 / 17.0);
    const double q5 = fma(1.0 / 23.0, s2, 1.0 / 21.0);
    const double r0 = fma(q1, s4, q0);
    const double r1 = fma(q3, s4, q2);
    const double r2 = fma(q5, s4, q4);
    const double series = fma(fma(r2, s8, r1), s8, r0);
    const double logMantissa = (2.0 * s) * series;
    return fma(static_cast<double>(exponent), 0.69314718055994531, logMantissa);
}

/// The floor's Bernoulli(floor) keys of a row as geometric gaps: from position `position` (-1
/// before the first) the next kept offset, for the row's `step`-th uniform u of stream `key`:
/// position + 1 + floor(log u / log(1 - floor)). logSkip = log1p(-floor) < 0, computed once by
/// the caller.
ATTNSCOPE_HD double sbmFloorNext(double position, unsigned long long key, int row, unsigned long long step,
                                 double logSkip)
{
    const unsigned long long counter = (static_cast<unsigned long long>(static_cast<unsigned>(row)) << 32) +
                                       (step & 0xFFFFFFFFull);
    const double u = openUnitFromBits(counterBits(key, counter));
    return position + (1.0 + floor(portableLog(u) / logSkip));
}

/// Vose alias draw over `count` columns (keep[c] in [0, 1], alias[c] the other column): the
/// integer part of uniform·count picks a column, the fraction (one fma, exact rounding) is the
/// coin.
ATTNSCOPE_HD int aliasDraw(const double* keep, const int* alias, int count, double uniform)
{
    const double columns = static_cast<double>(count);
    int column = static_cast<int>(uniform * columns);
    column = column < count - 1 ? column : count - 1;
    const double coin = fma(uniform, columns, -static_cast<double>(column));
    return coin < keep[column] ? column : alias[column];
}

/// Where a draw lands on one key cluster's cumulative membership mass for a row whose allowed keys
/// are [first, last]: prefix[first] + uniform·(prefix[last + 1] - prefix[first]). `prefix` is the
/// cluster's column of prefix sums (prefix[j] = Σ_{i<j} K^_ib, nTokens + 1 entries).
ATTNSCOPE_HD double sbmDrawTarget(const double* prefix, int first, int last, double uniform)
{
    const double start = prefix[first];
    return fma(uniform, prefix[last + 1] - start, start);
}

/// The key j in [first, last] with prefix[j] <= target < prefix[j + 1] (last when target reaches
/// prefix[last + 1]): bisection for the first prefix end above target. Keys of zero membership
/// (prefix[j] == prefix[j + 1]) are never returned unless at `last`'s cap. The CPU's
/// KeyColumnSampler::keyAt answers the same question with a guide table first.
ATTNSCOPE_HD int sbmKeyAt(const double* prefix, int first, int last, double target)
{
    int low = first + 1;
    int high = last + 2;
    while (low < high) {
        const int middle = low + (high - low) / 2;
        if (prefix[middle] > target) {
            high = middle;
        } else {
            low = middle + 1;
        }
    }
    return low - 1 < last ? low - 1 : last;
}

/// The k-means logit of a point against a centroid: Σ_dim point[dim]·centroid[dim], summed in
/// dimension order by fma from 0. The CPU computes many clusters at once in this same order.
ATTNSCOPE_HD float sbmLogit(const float* point, const float* centroid, int dim)
{
    float sum = 0.0f;
    for (int index = 0; index < dim; ++index) {
        sum = fmaf(point[index], centroid[index], sum);
    }
    return sum;
}

/// The nearest centroid of a point from its logits: the first cluster of maximal logit.
ATTNSCOPE_HD int sbmNearestCentroid(const float* logits, int clusters)
{
    int best = 0;
    for (int cluster = 1; cluster < clusters; ++cluster) {
        if (logits[cluster] > logits[best]) {
            best = cluster;
        }
    }
    return best;
}

} // namespace attnscope

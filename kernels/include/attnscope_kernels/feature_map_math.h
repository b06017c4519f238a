#pragma once
// Per-element math of the feature-map variants (performer, SEA's Performer estimate, fast), shared by
// the CPU variants, the CUDA kernels (feature_map.cu) and their host glue, so that the GPU cannot
// drift from the CPU. Plain C++17, no std:: (nvcc compiles this too).
//
// Linear attention over a key interval (both variants' form): the output of query i is
//   Σ_{j in [first_i, last_i]} (φq_i·φk_j) v_j / Σ_{j in [first_i, last_i]} φq_i·φk_j
// with [first_i, last_i] the model's allowed keys (mask_predicates.h), an interval whose ends only
// move forward with i. The GPU takes the queries in chunks: a running state Σ φk_j [v_j ‖ 1] over
// one key interval [stateBegin, stateEnd) that lies inside every row's range of the chunk (the
// causal prefix sum, or the sliding window's middle), plus, per row, the few keys of its own range
// outside that interval summed directly (linearDirectSegments).

#include "attnscope_kernels/host_device.h"
#include "attnscope_kernels/mask_predicates.h"

namespace attnscope {

/// FAVOR+ logit offset ‖x‖²·scale/2 of one row (x unscaled, `squaredNorm` = ‖x‖²): with
/// x' = sqrt(scale)·x the positive feature is exp(ω·x' − ‖x'‖²/2)/sqrt(m). Same float operations,
/// in the same order, as the CPU's performerFeatures.
ATTNSCOPE_HD float performerHalfNorm(float scale, float squaredNorm)
{
    return 0.5f * scale * squaredNorm;
}

/// One FAVOR+ feature from its logit: exp(logit − shift)·norm, where `shift` is a constant that
/// cancels in the normalised attention (the query row's max, or one max over all keys) and keeps
/// exp in range, and norm = 1/sqrt(m). (The CPU evaluates the same expression with Eigen's
/// vectorised exp; both are within a few ulp of exp.)
ATTNSCOPE_HD float performerFeature(float logit, float shift, float norm)
{
#if defined(__CUDA_ARCH__)
    return expf(logit - shift) * norm;
#else
    return __builtin_expf(logit - shift) * norm;
#endif
}

/// Fastmax's polynomial f(x) = a0 + a1 x + a2 x² (Gerami et al. 2024): a = 1, 1, 1/2 for order 2;
/// order 1 drops x² (a2 = 0).
struct FastmaxCoefficients {
    double a0 = 1.0;
    double a1 = 1.0;
    double a2 = 0.5;
};

ATTNSCOPE_HD FastmaxCoefficients fastmaxCoefficients(int order)
{
    FastmaxCoefficients c;
    c.a2 = order >= 2 ? 0.5 : 0.0;
    return c;
}

/// f(x) for one pair's x = q^·k^ (the explicit form and the implied matrix).
ATTNSCOPE_HD double fastmaxPolynomial(const FastmaxCoefficients& c, double x)
{
    return c.a0 + c.a1 * x + c.a2 * x * x;
}

/// Length of Fastmax's factorised feature vectors: [1, x, vec(x xᵀ)] for order 2, [1, x] for order 1.
ATTNSCOPE_HD long long fastmaxFeatureCount(int headDim, int order)
{
    const long long d = headDim;
    return 1 + d + (order >= 2 ? d * d : 0);
}

/// Feature `index` of x ([headDim]) in Fastmax's factorisation, weighted by (c0, c1, c2):
/// [c0, c1·x_a, c2·x_a·x_b] with the pair (a, b) = (rest mod d, rest / d). With the query weighted
/// by (a0, a1, a2) and the key by (1, 1, 1), the dot product of the two vectors is
/// a0 + a1 (q·k) + a2 (q·k)² = f(q·k): the CPU's moments (count, Σk, Σk kᵀ) in one layout.
ATTNSCOPE_HD double fastmaxFeature(long long index, const double* x, int headDim, double c0, double c1, double c2)
{
    if (index == 0) {
        return c0;
    }
    if (index <= headDim) {
        return c1 * x[index - 1];
    }
    const long long rest = index - 1 - headDim;
    const int a = static_cast<int>(rest % headDim);
    const int b = static_cast<int>(rest / headDim);
    return c2 * x[a] * x[b];
}

/// The running state's key interval [*stateBegin, *stateEnd) for the query chunk [rowBegin, rowEnd)
/// (rowBegin < rowEnd <= nTokens): the keys every row of the chunk may see, i.e. [first key of the
/// last row, last key of the first row], or an empty interval at *stateBegin when the rows share
/// no key. Both ends are non-decreasing from one chunk to the next, so the state moves forward by
/// adding keys at its end and removing keys at its start.
ATTNSCOPE_HD void linearStateInterval(int rowBegin, int rowEnd, int nTokens, bool causal, int slidingWindow,
                                      int* stateBegin, int* stateEnd)
{
    int firstOfFirst = 0;
    int lastOfFirst = -1;
    int firstOfLast = 0;
    int lastOfLast = -1;
    modelAllowedRange(rowBegin, nTokens, causal, slidingWindow, &firstOfFirst, &lastOfFirst);
    modelAllowedRange(rowEnd - 1, nTokens, causal, slidingWindow, &firstOfLast, &lastOfLast);
    *stateBegin = firstOfLast;
    *stateEnd = lastOfFirst + 1 > firstOfLast ? lastOfFirst + 1 : firstOfLast;
}

/// One step of the running state from the chunk before (its interval [previousBegin, previousEnd),
/// [0, 0) before the first chunk) to the chunk [rowBegin, rowEnd): the keys to add
/// [addBegin, addEnd) and to remove [removeBegin, removeEnd) (keys between the old end and the new
/// start, when a window is narrower than a chunk, are added and removed again, as the CPU's sweep
/// does), and the new interval [stateBegin, stateEnd) (linearStateInterval).
struct LinearStateStep {
    int addBegin = 0;
    int addEnd = 0;
    int removeBegin = 0;
    int removeEnd = 0;
    int stateBegin = 0;
    int stateEnd = 0;
};

ATTNSCOPE_HD LinearStateStep linearStateStep(int rowBegin, int rowEnd, int nTokens, bool causal, int slidingWindow,
                                             int previousBegin, int previousEnd)
{
    int begin = 0;
    int end = 0;
    linearStateInterval(rowBegin, rowEnd, nTokens, causal, slidingWindow, &begin, &end);
    LinearStateStep step;
    step.addBegin = previousEnd;
    step.addEnd = end > previousEnd ? end : previousEnd;
    step.removeBegin = previousBegin;
    step.removeEnd = begin > previousBegin ? begin : previousBegin;
    step.stateBegin = step.removeEnd;
    step.stateEnd = step.addEnd;
    return step;
}

/// The keys of a row's range [first, last] outside the state interval [stateBegin, stateEnd): two
/// half-open segments [seg[0], seg[1]) and [seg[2], seg[3]) (either may be empty), disjoint, whose
/// union with the state interval is the row's range when the state interval lies inside it or is
/// empty (an empty state at stateBegin splits the range there: keys before it, keys from it on).
ATTNSCOPE_HD void linearDirectSegments(int first, int last, int stateBegin, int stateEnd, int* seg)
{
    seg[0] = first;
    seg[1] = stateBegin < last + 1 ? stateBegin : last + 1;
    seg[2] = stateEnd > first ? stateEnd : first;
    seg[3] = last + 1;
}

} // namespace attnscope

#pragma once
// One head's exact dense rows over the allowed keys: the part of a comparison that no variant knob
// changes. compareHead keeps them for the whole head across knob changes (HeadComparer), so a knob
// change neither re-scores the head nor takes an exp or log per pair; computeHeadMetrics builds them
// one row chunk at a time when nobody kept them (the CLI's compare, the head grid), so N×N is never
// stored there.

#include "attention/attention_common.h"

#include <cstdint>
#include <vector>

namespace attnscope::attn {

struct DenseRows {
    int head = -1;       ///< the query head these rows belong to
    int rowBegin = 0;    ///< query rows [rowBegin, rowEnd)
    int rowEnd = 0;
    int headDim = 0;
    /// Row r's allowed keys start at offset[r - rowBegin] in scores and probabilities.
    std::vector<std::int64_t> offset;
    std::vector<float> scores;          ///< exact scores, the bits scoreRow writes
    std::vector<double> probabilities;  ///< the bits denseProbabilityRow writes
    std::vector<double> output;         ///< [rows, d]: Σ p·v in double (the reference output)
    std::vector<double> probabilitySum; ///< Σ p per row (1 up to rounding)
    /// Σ_{p>0} p·log(p/ε) per row (ε = kKlEpsilon): KL(dense ‖ effective) of an empty row, from
    /// which a kept key's term is swapped in (metrics.cpp).
    std::vector<double> klToEpsilon;
    std::vector<std::uint8_t> hasNan;   ///< a NaN score or probability in the row

    bool covers(int queryPos) const { return queryPos >= rowBegin && queryPos < rowEnd; }
    std::size_t rowIndex(int queryPos) const { return static_cast<std::size_t>(queryPos - rowBegin); }
    const float* scoresOf(int queryPos) const { return scores.data() + offset[rowIndex(queryPos)]; }
    const double* probabilitiesOf(int queryPos) const { return probabilities.data() + offset[rowIndex(queryPos)]; }
    const double* outputOf(int queryPos) const { return output.data() + rowIndex(queryPos) * headDim; }
    int keysOf(int queryPos) const
    {
        return static_cast<int>(offset[rowIndex(queryPos) + 1] - offset[rowIndex(queryPos)]);
    }
};

/// Softmax of one row of float scores in double: probabilities[i] = exp(s_i − max) / Σ. The one
/// routine behind denseProbabilityRow and DenseRows, so that kept and recomputed rows agree.
struct SoftmaxRow {
    float maxScore = 0.0f;
    double sum = 0.0;
};
SoftmaxRow softmaxRowInDouble(const float* scores, int size, double* probabilities);

/// Dense rows [rowBegin, rowEnd) of the input's head, rows threaded (threads as in parallelFor).
/// Ignores input.denseRows (it computes what that pointer would give).
DenseRows buildDenseRows(const HeadInput& input, int rowBegin, int rowEnd, int threads);

/// Allowed pairs above which a whole head's rows are not kept (12 bytes per pair: 768 MiB).
inline constexpr std::int64_t kMaxKeptDensePairs = std::int64_t{1} << 26;

/// input.denseRows when it holds queryPos's row for this head, else nullptr.
const DenseRows* keptDenseRows(const HeadInput& input, int queryPos);

} // namespace attnscope::attn

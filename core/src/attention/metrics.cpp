#include "attention/metrics.h"

#include "attention/dense_rows.h"
#include "attention/variants.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace attnscope::attn {

namespace {

struct Accumulator {
    double recall = 0.0;
    double kl = 0.0;
    int klRows = 0;
    double klDenseEffective = 0.0;
    double tv = 0.0;
    double jaccard = 0.0;
    double errorSquared = 0.0;
    double referenceSquared = 0.0;
    std::int64_t negative = 0;
    int rows = 0;

    void add(const Accumulator& other)
    {
        recall += other.recall;
        kl += other.kl;
        klRows += other.klRows;
        klDenseEffective += other.klDenseEffective;
        tv += other.tv;
        jaccard += other.jaccard;
        errorSquared += other.errorSquared;
        referenceSquared += other.referenceSquared;
        negative += other.negative;
        rows += other.rows;
    }
};

constexpr int kMetricRowChunk = 32;

// True when every kept entry's dense probability (as the float selectTopIndices compares) is
// strictly above every other allowed entry's: the dense top-`kept` set is then the kept set
// whatever the tie rule, so the Jaccard term is exactly 1 without a selection. Top-k and other
// score-ordered variants hit this on almost every row; otherwise the caller selects as before.
// cols are the row's kept keys, ascending (CSR order); rows with a NaN are left to the selection.
// Rounding to float is monotone, so the extremes are taken in double and rounded once.
bool keptAreStrictlyTop(const double* dense, int size, const std::int32_t* cols, int kept, int firstKey)
{
    double minKept = std::numeric_limits<double>::infinity();
    double maxOther = -std::numeric_limits<double>::infinity();
    int gapBegin = 0;
    for (int entry = 0; entry < kept; ++entry) {
        const int index = cols[entry] - firstKey;
        if (index < gapBegin || index >= size) {
            return false; // a repeated or out-of-range column: not the simple case
        }
        for (int other = gapBegin; other < index; ++other) {
            maxOther = std::max(maxOther, dense[other]);
        }
        minKept = std::min(minKept, dense[index]);
        gapBegin = index + 1;
    }
    for (int other = gapBegin; other < size; ++other) {
        maxOther = std::max(maxOther, dense[other]);
    }
    return static_cast<float>(maxOther) < static_cast<float>(minKept);
}

// One row's metric terms against its dense row. The sums over all keys (TV, KL(dense ‖ effective))
// are the empty row's value (Σp, Σ p·log(p/ε)) with each kept key's term swapped in, so a row costs
// its kept keys plus one vectorisable pass for the Jaccard shortcut.
void accumulateRow(const HeadInput& input, const HeadVariantResult& result, const DenseRows& dense, int queryPos,
                   bool distributionMetrics, Accumulator& local, std::vector<float>& denseFloat, std::vector<int>& top)
{
    const int d = input.headDim;
    const KeyRange range = allowedKeys(input, queryPos);
    if (range.size() <= 0) {
        return;
    }
    const std::size_t row = dense.rowIndex(queryPos);
    const double* reference = dense.outputOf(queryPos);
    const float* output = result.output.data() + static_cast<std::size_t>(queryPos) * d;
    for (int dim = 0; dim < d; ++dim) {
        const double difference = output[dim] - reference[dim];
        local.errorSquared += difference * difference;
        local.referenceSquared += reference[dim] * reference[dim];
    }
    ++local.rows;
    if (!distributionMetrics) {
        return;
    }
    const double* probabilities = dense.probabilitiesOf(queryPos);
    const CsrAttention& attention = result.attention;
    const std::int64_t begin = attention.rowPtr[static_cast<std::size_t>(queryPos)];
    const std::int64_t end = attention.rowPtr[static_cast<std::size_t>(queryPos) + 1];
    const double logEpsilon = std::log(kKlEpsilon);
    double recall = 0.0;
    double kl = 0.0;
    double tvKept = 0.0;
    double klDenseKept = 0.0;
    for (std::int64_t entry = begin; entry < end; ++entry) {
        const int offset = attention.cols[static_cast<std::size_t>(entry)] - range.first;
        const double weight = attention.weights[static_cast<std::size_t>(entry)];
        const double p = probabilities[offset];
        recall += p;
        tvKept += std::abs(weight - p);
        if (weight < 0.0) {
            ++local.negative;
        }
        if (weight > 0.0) {
            kl += weight * std::log(weight / std::max(p, 1e-300));
        }
        if (p > 0.0) {
            // p·log(p/ε) (in klToEpsilon) becomes p·log(p/(max(w, 0) + ε)).
            klDenseKept += p * (logEpsilon - std::log(std::max(weight, 0.0) + kKlEpsilon));
        }
    }
    local.recall += recall;
    if (end > begin) {
        local.kl += kl;
        ++local.klRows;
    }
    // Dropped keys contribute their dense mass to TV; an empty row outputs zero: TV = 1 (= 1 - recall).
    local.tv += end > begin ? 0.5 * (tvKept + dense.probabilitySum[row] - recall) : 1.0;
    local.klDenseEffective += dense.klToEpsilon[row] + klDenseKept;
    const int kept = static_cast<int>(end - begin);
    if (kept == 0) {
        return;
    }
    if (!dense.hasNan[row] &&
        keptAreStrictlyTop(probabilities, range.size(), attention.cols.data() + begin, kept, range.first)) {
        // The top `kept` dense entries are exactly the kept set: intersection = kept.
        local.jaccard += 1.0;
        return;
    }
    denseFloat.assign(probabilities, probabilities + range.size());
    selectTopIndices(denseFloat.data(), range.size(), kept, top);
    int intersection = 0;
    for (int index : top) {
        intersection += std::binary_search(attention.cols.begin() + begin, attention.cols.begin() + end, range.first + index);
    }
    local.jaccard += static_cast<double>(intersection) / (2.0 * kept - intersection);
}

} // namespace

VariantMetrics computeHeadMetrics(const HeadInput& input, const HeadVariantResult& result, int threads)
{
    const int n = input.nTokens;
    VariantMetrics metrics;
    metrics.head = result.head;
    metrics.density = result.stats.density;
    metrics.emptyRows = result.stats.emptyRows;
    metrics.sparseFlops = result.stats.attentionFlops + result.stats.estimateFlops;
    metrics.denseFlops = pairFlops(input, result.stats.allowedPairs);
    metrics.sparseBytes = result.stats.attentionBytes;
    metrics.denseBytes = pairBytes(input, result.stats.allowedPairs, false);
    const CsrAttention& attention = result.attention;
    metrics.distributionMetrics = !attention.empty() && attention.weights.size() == attention.cols.size();
    const DenseRows* kept = n > 0 ? keptDenseRows(input, 0) : nullptr;
    if (kept && !kept->covers(n - 1)) {
        kept = nullptr;
    }

    // One accumulator per chunk, summed in chunk order afterwards: adding them as threads finish
    // made the double sums (recall, KL, …) depend on scheduling in their last bits, so the same
    // run could print different metrics (found by tst_variant_identities under load).
    const int chunks = (n + kMetricRowChunk - 1) / kMetricRowChunk;
    std::vector<Accumulator> partial(static_cast<std::size_t>(chunks));
    parallelFor(
        chunks,
        [&](std::int64_t chunk) {
            Accumulator& local = partial[static_cast<std::size_t>(chunk)];
            std::vector<float> denseFloat;
            std::vector<int> top;
            const int rowBegin = static_cast<int>(chunk) * kMetricRowChunk;
            const int rowEnd = std::min(n, rowBegin + kMetricRowChunk);
            // Without kept rows, this chunk's dense rows are built here (one thread: the chunks are
            // the parallel items) and dropped afterwards.
            DenseRows built;
            if (!kept) {
                built = buildDenseRows(input, rowBegin, rowEnd, 1);
            }
            const DenseRows& dense = kept ? *kept : built;
            for (int queryPos = rowBegin; queryPos < rowEnd; ++queryPos) {
                accumulateRow(input, result, dense, queryPos, metrics.distributionMetrics, local, denseFloat, top);
            }
        },
        threads);
    Accumulator total;
    for (const Accumulator& local : partial) {
        total.add(local);
    }

    metrics.outputError = total.referenceSquared > 0.0 ? std::sqrt(total.errorSquared / total.referenceSquared) : 0.0;
    if (metrics.distributionMetrics && total.rows > 0) {
        metrics.recall = total.recall / total.rows;
        metrics.kl = total.klRows > 0 ? total.kl / total.klRows : 0.0;
        metrics.klDenseEffective = total.klDenseEffective / total.rows;
        metrics.tv = total.tv / total.rows;
        metrics.jaccard = total.jaccard / total.rows;
        metrics.negativeShare = attention.weights.empty()
                                    ? 0.0
                                    : static_cast<double>(total.negative) / static_cast<double>(attention.weights.size());
    }
    return metrics;
}

VariantMetrics meanMetrics(const std::vector<VariantMetrics>& heads)
{
    VariantMetrics mean;
    mean.head = -1;
    if (heads.empty()) {
        return mean;
    }
    for (const VariantMetrics& head : heads) {
        mean.density += head.density;
        mean.recall += head.recall;
        mean.kl += head.kl;
        mean.klDenseEffective += head.klDenseEffective;
        mean.tv += head.tv;
        mean.jaccard += head.jaccard;
        mean.outputError += head.outputError;
        mean.negativeShare += head.negativeShare;
        mean.emptyRows += head.emptyRows;
        mean.sparseFlops += head.sparseFlops;
        mean.denseFlops += head.denseFlops;
        mean.sparseBytes += head.sparseBytes;
        mean.denseBytes += head.denseBytes;
        mean.distributionMetrics = mean.distributionMetrics && head.distributionMetrics;
    }
    const auto count = static_cast<double>(heads.size());
    mean.density /= count;
    mean.recall /= count;
    mean.kl /= count;
    mean.klDenseEffective /= count;
    mean.tv /= count;
    mean.jaccard /= count;
    mean.outputError /= count;
    mean.negativeShare /= count;
    return mean;
}

} // namespace attnscope::attn

#include "attention/metrics.h"

#include "attention/variants.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <mutex>
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
// cols are the row's kept keys, ascending (CSR order).
bool keptAreStrictlyTop(const std::vector<double>& dense, const std::int32_t* cols, int kept, int firstKey)
{
    float minKept = std::numeric_limits<float>::infinity();
    float maxOther = -std::numeric_limits<float>::infinity();
    int next = 0;
    int matched = 0;
    for (std::size_t index = 0; index < dense.size(); ++index) {
        const float value = static_cast<float>(dense[index]);
        if (std::isnan(value)) {
            return false; // leave NaN ordering to the selection
        }
        if (next < kept && cols[next] - firstKey == static_cast<int>(index)) {
            minKept = std::min(minKept, value);
            ++matched;
            ++next;
        } else {
            maxOther = std::max(maxOther, value);
        }
    }
    // A repeated or out-of-range column leaves kept keys unmatched: not the simple case.
    return matched == kept && maxOther < minKept;
}

} // namespace

VariantMetrics computeHeadMetrics(const HeadInput& input, const HeadVariantResult& result, int threads)
{
    const int n = input.nTokens;
    const int d = input.headDim;
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

    Accumulator total;
    std::mutex mutex;
    const int chunks = (n + kMetricRowChunk - 1) / kMetricRowChunk;
    parallelFor(
        chunks,
        [&](std::int64_t chunk) {
            Accumulator local;
            std::vector<float> scratch;
            std::vector<double> dense;
            std::vector<double> effective;
            std::vector<float> denseFloat;
            std::vector<int> top;
            std::vector<double> reference(static_cast<std::size_t>(d));
            const int rowBegin = static_cast<int>(chunk) * kMetricRowChunk;
            const int rowEnd = std::min(n, rowBegin + kMetricRowChunk);
            for (int queryPos = rowBegin; queryPos < rowEnd; ++queryPos) {
                const KeyRange range = allowedKeys(input, queryPos);
                if (range.size() <= 0) {
                    continue;
                }
                denseProbabilityRow(input, queryPos, range, scratch, dense);
                std::fill(reference.begin(), reference.end(), 0.0);
                for (int index = 0; index < range.size(); ++index) {
                    const float* value = input.v + static_cast<std::size_t>(range.first + index) * d;
                    const double p = dense[static_cast<std::size_t>(index)];
                    for (int dim = 0; dim < d; ++dim) {
                        reference[static_cast<std::size_t>(dim)] += p * value[dim];
                    }
                }
                const float* output = result.output.data() + static_cast<std::size_t>(queryPos) * d;
                for (int dim = 0; dim < d; ++dim) {
                    const double difference = output[dim] - reference[static_cast<std::size_t>(dim)];
                    local.errorSquared += difference * difference;
                    local.referenceSquared += reference[static_cast<std::size_t>(dim)] * reference[static_cast<std::size_t>(dim)];
                }
                ++local.rows;
                if (!metrics.distributionMetrics) {
                    continue;
                }
                effective.assign(dense.size(), 0.0);
                const std::int64_t begin = attention.rowPtr[static_cast<std::size_t>(queryPos)];
                const std::int64_t end = attention.rowPtr[static_cast<std::size_t>(queryPos) + 1];
                double recall = 0.0;
                double kl = 0.0;
                for (std::int64_t entry = begin; entry < end; ++entry) {
                    const int offset = attention.cols[static_cast<std::size_t>(entry)] - range.first;
                    const double weight = attention.weights[static_cast<std::size_t>(entry)];
                    const double p = dense[static_cast<std::size_t>(offset)];
                    effective[static_cast<std::size_t>(offset)] = weight;
                    recall += p;
                    if (weight < 0.0) {
                        ++local.negative;
                    }
                    if (weight > 0.0) {
                        kl += weight * std::log(weight / std::max(p, 1e-300));
                    }
                }
                local.recall += recall;
                if (end > begin) {
                    local.kl += kl;
                    ++local.klRows;
                }
                double tv = 0.0;
                double klDense = 0.0;
                for (std::size_t index = 0; index < dense.size(); ++index) {
                    tv += std::abs(effective[index] - dense[index]);
                    if (dense[index] > 0.0) {
                        klDense += dense[index] * std::log(dense[index] / (std::max(effective[index], 0.0) + kKlEpsilon));
                    }
                }
                // An empty row outputs zero: all dense mass is lost, TV = 1 (= 1 - recall).
                local.tv += end > begin ? 0.5 * tv : 1.0;
                local.klDenseEffective += klDense;
                const int kept = static_cast<int>(end - begin);
                if (kept > 0 && keptAreStrictlyTop(dense, attention.cols.data() + begin, kept, range.first)) {
                    // The top `kept` dense entries are exactly the kept set: intersection = kept.
                    local.jaccard += 1.0;
                } else if (kept > 0) {
                    denseFloat.assign(dense.begin(), dense.end());
                    selectTopIndices(denseFloat.data(), range.size(), kept, top);
                    int intersection = 0;
                    for (int index : top) {
                        intersection += effective[static_cast<std::size_t>(index)] != 0.0 ||
                                        std::binary_search(attention.cols.begin() + begin, attention.cols.begin() + end,
                                                           range.first + index);
                    }
                    local.jaccard += static_cast<double>(intersection) / (2.0 * kept - intersection);
                }
            }
            std::lock_guard<std::mutex> lock(mutex);
            total.add(local);
        },
        threads);

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

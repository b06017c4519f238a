#include "attention/dense_rows.h"

#include "attention/metrics.h"
#include "attention/variants.h"

#include <algorithm>
#include <cmath>

namespace attnscope::attn {

namespace {

// Rows per parallel work item (causal rows differ in cost; small items balance).
constexpr int kBuildRowChunk = 32;

} // namespace

SoftmaxRow softmaxRowInDouble(const float* scores, int size, double* probabilities)
{
    SoftmaxRow row;
    if (size <= 0) {
        return row;
    }
    row.maxScore = scores[0];
    for (int index = 1; index < size; ++index) {
        row.maxScore = std::max(row.maxScore, scores[index]);
    }
    for (int index = 0; index < size; ++index) {
        const double e = std::exp(static_cast<double>(scores[index]) - row.maxScore);
        probabilities[index] = e;
        row.sum += e;
    }
    for (int index = 0; index < size; ++index) {
        probabilities[index] /= row.sum;
    }
    return row;
}

const DenseRows* keptDenseRows(const HeadInput& input, int queryPos)
{
    const DenseRows* rows = input.denseRows;
    return rows && rows->head == input.head && rows->headDim == input.headDim && rows->covers(queryPos) ? rows : nullptr;
}

DenseRows buildDenseRows(const HeadInput& input, int rowBegin, int rowEnd, int threads)
{
    const int d = input.headDim;
    DenseRows rows;
    rows.head = input.head;
    rows.rowBegin = rowBegin;
    rows.rowEnd = std::max(rowBegin, rowEnd);
    rows.headDim = d;
    const int count = rows.rowEnd - rowBegin;
    rows.offset.assign(static_cast<std::size_t>(count) + 1, 0);
    for (int row = 0; row < count; ++row) {
        rows.offset[static_cast<std::size_t>(row) + 1] =
            rows.offset[static_cast<std::size_t>(row)] + std::max(0, allowedKeys(input, rowBegin + row).size());
    }
    const auto pairs = static_cast<std::size_t>(rows.offset.back());
    rows.scores.resize(pairs);
    rows.probabilities.resize(pairs);
    rows.output.assign(static_cast<std::size_t>(count) * d, 0.0);
    rows.probabilitySum.assign(static_cast<std::size_t>(count), 0.0);
    rows.klToEpsilon.assign(static_cast<std::size_t>(count), 0.0);
    rows.hasNan.assign(static_cast<std::size_t>(count), 0);
    const double logEpsilon = std::log(kKlEpsilon);
    const int chunks = (count + kBuildRowChunk - 1) / kBuildRowChunk;
    parallelFor(
        chunks,
        [&](std::int64_t chunk) {
            const int first = static_cast<int>(chunk) * kBuildRowChunk;
            const int last = std::min(count, first + kBuildRowChunk);
            // The chunk's rows scored as one block over the union of their allowed keys.
            const KeyRange keys = allowedKeysOfRows(input, rowBegin + first, rowBegin + last);
            if (keys.size() <= 0) {
                return;
            }
            const int keyBegin = keys.first;
            const int keyEnd = keys.last + 1;
            thread_local std::vector<float> block;
            const auto stride = static_cast<std::size_t>(keyEnd - keyBegin);
            block.resize(stride * static_cast<std::size_t>(last - first));
            scoreBlock(input, rowBegin + first, rowBegin + last, keyBegin, keyEnd, block.data(), stride);
            for (int row = first; row < last; ++row) {
                const int queryPos = rowBegin + row;
                const KeyRange range = allowedKeys(input, queryPos);
                if (range.size() <= 0) {
                    continue;
                }
                const auto begin = static_cast<std::size_t>(rows.offset[static_cast<std::size_t>(row)]);
                float* scores = rows.scores.data() + begin;
                double* p = rows.probabilities.data() + begin;
                std::copy_n(block.data() + static_cast<std::size_t>(row - first) * stride + (range.first - keyBegin),
                            range.size(), scores);
                const SoftmaxRow softmax = softmaxRowInDouble(scores, range.size(), p);
                // log p = (s − max) − log Σ: the KL constant needs no log per pair.
                const double logSum = std::log(softmax.sum);
                double sum = 0.0;
                double klToEpsilon = 0.0;
                double* output = rows.output.data() + static_cast<std::size_t>(row) * d;
                for (int index = 0; index < range.size(); ++index) {
                    const double probability = p[index];
                    sum += probability;
                    if (probability > 0.0) {
                        const double logP = (static_cast<double>(scores[index]) - softmax.maxScore) - logSum;
                        klToEpsilon += probability * (logP - logEpsilon);
                    }
                    const float* value = input.v + static_cast<std::size_t>(range.first + index) * d;
                    for (int dim = 0; dim < d; ++dim) {
                        output[dim] += probability * value[dim];
                    }
                }
                rows.probabilitySum[static_cast<std::size_t>(row)] = sum;
                rows.klToEpsilon[static_cast<std::size_t>(row)] = klToEpsilon;
                rows.hasNan[static_cast<std::size_t>(row)] = std::isnan(sum) ? 1 : 0;
            }
        },
        threads);
    return rows;
}

} // namespace attnscope::attn

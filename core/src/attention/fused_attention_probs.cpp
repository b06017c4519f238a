// Probability tiles recomputed from Q, K and the fused kernel's LSE (fused_attention_kernel.h).

#include "attention/fused_attention_kernel.h"
#include "attnscope_kernels/mask_predicates.h"
#include "model/dense_attention.h"
#include "util/parallel.h"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <new>
#include <string>

namespace attnscope::attn {

Result<void> attentionProbabilityTile(const LayerQkv& qkv, int head, const float* headLse, std::size_t lseCount,
                                      int rowBegin, int rowCount, int colBegin, int colCount,
                                      std::vector<float>& probs, int threads)
{
    ATTNSCOPE_TRY(validateLayerQkv(qkv));
    const std::string context = "layer " + std::to_string(qkv.layer) + " head " + std::to_string(head);
    if (head < 0 || head >= qkv.nHeads) {
        return makeError(ErrorCode::InvalidArgument,
                         "head " + std::to_string(head) + " is out of range (" + std::to_string(qkv.nHeads) + " heads)",
                         context);
    }
    if (rowBegin < 0 || rowCount < 0 || colBegin < 0 || colCount < 0 || rowBegin + rowCount > qkv.nTokens ||
        colBegin + colCount > qkv.nTokens) {
        return makeError(ErrorCode::InvalidArgument,
                         "probability tile rows " + std::to_string(rowBegin) + "+" + std::to_string(rowCount) +
                             ", keys " + std::to_string(colBegin) + "+" + std::to_string(colCount) +
                             " lies outside the " + std::to_string(qkv.nTokens) + "² matrix",
                         context);
    }
    if (headLse == nullptr || lseCount < static_cast<std::size_t>(qkv.nTokens)) {
        return makeError(ErrorCode::InvalidArgument,
                         "the head's log-sum-exp has " + std::to_string(lseCount) + " rows, not " +
                             std::to_string(qkv.nTokens),
                         context);
    }
    using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    try {
        probs.assign(static_cast<std::size_t>(rowCount) * colCount, 0.0f);
        const int d = qkv.headDim;
        Eigen::Map<const RowMatrix> keys(qkv.keyHead(head) + static_cast<std::size_t>(colBegin) * d, colCount, d);
        // Rows in blocks so that each thread runs one small GEMM per block.
        constexpr int kRowsPerItem = 32;
        const int items = (rowCount + kRowsPerItem - 1) / kRowsPerItem;
        parallelFor(
            items,
            [&](std::int64_t item) {
                const int first = static_cast<int>(item) * kRowsPerItem;
                const int rows = std::min(kRowsPerItem, rowCount - first);
                Eigen::Map<const RowMatrix> queries(
                    qkv.queryHead(head) + static_cast<std::size_t>(rowBegin + first) * d, rows, d);
                Eigen::Map<RowMatrix> tile(probs.data() + static_cast<std::size_t>(first) * colCount, rows, colCount);
                tile.noalias() = queries * keys.transpose();
                for (int row = 0; row < rows; ++row) {
                    const int queryPos = rowBegin + first + row;
                    const float lse = headLse[queryPos];
                    float* out = probs.data() + static_cast<std::size_t>(first + row) * colCount;
                    for (int column = 0; column < colCount; ++column) {
                        if (!modelAllows(queryPos, colBegin + column, qkv.causal, qkv.slidingWindow)) {
                            out[column] = 0.0f;
                            continue;
                        }
                        // The same score as the fused kernel: (q·scale)·k, then the softcap.
                        float score = out[column] * qkv.scale;
                        if (qkv.softcap > 0.0f) {
                            score = qkv.softcap * std::tanh(score / qkv.softcap);
                        }
                        out[column] = std::exp(score - lse);
                    }
                }
            },
            threads);
    } catch (const std::bad_alloc&) {
        return makeError(ErrorCode::OutOfMemory, "out of memory for a probability tile", context);
    }
    return okResult();
}

} // namespace attnscope::attn

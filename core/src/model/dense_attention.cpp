#include "model/dense_attention.h"

#include "attention/fused_attention_kernel.h"
#include "util/cpu_features.h"
#include "util/parallel.h"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <new>

namespace attnscope {

namespace {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ConstMap = Eigen::Map<const RowMatrix>;
using MutableMap = Eigen::Map<RowMatrix>;

// The keys query `queryPos` may see: [first, last] inclusive.
inline void visibleKeys(const LayerQkv& qkv, int queryPos, int& first, int& last)
{
    last = qkv.causal ? queryPos : qkv.nTokens - 1;
    first = 0;
    if (qkv.slidingWindow > 0) {
        first = std::max(0, queryPos - qkv.slidingWindow + 1);
        if (!qkv.causal) {
            last = std::min(qkv.nTokens - 1, queryPos + qkv.slidingWindow - 1);
        }
    }
}

} // namespace

void attendRowBlock(const LayerQkv& qkv, int head, int rowBegin, int rowEnd, float* probs, float* outputs,
                    float* lse, AttentionScratch& scratch)
{
    const int rows = rowEnd - rowBegin;
    const int nTokens = qkv.nTokens;
    const int headDim = qkv.headDim;
    // Only the key range some row of the block can see is scored.
    int keyBegin = nTokens;
    int keyEnd = 0;
    for (int row = rowBegin; row < rowEnd; ++row) {
        int first = 0;
        int last = 0;
        visibleKeys(qkv, row, first, last);
        keyBegin = std::min(keyBegin, first);
        keyEnd = std::max(keyEnd, last + 1);
    }
    const int keys = keyEnd - keyBegin;
    scratch.resize(static_cast<std::size_t>(rows) * keys);
    const CpuIsa isa = activeCpuIsa(); // honours ATTNSCOPE_CPU_ISA, as the fused kernel does

    ConstMap queries(qkv.queryHead(head) + static_cast<std::size_t>(rowBegin) * headDim, rows, headDim);
    ConstMap keyRows(qkv.keyHead(head) + static_cast<std::size_t>(keyBegin) * headDim, keys, headDim);
    MutableMap scores(scratch.data(), rows, keys);
    scores.noalias() = queries * keyRows.transpose();

    for (int row = 0; row < rows; ++row) {
        const int queryPos = rowBegin + row;
        int first = 0;
        int last = 0;
        visibleKeys(qkv, queryPos, first, last);
        float* rowScores = scratch.data() + static_cast<std::size_t>(row) * keys;
        const int visibleBegin = first - keyBegin;
        const int visibleEnd = last + 1 - keyBegin;
        // Masked keys get weight 0 (exp(-inf)) without being scored.
        std::fill(rowScores, rowScores + visibleBegin, 0.0f);
        std::fill(rowScores + visibleEnd, rowScores + keys, 0.0f);
        // Eigen's vectorised max and sum, and the fused kernel's exp (the widest ISA's polynomial,
        // ≤ 1 ulp, test FusedAttentionExp.WithinBoundOfDoubleExp), which made the MiniLM pass with
        // every probability 2–4 % faster than Eigen's exp (docs/benchmarks.md). The sum is float:
        // 8 lanes each add at most nTokens/8 terms in [0, 1], far inside the tolerances.
        Eigen::Map<Eigen::ArrayXf> visible(rowScores + visibleBegin, visibleEnd - visibleBegin);
        float maxScore = 0.0f;
        if (qkv.softcap > 0.0f) {
            for (float& score : visible) {
                score = qkv.softcap * std::tanh(score * qkv.scale / qkv.softcap);
            }
            maxScore = visible.maxCoeff();
            visible -= maxScore;
        } else {
            // Rounding is monotonic, so max(s · scale) == max(s) · scale for scale > 0.
            maxScore = qkv.scale > 0.0f ? visible.maxCoeff() * qkv.scale : (visible * qkv.scale).maxCoeff();
            visible = visible * qkv.scale - maxScore;
        }
        attn::fusedAttentionExp(isa, visible.data(), visible.data(), static_cast<std::size_t>(visible.size()));
        const float sum = visible.sum();
        visible *= 1.0f / sum;
        if (lse != nullptr) {
            lse[row] = maxScore + std::log(sum);
        }
        if (probs != nullptr) {
            float* out = probs + static_cast<std::size_t>(row) * nTokens;
            std::fill(out, out + keyBegin, 0.0f);
            std::copy(rowScores, rowScores + keys, out + keyBegin);
            std::fill(out + keyEnd, out + nTokens, 0.0f);
        }
    }
    if (outputs != nullptr) {
        ConstMap values(qkv.valueHead(head) + static_cast<std::size_t>(keyBegin) * headDim, keys, headDim);
        MutableMap out(outputs, rows, headDim);
        out.noalias() = MutableMap(scratch.data(), rows, keys) * values;
    }
}

Result<void> validateLayerQkv(const LayerQkv& qkv)
{
    if (qkv.nHeads <= 0 || qkv.nKvHeads <= 0 || qkv.nTokens <= 0 || qkv.headDim <= 0 ||
        qkv.nHeads % qkv.nKvHeads != 0) {
        return makeError(ErrorCode::InvalidArgument, "LayerQkv has invalid sizes (heads " +
                                                         std::to_string(qkv.nHeads) + ", kv heads " +
                                                         std::to_string(qkv.nKvHeads) + ", tokens " +
                                                         std::to_string(qkv.nTokens) + ")");
    }
    const std::size_t perHead = static_cast<std::size_t>(qkv.nTokens) * qkv.headDim;
    if (qkv.q.size() != perHead * qkv.nHeads || qkv.k.size() != perHead * qkv.nKvHeads ||
        qkv.v.size() != perHead * qkv.nKvHeads) {
        return makeError(ErrorCode::InvalidArgument, "LayerQkv q/k/v sizes do not match its shape",
                         "layer " + std::to_string(qkv.layer));
    }
    return okResult();
}

namespace {

// Outputs, LSE and probabilities of every head from one pass of Eigen row blocks.
Result<void> attendAllHeadsWithProbabilities(const LayerQkv& qkv, std::vector<float>* headOutputs,
                                             std::vector<float>* lse, int threads, std::vector<float>& probabilities)
{
    const int blocks = (qkv.nTokens + kAttentionRowBlock - 1) / kAttentionRowBlock;
    probabilities.resize(static_cast<std::size_t>(qkv.nHeads) * qkv.nTokens * qkv.nTokens);
    parallelFor(
        static_cast<std::int64_t>(qkv.nHeads) * blocks,
        [&](std::int64_t item) {
            thread_local AttentionScratch scratch;
            const int head = static_cast<int>(item / blocks);
            const int rowBegin = static_cast<int>(item % blocks) * kAttentionRowBlock;
            const int rowEnd = std::min(qkv.nTokens, rowBegin + kAttentionRowBlock);
            const std::size_t headRow = static_cast<std::size_t>(head) * qkv.nTokens + rowBegin;
            attendRowBlock(qkv, head, rowBegin, rowEnd,
                           probabilities.data() + headRow * static_cast<std::size_t>(qkv.nTokens),
                           headOutputs != nullptr ? headOutputs->data() + headRow * qkv.headDim : nullptr,
                           lse != nullptr ? lse->data() + headRow : nullptr, scratch);
        },
        threads);
    return okResult();
}

} // namespace

Result<void> denseAttention(const LayerQkv& qkv, std::vector<float>* headOutputs, std::vector<float>* lse,
                            int threads, std::vector<float>* probabilities, const std::vector<int>& probabilityHeads)
{
    ATTNSCOPE_TRY(validateLayerQkv(qkv));
    for (const int head : probabilityHeads) {
        if (head < 0 || head >= qkv.nHeads) {
            return makeError(ErrorCode::InvalidArgument,
                             "probabilities asked for head " + std::to_string(head) + " of " +
                                 std::to_string(qkv.nHeads),
                             "layer " + std::to_string(qkv.layer));
        }
    }
    try {
        const std::size_t outputSize = static_cast<std::size_t>(qkv.nHeads) * qkv.nTokens * qkv.headDim;
        if (headOutputs != nullptr) {
            // Every element is written below, so a buffer reused across layers is not cleared.
            headOutputs->resize(outputSize);
        }
        if (lse != nullptr) {
            lse->assign(static_cast<std::size_t>(qkv.nHeads) * qkv.nTokens, 0.0f);
        }
        if (probabilities != nullptr && probabilityHeads.empty()) {
            return attendAllHeadsWithProbabilities(qkv, headOutputs, lse, threads, *probabilities);
        }
        if (headOutputs != nullptr || lse != nullptr) {
            std::vector<float> discardedOutputs;
            if (headOutputs == nullptr) {
                discardedOutputs.resize(outputSize);
            }
            attn::FusedAttentionOptions options;
            options.threads = threads;
            ATTNSCOPE_TRY(attn::fusedAttention(
                qkv, headOutputs != nullptr ? headOutputs->data() : discardedOutputs.data(),
                lse != nullptr ? lse->data() : nullptr, options));
        }
        if (probabilities != nullptr) {
            const std::size_t matrixSize = static_cast<std::size_t>(qkv.nTokens) * qkv.nTokens;
            probabilities->resize(probabilityHeads.size() * matrixSize);
            const int blocks = (qkv.nTokens + kAttentionRowBlock - 1) / kAttentionRowBlock;
            parallelFor(
                static_cast<std::int64_t>(probabilityHeads.size()) * blocks,
                [&](std::int64_t item) {
                    thread_local AttentionScratch scratch;
                    const std::size_t slot = static_cast<std::size_t>(item / blocks);
                    const int rowBegin = static_cast<int>(item % blocks) * kAttentionRowBlock;
                    const int rowEnd = std::min(qkv.nTokens, rowBegin + kAttentionRowBlock);
                    attendRowBlock(qkv, probabilityHeads[slot], rowBegin, rowEnd,
                                   probabilities->data() + slot * matrixSize +
                                       static_cast<std::size_t>(rowBegin) * qkv.nTokens,
                                   nullptr, nullptr, scratch);
                },
                threads);
        }
    } catch (const std::bad_alloc&) {
        return makeError(ErrorCode::OutOfMemory, "out of memory in dense attention",
                         "layer " + std::to_string(qkv.layer));
    }
    return okResult();
}

Result<void> denseProbabilities(const LayerQkv& qkv, int head, std::vector<float>& out, std::vector<float>* lse)
{
    ATTNSCOPE_TRY(validateLayerQkv(qkv));
    if (head < 0 || head >= qkv.nHeads) {
        return makeError(ErrorCode::InvalidArgument,
                         "head " + std::to_string(head) + " is out of range (the layer has " +
                             std::to_string(qkv.nHeads) + " heads)",
                         "layer " + std::to_string(qkv.layer));
    }
    try {
        const std::size_t nTokens = static_cast<std::size_t>(qkv.nTokens);
        out.assign(nTokens * nTokens, 0.0f);
        if (lse != nullptr) {
            lse->assign(nTokens, 0.0f);
        }
        const int blocks = (qkv.nTokens + kAttentionRowBlock - 1) / kAttentionRowBlock;
        parallelFor(blocks, [&](std::int64_t block) {
            thread_local AttentionScratch scratch;
            const int rowBegin = static_cast<int>(block) * kAttentionRowBlock;
            const int rowEnd = std::min(qkv.nTokens, rowBegin + kAttentionRowBlock);
            attendRowBlock(qkv, head, rowBegin, rowEnd, out.data() + rowBegin * nTokens, nullptr,
                           lse != nullptr ? lse->data() + rowBegin : nullptr, scratch);
        });
    } catch (const std::bad_alloc&) {
        return makeError(ErrorCode::OutOfMemory,
                         "out of memory for a " + std::to_string(qkv.nTokens) + "² attention matrix",
                         "layer " + std::to_string(qkv.layer) + " head " + std::to_string(head));
    }
    return okResult();
}

} // namespace attnscope

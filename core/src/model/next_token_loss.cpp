#include "model/next_token_loss.h"

#include "attention/fused_attention_kernel.h"
#include "model/cpu_ops.h"
#include "model/gemma3_ops.h"
#include "util/cpu_features.h"
#include "util/parallel.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace attnscope {

std::vector<double> nextTokenLoss(const float* x, int rows, const Weight& head, std::span<const int> next,
                                  float softcap, int threads, std::size_t blockBytes)
{
    const int vocab = head.rows;
    constexpr int kMinColumns = 256;
    const std::size_t fitting = blockBytes / (sizeof(float) * static_cast<std::size_t>(std::max(rows, 1)));
    const int columns = static_cast<int>(std::clamp<std::size_t>(fitting, kMinColumns, static_cast<std::size_t>(vocab)));
    std::vector<float> block(static_cast<std::size_t>(rows) * columns);
    std::vector<float> rowMax(static_cast<std::size_t>(rows), -std::numeric_limits<float>::infinity());
    std::vector<double> rowSum(static_cast<std::size_t>(rows), 0.0);
    std::vector<double> target(static_cast<std::size_t>(rows), 0.0);
    const CpuIsa isa = activeCpuIsa();
    for (int begin = 0; begin < vocab; begin += columns) {
        const int count = std::min(columns, vocab - begin);
        Weight slice;
        slice.data = head.data + static_cast<std::size_t>(begin) * head.cols;
        slice.rows = count;
        slice.cols = head.cols;
        linear(x, rows, slice, Weight{}, block.data(), threads);
        parallelFor(
            rows,
            [&](std::int64_t row) {
                float* logits = block.data() + static_cast<std::size_t>(row) * count;
                if (softcap > 0.0f) {
                    softcapInPlace(logits, static_cast<std::size_t>(count), softcap);
                }
                const std::size_t index = static_cast<std::size_t>(row);
                const int wanted = next[index] - begin;
                if (wanted >= 0 && wanted < count) {
                    target[index] = logits[wanted];
                }
                const float blockMax = *std::max_element(logits, logits + count);
                const float runningMax = std::max(rowMax[index], blockMax);
                for (int column = 0; column < count; ++column) {
                    logits[column] -= runningMax;
                }
                attn::fusedAttentionExp(isa, logits, logits, static_cast<std::size_t>(count));
                double sum = 0.0;
                for (int column = 0; column < count; ++column) {
                    sum += logits[column];
                }
                // The first block finds rowSum 0 and rowMax −inf: exp(−inf) scales nothing.
                rowSum[index] = rowSum[index] * std::exp(static_cast<double>(rowMax[index]) - runningMax) + sum;
                rowMax[index] = runningMax;
            },
            threads);
    }
    std::vector<double> loss(static_cast<std::size_t>(rows));
    for (std::size_t row = 0; row < loss.size(); ++row) {
        loss[row] = rowMax[row] + std::log(rowSum[row]) - target[row];
    }
    return loss;
}

} // namespace attnscope

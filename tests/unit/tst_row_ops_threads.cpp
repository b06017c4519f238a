// The forward pass's row-wise steps that run on several threads (RoPE with a table shared by a
// pass, Gemma 3's RMSNorm) give the same bits whatever the thread count, and RoPE with a shared
// table equals RoPE with a table of its own. Their values are checked against transformers by the
// golden forward tests (llama_tiny, gemma3_tiny).

#include "model/cpu_ops.h"
#include "model/gemma3_ops.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace attnscope {
namespace {

std::vector<float> randomValues(std::size_t count, unsigned seed)
{
    std::mt19937 generator(seed);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<float> values(count);
    for (float& value : values) {
        value = normal(generator);
    }
    return values;
}

TEST(RowOpsThreads, RopeWithASharedTableKeepsItsBitsOnEveryThreadCount)
{
    constexpr int kHeads = 3;
    constexpr int kTokens = 700;
    constexpr int kHeadDim = 64;
    const std::vector<float> input = randomValues(static_cast<std::size_t>(kHeads) * kTokens * kHeadDim, 3u);
    for (const RopeStyle style : {RopeStyle::HalfSplit, RopeStyle::InterleavedPairs}) {
        std::vector<float> ownTable = input;
        applyRope(style, 10000.0, ownTable.data(), kHeads, kTokens, kHeadDim);
        EXPECT_NE(ownTable, input);
        const RopeTable table(10000.0, kTokens, kHeadDim);
        for (const int threads : {1, 2, 3}) {
            std::vector<float> shared = input;
            applyRope(style, table, shared.data(), kHeads, threads);
            EXPECT_EQ(shared, ownTable) << threads << " threads";
        }
    }
}

TEST(RowOpsThreads, RmsNormKeepsItsBitsOnEveryThreadCount)
{
    constexpr int kRows = 2000;
    constexpr int kWidth = 96;
    const std::vector<float> input = randomValues(static_cast<std::size_t>(kRows) * kWidth, 4u);
    const std::vector<float> scale = randomValues(kWidth, 5u);
    Weight weight;
    weight.data = scale.data();
    weight.rows = 1;
    weight.cols = kWidth;
    std::vector<float> oneThread = input;
    rmsNormRowsInPlace(oneThread.data(), kRows, kWidth, weight, 1e-6f, 1);
    EXPECT_NE(oneThread, input);
    for (const int threads : {2, 3}) {
        std::vector<float> several = input;
        rmsNormRowsInPlace(several.data(), kRows, kWidth, weight, 1e-6f, threads);
        EXPECT_EQ(several, oneThread) << threads << " threads";
    }
}

} // namespace
} // namespace attnscope

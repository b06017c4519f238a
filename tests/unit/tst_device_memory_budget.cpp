// GPU memory limits (issue #10), the parts that need no GPU: the closed-form device bytes of each
// CUDA entry point against hand-computed sums, the limit that caps the device's free memory, the
// refusal message, and the dispatcher that runs a layer's dense attention on the CPU when the GPU
// cannot (checked against a float64 reference written here). tests/backend/
// tst_backend_cuda_memory_budget.cpp checks the refusal and the fallback on a real device.

#include "backend/cuda/device_memory_budget.h"
#include "backend/dense_attention_dispatch.h"
#include "model/layer_qkv.h"
#include "test_support/memory_limits.h"

#include <cmath>
#include <cstdlib>
#include <gtest/gtest.h>
#include <limits>
#include <random>

namespace attnscope {
namespace {

TEST(DeviceMemoryBudget, EstimatesAreTheDocumentedSums)
{
    // q and out 8·1000·64 each, k and v 2·1000·64 each, lse 8·1000: 1'288'000 floats.
    EXPECT_EQ(denseAttentionDeviceBytes(8, 2, 1000, 64), 4u * 1'288'000u);
    // q, k 100·16 each, lse 100, probs 10·20: 3'500 floats.
    EXPECT_EQ(attentionProbsDeviceBytes(100, 16, 10, 20), 4u * 3'500u);
    // q, k, v, out 100·16 each, rowPtr 101, cols and weights 500 each, lse 100: 7'601 values.
    EXPECT_EQ(sparseAttentionDeviceBytes(100, 16, 500), 4u * 7'601u);
    EXPECT_EQ(denseAttentionDeviceBytes(8, 2, 0, 64), 0u);
}

TEST(DeviceMemoryBudget, EstimatesSaturateAndIgnoreNegativeCounts)
{
    constexpr int kMaxInt = std::numeric_limits<int>::max();
    constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
    EXPECT_EQ(denseAttentionDeviceBytes(kMaxInt, kMaxInt, kMaxInt, kMaxInt), kMax);
    EXPECT_EQ(sparseAttentionDeviceBytes(kMaxInt, kMaxInt, kMax), kMax);
    EXPECT_EQ(denseAttentionDeviceBytes(-8, 2, 1000, 64), 4u * 2u * 2000u * 64u);
}

TEST(DeviceMemoryBudget, LimitCapsTheDevicesFreeMemory)
{
    ::unsetenv("ATTNSCOPE_DEVICE_MEMORY_LIMIT_MB");
    EXPECT_FALSE(availableDeviceMemoryBytes(std::nullopt).has_value());
    EXPECT_EQ(availableDeviceMemoryBytes(100), 100u);
    {
        const ScopedDeviceMemoryLimit limit(50);
        EXPECT_EQ(availableDeviceMemoryBytes(100), 50u);
        EXPECT_EQ(availableDeviceMemoryBytes(std::nullopt), 50u);
    }
    {
        const ScopedDeviceMemoryLimit limit(200);
        EXPECT_EQ(availableDeviceMemoryBytes(100), 100u);
    }
    ::setenv("ATTNSCOPE_DEVICE_MEMORY_LIMIT_MB", "3", 1);
    EXPECT_EQ(availableDeviceMemoryBytes(std::uint64_t{1} << 40), 3u << 20);
    ::unsetenv("ATTNSCOPE_DEVICE_MEMORY_LIMIT_MB");
}

TEST(DeviceMemoryBudget, RefusesWithAnExplanation)
{
    const std::uint64_t needed = denseAttentionDeviceBytes(8, 2, 1000, 64);
    EXPECT_TRUE(checkDeviceMemory(needed, needed, "dense attention", "layer 3").ok());
    EXPECT_TRUE(checkDeviceMemory(needed, std::nullopt, "dense attention", "layer 3").ok()) << "unknown: no check";
    const Result<void> refused =
        checkDeviceMemory(needed, std::uint64_t{1} << 20, "dense attention of 8 heads over 1000 tokens", "layer 3");
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, ErrorCode::OutOfMemory);
    EXPECT_EQ(refused.error().reason, "device_memory_budget");
    EXPECT_EQ(refused.error().describe(), "layer 3: dense attention of 8 heads over 1000 tokens needs about 4.9 MiB "
                                          "of GPU memory, but only 1.0 MiB is free on the GPU");
}

LayerQkv randomLayer(int nHeads, int nKvHeads, int nTokens, int headDim, bool causal)
{
    LayerQkv qkv;
    qkv.layer = 1;
    qkv.nHeads = nHeads;
    qkv.nKvHeads = nKvHeads;
    qkv.nTokens = nTokens;
    qkv.headDim = headDim;
    qkv.scale = 1.0f / std::sqrt(static_cast<float>(headDim));
    qkv.causal = causal;
    std::mt19937 generator(7);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    for (auto* values : {&qkv.q, &qkv.k, &qkv.v}) {
        values->resize(static_cast<std::size_t>(values == &qkv.q ? nHeads : nKvHeads) * nTokens * headDim);
        for (float& value : *values) {
            value = normal(generator);
        }
    }
    return qkv;
}

/// Softmax attention in double: out [nHeads, nTokens, headDim], lse [nHeads, nTokens].
void referenceAttention(const LayerQkv& qkv, std::vector<double>& out, std::vector<double>& lse)
{
    const int n = qkv.nTokens;
    const int d = qkv.headDim;
    out.assign(static_cast<std::size_t>(qkv.nHeads) * n * d, 0.0);
    lse.assign(static_cast<std::size_t>(qkv.nHeads) * n, 0.0);
    for (int head = 0; head < qkv.nHeads; ++head) {
        for (int query = 0; query < n; ++query) {
            const int lastKey = qkv.causal ? query : n - 1;
            std::vector<double> scores(static_cast<std::size_t>(lastKey) + 1);
            double maxScore = -std::numeric_limits<double>::infinity();
            for (int key = 0; key <= lastKey; ++key) {
                double dot = 0.0;
                for (int dim = 0; dim < d; ++dim) {
                    dot += static_cast<double>(qkv.queryHead(head)[query * d + dim]) * qkv.keyHead(head)[key * d + dim];
                }
                scores[key] = dot * qkv.scale;
                maxScore = std::max(maxScore, scores[key]);
            }
            double sum = 0.0;
            for (double score : scores) {
                sum += std::exp(score - maxScore);
            }
            lse[static_cast<std::size_t>(head) * n + query] = maxScore + std::log(sum);
            for (int key = 0; key <= lastKey; ++key) {
                const double weight = std::exp(scores[key] - maxScore) / sum;
                for (int dim = 0; dim < d; ++dim) {
                    out[(static_cast<std::size_t>(head) * n + query) * d + dim] +=
                        weight * qkv.valueHead(head)[key * d + dim];
                }
            }
        }
    }
}

TEST(DenseAttentionDispatch, FallsBackToTheCpuWhenTheGpuCannotRun)
{
    // Disabled explicitly, so the test checks the fallback on a GPU machine too.
    ::setenv("ATTNSCOPE_DISABLE_CUDA", "1", 1);
    const LayerQkv qkv = randomLayer(4, 2, 37, 16, true);
    std::vector<float> out;
    std::vector<float> lse;
    const Result<BackendRun> run = runDenseAttentionPreferCuda(qkv, out, lse);
    ::unsetenv("ATTNSCOPE_DISABLE_CUDA");
    ASSERT_TRUE(run.ok()) << run.error().describe();
    EXPECT_EQ(run->backend, "cpu");
    EXPECT_NE(run->fallbackReason.find("CUDA backend unavailable"), std::string::npos) << run->fallbackReason;

    std::vector<double> expectedOut;
    std::vector<double> expectedLse;
    referenceAttention(qkv, expectedOut, expectedLse);
    ASSERT_EQ(out.size(), expectedOut.size());
    ASSERT_EQ(lse.size(), expectedLse.size());
    for (std::size_t index = 0; index < out.size(); ++index) {
        ASSERT_NEAR(out[index], expectedOut[index], 1e-5) << "out[" << index << "]";
    }
    for (std::size_t index = 0; index < lse.size(); ++index) {
        ASSERT_NEAR(lse[index], expectedLse[index], 1e-5) << "lse[" << index << "]";
    }
}

TEST(DenseAttentionDispatch, InvalidInputIsAnErrorOnEveryBackend)
{
    ::setenv("ATTNSCOPE_DISABLE_CUDA", "1", 1);
    LayerQkv qkv = randomLayer(4, 2, 9, 16, true);
    qkv.v.pop_back();
    std::vector<float> out;
    std::vector<float> lse;
    const Result<BackendRun> run = runDenseAttentionPreferCuda(qkv, out, lse);
    ::unsetenv("ATTNSCOPE_DISABLE_CUDA");
    ASSERT_FALSE(run.ok());
    EXPECT_EQ(run.error().code, ErrorCode::InvalidArgument) << run.error().describe();
}

} // namespace
} // namespace attnscope

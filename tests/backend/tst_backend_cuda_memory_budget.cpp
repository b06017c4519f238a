// GPU memory limits on a real device (issue #10): a request larger than the free GPU memory (made
// so with setDeviceMemoryLimit) is refused by the CUDA entry points before any allocation, with a
// message that says how much was needed and how much is free, and runDenseAttentionPreferCuda then
// computes it on the CPU; without the limit the same call runs on the GPU and agrees with the CPU.
//
// Own main(): exits 77 (ctest SKIP_RETURN_CODE) when no CUDA device is usable.

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "backend/cuda/cuda_attention.h"
#include "backend/cuda/device_memory_budget.h"
#include "backend/dense_attention_dispatch.h"
#include "model/dense_attention.h"
#include "model/layer_qkv.h"
#include "test_support/gpu_test_main.h"
#include "test_support/memory_limits.h"

namespace attnscope {
namespace {

LayerQkv randomLayer()
{
    LayerQkv qkv;
    qkv.layer = 2;
    qkv.nHeads = 4;
    qkv.nKvHeads = 2;
    qkv.nTokens = 300;
    qkv.headDim = 64;
    qkv.scale = 0.125f;
    std::mt19937 generator(11);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    for (auto* values : {&qkv.q, &qkv.k, &qkv.v}) {
        values->resize(static_cast<std::size_t>(values == &qkv.q ? 4 : 2) * 300 * 64);
        for (float& value : *values) {
            value = normal(generator);
        }
    }
    return qkv;
}

TEST(CudaMemoryBudget, TooLargeForTheGpuIsRefusedThenRunOnTheCpu)
{
    const LayerQkv qkv = randomLayer();
    std::vector<float> cpuOut;
    std::vector<float> cpuLse;
    ASSERT_TRUE(denseAttention(qkv, &cpuOut, &cpuLse).ok());

    const ScopedDeviceMemoryLimit limit(std::uint64_t{64} << 10); // 64 KiB; the layer needs about 905 KiB
    std::vector<float> out;
    std::vector<float> lse;
    const Result<void> refused = runDenseAttentionCuda(qkv, out, lse);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, ErrorCode::OutOfMemory);
    EXPECT_EQ(refused.error().reason, "device_memory_budget");
    EXPECT_EQ(refused.error().describe(), "layer 2: dense attention of 4 heads over 300 tokens needs about 904.7 KiB "
                                          "of GPU memory, but only 64.0 KiB is free on the GPU");

    const Result<BackendRun> run = runDenseAttentionPreferCuda(qkv, out, lse);
    ASSERT_TRUE(run.ok()) << run.error().describe();
    EXPECT_EQ(run->backend, "cpu");
    EXPECT_EQ(run->fallbackReason, refused.error().describe());
    EXPECT_EQ(out, cpuOut);
    EXPECT_EQ(lse, cpuLse);
}

TEST(CudaMemoryBudget, WithinTheBudgetRunsOnTheGpu)
{
    const LayerQkv qkv = randomLayer();
    std::vector<float> cpuOut;
    std::vector<float> cpuLse;
    ASSERT_TRUE(denseAttention(qkv, &cpuOut, &cpuLse).ok());
    std::vector<float> out;
    std::vector<float> lse;
    const Result<BackendRun> run = runDenseAttentionPreferCuda(qkv, out, lse);
    ASSERT_TRUE(run.ok()) << run.error().describe();
    EXPECT_EQ(run->backend, "cuda") << run->fallbackReason;
    ASSERT_EQ(out.size(), cpuOut.size());
    for (std::size_t index = 0; index < out.size(); ++index) {
        ASSERT_NEAR(out[index], cpuOut[index], 1e-4) << index;
    }
    for (std::size_t index = 0; index < lse.size(); ++index) {
        ASSERT_NEAR(lse[index], cpuLse[index], 1e-4) << index;
    }
}

} // namespace
} // namespace attnscope

int main(int argc, char** argv)
{
    return attnscope::runGpuTestsOrSkip(argc, argv);
}

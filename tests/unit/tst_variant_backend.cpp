// Which backend a variant's kept-set attention and mask selection ran on (issue #7), checked on
// the CPU path every machine has: with CUDA disabled (ATTNSCOPE_DISABLE_CUDA, so the test means the
// same with or without a GPU), VariantBackend::Auto falls back to the CPU with the reason recorded
// and gives the same bits as VariantBackend::Cpu, which records no reason. The GPU side of the
// same runs is tests/backend/tst_backend_cuda_topk.cpp.

#include "tst_variant_fixture.h"

#include "attnscope/variant_spec.h"
#include "test_support/variant_runs.h"

#include <cstdlib>
#include <string>

namespace attnscope {
namespace {

LayerVariantResult run(const LayerQkv& layer, const std::string& text, VariantBackend backend)
{
    VariantRunOptions options;
    options.backend = backend;
    return runVariantText(layer, text, options);
}

TEST(VariantBackend, DisabledCudaFallsBackWithReasonAndSameBits)
{
    const LayerQkv layer = testing::makeStructuredLayer({});
    ASSERT_EQ(setenv("ATTNSCOPE_DISABLE_CUDA", "1", 1), 0);
    for (const std::string text : {"topk:k=8", "window:w=16", "bigbird", "threshold:delta=2", "threshold:by=prob",
                                   "dsa:k=4", "dsa:k=4,block=4", "dsa:select=threshold", "sac"}) {
        SCOPED_TRACE(text);
        const LayerVariantResult automatic = run(layer, text, VariantBackend::Auto);
        const LayerVariantResult cpu = run(layer, text, VariantBackend::Cpu);
        ASSERT_EQ(automatic.heads.size(), static_cast<std::size_t>(layer.nHeads));
        ASSERT_EQ(cpu.heads.size(), automatic.heads.size());
        EXPECT_EQ(automatic.outputs, cpu.outputs);
        for (std::size_t index = 0; index < cpu.heads.size(); ++index) {
            const VariantStats& fallback = automatic.heads[index].stats;
            const VariantStats& plain = cpu.heads[index].stats;
            EXPECT_EQ(fallback.attentionBackend, "cpu");
            EXPECT_EQ(plain.attentionBackend, "cpu");
            EXPECT_NE(fallback.backendFallbackReason.find("ATTNSCOPE_DISABLE_CUDA"), std::string::npos)
                << fallback.backendFallbackReason;
            EXPECT_TRUE(plain.backendFallbackReason.empty()) << plain.backendFallbackReason;
            // The variants whose selection may run on the GPU say where it ran.
            const bool selects = text.rfind("topk", 0) == 0 || text.rfind("threshold", 0) == 0 ||
                                 text.rfind("dsa", 0) == 0 || text.rfind("sac", 0) == 0;
            EXPECT_EQ(fallback.selectionBackend, selects ? "cpu" : "");
            EXPECT_EQ(plain.selectionBackend, selects ? "cpu" : "");
            EXPECT_EQ(automatic.heads[index].attention.rowPtr, cpu.heads[index].attention.rowPtr);
            EXPECT_EQ(automatic.heads[index].attention.cols, cpu.heads[index].attention.cols);
            EXPECT_EQ(automatic.heads[index].attention.weights, cpu.heads[index].attention.weights);
            EXPECT_GT(plain.keptPairs, 0);
        }
    }
    unsetenv("ATTNSCOPE_DISABLE_CUDA");
}

TEST(VariantBackend, HandBuiltInputsNeverTryCuda)
{
    // An input not made by makeHeadInput has no layer to upload: CPU, and no reason to report.
    const LayerQkv layer = testing::makeStructuredLayer({});
    attn::HeadInput input = attn::makeHeadInput(layer, 1);
    input.layerQkv = nullptr;
    attn::KeptSet set = attn::allowedSet(input);
    HeadVariantResult result;
    attn::attendOnSet(input, std::move(set), VariantRunOptions{}, result);
    EXPECT_EQ(result.stats.attentionBackend, "cpu");
    EXPECT_TRUE(result.stats.backendFallbackReason.empty());
    // The whole allowed set is dense attention: compare with the float64 oracle.
    std::vector<double> reference;
    attn::referenceAttention(input, reference, nullptr);
    ASSERT_EQ(result.output.size(), reference.size());
    for (std::size_t index = 0; index < reference.size(); ++index) {
        EXPECT_NEAR(result.output[index], reference[index], 1e-5);
    }
}

} // namespace
} // namespace attnscope

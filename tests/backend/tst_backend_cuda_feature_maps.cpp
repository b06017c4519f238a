// The feature-map kernels (issue #7) against the CPU:
//  - runPerformerFeaturesCuda's FAVOR+ features equal attn::performerFeatures (same projection ω,
//    drawn by the CPU's RNG) within f32 rounding, with and without SEA's key centring, on head dims
//    16/64/128 and feature counts that do not fill a block;
//  - performer and fast through runLayerVariant with the CUDA backend against the same run on the
//    CPU: output (and the materialised weights) within NMSE 1e-7 (DESIGN.md §7.9, f32 backend
//    parity), on causal, bidirectional and sliding-window layers (the window narrower than a
//    64-row chunk too), GQA, N not a multiple of the chunk; plus the GPU output against a
//    quadratic float64 reference of the same kernel (independent of both linear sweeps);
//  - sea (tf): the Performer features ran on the GPU (selectionBackend "cuda"), the compressed
//    estimate within NMSE 1e-7 of the CPU's, the kept cells identical except near ties;
//  - a device-memory limit too small for the call falls back to the CPU with the CPU's bits and
//    the reason recorded; bad arguments are InvalidArgument.
// Own main(): exits 77 when no CUDA device is usable.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "attention/attention_common.h"
#include "attention/variant_runner.h"
#include "attention/variants.h"
#include "attnscope_kernels/feature_map_math.h"
#include "backend/cuda/cuda_feature_maps.h"
#include "backend/cuda/device_memory_budget.h"
#include "model/layer_qkv.h"
#include "test_support/gpu_reference.h"
#include "test_support/gpu_test_main.h"
#include "test_support/variant_runs.h"

namespace attnscope {
namespace {

constexpr double kNmseF32 = 1e-7;

struct Case {
    int nTokens = 100;
    int headDim = 64;
    bool causal = true;
    int slidingWindow = 0;
    std::uint32_t seed = 1;

    std::string name() const
    {
        std::ostringstream text;
        text << "N" << nTokens << " d" << headDim << (causal ? " causal" : " bidir") << " win" << slidingWindow
             << " seed" << seed;
        return text.str();
    }
};

LayerQkv makeLayer(const Case& c, int nHeads = 4, int nKvHeads = 2)
{
    LayerQkv layer = randomLayer(nHeads, nKvHeads, c.nTokens, c.headDim, c.seed, 0.7f);
    layer.causal = c.causal;
    layer.slidingWindow = c.slidingWindow;
    return layer;
}

std::vector<Case> attentionCases()
{
    return {
        {257, 64, true, 0, 1},    // N not a multiple of the 64-row chunk
        {200, 64, false, 0, 2},   // bidirectional: every key in the state
        {300, 32, true, 20, 3},   // window narrower than a chunk
        {300, 16, false, 90, 4},  // bidirectional window wider than a chunk
        {1, 64, true, 0, 5},
        {700, 128, true, 0, 6},
    };
}

TEST(CudaFeatureMaps, PerformerFeaturesEqualCpu)
{
    for (const Case& c : {Case{257, 64, true, 0, 11}, Case{130, 16, false, 0, 12}, Case{90, 128, true, 0, 13}}) {
        const LayerQkv layer = makeLayer(c);
        for (int features : {1, 37, 130, 300}) {
            for (const bool centre : {false, true}) {
                SCOPED_TRACE(c.name() + " m " + std::to_string(features) + (centre ? " centred" : ""));
                const int head = 1;
                const attn::HeadInput input = attn::makeHeadInput(layer, head);
                const attn::PerformerFeatures cpu = attn::performerFeatures(input, features, 9, centre);
                const std::vector<float> projection = attn::performerProjection(input, features, 9);
                std::vector<float> mean;
                if (centre) {
                    mean.assign(static_cast<std::size_t>(c.headDim), 0.0f);
                    for (int dim = 0; dim < c.headDim; ++dim) {
                        double sum = 0.0;
                        for (int row = 0; row < c.nTokens; ++row) {
                            sum += input.k[static_cast<std::size_t>(row) * c.headDim + dim];
                        }
                        mean[static_cast<std::size_t>(dim)] = static_cast<float>(sum / c.nTokens);
                    }
                }
                std::vector<float> query;
                std::vector<float> key;
                const Result<void> run = runPerformerFeaturesCuda(layer, head, projection, features, mean, query, key);
                ASSERT_TRUE(run.ok()) << run.error().describe();
                ASSERT_EQ(query.size(), cpu.query.size());
                ASSERT_EQ(key.size(), cpu.key.size());
                EXPECT_LE(nmse(query, cpu.query), kNmseF32);
                EXPECT_LE(nmse(key, cpu.key), kNmseF32);
                // Every query row's largest feature is exp(0)/sqrt(m) (its own max shift).
                const float norm = 1.0f / std::sqrt(static_cast<float>(features));
                for (int row = 0; row < c.nTokens; ++row) {
                    const auto begin = query.begin() + static_cast<std::ptrdiff_t>(row) * features;
                    EXPECT_NEAR(*std::max_element(begin, begin + features), norm, 1e-6f * norm) << "row " << row;
                }
            }
        }
    }
}

LayerVariantResult runVariant(const LayerQkv& layer, const std::string& text, VariantBackend backend,
                              bool keepAttention = true)
{
    VariantRunOptions options;
    options.backend = backend;
    options.keepAttention = keepAttention;
    return runVariantText(layer, text, options);
}

void expectParity(const LayerVariantResult& gpu, const LayerVariantResult& cpu)
{
    ASSERT_EQ(gpu.heads.size(), cpu.heads.size());
    ASSERT_FALSE(cpu.heads.empty());
    for (std::size_t index = 0; index < cpu.heads.size(); ++index) {
        const HeadVariantResult& a = gpu.heads[index];
        const HeadVariantResult& b = cpu.heads[index];
        EXPECT_EQ(a.stats.attentionBackend, "cuda") << a.stats.backendFallbackReason;
        EXPECT_EQ(b.stats.attentionBackend, "cpu");
        ASSERT_EQ(a.output.size(), b.output.size());
        EXPECT_LE(nmse(a.output, b.output), kNmseF32) << "head " << index;
        EXPECT_EQ(a.attention.rowPtr, b.attention.rowPtr);
        EXPECT_EQ(a.attention.cols, b.attention.cols);
        ASSERT_EQ(a.attention.weights.size(), b.attention.weights.size());
        EXPECT_LE(nmse(a.attention.weights, b.attention.weights), kNmseF32) << "head " << index;
    }
    EXPECT_LE(nmse(gpu.outputs, cpu.outputs), kNmseF32);
}

/// Σ over the allowed keys of w_ij v_j / Σ w_ij in float64 for one head.
template <typename WeightOf>
std::vector<float> quadraticReference(const LayerQkv& layer, int head, WeightOf weightOf)
{
    const attn::HeadInput input = attn::makeHeadInput(layer, head);
    const int d = layer.headDim;
    std::vector<float> out(static_cast<std::size_t>(layer.nTokens) * d, 0.0f);
    for (int row = 0; row < layer.nTokens; ++row) {
        const attn::KeyRange range = attn::allowedKeys(input, row);
        double denominator = 0.0;
        std::vector<double> numerator(static_cast<std::size_t>(d), 0.0);
        for (int key = range.first; key <= range.last; ++key) {
            const double weight = weightOf(row, key);
            denominator += weight;
            for (int dim = 0; dim < d; ++dim) {
                numerator[static_cast<std::size_t>(dim)] += weight * input.v[static_cast<std::size_t>(key) * d + dim];
            }
        }
        for (int dim = 0; dim < d; ++dim) {
            out[static_cast<std::size_t>(row) * d + dim] =
                static_cast<float>(numerator[static_cast<std::size_t>(dim)] / denominator);
        }
    }
    return out;
}

TEST(CudaFeatureMaps, PerformerMatchesCpu)
{
    for (const Case& c : attentionCases()) {
        const LayerQkv layer = makeLayer(c);
        for (const std::string text : {"performer", "performer:features=77,seed=4"}) {
            SCOPED_TRACE(c.name() + " " + text);
            const LayerVariantResult cpu = runVariant(layer, text, VariantBackend::Cpu);
            const LayerVariantResult gpu = runVariant(layer, text, VariantBackend::Auto);
            expectParity(gpu, cpu);
        }
        // The GPU output against the quadratic float64 form over the CPU's features.
        const int head = 2;
        const attn::HeadInput input = attn::makeHeadInput(layer, head);
        const attn::PerformerFeatures phi = attn::performerFeatures(input, 77, 4);
        const std::vector<float> reference = quadraticReference(layer, head, [&](int row, int key) {
            double dot = 0.0;
            for (int feature = 0; feature < 77; ++feature) {
                dot += static_cast<double>(phi.query[static_cast<std::size_t>(row) * 77 + feature]) *
                       phi.key[static_cast<std::size_t>(key) * 77 + feature];
            }
            return dot;
        });
        const LayerVariantResult gpu = runVariant(layer, "performer:features=77,seed=4", VariantBackend::Auto, false);
        ASSERT_GT(gpu.heads.size(), static_cast<std::size_t>(head));
        EXPECT_LE(nmse(gpu.heads[static_cast<std::size_t>(head)].output, reference), kNmseF32) << c.name();
    }
}

TEST(CudaFeatureMaps, FastMatchesCpu)
{
    for (const Case& c : attentionCases()) {
        const LayerQkv layer = makeLayer(c);
        // form=factorised: the GPU runs the factorised moments; auto would take the CPU's explicit
        // sums on these short texts.
        for (const std::string text : {"fast:form=factorised", "fast:order=1,form=factorised",
                                       "fast:mode=taylor,tau=2,form=factorised", "fast:center=true,lim=2,form=factorised"}) {
            SCOPED_TRACE(c.name() + " " + text);
            const LayerVariantResult cpu = runVariant(layer, text, VariantBackend::Cpu);
            const LayerVariantResult gpu = runVariant(layer, text, VariantBackend::Auto);
            expectParity(gpu, cpu);
        }
        // taylor: x = s q·k / tau; the quadratic float64 form of f(x) = 1 + x + x²/2.
        const int head = 1;
        const attn::HeadInput input = attn::makeHeadInput(layer, head);
        const std::vector<float> reference = quadraticReference(layer, head, [&](int row, int key) {
            double dot = 0.0;
            for (int dim = 0; dim < c.headDim; ++dim) {
                dot += static_cast<double>(input.q[static_cast<std::size_t>(row) * c.headDim + dim]) *
                       input.k[static_cast<std::size_t>(key) * c.headDim + dim];
            }
            const double x = dot * input.scale / 2.0;
            return 1.0 + x + 0.5 * x * x;
        });
        const LayerVariantResult gpu =
            runVariant(layer, "fast:mode=taylor,tau=2,form=factorised", VariantBackend::Auto, false);
        ASSERT_GT(gpu.heads.size(), static_cast<std::size_t>(head));
        EXPECT_LE(nmse(gpu.heads[static_cast<std::size_t>(head)].output, reference), kNmseF32) << c.name();
    }
}

TEST(CudaFeatureMaps, SeaEstimateMatchesCpu)
{
    for (const Case& c : {Case{300, 64, true, 0, 21}, Case{257, 32, false, 0, 22}, Case{400, 64, true, 100, 23}}) {
        const LayerQkv layer = makeLayer(c);
        for (const std::string text : {"sea:k=32,tm=32", "sea:k=16,tm=64,grouping=query,features=100"}) {
            SCOPED_TRACE(c.name() + " " + text);
            const LayerVariantResult cpu = runVariant(layer, text, VariantBackend::Cpu);
            const LayerVariantResult gpu = runVariant(layer, text, VariantBackend::Auto);
            ASSERT_EQ(gpu.heads.size(), cpu.heads.size());
            std::int64_t cells = 0;
            std::int64_t differing = 0;
            for (std::size_t index = 0; index < cpu.heads.size(); ++index) {
                const HeadVariantResult& a = gpu.heads[index];
                const HeadVariantResult& b = cpu.heads[index];
                EXPECT_EQ(a.stats.selectionBackend, "cuda") << a.stats.backendFallbackReason;
                EXPECT_EQ(b.stats.selectionBackend, "cpu");
                ASSERT_EQ(a.compressedEstimate.size(), b.compressedEstimate.size());
                EXPECT_LE(nmse(a.compressedEstimate, b.compressedEstimate), kNmseF32);
                ASSERT_EQ(a.compressedMask.size(), b.compressedMask.size());
                for (std::size_t cell = 0; cell < b.compressedMask.size(); ++cell) {
                    cells += b.compressedMask[cell];
                    differing += a.compressedMask[cell] != b.compressedMask[cell] ? 1 : 0;
                }
            }
            // The selection follows the estimate; f32-rounding-sized differences may only flip
            // cells at near ties.
            EXPECT_LE(differing, std::max<std::int64_t>(2, cells / 200)) << differing << " of " << cells;
        }
    }
}

TEST(CudaFeatureMaps, MemoryRefusalFallsBackToCpu)
{
    const LayerQkv layer = makeLayer({300, 64, true, 0, 31});
    VariantRunOptions options;
    options.keepAttention = true;
    // sea: its feature step is the selection's; performer and fast have no selection, their linear
    // attention is what falls back.
    expectMemoryRefusalGivesCpuBits(layer, "sea:k=16,tm=16", options);
    expectMemoryRefusalGivesCpuBits(layer, "performer", options, "attention");
    expectMemoryRefusalGivesCpuBits(layer, "fast:form=factorised", options, "attention");
    const LayerVariantResult again = runVariant(layer, "performer", VariantBackend::Auto);
    ASSERT_FALSE(again.heads.empty());
    EXPECT_EQ(again.heads[0].stats.attentionBackend, "cuda") << again.heads[0].stats.backendFallbackReason;
}

TEST(CudaFeatureMaps, BadArgumentsAreInvalid)
{
    const LayerQkv layer = makeLayer({50, 16, true, 0, 41});
    std::vector<float> query;
    std::vector<float> key;
    std::vector<float> out;
    std::vector<double> denominators;
    const std::vector<float> projection(static_cast<std::size_t>(8) * 16, 0.1f);
    EXPECT_EQ(runPerformerFeaturesCuda(layer, 0, projection, 9, {}, query, key).error().code,
              ErrorCode::InvalidArgument);
    EXPECT_EQ(runPerformerFeaturesCuda(layer, 0, projection, 8, std::vector<float>(3, 0.0f), query, key).error().code,
              ErrorCode::InvalidArgument);
    EXPECT_EQ(runPerformerAttentionCuda(layer, 4, projection, 8, out, denominators).error().code,
              ErrorCode::InvalidArgument);
    const std::vector<double> normalised(static_cast<std::size_t>(50) * 16, 0.1);
    EXPECT_EQ(runFastmaxAttentionCuda(layer, 0, normalised, normalised, 3, out, denominators).error().code,
              ErrorCode::InvalidArgument);
    EXPECT_EQ(runFastmaxAttentionCuda(layer, 0, normalised, std::vector<double>(7, 0.0), 2, out, denominators)
                  .error()
                  .code,
              ErrorCode::InvalidArgument);
}

} // namespace
} // namespace attnscope

int main(int argc, char** argv)
{
    return attnscope::runGpuTestsOrSkip(argc, argv);
}

// The shared per-element math of the feature-map variants (attnscope_kernels/feature_map_math.h,
// used by the CPU variants and the CUDA kernels, issue #7) and the host-side glue that runs without
// a device:
//  - performerFeature against exp in float64; Fastmax's factorised features against the closed form
//    f(q·k) = a0 + a1 x + a2 x²;
//  - the chunked running state (linearStateStep, linearDirectSegments) covers each row's allowed
//    range exactly once, for causal, bidirectional and sliding-window masks and any chunk size;
//  - the GPU's algorithm replayed on the CPU in float64 (state over the interval + direct keys, from
//    the CPU's own features) equals the CPU variants' sweep (performer, fast) and a quadratic
//    float64 reference;
//  - closed-form device byte counts; with CUDA disabled, performer / fast / sea fall back to the
//    CPU with the reason recorded and the same bits as VariantBackend::Cpu.

#include "tst_variant_fixture.h"

#include "attention/variants.h"
#include "attnscope_kernels/feature_map_math.h"
#include "attnscope_kernels/launch_feature_map.h"
#include "backend/cuda/cuda_feature_maps.h"
#include "backend/cuda/device_memory_budget.h"
#include "test_support/variant_runs.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace attnscope {
namespace {

TEST(FeatureMapMath, PerformerFeatureIsExpOfTheShiftedLogitTimesTheNorm)
{
    const float norm = 1.0f / std::sqrt(256.0f);
    for (float logit = -30.0f; logit <= 30.0f; logit += 0.37f) {
        for (float shift : {0.0f, 5.5f, -2.25f, 30.0f}) {
            const double expected = std::exp(static_cast<double>(logit - shift)) * norm;
            const float actual = performerFeature(logit, shift, norm);
            EXPECT_NEAR(actual, expected, 4e-7 * expected) << logit << " " << shift;
            EXPECT_GT(actual, 0.0f);
        }
    }
    EXPECT_EQ(performerHalfNorm(0.125f, 8.0f), 0.5f);
}

TEST(FeatureMapMath, FastmaxFeaturesFactoriseThePolynomial)
{
    std::mt19937 rng(5);
    std::normal_distribution<double> normal(0.0, 0.7);
    for (int order : {1, 2}) {
        const FastmaxCoefficients a = fastmaxCoefficients(order);
        EXPECT_EQ(a.a0, 1.0);
        EXPECT_EQ(a.a1, 1.0);
        EXPECT_EQ(a.a2, order >= 2 ? 0.5 : 0.0);
        for (int d : {1, 3, 8, 17}) {
            const long long count = fastmaxFeatureCount(d, order);
            EXPECT_EQ(count, 1 + d + (order >= 2 ? static_cast<long long>(d) * d : 0));
            for (int trial = 0; trial < 5; ++trial) {
                std::vector<double> q(static_cast<std::size_t>(d));
                std::vector<double> k(static_cast<std::size_t>(d));
                for (int index = 0; index < d; ++index) {
                    q[static_cast<std::size_t>(index)] = normal(rng);
                    k[static_cast<std::size_t>(index)] = normal(rng);
                }
                double x = 0.0;
                for (int index = 0; index < d; ++index) {
                    x += q[static_cast<std::size_t>(index)] * k[static_cast<std::size_t>(index)];
                }
                double dot = 0.0;
                for (long long feature = 0; feature < count; ++feature) {
                    dot += fastmaxFeature(feature, q.data(), d, a.a0, a.a1, a.a2) *
                           fastmaxFeature(feature, k.data(), d, 1.0, 1.0, 1.0);
                }
                const double expected = a.a0 + a.a1 * x + a.a2 * x * x;
                EXPECT_NEAR(dot, expected, 1e-12 * (1.0 + std::abs(expected))) << "order " << order << " d " << d;
            }
        }
    }
}

struct Mask {
    int nTokens = 0;
    bool causal = true;
    int window = 0;
};

std::vector<Mask> masks()
{
    std::vector<Mask> result;
    for (int n : {1, 2, 5, 63, 64, 65, 130, 200}) {
        for (bool causal : {true, false}) {
            for (int window : {0, 1, 3, 37, 64, 100, 1000}) {
                result.push_back({n, causal, window});
            }
        }
    }
    return result;
}

/// Replays the host's chunk loop (cuda_feature_maps.cpp) with per-key counts: the state must hold
/// each key of [stateBegin, stateEnd) once and no other, lie inside every row's range (or be empty),
/// and state ∪ direct segments must be each row's range, every key exactly once.
TEST(FeatureMapMath, ChunkedStateCoversEveryRowsRangeOnce)
{
    for (const Mask& mask : masks()) {
        for (int chunk : {1, 7, 64}) {
            SCOPED_TRACE("n " + std::to_string(mask.nTokens) + (mask.causal ? " causal" : " bidir") + " window " +
                         std::to_string(mask.window) + " chunk " + std::to_string(chunk));
            std::vector<int> inState(static_cast<std::size_t>(mask.nTokens), 0);
            LinearStateStep step;
            for (int rowBegin = 0; rowBegin < mask.nTokens; rowBegin += chunk) {
                const int rowEnd = std::min(mask.nTokens, rowBegin + chunk);
                const LinearStateStep previous = step;
                step = linearStateStep(rowBegin, rowEnd, mask.nTokens, mask.causal, mask.window, step.stateBegin,
                                       step.stateEnd);
                ASSERT_GE(step.stateBegin, previous.stateBegin);
                ASSERT_GE(step.stateEnd, previous.stateEnd);
                ASSERT_LE(step.stateBegin, step.stateEnd);
                ASSERT_GE(step.addBegin, 0);
                ASSERT_LE(step.addEnd, mask.nTokens);
                ASSERT_GE(step.removeBegin, 0);
                ASSERT_LE(step.removeEnd, mask.nTokens);
                for (int key = step.addBegin; key < step.addEnd; ++key) {
                    ++inState[static_cast<std::size_t>(key)];
                }
                for (int key = step.removeBegin; key < step.removeEnd; ++key) {
                    --inState[static_cast<std::size_t>(key)];
                }
                for (int key = 0; key < mask.nTokens; ++key) {
                    ASSERT_EQ(inState[static_cast<std::size_t>(key)],
                              key >= step.stateBegin && key < step.stateEnd ? 1 : 0)
                        << "key " << key;
                }
                for (int row = rowBegin; row < rowEnd; ++row) {
                    int first = 0;
                    int last = -1;
                    modelAllowedRange(row, mask.nTokens, mask.causal, mask.window, &first, &last);
                    if (step.stateEnd > step.stateBegin) {
                        ASSERT_GE(step.stateBegin, first) << "row " << row;
                        ASSERT_LE(step.stateEnd, last + 1) << "row " << row;
                    }
                    int segments[4];
                    linearDirectSegments(first, last, step.stateBegin, step.stateEnd, segments);
                    std::vector<int> seen(inState);
                    for (int segment = 0; segment < 2; ++segment) {
                        for (int key = segments[2 * segment]; key < segments[2 * segment + 1]; ++key) {
                            ASSERT_GE(key, 0);
                            ASSERT_LT(key, mask.nTokens);
                            ++seen[static_cast<std::size_t>(key)];
                        }
                    }
                    for (int key = 0; key < mask.nTokens; ++key) {
                        ASSERT_EQ(seen[static_cast<std::size_t>(key)], key >= first && key <= last ? 1 : 0)
                            << "row " << row << " key " << key;
                    }
                }
            }
        }
    }
}

/// The GPU's linear attention replayed in float64 from features: out [N, d], denominators [N].
void chunkedLinearAttention(const attn::HeadInput& input, const std::vector<double>& queryFeatures,
                            const std::vector<double>& keyFeatures, int features, bool positiveOnly,
                            std::vector<double>& out, std::vector<double>& denominators)
{
    const int n = input.nTokens;
    const int d = input.headDim;
    const int width = d + 1;
    std::vector<double> state(static_cast<std::size_t>(features) * width, 0.0);
    out.assign(static_cast<std::size_t>(n) * d, 0.0);
    denominators.assign(static_cast<std::size_t>(n), 0.0);
    const auto accumulate = [&](int key, double sign, std::vector<double>& target, const double* weights) {
        // weights == nullptr: into the state (per feature); else the weight of the key for one row.
        for (int feature = 0; feature < (weights == nullptr ? features : 1); ++feature) {
            const double phi = weights == nullptr
                                   ? keyFeatures[static_cast<std::size_t>(key) * features + feature]
                                   : *weights;
            for (int column = 0; column < width; ++column) {
                const double value =
                    column < d ? static_cast<double>(input.v[static_cast<std::size_t>(key) * d + column]) : 1.0;
                target[static_cast<std::size_t>(feature) * width + column] += sign * phi * value;
            }
        }
    };
    LinearStateStep step;
    for (int rowBegin = 0; rowBegin < n; rowBegin += kLinearAttnChunkRows) {
        const int rowEnd = std::min(n, rowBegin + kLinearAttnChunkRows);
        step = linearStateStep(rowBegin, rowEnd, n, input.causal, input.slidingWindow, step.stateBegin, step.stateEnd);
        for (int key = step.addBegin; key < step.addEnd; ++key) {
            accumulate(key, 1.0, state, nullptr);
        }
        for (int key = step.removeBegin; key < step.removeEnd; ++key) {
            accumulate(key, -1.0, state, nullptr);
        }
        for (int row = rowBegin; row < rowEnd; ++row) {
            const double* query = queryFeatures.data() + static_cast<std::size_t>(row) * features;
            std::vector<double> acc(static_cast<std::size_t>(width), 0.0);
            for (int feature = 0; feature < features; ++feature) {
                for (int column = 0; column < width; ++column) {
                    acc[static_cast<std::size_t>(column)] +=
                        query[feature] * state[static_cast<std::size_t>(feature) * width + column];
                }
            }
            const attn::KeyRange range = attn::allowedKeys(input, row);
            int segments[4];
            linearDirectSegments(range.first, range.last, step.stateBegin, step.stateEnd, segments);
            for (int segment = 0; segment < 2; ++segment) {
                for (int key = segments[2 * segment]; key < segments[2 * segment + 1]; ++key) {
                    double weight = 0.0;
                    for (int feature = 0; feature < features; ++feature) {
                        weight += query[feature] * keyFeatures[static_cast<std::size_t>(key) * features + feature];
                    }
                    accumulate(key, 1.0, acc, &weight);
                }
            }
            const double denominator = acc[static_cast<std::size_t>(d)];
            denominators[static_cast<std::size_t>(row)] = denominator;
            const bool usable = positiveOnly ? denominator > 0.0 : denominator != 0.0;
            for (int column = 0; column < d; ++column) {
                out[static_cast<std::size_t>(row) * d + column] =
                    usable ? acc[static_cast<std::size_t>(column)] / denominator : 0.0;
            }
        }
    }
}

/// Σ over the allowed keys of w_ij v_j / Σ w_ij, quadratic, in float64: the independent reference.
std::vector<double> quadraticAttention(const attn::HeadInput& input, const auto& weightOf)
{
    std::vector<double> out(static_cast<std::size_t>(input.nTokens) * input.headDim, 0.0);
    for (int row = 0; row < input.nTokens; ++row) {
        const attn::KeyRange range = attn::allowedKeys(input, row);
        double denominator = 0.0;
        std::vector<double> numerator(static_cast<std::size_t>(input.headDim), 0.0);
        for (int key = range.first; key <= range.last; ++key) {
            const double weight = weightOf(row, key);
            denominator += weight;
            for (int column = 0; column < input.headDim; ++column) {
                numerator[static_cast<std::size_t>(column)] +=
                    weight * input.v[static_cast<std::size_t>(key) * input.headDim + column];
            }
        }
        for (int column = 0; column < input.headDim; ++column) {
            out[static_cast<std::size_t>(row) * input.headDim + column] =
                numerator[static_cast<std::size_t>(column)] / denominator;
        }
    }
    return out;
}

double relativeError(const std::vector<double>& actual, const std::vector<float>& expected)
{
    double error = 0.0;
    double norm = 0.0;
    for (std::size_t index = 0; index < expected.size(); ++index) {
        const double diff = actual[index] - expected[index];
        error += diff * diff;
        norm += static_cast<double>(expected[index]) * expected[index];
    }
    return norm > 0.0 ? error / norm : error;
}

double relativeError(const std::vector<double>& actual, const std::vector<double>& expected)
{
    const std::vector<float> rounded(expected.begin(), expected.end());
    return relativeError(actual, rounded);
}

LayerVariantResult runOn(const LayerQkv& layer, const std::string& text, VariantBackend backend)
{
    VariantRunOptions options;
    options.backend = backend;
    return runVariantText(layer, text, options);
}

std::vector<testing::LayerShape> shapes()
{
    return {
        {2, 1, 150, 16, true, 0, 11},   // N not a multiple of the chunk, GQA
        {2, 2, 97, 16, false, 0, 12},   // bidirectional: everything in the state
        {2, 1, 150, 16, true, 20, 13},  // window narrower than a chunk
        {2, 1, 150, 16, false, 40, 14}, // bidirectional window
    };
}

TEST(FeatureMapMath, ChunkedPerformerEqualsTheCpuSweepAndTheQuadraticForm)
{
    for (const testing::LayerShape& shape : shapes()) {
        const LayerQkv layer = testing::makeStructuredLayer(shape);
        SCOPED_TRACE("n " + std::to_string(shape.nTokens) + " window " + std::to_string(shape.slidingWindow) +
                     (shape.causal ? " causal" : " bidir"));
        const LayerVariantResult cpu = runOn(layer, "performer:features=48,seed=3", VariantBackend::Cpu);
        ASSERT_EQ(cpu.heads.size(), static_cast<std::size_t>(layer.nHeads));
        for (int head = 0; head < layer.nHeads; ++head) {
            const attn::HeadInput input = attn::makeHeadInput(layer, head);
            const attn::PerformerFeatures phi = attn::performerFeatures(input, 48, 3);
            const std::vector<double> query(phi.query.begin(), phi.query.end());
            const std::vector<double> key(phi.key.begin(), phi.key.end());
            std::vector<double> out;
            std::vector<double> denominators;
            chunkedLinearAttention(input, query, key, 48, true, out, denominators);
            const std::vector<double> reference = quadraticAttention(input, [&](int row, int keyPos) {
                double dot = 0.0;
                for (int feature = 0; feature < 48; ++feature) {
                    dot += query[static_cast<std::size_t>(row) * 48 + feature] *
                           key[static_cast<std::size_t>(keyPos) * 48 + feature];
                }
                return dot;
            });
            const std::vector<float>& variant = cpu.heads[static_cast<std::size_t>(head)].output;
            EXPECT_LE(relativeError(out, variant), 1e-12);
            EXPECT_LE(relativeError(out, reference), 1e-12);
        }
    }
}

TEST(FeatureMapMath, ChunkedFastmaxEqualsTheCpuSweepAndTheQuadraticForm)
{
    for (const testing::LayerShape& shape : shapes()) {
        const LayerQkv layer = testing::makeStructuredLayer(shape);
        for (int order : {1, 2}) {
            // taylor: x = s q·k / tau, so the normalised rows are q·sqrt(s)/tau and k·sqrt(s).
            const double tau = 2.0;
            const std::string text = "fast:mode=taylor,tau=2,order=" + std::to_string(order);
            SCOPED_TRACE(text + " n " + std::to_string(shape.nTokens) + " window " +
                         std::to_string(shape.slidingWindow) + (shape.causal ? " causal" : " bidir"));
            const LayerVariantResult cpu = runOn(layer, text, VariantBackend::Cpu);
            ASSERT_EQ(cpu.heads.size(), static_cast<std::size_t>(layer.nHeads));
            const FastmaxCoefficients a = fastmaxCoefficients(order);
            const int d = layer.headDim;
            const int features = static_cast<int>(fastmaxFeatureCount(d, order));
            for (int head = 0; head < layer.nHeads; ++head) {
                const attn::HeadInput input = attn::makeHeadInput(layer, head);
                const double root = std::sqrt(static_cast<double>(input.scale));
                std::vector<double> queries(static_cast<std::size_t>(input.nTokens) * d);
                std::vector<double> keys(queries.size());
                for (std::size_t index = 0; index < queries.size(); ++index) {
                    queries[index] = input.q[index] * root / tau;
                    keys[index] = input.k[index] * root;
                }
                std::vector<double> queryFeatures(static_cast<std::size_t>(input.nTokens) * features);
                std::vector<double> keyFeatures(queryFeatures.size());
                for (int row = 0; row < input.nTokens; ++row) {
                    for (int feature = 0; feature < features; ++feature) {
                        const std::size_t at = static_cast<std::size_t>(row) * features + feature;
                        queryFeatures[at] = fastmaxFeature(feature, queries.data() + static_cast<std::size_t>(row) * d,
                                                           d, a.a0, a.a1, a.a2);
                        keyFeatures[at] =
                            fastmaxFeature(feature, keys.data() + static_cast<std::size_t>(row) * d, d, 1.0, 1.0, 1.0);
                    }
                }
                std::vector<double> out;
                std::vector<double> denominators;
                chunkedLinearAttention(input, queryFeatures, keyFeatures, features, false, out, denominators);
                const std::vector<double> reference = quadraticAttention(input, [&](int row, int keyPos) {
                    double x = 0.0;
                    for (int dim = 0; dim < d; ++dim) {
                        x += queries[static_cast<std::size_t>(row) * d + dim] *
                             keys[static_cast<std::size_t>(keyPos) * d + dim];
                    }
                    return a.a0 + a.a1 * x + a.a2 * x * x;
                });
                EXPECT_LE(relativeError(out, cpu.heads[static_cast<std::size_t>(head)].output), 1e-12);
                EXPECT_LE(relativeError(out, reference), 1e-12);
            }
        }
    }
}

TEST(FeatureMapMath, DeviceBytesInClosedForm)
{
    // N = 10, d = 4, m = 3: 4 · (2·40 + 12 + 4 + 60 + 11) = 668; attention adds 4 · 80 and
    // 8 · (3·5 + 10).
    EXPECT_EQ(performerDeviceBytes(10, 4, 3, false), 668u);
    EXPECT_EQ(performerDeviceBytes(10, 4, 3, true), 668u + 320u + 200u);
    // M = 1 + 4 + 16 = 21: 8 · (80 + 21·5 + 10) + 4 · (80 + 2·10·21) = 1560 + 2000.
    EXPECT_EQ(fastmaxDeviceBytes(10, 4, 2), 3560u);
    // M = 5: 8 · (80 + 25 + 10) + 4 · (80 + 100) = 920 + 720.
    EXPECT_EQ(fastmaxDeviceBytes(10, 4, 1), 1640u);
    // Sizes that overflow 64 bits saturate instead of wrapping to something small.
    EXPECT_EQ(fastmaxDeviceBytes(std::numeric_limits<int>::max(), 1 << 30, 2),
              std::numeric_limits<std::uint64_t>::max());
    EXPECT_GT(performerDeviceBytes(std::numeric_limits<int>::max(), 4096, 65536, true), std::uint64_t{1} << 50);
}

TEST(FeatureMapMath, DisabledCudaFallsBackWithReasonAndSameBits)
{
    const LayerQkv layer = testing::makeStructuredLayer({});
    ASSERT_EQ(setenv("ATTNSCOPE_DISABLE_CUDA", "1", 1), 0);
    // fast in its factorised form: the explicit form (what auto takes on this short text) has no
    // CUDA path to fall back from.
    for (const std::string text : {"performer:features=32", "fast:form=factorised", "fast:order=1,mode=taylor,form=factorised",
                                   "sea:k=16,tm=16"}) {
        SCOPED_TRACE(text);
        const LayerVariantResult automatic = runOn(layer, text, VariantBackend::Auto);
        const LayerVariantResult cpu = runOn(layer, text, VariantBackend::Cpu);
        ASSERT_EQ(automatic.heads.size(), static_cast<std::size_t>(layer.nHeads));
        ASSERT_EQ(cpu.heads.size(), automatic.heads.size());
        EXPECT_EQ(automatic.outputs, cpu.outputs);
        const bool sea = text.rfind("sea", 0) == 0;
        for (std::size_t index = 0; index < cpu.heads.size(); ++index) {
            const VariantStats& fallback = automatic.heads[index].stats;
            const VariantStats& plain = cpu.heads[index].stats;
            EXPECT_EQ(fallback.attentionBackend, "cpu");
            EXPECT_EQ(plain.attentionBackend, "cpu");
            EXPECT_NE(fallback.backendFallbackReason.find("ATTNSCOPE_DISABLE_CUDA"), std::string::npos)
                << fallback.backendFallbackReason;
            EXPECT_TRUE(plain.backendFallbackReason.empty()) << plain.backendFallbackReason;
            EXPECT_EQ(fallback.selectionBackend, sea ? "cpu" : "");
            EXPECT_EQ(plain.selectionBackend, sea ? "cpu" : "");
            EXPECT_EQ(automatic.heads[index].output, cpu.heads[index].output);
            EXPECT_EQ(automatic.heads[index].attention.cols, cpu.heads[index].attention.cols);
            EXPECT_EQ(automatic.heads[index].attention.weights, cpu.heads[index].attention.weights);
        }
    }
    unsetenv("ATTNSCOPE_DISABLE_CUDA");
}

TEST(FeatureMapMath, EntryPointsSayWhyWithoutADevice)
{
    // Without a usable device (this test forces that), every entry point returns BackendUnavailable
    // with the reason, so callers fall back without #if.
    const LayerQkv layer = testing::makeStructuredLayer({});
    ASSERT_EQ(setenv("ATTNSCOPE_DISABLE_CUDA", "1", 1), 0);
    std::vector<float> queryFeatures;
    std::vector<float> keyFeatures;
    std::vector<float> out;
    std::vector<double> denominators;
    const std::vector<float> projection(static_cast<std::size_t>(8) * layer.headDim, 0.5f);
    const Result<void> features =
        runPerformerFeaturesCuda(layer, 0, projection, 8, {}, queryFeatures, keyFeatures);
    ASSERT_FALSE(features.ok());
    EXPECT_EQ(features.error().code, ErrorCode::BackendUnavailable);
    const Result<void> performer = runPerformerAttentionCuda(layer, 0, projection, 8, out, denominators);
    ASSERT_FALSE(performer.ok());
    EXPECT_EQ(performer.error().code, ErrorCode::BackendUnavailable);
    const std::vector<double> normalised(static_cast<std::size_t>(layer.nTokens) * layer.headDim, 0.1);
    const Result<void> fast = runFastmaxAttentionCuda(layer, 0, normalised, normalised, 2, out, denominators);
    ASSERT_FALSE(fast.ok());
    EXPECT_EQ(fast.error().code, ErrorCode::BackendUnavailable);
    EXPECT_NE(fast.error().describe().find("ATTNSCOPE_DISABLE_CUDA"), std::string::npos) << fast.error().describe();
    unsetenv("ATTNSCOPE_DISABLE_CUDA");
}

} // namespace
} // namespace attnscope

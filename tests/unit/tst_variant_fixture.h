#pragma once
// Synthetic layers with structure for the variant tests: low-rank queries and keys plus noise (so
// attention is peaked and selectors can be told apart), and a few heavy-hitter keys (BOS and every
// 17th token) that every query likes, as in real decoder layers.

#include "attention/attention_common.h"
#include "attention/variant_runner.h"
#include "model/layer_qkv.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

namespace attnscope::testing {

struct LayerShape {
    int nHeads = 4;
    int nKvHeads = 2;
    int nTokens = 96;
    int headDim = 32;
    bool causal = true;
    int slidingWindow = 0;
    std::uint64_t seed = 7;
};

inline LayerQkv makeStructuredLayer(const LayerShape& shape)
{
    LayerQkv layer;
    layer.layer = 3;
    layer.nHeads = shape.nHeads;
    layer.nKvHeads = shape.nKvHeads;
    layer.nTokens = shape.nTokens;
    layer.headDim = shape.headDim;
    layer.scale = 1.0f / std::sqrt(static_cast<float>(shape.headDim));
    layer.causal = shape.causal;
    layer.slidingWindow = shape.slidingWindow;
    attn::Rng rng(shape.seed);
    const int n = shape.nTokens;
    const int d = shape.headDim;
    constexpr int kRank = 4;
    auto fill = [&](std::vector<float>& out, int heads, double gain, bool heavy) {
        out.resize(static_cast<std::size_t>(heads) * n * d);
        for (int head = 0; head < heads; ++head) {
            std::vector<double> basis(static_cast<std::size_t>(kRank) * d);
            for (double& value : basis) {
                value = rng.normal();
            }
            for (int token = 0; token < n; ++token) {
                std::vector<double> latent(kRank);
                for (double& value : latent) {
                    value = rng.normal();
                }
                const bool hitter = heavy && (token == 0 || token % 17 == 5);
                for (int dim = 0; dim < d; ++dim) {
                    double value = 0.4 * rng.normal();
                    for (int r = 0; r < kRank; ++r) {
                        value += latent[static_cast<std::size_t>(r)] * basis[static_cast<std::size_t>(r) * d + dim];
                    }
                    if (hitter) {
                        value += 2.5 * basis[static_cast<std::size_t>(dim % kRank) * d + dim];
                    }
                    out[(static_cast<std::size_t>(head) * n + token) * d + dim] = static_cast<float>(gain * value);
                }
            }
        }
    };
    fill(layer.q, shape.nHeads, 1.0, false);
    fill(layer.k, shape.nKvHeads, 1.0, true);
    fill(layer.v, shape.nKvHeads, 1.0, false);
    return layer;
}

/// Runs a variant given as text on every head of a layer; a parse or run error fails the test and
/// gives an empty result.
inline LayerVariantResult runVariantText(const LayerQkv& layer, const char* text, VariantRunOptions options = {})
{
    auto spec = parseVariantSpec(text);
    EXPECT_TRUE(spec.ok()) << text;
    if (!spec.ok()) {
        return {};
    }
    auto result = attn::runLayerVariant(layer, *spec, options);
    EXPECT_TRUE(result.ok()) << text << ": " << (result.ok() ? "" : result.error().message);
    return result.ok() ? std::move(*result) : LayerVariantResult{};
}

} // namespace attnscope::testing

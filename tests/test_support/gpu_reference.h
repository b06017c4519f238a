#pragma once
// Inputs and float64 references shared by the GPU tests (tests/backend/): written here,
// independent of the CPU and CUDA code paths they check.

#include "model/layer_qkv.h"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

namespace attnscope {

/// A layer of the given shape (scale 1/sqrt(headDim)) with q, k and v drawn in that order from one
/// normal generator (standard deviation `stddev`) seeded with `seed`.
inline LayerQkv randomLayer(int nHeads, int nKvHeads, int nTokens, int headDim, std::uint32_t seed,
                            float stddev = 1.0f)
{
    LayerQkv layer;
    layer.nHeads = nHeads;
    layer.nKvHeads = nKvHeads;
    layer.nTokens = nTokens;
    layer.headDim = headDim;
    layer.scale = 1.0f / std::sqrt(static_cast<float>(headDim));
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal(0.0f, stddev);
    const std::size_t perHead = static_cast<std::size_t>(nTokens) * headDim;
    auto fill = [&](std::vector<float>& values, int heads) {
        values.resize(perHead * heads);
        for (float& value : values) {
            value = normal(rng);
        }
    };
    fill(layer.q, nHeads);
    fill(layer.k, nKvHeads);
    fill(layer.v, nKvHeads);
    return layer;
}

/// The score of (queryPos, keyPos) of a query head in float64: scale · q·k, softcapped when the
/// layer is (softcap · tanh(s / softcap)). The key comes from the head's GQA-mapped KV head.
inline double referenceScore(const LayerQkv& layer, int head, int queryPos, int keyPos)
{
    const float* query = layer.queryHead(head) + static_cast<std::size_t>(queryPos) * layer.headDim;
    const float* key = layer.keyHead(head) + static_cast<std::size_t>(keyPos) * layer.headDim;
    double dot = 0.0;
    for (int c = 0; c < layer.headDim; ++c) {
        dot += static_cast<double>(query[c]) * key[c];
    }
    double score = dot * layer.scale;
    if (layer.softcap > 0.0f) {
        score = layer.softcap * std::tanh(score / layer.softcap);
    }
    return score;
}

/// Normalised mean squared error Σ(actual - expected)² / Σ expected² (the plain squared error when
/// expected is all zero), the backend-parity measure of DESIGN.md §7.9 (1e-7 for f32).
inline double nmse(const std::vector<float>& actual, const std::vector<float>& expected)
{
    double errorSum = 0.0;
    double normSum = 0.0;
    for (std::size_t index = 0; index < expected.size(); ++index) {
        const double diff = static_cast<double>(actual[index]) - expected[index];
        errorSum += diff * diff;
        normSum += static_cast<double>(expected[index]) * expected[index];
    }
    return normSum > 0.0 ? errorSum / normSum : errorSum;
}

} // namespace attnscope

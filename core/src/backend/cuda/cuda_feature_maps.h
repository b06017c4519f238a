#pragma once
// Host entry points of the feature-map kernels (issue #7): FAVOR+ features (performer, SEA's
// estimate), the performer's linear attention and Fastmax's factorised attention (fast), one head
// per call. No CUDA headers here; without CUDA (or a usable device) every function returns
// BackendUnavailable, so callers fall back to the CPU without #if (attention_backend.h). The math is
// the CPU variants' (variant_performer.cpp, variant_fast.cpp; per-element steps in
// attnscope_kernels/feature_map_math.h): the projection ω and Fastmax's normalised q, k come from
// the CPU code, so both backends use the same features. Synchronous.

#include <span>
#include <vector>

#include "attnscope/status.h"

namespace attnscope {

struct LayerQkv;

/// The selector of every call here: BackendUnavailable (no device, failed, disabled, not
/// compiled), the shape errors of cuda_host::checkShapes, InvalidArgument for a head out of range,
/// Unsupported for a head dim above kFeatureMapMaxHeadDim.
Result<void> checkCudaFeatureMapsSupported(const LayerQkv& qkv, int head);

/// Largest head dim the feature-map kernels take (a row of it sits in shared memory).
inline constexpr int kFeatureMapMaxHeadDim = 4096;

/// FAVOR+ features of one head: projection [features, headDim] row-major (the CPU's ω in f32),
/// keyMean empty or [headDim] (subtracted from every key first: SEA's centring). queryFeatures and
/// keyFeatures: [nTokens, features], each query row shifted by its own max logit, the keys by one
/// max over all keys (attn::performerFeaturesFromProjection).
/// Errors: the selector's, InvalidArgument (features < 1, wrong projection or mean size),
/// OutOfMemory (also the device-memory budget), DeviceError.
Result<void> runPerformerFeaturesCuda(const LayerQkv& qkv, int head, std::span<const float> projection,
                                      int features, std::span<const float> keyMean,
                                      std::vector<float>& queryFeatures, std::vector<float>& keyFeatures);

/// The performer variant's output of one head: features as above (keys not centred), then the
/// linear attention over each query's allowed keys (causal / sliding window): out [nTokens, headDim]
/// (0 on a row whose denominator is not > 0), denominators [nTokens] = φ(q_i)·Σ φ(k_j). When
/// queryFeatures / keyFeatures are not null they receive the features too.
Result<void> runPerformerAttentionCuda(const LayerQkv& qkv, int head, std::span<const float> projection,
                                       int features, std::vector<float>& out, std::vector<double>& denominators,
                                       std::vector<float>* queryFeatures = nullptr,
                                       std::vector<float>* keyFeatures = nullptr);

/// The fast variant's output of one head from its normalised queries and keys ([nTokens, headDim]
/// row-major, f64, as attn::runFast scales them) and polynomial order 1 or 2: out [nTokens,
/// headDim] (0 on a row whose denominator is 0), denominators [nTokens] = Σ f(q_i·k_j).
/// Errors: the selector's, InvalidArgument (order, sizes), OutOfMemory, DeviceError.
Result<void> runFastmaxAttentionCuda(const LayerQkv& qkv, int head, std::span<const double> queries,
                                     std::span<const double> keys, int order, std::vector<float>& out,
                                     std::vector<double>& denominators);

} // namespace attnscope

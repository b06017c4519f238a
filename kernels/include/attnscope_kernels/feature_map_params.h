#pragma once
// POD parameters of the feature-map kernels (feature_map.cu): FAVOR+ features (performer, SEA's
// estimate), Fastmax's factorised features (fast) and the linear attention over them. Plain C++17,
// no CUDA or std:: types. One head per launch; every matrix is row-major and dense (row stride =
// its width). All pointers are device pointers.

namespace attnscope {

/// FAVOR+ logits of `nRows` rows x ([nRows, headDim], minus `mean` [headDim] when not null):
///   logits[r, f] = sqrt(scale)·(ω_f·(x_r − mean)) − performerHalfNorm(scale, ‖x_r − mean‖²)
/// with ω given transposed, projectionT [headDim, features]; rowMax[r] = max_f logits[r, f].
struct PerformerLogitsParams {
    const float* x = nullptr;
    const float* mean = nullptr;
    const float* projectionT = nullptr;
    float* logits = nullptr;
    float* rowMax = nullptr;
    int nRows = 0;
    int headDim = 0;
    int features = 0;
    float scale = 1.0f;
};

/// In place: logits[r, f] = performerFeature(logits[r, f], shift_r, 1/sqrt(features)) with
/// shift_r = rowMax[r] (perRowShift: queries) or the max of rowMax over all rows (keys: one
/// constant for every key, reduced into `globalMax` [1] first).
struct PerformerExpParams {
    float* logits = nullptr;
    const float* rowMax = nullptr;
    float* globalMax = nullptr;
    int nRows = 0;
    int features = 0;
    bool perRowShift = true;
};

/// Fastmax features of `nRows` rows x ([nRows, headDim], already normalised, f64):
///   features[r, i] = (float) fastmaxFeature(i, x_r, headDim, c0, c1, c2), i < featureCount.
struct FastmaxFeaturesParams {
    const double* x = nullptr;
    float* features = nullptr;
    int nRows = 0;
    int headDim = 0;
    long long featureCount = 0;
    double c0 = 1.0;
    double c1 = 1.0;
    double c2 = 1.0;
};

/// Linear attention over features (feature_map_math.h): queryFeatures and keyFeatures
/// [nTokens, features] f32, values [nTokens, headDim] f32, state [features, headDim + 1] f64
/// (Σ φk_j v_jᵀ in the first headDim columns, Σ φk_j in the last), zeroed by the caller before
/// the first chunk.
///  - state update: adds the keys [addBegin, addEnd) and removes [removeBegin, removeEnd);
///  - chunk: rows [rowBegin, rowBegin + rowCount), the state holding keys
///    [stateBegin, stateEnd) (linearStateInterval), each row adding the keys of its range outside
///    it (linearDirectSegments); out [nTokens, headDim] f32 = numerator / denominator, or 0 when
///    the denominator is not > 0 (positiveOnly: performer) or is 0 (fast); denominators
///    [nTokens] f64.
struct LinearAttnParams {
    const float* queryFeatures = nullptr;
    const float* keyFeatures = nullptr;
    const float* values = nullptr;
    double* state = nullptr;
    float* out = nullptr;
    double* denominators = nullptr;
    int nTokens = 0;
    int headDim = 0;
    int features = 0;
    bool causal = true;
    int slidingWindow = 0;
    bool positiveOnly = true;
    int addBegin = 0;
    int addEnd = 0;
    int removeBegin = 0;
    int removeEnd = 0;
    int rowBegin = 0;
    int rowCount = 0;
    int stateBegin = 0;
    int stateEnd = 0;
};

} // namespace attnscope

#pragma once
// The building blocks of the CPU forward pass over row-major activations [nTokens, width].
// Statistics (norm means and variances) accumulate in double so that f32 activations lose no
// more than their own rounding.

#include "model/model_spec.h"
#include "model/model_weights.h"

#include <optional>
#include <vector>

namespace attnscope {

/// y[n, out] = x[n, in] · Wᵀ (+ bias), then `activation` if given; W is [out, in]. Large products
/// are split over threads by rows or by output columns, whichever side is longer; each band is one
/// gemm.h product (OpenBLAS or Eigen).
void linear(const float* x, int nRows, const Weight& weight, const Weight& bias, float* y, int threads,
            std::optional<Activation> activation = std::nullopt);

/// RMSNorm (x / sqrt(mean(x²) + eps) · w) or LayerNorm ((x − mean) / sqrt(var + eps) · w + b),
/// in place over rows of `width`, on up to `threads` threads (0 = default). With `residual`
/// ([nRows, width]), x += residual first (a post-norm block's skip connection).
void normalizeRows(NormKind kind, float* x, int nRows, int width, const Weight& weight, const Weight& bias,
                   float eps, int threads = 1, const float* residual = nullptr);

/// Applies the activation elementwise in place.
void activate(Activation activation, float* x, std::size_t count);

/// The rotary angles' cosines and sines [nTokens, headDim / 2] for one θ, computed in double from
/// the exact inverse frequencies and rounded to f32 once: a pass reuses them for the queries and
/// keys of every layer with that θ.
struct RopeTable {
    RopeTable(double theta, int nTokens, int headDim);
    double theta;
    int nTokens;
    int headDim;
    std::vector<float> cosines;
    std::vector<float> sines;
};

/// Rotary position embedding in place on heads laid out [nHeads, table.nTokens, table.headDim];
/// position of row t is `t`. Rows spread over `threads` (0 = default); the result does not
/// depend on them.
void applyRope(RopeStyle style, const RopeTable& table, float* x, int nHeads, int threads);
/// The same with a table made for this call.
void applyRope(RopeStyle style, double theta, float* x, int nHeads, int nTokens, int headDim);

/// [nTokens, nHeads × headDim] → [nHeads, nTokens, headDim], heads spread over `threads` (0 = default).
void splitHeads(const float* x, int nTokens, int nHeads, int headDim, std::vector<float>& out, int threads = 1);
/// [nHeads, nTokens, headDim] → [nTokens, nHeads × headDim], heads spread over `threads` (0 = default).
void mergeHeads(const float* x, int nTokens, int nHeads, int headDim, std::vector<float>& out, int threads = 1);

} // namespace attnscope

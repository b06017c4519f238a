#pragma once
// The pieces Gemma 3 adds to the pre-norm block: RMSNorm over arbitrary rows (QK-norm runs it on
// each head's [headDim] rows; the post-attention and post-MLP norms on [hidden] rows) and tanh
// softcapping of logits. Kept apart from cpu_ops so the common path stays untouched.

#include "model/model_weights.h"

#include <cstddef>

namespace attnscope {

/// x ← x / sqrt(mean(x²) + eps) · w over `nRows` rows of `width` (w has `width` entries; the
/// mean accumulates in double). Rows spread over `threads` (0 = default); the result does not depend
/// on them.
void rmsNormRowsInPlace(float* x, std::size_t nRows, int width, const Weight& weight, float eps, int threads = 1);

/// x ← cap · tanh(x / cap), elementwise.
void softcapInPlace(float* x, std::size_t count, float cap);

} // namespace attnscope

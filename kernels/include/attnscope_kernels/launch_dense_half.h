#pragma once
// Host launcher of the 16-bit dense attention forward (see launch.h for the conventions).

#include "attnscope_kernels/dense_attn_half_params.h"

namespace attnscope {

/// Dense forward with f16 or bf16 Q/K/V/out and f32 accumulation and LSE, on tensor cores
/// (mma.sync m16n8k16, sm_80+). Returns cudaErrorInvalidValue for null pointers, a head dim
/// outside denseHalfHeadDimBucket(), nHeads not a multiple of nKvHeads, or a type other than
/// F16/Bf16; cudaErrorNotSupported when the current device is older than sm_80.
int launchDenseAttnFwdHalf(const DenseAttnHalfParams& params, void* stream);

} // namespace attnscope

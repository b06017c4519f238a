#pragma once
// Host entry point of the 16-bit dense attention (issue #7): the layer's f32 Q/K/V are rounded to
// f16 or bf16 on the host (round to nearest even, attnscope_kernels/half_convert.h), run through
// the tensor-core kernel (f32 softmax statistics and accumulation), and the 16-bit output comes
// back widened to f32 with the f32 LSE. No CUDA headers; without CUDA (or without a usable device)
// it returns BackendUnavailable like every cuda_*.h entry point.

#include <cstdint>
#include <span>
#include <vector>

#include "attnscope/status.h"
#include "attnscope_kernels/half_convert.h"

namespace attnscope {

struct LayerQkv;

/// Rounds every value of `values` to `type` (round to nearest even) as raw 16-bit patterns.
void convertToHalfBits(std::span<const float> values, AttnHalfType type, std::vector<std::uint16_t>& bits);

/// Widens 16-bit patterns of `type` to f32 (exact).
void convertFromHalfBits(std::span<const std::uint16_t> bits, AttnHalfType type, std::vector<float>& values);

/// The selector of the 16-bit path, on top of checkCudaAttentionSupported(): Unsupported for a head
/// dim outside the compiled 16-bit buckets (64, 128: headDim <= 128) or a device older than sm_80.
Result<void> checkDenseAttentionHalfSupported(const LayerQkv& qkv);

/// Dense attention of every head with the model's mask, Q/K/V/out in `type` on the GPU.
/// out: [nHeads, nTokens, headDim] (the 16-bit results widened to f32); lse: [nHeads, nTokens] f32.
/// simplePath: the kernel's synchronous tile loads and plain fragment reads (DenseAttnHalfParams),
/// for the GPU test that holds the default cp.async + ldmatrix path against them; same bits.
/// Errors: the selector's, OutOfMemory, DeviceError.
Result<void> runDenseAttentionHalfCuda(const LayerQkv& qkv, AttnHalfType type, std::vector<float>& out,
                                       std::vector<float>& lse, bool simplePath = false);

} // namespace attnscope

#pragma once
// POD parameters of the 16-bit dense attention forward (f16 or bf16 Q/K/V and output, f32 softmax
// statistics, accumulation and LSE), the tensor-core sibling of DenseAttnParams (DESIGN.md §7.4:
// the dtype changes the register and shared-memory layout, so it is its own kernel and params).
// Same layouts and mask fields as DenseAttnParams; strides are in elements of the 16-bit type.
// Plain C++17, no CUDA types: the 16-bit arrays are raw 2-byte patterns (half_convert.h).

#include "attnscope_kernels/half_convert.h"
#include "attnscope_kernels/host_device.h"

namespace attnscope {

struct DenseAttnHalfParams {
    AttnHalfType type = AttnHalfType::Bf16;  ///< element type of q, k, v and out
    const unsigned short* q = nullptr;       ///< [nHeads,   nTokens, headDim]
    const unsigned short* k = nullptr;       ///< [nKvHeads, nTokens, headDim]
    const unsigned short* v = nullptr;       ///< [nKvHeads, nTokens, headDim]
    unsigned short* out = nullptr;           ///< [nHeads,   nTokens, headDim]
    float* lse = nullptr;                    ///< [nHeads, nTokens], f32; may be null

    long long qHeadStride = 0;
    long long qRowStride = 0;
    long long kHeadStride = 0;
    long long kRowStride = 0;
    long long vHeadStride = 0;
    long long vRowStride = 0;
    long long outHeadStride = 0;
    long long outRowStride = 0;
    long long lseHeadStride = 0;

    int nHeads = 0;
    int nKvHeads = 0;
    int nTokens = 0;
    int headDim = 0;
    float scale = 1.0f;
    float softcap = 0.0f;
    bool causal = true;
    int slidingWindow = 0;
    /// Load the K and V tiles synchronously and read their fragments with plain shared loads at
    /// the documented mma positions, instead of cp.async and ldmatrix: slower, kept as the GPU
    /// test's check of the fast path (same results bit for bit).
    bool simplePath = false;
};

/// Tiles of the 16-bit kernel (FlashAttention-2's split): one warp per 16 query rows (the M of one
/// mma.sync m16n8k16), kDenseHalfWarps warps per block, key tiles of kDenseHalfBlockKeys.
inline constexpr int kDenseHalfWarps = 4;
inline constexpr int kDenseHalfRowsPerWarp = 16;
inline constexpr int kDenseHalfBlockRows = kDenseHalfWarps * kDenseHalfRowsPerWarp;
inline constexpr int kDenseHalfBlockKeys = 64;

/// The compiled head-dim buckets of the 16-bit kernel: 64 and 128 (headDim <= 64 runs in 64 with
/// zero-padded columns, 65..128 in 128); 0 when none can run it.
ATTNSCOPE_HD constexpr int denseHalfHeadDimBucket(int headDim)
{
    return headDim <= 0 ? 0 : headDim <= 64 ? 64 : headDim <= 128 ? 128 : 0;
}

/// Shared-memory row stride (elements) of the K and V tiles: +8 elements (16 bytes) keeps every row
/// 16-byte aligned and puts the 8 rows a warp's fragment loads touch on distinct banks.
ATTNSCOPE_HD constexpr int denseHalfTileStride(int bucket) { return bucket + 8; }

/// Dynamic shared memory of the 16-bit kernel: one K and one V tile of 2-byte elements.
ATTNSCOPE_HD constexpr int denseHalfSharedBytes(int bucket)
{
    return 2 * 2 * kDenseHalfBlockKeys * denseHalfTileStride(bucket);
}

static_assert(denseHalfHeadDimBucket(1) == 64 && denseHalfHeadDimBucket(64) == 64 &&
                  denseHalfHeadDimBucket(65) == 128 && denseHalfHeadDimBucket(129) == 0,
              "16-bit head-dim buckets");
static_assert(denseHalfSharedBytes(128) <= 48 * 1024, "fits without the shared-memory opt-in");

} // namespace attnscope

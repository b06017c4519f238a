#pragma once
// Which head dims the CUDA kernels are compiled for, and the tile shapes they use. Pure constexpr
// functions so that the host (supports(), tests) and the kernels agree without a GPU
// (DESIGN.md §7.4: tile heuristics live in their own header).

#include "attnscope_kernels/host_device.h"

namespace attnscope {

/// The compiled head-dim buckets: a runtime headDim runs in the smallest bucket that holds it,
/// with the unused columns zero-padded in shared memory. Small dims (8/16/32) of the tiny and
/// demo models share the 32 bucket; 80/96 would pay for padding to 128 until they get their own.
/// 256 is Gemma's head dim (Gemma 3 270M, the end-to-end goal of issue #7).
inline constexpr int kAttnMaxHeadDim = 256;

/// The bucket that runs headDim (32, 64, 128 or 256), or 0 when no compiled kernel can
/// (headDim <= 0 or > 256). Adding a bucket means an instance file per op and a case in the
/// launchers.
ATTNSCOPE_HD constexpr int attnHeadDimBucket(int headDim)
{
    if (headDim <= 0 || headDim > kAttnMaxHeadDim) {
        return 0;
    }
    return headDim <= 32 ? 32 : headDim <= 64 ? 64 : headDim <= 128 ? 128 : 256;
}

/// Dense forward tiles: each warp owns kDenseRowsPerWarp query rows, a block kDenseWarps warps,
/// and a key tile is one key per lane (32). Eight rows per warp amortise each K/V shared-memory
/// read over eight FMAs while keeping the accumulators (8 · headDim/32 floats) in registers.
inline constexpr int kDenseWarps = 4;
inline constexpr int kDenseRowsPerWarp = 8;
inline constexpr int kDenseBlockRows = kDenseWarps * kDenseRowsPerWarp;
inline constexpr int kDenseBlockKeys = 32;

/// Padded shared-memory row stride (floats) for a K tile: +4 keeps 16-byte alignment and puts the
/// 8 lanes of each quarter-warp float4 access on distinct banks.
ATTNSCOPE_HD constexpr int denseKeyTileStride(int bucket) { return bucket + 4; }

/// Dynamic shared memory of the dense forward kernel for a bucket: Q rows, K tile, V tile, and
/// the per-warp probability rows.
ATTNSCOPE_HD constexpr int denseAttnSharedBytes(int bucket)
{
    return static_cast<int>(sizeof(float)) *
           (kDenseBlockRows * bucket + kDenseBlockKeys * denseKeyTileStride(bucket) +
            kDenseBlockKeys * bucket + kDenseBlockRows * kDenseBlockKeys);
}

/// Sparse forward: one warp per query row, kSparseWarps rows per block.
inline constexpr int kSparseWarps = 4;

/// Probability tiles: a block computes kProbsTile × kProbsTile entries.
inline constexpr int kProbsTile = 32;

/// Top-k selection: one block of kTopkThreads threads per query row (one radix-histogram bin per
/// thread). A row of up to kTopkSharedKeys allowed keys keeps its scores in shared memory (32 KiB,
/// under the 48 KiB every device grants without opt-in); longer rows use a global scratch row.
inline constexpr int kTopkThreads = 256;
inline constexpr int kTopkSharedKeys = 8192;

/// The most keys the model's mask allows one query (the longest row of the top-k selection).
ATTNSCOPE_HD constexpr int topkMaxRowKeys(int nTokens, bool causal, int slidingWindow)
{
    if (slidingWindow <= 0) {
        return nTokens;
    }
    const long long window = causal ? slidingWindow : 2LL * slidingWindow - 1;
    return window < nTokens ? static_cast<int>(window) : nTokens;
}

/// Whether rows of this shape need the global scratch (see TopkSelectParams::scratch).
ATTNSCOPE_HD constexpr bool topkNeedsScratch(int nTokens, bool causal, int slidingWindow)
{
    return topkMaxRowKeys(nTokens, causal, slidingWindow) > kTopkSharedKeys;
}

/// Dynamic shared memory of the top-k kernel: the scores of one row when it fits.
ATTNSCOPE_HD constexpr int topkSharedBytes(int nTokens, bool causal, int slidingWindow)
{
    return topkNeedsScratch(nTokens, causal, slidingWindow)
               ? 0
               : static_cast<int>(sizeof(float)) * topkMaxRowKeys(nTokens, causal, slidingWindow);
}

static_assert(topkMaxRowKeys(100, true, 0) == 100 && topkMaxRowKeys(100, true, 7) == 7 &&
                  topkMaxRowKeys(100, false, 7) == 13 && topkMaxRowKeys(5, false, 7) == 5,
              "top-k row lengths");
static_assert(attnHeadDimBucket(8) == 32 && attnHeadDimBucket(64) == 64 &&
                  attnHeadDimBucket(65) == 128 && attnHeadDimBucket(129) == 256 &&
                  attnHeadDimBucket(256) == 256 && attnHeadDimBucket(257) == 0,
              "head-dim buckets");
// The 256 bucket's dense tiles need the opt-in shared memory of sm_80 and newer (163 KiB on the
// A100, 227 KiB on the H100); the kernels set cudaFuncAttributeMaxDynamicSharedMemorySize.
static_assert(denseAttnSharedBytes(256) <= 163 * 1024, "dense tiles of the 256 bucket fit an sm_80 block");

} // namespace attnscope

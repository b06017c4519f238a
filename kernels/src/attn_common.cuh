#pragma once
// Device helpers shared by the attention kernels. nvcc only.

#include <cuda_runtime.h>
#include <math_constants.h>

namespace attnscope {

inline constexpr unsigned kFullWarpMask = 0xffffffffu;

__device__ __forceinline__ float warpMax(float value)
{
    for (int offset = 16; offset > 0; offset >>= 1) {
        value = fmaxf(value, __shfl_xor_sync(kFullWarpMask, value, offset));
    }
    return value;
}

__device__ __forceinline__ float warpSum(float value)
{
    for (int offset = 16; offset > 0; offset >>= 1) {
        value += __shfl_xor_sync(kFullWarpMask, value, offset);
    }
    return value;
}

/// Gemma-2-style logit soft-capping; softcap <= 0 leaves the score unchanged.
__device__ __forceinline__ float applySoftcap(float score, float softcap)
{
    return softcap > 0.0f ? softcap * tanhf(score / softcap) : score;
}

/// Whether float4 global loads are legal for rows of `headDim` floats at `rowStride`: the row
/// must fill the bucket exactly (no tail), and every row start must be 16-byte aligned.
__host__ __device__ inline bool canLoadRowsAsFloat4(const float* base, long long headStride,
                                                    long long rowStride, int headDim, int bucket)
{
    return headDim == bucket && (reinterpret_cast<unsigned long long>(base) % 16) == 0 &&
           headStride % 4 == 0 && rowStride % 4 == 0;
}

/// Loads the kDimsPerLane consecutive columns a lane owns from one row (columns at or past
/// headDim read as 0). `vectorised` (see canLoadRowsAsFloat4) turns the loads into one float4 or
/// float2 per lane, so a warp reads a K or V row as one coalesced segment.
template <int kDimsPerLane>
__device__ __forceinline__ void loadLaneColumns(float (&dst)[kDimsPerLane], const float* row,
                                                int col0, int headDim, bool vectorised)
{
    if constexpr (kDimsPerLane == 4) {
        if (vectorised) {
            const float4 value = *reinterpret_cast<const float4*>(row + col0);
            dst[0] = value.x;
            dst[1] = value.y;
            dst[2] = value.z;
            dst[3] = value.w;
            return;
        }
    } else if constexpr (kDimsPerLane == 2) {
        if (vectorised) {
            const float2 value = *reinterpret_cast<const float2*>(row + col0);
            dst[0] = value.x;
            dst[1] = value.y;
            return;
        }
    }
#pragma unroll
    for (int e = 0; e < kDimsPerLane; ++e) {
        dst[e] = col0 + e < headDim ? row[col0 + e] : 0.0f;
    }
}

/// Copies rows [row0, row0 + nRows) of one head into shared memory with row stride `dstStride`,
/// zero-filling rows at or past rowEnd and columns at or past headDim, so the math that follows
/// never branches on the tail. All threads of the block take part.
template <int kBucket, int kThreads>
__device__ __forceinline__ void loadRowsToShared(float* dst, int dstStride, const float* src,
                                                 long long rowStride, int row0, int nRows,
                                                 int rowEnd, int headDim, bool vectorised)
{
    if (vectorised) {
        constexpr int kQuads = kBucket / 4;
        for (int idx = threadIdx.x; idx < nRows * kQuads; idx += kThreads) {
            const int r = idx / kQuads;
            const int c = (idx % kQuads) * 4;
            const int row = row0 + r;
            float4 value = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
            if (row < rowEnd) {
                value = *reinterpret_cast<const float4*>(src + row * rowStride + c);
            }
            *reinterpret_cast<float4*>(dst + r * dstStride + c) = value;
        }
        return;
    }
    for (int idx = threadIdx.x; idx < nRows * kBucket; idx += kThreads) {
        const int r = idx / kBucket;
        const int c = idx % kBucket;
        const int row = row0 + r;
        dst[r * dstStride + c] = (row < rowEnd && c < headDim) ? src[row * rowStride + c] : 0.0f;
    }
}

} // namespace attnscope

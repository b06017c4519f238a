#pragma once
// Dense attention forward, flash-style in f32 on CUDA cores: a block owns kDenseBlockRows query
// rows of one head and walks every key those rows may see (attn_flash_rows.cuh holds the tile
// loop, shared with the block-sparse kernel). Included only by the instance files, one per
// head-dim bucket.

#include "attn_flash_rows.cuh"

namespace attnscope {

/// Every key of the head as one range; flashAttnRowBlock cuts it to what the rows may see.
struct DenseKeyRanges {
    int nTokens = 0;
    __device__ int count() const { return 1; }
    __device__ void range(int, int* begin, int* end) const
    {
        *begin = 0;
        *end = nTokens;
    }
};

template <int kBucket>
__global__ void __launch_bounds__(kDenseWarps * 32) denseAttnFwdKernel(const DenseAttnParams p)
{
    // Reversed so the causal blocks with the most keys start first and do not form the tail.
    const int blockRow0 = (gridDim.x - 1 - blockIdx.x) * kDenseBlockRows;
    flashAttnRowBlock<kBucket>(p, blockIdx.y, blockRow0, p.nTokens, DenseKeyRanges{p.nTokens});
}

/// Launches the kernel for one bucket; defined here, instantiated once per bucket in instances/.
template <int kBucket>
cudaError_t runDenseAttnFwd(const DenseAttnParams& params, cudaStream_t stream)
{
    constexpr int kSharedBytes = denseAttnSharedBytes(kBucket);
    // Above 48 KiB the kernel must opt in; the attribute is per function and cheap to set again.
    cudaError_t status = cudaFuncSetAttribute(denseAttnFwdKernel<kBucket>,
                                              cudaFuncAttributeMaxDynamicSharedMemorySize,
                                              kSharedBytes);
    if (status != cudaSuccess) {
        return status;
    }
    const dim3 grid((params.nTokens + kDenseBlockRows - 1) / kDenseBlockRows, params.nHeads);
    denseAttnFwdKernel<kBucket><<<grid, kDenseWarps * 32, kSharedBytes, stream>>>(params);
    return cudaGetLastError();
}

} // namespace attnscope

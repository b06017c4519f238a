#pragma once
// Block-sparse attention forward on a block mask in CSR over query blocks
// (block_sparse_params.h): a CUDA block owns one chunk of kBlockSparseChunkRows rows of a query
// block and runs the dense kernel's tile loop (attn_flash_rows.cuh) over the token ranges of that
// query block's kept key blocks only, so the work scales with the kept blocks; the model's mask
// is applied element-wise inside them. Included only by the instance files, one per bucket.

#include "attn_flash_rows.cuh"
#include "attnscope_kernels/block_sparse_params.h"

namespace attnscope {

static_assert(kBlockSparseChunkRows == kDenseBlockRows,
              "a chunk of a query block is the row block of the shared tile loop");

/// The token ranges of one query block's kept key blocks.
struct BlockSparseKeyRanges {
    const int* cols = nullptr;  ///< the row's kept key blocks
    int colCount = 0;
    int blockSize = 0;
    int nTokens = 0;
    __device__ int count() const { return colCount; }
    __device__ void range(int index, int* begin, int* end) const
    {
        blockTokenRange(cols[index], blockSize, nTokens, begin, end);
    }
};

template <int kBucket>
__global__ void __launch_bounds__(kDenseWarps * 32) blockSparseAttnFwdKernel(const BlockSparseAttnParams p)
{
    const int nTokens = p.attn.nTokens;
    // Reversed so the causal chunks with the most key blocks start first and do not form the tail.
    const int chunk = static_cast<int>(gridDim.x - 1 - blockIdx.x);
    const int head = blockIdx.y;
    int queryBlock = 0;
    int rowBegin = 0;
    int rowEnd = 0;
    blockSparseChunkRows(chunk, p.blockSize, nTokens, &queryBlock, &rowBegin, &rowEnd);
    if (rowBegin >= rowEnd) {
        return;  // block-uniform: a chunk of the short last block that holds no row
    }
    const int* rowPtr = p.blockRowPtr + head * p.blockRowPtrHeadStride;
    const int colBegin = rowPtr[queryBlock];
    BlockSparseKeyRanges ranges;
    ranges.cols = p.blockCols + colBegin;
    ranges.colCount = rowPtr[queryBlock + 1] - colBegin;
    ranges.blockSize = p.blockSize;
    ranges.nTokens = nTokens;
    flashAttnRowBlock<kBucket>(p.attn, head, rowBegin, rowEnd, ranges);
}

/// Launches the kernel for one bucket; instantiated once per bucket in instances/.
template <int kBucket>
cudaError_t runBlockSparseAttnFwd(const BlockSparseAttnParams& params, cudaStream_t stream)
{
    constexpr int kSharedBytes = denseAttnSharedBytes(kBucket);
    cudaError_t status = cudaFuncSetAttribute(blockSparseAttnFwdKernel<kBucket>,
                                              cudaFuncAttributeMaxDynamicSharedMemorySize,
                                              kSharedBytes);
    if (status != cudaSuccess) {
        return status;
    }
    const long long chunks = static_cast<long long>(blockCount(params.attn.nTokens, params.blockSize)) *
                             blockSparseChunksPerBlock(params.blockSize);
    const dim3 grid(static_cast<unsigned>(chunks), params.attn.nHeads);
    blockSparseAttnFwdKernel<kBucket><<<grid, kDenseWarps * 32, kSharedBytes, stream>>>(params);
    return cudaGetLastError();
}

} // namespace attnscope

#pragma once
// POD parameters of the block-sparse kernels and the block arithmetic they share with the host
// (the CUDA glue, the CPU tests). Plain C++17, no CUDA or std:: types.
//
// A block mask is a square grid of blockSize-token blocks (blocks = ceil(nTokens / blockSize), the
// last one may be shorter) in CSR over query blocks:
//   blockRowPtr: [blocks + 1] per head at head*blockRowPtrHeadStride (0: one mask for all heads);
//                its values index blockCols
//   blockCols:   the kept key blocks of each query block, each in [0, blocks), no repeats
// Inside a kept block the model's own mask (causal, sliding window) still applies, element-wise.

#include "attnscope_kernels/dense_attn_params.h"
#include "attnscope_kernels/host_device.h"
#include "attnscope_kernels/mask_predicates.h"

namespace attnscope {

/// Rows of query blocks that one CUDA block handles: a query block of blockSize rows is cut into
/// blockSparseChunksPerBlock() chunks of kBlockSparseChunkRows rows (the last one shorter).
inline constexpr int kBlockSparseChunkRows = 32;

/// Number of blocks of `blockSize` tokens that cover nTokens (0 for blockSize < 1).
ATTNSCOPE_HD constexpr int blockCount(int nTokens, int blockSize)
{
    return blockSize < 1 || nTokens <= 0 ? 0 : (nTokens - 1) / blockSize + 1;
}

/// Chunks of kBlockSparseChunkRows rows per query block.
ATTNSCOPE_HD constexpr int blockSparseChunksPerBlock(int blockSize)
{
    return blockSize < 1 ? 0 : (blockSize - 1) / kBlockSparseChunkRows + 1;
}

/// Tokens [*begin, *end) of block `block` (the last block stops at nTokens).
ATTNSCOPE_HD void blockTokenRange(int block, int blockSize, int nTokens, int* begin, int* end)
{
    const long long first = static_cast<long long>(block) * blockSize;
    const long long last = first + blockSize;
    *begin = first < nTokens ? static_cast<int>(first) : nTokens;
    *end = last < nTokens ? static_cast<int>(last) : nTokens;
}

/// The query rows [*rowBegin, *rowEnd) of chunk `chunk` (0 .. blocks · chunksPerBlock) and the query
/// block it belongs to: chunk c is part c % chunksPerBlock of query block c / chunksPerBlock.
/// Empty (rowBegin == rowEnd) only for chunks past the last token.
ATTNSCOPE_HD void blockSparseChunkRows(int chunk, int blockSize, int nTokens, int* queryBlock, int* rowBegin,
                                       int* rowEnd)
{
    const int chunksPerBlock = blockSparseChunksPerBlock(blockSize);
    const int block = chunk / chunksPerBlock;
    int blockBegin = 0;
    int blockEnd = 0;
    blockTokenRange(block, blockSize, nTokens, &blockBegin, &blockEnd);
    const long long begin = blockBegin + static_cast<long long>(chunk % chunksPerBlock) * kBlockSparseChunkRows;
    *queryBlock = block;
    *rowBegin = begin < blockEnd ? static_cast<int>(begin) : blockEnd;
    *rowEnd = begin + kBlockSparseChunkRows < blockEnd ? static_cast<int>(begin) + kBlockSparseChunkRows : blockEnd;
}

/// Block-sparse forward: for each query row, softmax attention over the keys of its query block's
/// kept key blocks that the model's mask lets it see. attn holds Q/K/V/out/lse, strides, heads
/// (GQA), scale, softcap and the model's mask exactly as for the dense forward; rows that see no
/// key get out = 0 and lse = -inf. Device pointers; lse may be null.
struct BlockSparseAttnParams {
    DenseAttnParams attn;
    const int* blockRowPtr = nullptr;
    const int* blockCols = nullptr;
    long long blockRowPtrHeadStride = 0;
    int blockSize = 0;
};

/// Block-pooled probabilities of one head: for every (query block, key block) of poolSize tokens,
/// the max and the sum of the exact probabilities p = exp(score - lse[row]) (0 where the model's
/// mask hides the key or lse[row] = -inf) over the block's cells, from Q, K and the row LSE of the
/// dense forward; no nTokens² buffer. q, k, lse point at the head's (and its KV head's) first
/// element. Output rows [queryBlockBegin, queryBlockBegin + queryBlockCount) of the pooled grid:
///   maxOut, sumOut: [queryBlockCount, blocks] row-major (blocks = blockCount(nTokens, poolSize)).
struct BlockPoolProbsParams {
    const float* q = nullptr;
    const float* k = nullptr;
    const float* lse = nullptr;
    float* maxOut = nullptr;
    float* sumOut = nullptr;

    long long qRowStride = 0;
    long long kRowStride = 0;

    int nTokens = 0;
    int headDim = 0;
    int poolSize = 0;
    int queryBlockBegin = 0;
    int queryBlockCount = 0;
    float scale = 1.0f;
    float softcap = 0.0f;
    bool causal = true;
    int slidingWindow = 0;
};

/// Whether the keys [keyBegin, keyEnd) hold one that some query of [rowBegin, rowEnd) may see
/// under the model's mask; false means every cell of that block is masked, so a kernel writes
/// zeros without scoring. Exact: each row's allowed keys are one interval that holds the row itself
/// and whose ends move by at most one key per row, so the rows' union is the one interval
/// modelKeyRangeOfRows gives.
ATTNSCOPE_HD bool keysVisibleToRows(int rowBegin, int rowEnd, int keyBegin, int keyEnd, int nTokens, bool causal,
                                    int slidingWindow)
{
    int modelBegin = 0;
    int modelEnd = 0;
    modelKeyRangeOfRows(rowBegin, rowEnd, nTokens, causal, slidingWindow, &modelBegin, &modelEnd);
    const int begin = keyBegin > modelBegin ? keyBegin : modelBegin;
    const int end = keyEnd < modelEnd ? keyEnd : modelEnd;
    return begin < end;
}

} // namespace attnscope

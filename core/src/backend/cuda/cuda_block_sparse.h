#pragma once
// Host entry points of the block-sparse CUDA kernels (issue #7): attention on a block mask and the
// block-pooled probability maps of the views. Same rules as cuda_attention.h: no CUDA headers,
// synchronous, one compute thread at a time; without CUDA (or a usable device) the run functions
// return BackendUnavailable with the reason, so callers fall back to the CPU without #if.
// Shapes follow LayerQkv: q [nHeads, nTokens, headDim], k/v [nKvHeads, nTokens, headDim].

#include <cstdint>
#include <span>
#include <vector>

#include "attnscope/status.h"

namespace attnscope {

struct LayerQkv;

/// Checks a block mask of the layer's tokens in CSR over query blocks (block_sparse_params.h):
/// blockSize >= 1; blockRowPtr holds blocks + 1 offsets (blocks = ceil(nTokens / blockSize)) from 0,
/// non-decreasing, to blockCols.size(); each query block's key blocks are ascending, without
/// repeats, in [0, blocks). InvalidArgument with a reason tag (block_size, block_row_ptr_size,
/// block_row_ptr_bounds, block_row_ptr_order, block_col_range, block_col_order) otherwise.
/// Needs no device: runs in every build.
Result<void> validateBlockMask(const LayerQkv& qkv, int blockSize, std::span<const std::int32_t> blockRowPtr,
                               std::span<const std::int32_t> blockCols);

/// Attention of one head restricted to a block mask: each query row attends to the keys of its
/// query block's kept key blocks that the model's mask (causal, sliding window) lets it see, with
/// the layer's scale and softcap. out: [nTokens, headDim]; lse: [nTokens], natural log of the sum
/// of exp of the kept scores (-inf, and an output row of 0, when a row sees no kept key).
/// Errors: checkCudaAttentionSupported's, InvalidArgument (head out of range, validateBlockMask),
/// OutOfMemory (blockSparseAttentionDeviceBytes over the free device memory), DeviceError.
Result<void> runBlockSparseAttentionCuda(const LayerQkv& qkv, int head, int blockSize,
                                         std::span<const std::int32_t> blockRowPtr,
                                         std::span<const std::int32_t> blockCols, std::vector<float>& out,
                                         std::vector<float>& lse);

/// Block-pooled exact probabilities of one head, what the views' pyramids hold (max and sum per
/// block): for every (query block, key block) of poolSize tokens (blocks = ceil(nTokens /
/// poolSize), the last one shorter), the max and the sum of p = exp(score - headLse[row]) over the
/// block's cells, 0 where the model's mask hides the key or the row's lse is -inf. headLse
/// [nTokens] is the head's slice of runDenseAttentionCuda's lse. maxMap, sumMap: [blocks, blocks]
/// row-major (query block major). The N×N matrix is never stored, on the device or here.
/// Errors: checkCudaAttentionSupported's, InvalidArgument (head out of range, poolSize < 1, lse not
/// nTokens long), OutOfMemory (blockPooledProbsDeviceBytes over the free device memory, or no host
/// memory for the maps), DeviceError.
Result<void> runBlockPooledProbsCuda(const LayerQkv& qkv, int head, std::span<const float> headLse, int poolSize,
                                     std::vector<float>& maxMap, std::vector<float>& sumMap);

} // namespace attnscope

#pragma once
// Host launchers of the block-sparse kernels (block_sparse_params.h). C-style like launch.h: no
// templates, no CUDA types; each returns a cudaError_t as an int (0 = cudaSuccess), launches
// asynchronously on `stream` (a cudaStream_t, null = the default stream), and takes device
// pointers only. Defined only when the CUDA backend is built.

#include "attnscope_kernels/block_sparse_params.h"

namespace attnscope {

/// Block-sparse forward. Returns cudaErrorInvalidValue for null pointers, a head dim outside
/// attnHeadDimBucket(), nHeads not a multiple of nKvHeads, blockSize < 1, or more chunks than a
/// grid holds. The block mask itself is taken as valid (the host checks it).
int launchBlockSparseAttnFwd(const BlockSparseAttnParams& params, void* stream);

/// Block-pooled max and sum of one head's exact probabilities. Returns cudaErrorInvalidValue for
/// null pointers, a head dim outside (0, kAttnMaxHeadDim], poolSize < 1, or query blocks outside
/// the grid. Launches once per 65535 query blocks.
int launchBlockPoolProbs(const BlockPoolProbsParams& params, void* stream);

} // namespace attnscope

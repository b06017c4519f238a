// Host launcher of the block-sparse forward: validate the params, pick the head-dim bucket and
// call the instance compiled for it (instances/block_sparse_attn_fwd_hdim*.cu).

#include <cuda_runtime.h>

#include <climits>

#include "attnscope_kernels/attn_heuristics.h"
#include "attnscope_kernels/block_sparse_params.h"
#include "attnscope_kernels/launch_block_sparse.h"

namespace attnscope {

template <int kBucket>
cudaError_t runBlockSparseAttnFwd(const BlockSparseAttnParams& params, cudaStream_t stream);

extern template cudaError_t runBlockSparseAttnFwd<32>(const BlockSparseAttnParams&, cudaStream_t);
extern template cudaError_t runBlockSparseAttnFwd<64>(const BlockSparseAttnParams&, cudaStream_t);
extern template cudaError_t runBlockSparseAttnFwd<128>(const BlockSparseAttnParams&, cudaStream_t);
extern template cudaError_t runBlockSparseAttnFwd<256>(const BlockSparseAttnParams&, cudaStream_t);

int launchBlockSparseAttnFwd(const BlockSparseAttnParams& params, void* stream)
{
    const DenseAttnParams& attn = params.attn;
    if (attn.q == nullptr || attn.k == nullptr || attn.v == nullptr || attn.out == nullptr ||
        params.blockRowPtr == nullptr || params.blockCols == nullptr || attn.nTokens < 0 ||
        params.blockSize < 1 || attn.nHeads <= 0 || attn.nKvHeads <= 0 ||
        attn.nHeads % attn.nKvHeads != 0 || attn.nHeads > 65535) {
        return cudaErrorInvalidValue;
    }
    const long long chunks = static_cast<long long>(blockCount(attn.nTokens, params.blockSize)) *
                             blockSparseChunksPerBlock(params.blockSize);
    if (chunks > INT_MAX) {
        return cudaErrorInvalidValue;
    }
    if (attn.nTokens == 0) {
        return cudaSuccess;
    }
    const auto cudaStream = static_cast<cudaStream_t>(stream);
    switch (attnHeadDimBucket(attn.headDim)) {
    case 32:
        return runBlockSparseAttnFwd<32>(params, cudaStream);
    case 64:
        return runBlockSparseAttnFwd<64>(params, cudaStream);
    case 128:
        return runBlockSparseAttnFwd<128>(params, cudaStream);
    case 256:
        return runBlockSparseAttnFwd<256>(params, cudaStream);
    default:
        return cudaErrorInvalidValue;
    }
}

} // namespace attnscope

// Block-sparse forward instance for the head-dim bucket 256.
#include "../block_sparse_attn_fwd_kernel.cuh"

namespace attnscope {
template cudaError_t runBlockSparseAttnFwd<256>(const BlockSparseAttnParams&, cudaStream_t);
} // namespace attnscope

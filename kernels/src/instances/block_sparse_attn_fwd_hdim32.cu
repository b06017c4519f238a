// Block-sparse forward instance for the head-dim bucket 32.
#include "../block_sparse_attn_fwd_kernel.cuh"

namespace attnscope {
template cudaError_t runBlockSparseAttnFwd<32>(const BlockSparseAttnParams&, cudaStream_t);
} // namespace attnscope

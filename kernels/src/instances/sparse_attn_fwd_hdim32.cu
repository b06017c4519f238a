// Sparse (CSR) forward instance for the head-dim bucket 32.
#include "../sparse_attn_fwd_kernel.cuh"

namespace attnscope {
template cudaError_t runSparseAttnFwd<32>(const SparseAttnParams&, cudaStream_t);
} // namespace attnscope

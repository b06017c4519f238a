// Sparse (CSR) forward instance for the head-dim bucket 256.
#include "../sparse_attn_fwd_kernel.cuh"

namespace attnscope {
template cudaError_t runSparseAttnFwd<256>(const SparseAttnParams&, cudaStream_t);
} // namespace attnscope

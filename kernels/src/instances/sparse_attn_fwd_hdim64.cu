// Sparse (CSR) forward instance for the head-dim bucket 64.
#include "../sparse_attn_fwd_kernel.cuh"

namespace attnscope {
template cudaError_t runSparseAttnFwd<64>(const SparseAttnParams&, cudaStream_t);
} // namespace attnscope

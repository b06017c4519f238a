// Dense forward instance for the head-dim bucket 256 (DESIGN.md §7.4: one file per op and bucket).
#include "../dense_attn_fwd_kernel.cuh"

namespace attnscope {
template cudaError_t runDenseAttnFwd<256>(const DenseAttnParams&, cudaStream_t);
} // namespace attnscope

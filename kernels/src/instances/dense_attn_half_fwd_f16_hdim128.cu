// 16-bit dense forward instance: f16, head-dim bucket 128 (DESIGN.md §7.4: one file per op, head dim, dtype).
#include "../dense_attn_half_fwd_kernel.cuh"

namespace attnscope {
template cudaError_t runDenseAttnHalfFwd<AttnHalfType::F16, 128>(const DenseAttnHalfParams&, cudaStream_t);
} // namespace attnscope

// 16-bit dense forward instance: bf16, head-dim bucket 64 (DESIGN.md §7.4: one file per op, head dim, dtype).
#include "../dense_attn_half_fwd_kernel.cuh"

namespace attnscope {
template cudaError_t runDenseAttnHalfFwd<AttnHalfType::Bf16, 64>(const DenseAttnHalfParams&, cudaStream_t);
} // namespace attnscope

#include "backend/dense_attention_dispatch.h"

#include "backend/cuda/cuda_attention.h"
#include "backend/cuda/cuda_dense_half.h"
#include "model/dense_attention.h"
#include "model/layer_qkv.h"

namespace attnscope {

namespace {

// Errors that say "not here", not "not at all": the CPU can still compute the same thing.
bool cpuCanStillRun(ErrorCode code)
{
    return code == ErrorCode::BackendUnavailable || code == ErrorCode::Unsupported ||
           code == ErrorCode::OutOfMemory || code == ErrorCode::DeviceError;
}

} // namespace

Result<BackendRun> runDenseAttentionPreferCuda(const LayerQkv& qkv, std::vector<float>& out, std::vector<float>& lse,
                                               int threads, GpuPrecision precision)
{
    const Result<void> onGpu =
        precision == GpuPrecision::F32
            ? runDenseAttentionCuda(qkv, out, lse)
            : runDenseAttentionHalfCuda(qkv, precision == GpuPrecision::F16 ? AttnHalfType::F16 : AttnHalfType::Bf16,
                                        out, lse);
    if (onGpu.ok()) {
        return BackendRun{"cuda", {}};
    }
    if (!cpuCanStillRun(onGpu.error().code)) {
        return onGpu.error();
    }
    ATTNSCOPE_TRY(denseAttention(qkv, &out, &lse, threads));
    return BackendRun{"cpu", onGpu.error().describe()};
}

} // namespace attnscope

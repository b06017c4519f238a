// Host launcher of the 16-bit dense forward: validate, check the device can run mma.sync
// m16n8k16 (sm_80+), pick the (type, head-dim bucket) instance.

#include <cuda_runtime.h>

#include "attnscope_kernels/dense_attn_half_params.h"
#include "attnscope_kernels/launch_dense_half.h"

namespace attnscope {

template <AttnHalfType kType, int kBucket>
cudaError_t runDenseAttnHalfFwd(const DenseAttnHalfParams& params, cudaStream_t stream);

extern template cudaError_t runDenseAttnHalfFwd<AttnHalfType::F16, 64>(const DenseAttnHalfParams&, cudaStream_t);
extern template cudaError_t runDenseAttnHalfFwd<AttnHalfType::F16, 128>(const DenseAttnHalfParams&, cudaStream_t);
extern template cudaError_t runDenseAttnHalfFwd<AttnHalfType::Bf16, 64>(const DenseAttnHalfParams&, cudaStream_t);
extern template cudaError_t runDenseAttnHalfFwd<AttnHalfType::Bf16, 128>(const DenseAttnHalfParams&, cudaStream_t);

int launchDenseAttnFwdHalf(const DenseAttnHalfParams& params, void* stream)
{
    if (params.q == nullptr || params.k == nullptr || params.v == nullptr || params.out == nullptr ||
        params.nTokens < 0 || params.nHeads <= 0 || params.nKvHeads <= 0 ||
        params.nHeads % params.nKvHeads != 0 || params.nHeads > 65535 ||
        (params.type != AttnHalfType::F16 && params.type != AttnHalfType::Bf16)) {
        return cudaErrorInvalidValue;
    }
    const int bucket = denseHalfHeadDimBucket(params.headDim);
    if (bucket == 0) {
        return cudaErrorInvalidValue;
    }
    if (params.nTokens == 0) {
        return cudaSuccess;
    }
    int device = 0;
    int major = 0;
    cudaError_t status = cudaGetDevice(&device);
    if (status == cudaSuccess) {
        status = cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device);
    }
    if (status != cudaSuccess) {
        return status;
    }
    if (major < 8) {
        return cudaErrorNotSupported;
    }
    const auto cudaStream = static_cast<cudaStream_t>(stream);
    if (params.type == AttnHalfType::F16) {
        return bucket == 64 ? runDenseAttnHalfFwd<AttnHalfType::F16, 64>(params, cudaStream)
                            : runDenseAttnHalfFwd<AttnHalfType::F16, 128>(params, cudaStream);
    }
    return bucket == 64 ? runDenseAttnHalfFwd<AttnHalfType::Bf16, 64>(params, cudaStream)
                        : runDenseAttnHalfFwd<AttnHalfType::Bf16, 128>(params, cudaStream);
}

} // namespace attnscope

// Host launchers: validate the params, pick the head-dim bucket and call the instance compiled for
// it (the HEADDIM switch of DESIGN.md §7.4). The instances live in instances/, one per bucket, so
// this file never instantiates a kernel itself.

#include <cuda_runtime.h>

#include "attnscope_kernels/attn_heuristics.h"
#include "attnscope_kernels/dense_attn_params.h"
#include "attnscope_kernels/launch.h"
#include "attnscope_kernels/sparse_attn_params.h"

namespace attnscope {

template <int kBucket>
cudaError_t runDenseAttnFwd(const DenseAttnParams& params, cudaStream_t stream);
template <int kBucket>
cudaError_t runSparseAttnFwd(const SparseAttnParams& params, cudaStream_t stream);

extern template cudaError_t runDenseAttnFwd<32>(const DenseAttnParams&, cudaStream_t);
extern template cudaError_t runDenseAttnFwd<64>(const DenseAttnParams&, cudaStream_t);
extern template cudaError_t runDenseAttnFwd<128>(const DenseAttnParams&, cudaStream_t);
extern template cudaError_t runDenseAttnFwd<256>(const DenseAttnParams&, cudaStream_t);
extern template cudaError_t runSparseAttnFwd<32>(const SparseAttnParams&, cudaStream_t);
extern template cudaError_t runSparseAttnFwd<64>(const SparseAttnParams&, cudaStream_t);
extern template cudaError_t runSparseAttnFwd<128>(const SparseAttnParams&, cudaStream_t);
extern template cudaError_t runSparseAttnFwd<256>(const SparseAttnParams&, cudaStream_t);

namespace {

bool validHeads(int nHeads, int nKvHeads)
{
    return nHeads > 0 && nKvHeads > 0 && nHeads % nKvHeads == 0 && nHeads <= 65535;
}

} // namespace

int launchDenseAttnFwd(const DenseAttnParams& params, void* stream)
{
    if (params.q == nullptr || params.k == nullptr || params.v == nullptr ||
        params.out == nullptr || params.nTokens < 0 || !validHeads(params.nHeads, params.nKvHeads)) {
        return cudaErrorInvalidValue;
    }
    if (params.nTokens == 0) {
        return cudaSuccess;
    }
    const auto cudaStream = static_cast<cudaStream_t>(stream);
    switch (attnHeadDimBucket(params.headDim)) {
    case 32:
        return runDenseAttnFwd<32>(params, cudaStream);
    case 64:
        return runDenseAttnFwd<64>(params, cudaStream);
    case 128:
        return runDenseAttnFwd<128>(params, cudaStream);
    case 256:
        return runDenseAttnFwd<256>(params, cudaStream);
    default:
        return cudaErrorInvalidValue;
    }
}

int launchSparseAttnFwd(const SparseAttnParams& params, void* stream)
{
    if (params.q == nullptr || params.k == nullptr || params.v == nullptr ||
        params.rowPtr == nullptr || params.colIdx == nullptr || params.out == nullptr ||
        params.nTokens < 0 || !validHeads(params.nHeads, params.nKvHeads)) {
        return cudaErrorInvalidValue;
    }
    if (params.nTokens == 0) {
        return cudaSuccess;
    }
    const auto cudaStream = static_cast<cudaStream_t>(stream);
    switch (attnHeadDimBucket(params.headDim)) {
    case 32:
        return runSparseAttnFwd<32>(params, cudaStream);
    case 64:
        return runSparseAttnFwd<64>(params, cudaStream);
    case 128:
        return runSparseAttnFwd<128>(params, cudaStream);
    case 256:
        return runSparseAttnFwd<256>(params, cudaStream);
    default:
        return cudaErrorInvalidValue;
    }
}

namespace {

__global__ void attnKernelsProbeKernel() {}

} // namespace

int checkAttnKernelsLoadable()
{
    // Asking for a kernel's attributes loads this build's image for the current device, which is
    // where a missing architecture shows up (cudaErrorNoKernelImageForDevice), before any real
    // launch could leave an error behind.
    cudaFuncAttributes attributes{};
    return cudaFuncGetAttributes(&attributes, attnKernelsProbeKernel);
}

const char* attnKernelsCudaArchitectures()
{
    return ATTNSCOPE_CUDA_ARCHITECTURES;
}

} // namespace attnscope

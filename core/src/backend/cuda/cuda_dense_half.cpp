// Host glue of the 16-bit dense attention: round on the host, upload, launch, download, widen.
// Every runtime call is checked and becomes an Error here (DESIGN.md §7.7).

#include "backend/cuda/cuda_dense_half.h"

#include <limits>
#include <string>

#include "backend/cuda/cuda_attention.h"
#include "backend/cuda/cuda_device.h"
#include "backend/cuda/cuda_host_common.h"
#include "backend/cuda/device_memory_budget.h"
#include "model/layer_qkv.h"

#if ATTNSCOPE_HAVE_CUDA
#include "attnscope_kernels/launch.h"
#include "backend/cuda/cuda_check.h"
#include "backend/cuda/device_buffer.h"
#endif

namespace attnscope {

void convertToHalfBits(std::span<const float> values, AttnHalfType type, std::vector<std::uint16_t>& bits)
{
    bits.resize(values.size());
    for (std::size_t index = 0; index < values.size(); ++index) {
        bits[index] = floatToHalfTypeBits(values[index], type);
    }
}

void convertFromHalfBits(std::span<const std::uint16_t> bits, AttnHalfType type, std::vector<float>& values)
{
    values.resize(bits.size());
    for (std::size_t index = 0; index < bits.size(); ++index) {
        values[index] = halfTypeBitsToFloat(bits[index], type);
    }
}

#if ATTNSCOPE_HAVE_CUDA

using cuda_host::layerContext;
using cuda_host::selectDevice;

Result<void> checkDenseAttentionHalfSupported(const LayerQkv& qkv)
{
    ATTNSCOPE_TRY(checkCudaAttentionSupported(qkv));
    if (denseHalfHeadDimBucket(qkv.headDim) == 0) {
        return makeError(ErrorCode::Unsupported,
                         "head_dim " + std::to_string(qkv.headDim) +
                             " not compiled for the 16-bit CUDA attention (buckets 64/128)",
                         layerContext(qkv), "head_dim");
    }
    const CudaDeviceInfo device = cudaDeviceInfo();
    if (device.computeMajor < 8) {
        return makeError(ErrorCode::Unsupported,
                         "the 16-bit CUDA attention needs tensor cores of compute capability 8.0 or newer; " +
                             device.name + " is " + std::to_string(device.computeMajor) + "." +
                             std::to_string(device.computeMinor) + " (use --gpu-precision f32)",
                         layerContext(qkv), "compute_capability");
    }
    return okResult();
}

Result<void> runDenseAttentionHalfCuda(const LayerQkv& qkv, AttnHalfType type, std::vector<float>& out,
                                       std::vector<float>& lse, bool simplePath)
{
    ATTNSCOPE_TRY(checkDenseAttentionHalfSupported(qkv));
    const std::size_t rows = static_cast<std::size_t>(qkv.nHeads) * qkv.nTokens;
    out.assign(rows * qkv.headDim, 0.0f);
    lse.assign(rows, -std::numeric_limits<float>::infinity());
    if (qkv.nTokens == 0) {
        return okResult();
    }
    ATTNSCOPE_TRY(checkDeviceMemory(denseAttentionHalfDeviceBytes(qkv.nHeads, qkv.nKvHeads, qkv.nTokens, qkv.headDim),
                                    cudaFreeMemoryBytes(),
                                    "16-bit dense attention of " + std::to_string(qkv.nHeads) + " heads over " +
                                        std::to_string(qkv.nTokens) + " tokens",
                                    layerContext(qkv)));
    ATTNSCOPE_TRY(selectDevice());
    std::vector<std::uint16_t> staged;
    convertToHalfBits(qkv.q, type, staged);
    auto q = DeviceBuffer<std::uint16_t>::fromHost(staged.data(), staged.size());
    ATTNSCOPE_TRY(q);
    convertToHalfBits(qkv.k, type, staged);
    auto k = DeviceBuffer<std::uint16_t>::fromHost(staged.data(), staged.size());
    ATTNSCOPE_TRY(k);
    convertToHalfBits(qkv.v, type, staged);
    auto v = DeviceBuffer<std::uint16_t>::fromHost(staged.data(), staged.size());
    ATTNSCOPE_TRY(v);
    auto outDevice = DeviceBuffer<std::uint16_t>::allocate(out.size());
    ATTNSCOPE_TRY(outDevice);
    auto lseDevice = DeviceBuffer<float>::allocate(lse.size());
    ATTNSCOPE_TRY(lseDevice);

    DenseAttnHalfParams params;
    cuda_host::setDenseLayerFields(params, qkv);
    params.type = type;
    params.q = q->data();
    params.k = k->data();
    params.v = v->data();
    params.out = outDevice->data();
    params.lse = lseDevice->data();
    params.simplePath = simplePath;
    ATTNSCOPE_CUDA_CHECK(static_cast<cudaError_t>(launchDenseAttnFwdHalf(params, nullptr)));
    ATTNSCOPE_CUDA_CHECK(cudaDeviceSynchronize());
    staged.resize(out.size());
    ATTNSCOPE_TRY(outDevice->toHost(staged.data(), staged.size()));
    ATTNSCOPE_TRY(lseDevice->toHost(lse.data(), lse.size()));
    convertFromHalfBits(staged, type, out);
    return okResult();
}

#else // !ATTNSCOPE_HAVE_CUDA

using cuda_host::unavailableError;

Result<void> checkDenseAttentionHalfSupported(const LayerQkv&)
{
    return unavailableError();
}

Result<void> runDenseAttentionHalfCuda(const LayerQkv&, AttnHalfType, std::vector<float>&, std::vector<float>&, bool)
{
    return unavailableError();
}

#endif // ATTNSCOPE_HAVE_CUDA

} // namespace attnscope

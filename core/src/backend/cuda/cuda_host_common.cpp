#include "backend/cuda/cuda_host_common.h"

#include <limits>

#include "backend/cuda/cuda_device.h"
#include "model/layer_qkv.h"

#if ATTNSCOPE_HAVE_CUDA
#include "backend/cuda/cuda_check.h"
#include "backend/cuda/device_buffer.h"
#endif

namespace attnscope::cuda_host {

std::string layerContext(const LayerQkv& qkv, int head)
{
    std::string context = "layer " + std::to_string(qkv.layer);
    if (head >= 0) {
        context += ", head " + std::to_string(head);
    }
    return context;
}

Result<void> checkShapes(const LayerQkv& qkv)
{
    if (qkv.nHeads <= 0 || qkv.nKvHeads <= 0 || qkv.nTokens < 0 || qkv.headDim <= 0 ||
        qkv.nHeads % qkv.nKvHeads != 0) {
        return makeError(ErrorCode::InvalidArgument,
                         "invalid attention shape: nHeads " + std::to_string(qkv.nHeads) +
                             ", nKvHeads " + std::to_string(qkv.nKvHeads) + ", nTokens " +
                             std::to_string(qkv.nTokens) + ", headDim " +
                             std::to_string(qkv.headDim),
                         layerContext(qkv));
    }
    // The kernels index rows and CSR entries with 32-bit ints and strides with 64-bit ones.
    const std::size_t perHead = static_cast<std::size_t>(qkv.nTokens) * qkv.headDim;
    if (perHead > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
        return makeError(ErrorCode::InvalidArgument, "one head holds more than 2^31 values",
                         layerContext(qkv));
    }
    if (qkv.q.size() != perHead * qkv.nHeads || qkv.k.size() != perHead * qkv.nKvHeads ||
        qkv.v.size() != perHead * qkv.nKvHeads) {
        return makeError(ErrorCode::ShapeMismatch, "q/k/v sizes do not match the layer's counts",
                         layerContext(qkv));
    }
    return okResult();
}

Result<void> checkHead(const LayerQkv& qkv, int head)
{
    if (head < 0 || head >= qkv.nHeads) {
        return makeError(ErrorCode::InvalidArgument, "head out of range", layerContext(qkv, head));
    }
    return okResult();
}

Error unavailableError()
{
    return makeError(ErrorCode::BackendUnavailable,
                     "CUDA backend unavailable: " + cudaDeviceInfo().reason);
}

Result<void> validateCsr(const LayerQkv& qkv, std::span<const std::int32_t> rowPtr,
                         std::span<const std::int32_t> cols)
{
    const std::string context = layerContext(qkv);
    if (rowPtr.size() != static_cast<std::size_t>(qkv.nTokens) + 1) {
        return makeError(ErrorCode::InvalidArgument, "CSR rowPtr must hold nTokens + 1 entries",
                         context, "csr_row_ptr_size");
    }
    if (cols.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
        return makeError(ErrorCode::InvalidArgument, "CSR holds more than 2^31 entries", context,
                         "csr_too_large");
    }
    if (rowPtr.front() != 0 || static_cast<std::size_t>(rowPtr.back()) != cols.size()) {
        return makeError(ErrorCode::InvalidArgument,
                         "CSR rowPtr must start at 0 and end at the number of entries", context,
                         "csr_row_ptr_bounds");
    }
    for (std::size_t row = 0; row + 1 < rowPtr.size(); ++row) {
        if (rowPtr[row + 1] < rowPtr[row]) {
            return makeError(ErrorCode::InvalidArgument, "CSR rowPtr decreases at row " +
                                                             std::to_string(row),
                             context, "csr_row_ptr_order");
        }
    }
    for (const std::int32_t keyPos : cols) {
        if (keyPos < 0 || keyPos >= qkv.nTokens) {
            return makeError(ErrorCode::InvalidArgument,
                             "CSR key position " + std::to_string(keyPos) + " outside [0, " +
                                 std::to_string(qkv.nTokens) + ")",
                             context, "csr_col_range");
        }
    }
    return okResult();
}

#if ATTNSCOPE_HAVE_CUDA

Result<void> selectDevice()
{
    ATTNSCOPE_CUDA_CHECK(cudaSetDevice(0));
    return okResult();
}

namespace {

struct HeadBuffers {
    DeviceBuffer<float> q;
    DeviceBuffer<float> k;
    DeviceBuffer<float> v;
};

} // namespace

Result<HeadQkvOnDevice> uploadHeadQkv(const LayerQkv& qkv, int head, bool withValues)
{
    const std::size_t perHead = static_cast<std::size_t>(qkv.nTokens) * qkv.headDim;
    auto buffers = std::make_shared<HeadBuffers>();
    auto q = DeviceBuffer<float>::fromHost(qkv.queryHead(head), perHead);
    ATTNSCOPE_TRY(q);
    buffers->q = std::move(*q);
    auto k = DeviceBuffer<float>::fromHost(qkv.keyHead(head), perHead);
    ATTNSCOPE_TRY(k);
    buffers->k = std::move(*k);
    if (withValues) {
        auto v = DeviceBuffer<float>::fromHost(qkv.valueHead(head), perHead);
        ATTNSCOPE_TRY(v);
        buffers->v = std::move(*v);
    }
    HeadQkvOnDevice onDevice;
    onDevice.q = buffers->q.data();
    onDevice.k = buffers->k.data();
    onDevice.v = withValues ? buffers->v.data() : nullptr;
    onDevice.keepAlive = std::move(buffers);
    return onDevice;
}

#else

Result<void> selectDevice()
{
    return unavailableError();
}

#endif // ATTNSCOPE_HAVE_CUDA

} // namespace attnscope::cuda_host

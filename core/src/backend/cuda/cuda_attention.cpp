// Host glue for the attention kernels: checks, uploads, launch, download. Every runtime call is
// checked and converted to an Error here, at the backend boundary (DESIGN.md §7.7). Buffers are
// allocated per call; a persistent device workspace comes with the Backend interface.

#include "backend/cuda/cuda_attention.h"

#include <algorithm>
#include <limits>
#include <string>

#include "backend/cuda/cuda_device.h"
#include "backend/cuda/cuda_host_common.h"
#include "backend/cuda/device_memory_budget.h"
#include "model/layer_qkv.h"

#if ATTNSCOPE_HAVE_CUDA
#include "attnscope_kernels/attn_heuristics.h"
#include "attnscope_kernels/launch.h"
#include "attnscope_kernels/mask_predicates.h"
#include "backend/cuda/cuda_check.h"
#include "backend/cuda/device_buffer.h"
#endif

namespace attnscope {

#if ATTNSCOPE_HAVE_CUDA

using cuda_host::checkHead;
using cuda_host::checkShapes;
using cuda_host::layerContext;
using cuda_host::selectDevice;
using cuda_host::unavailableError;
using cuda_host::uploadHeadQkv;
using cuda_host::validateCsr;

Result<void> checkCudaAttentionSupported(const LayerQkv& qkv)
{
    if (!cudaBackendUsable()) {
        return unavailableError();
    }
    ATTNSCOPE_TRY(checkShapes(qkv));
    if (attnHeadDimBucket(qkv.headDim) == 0) {
        return makeError(ErrorCode::Unsupported,
                         "head_dim " + std::to_string(qkv.headDim) +
                             " not compiled for CUDA (buckets 32/64/128/256, up to " +
                             std::to_string(kAttnMaxHeadDim) + ")",
                         layerContext(qkv), "head_dim");
    }
    return okResult();
}

Result<void> runDenseAttentionCuda(const LayerQkv& qkv, std::vector<float>& out,
                                   std::vector<float>& lse)
{
    ATTNSCOPE_TRY(checkCudaAttentionSupported(qkv));
    const std::size_t rows = static_cast<std::size_t>(qkv.nHeads) * qkv.nTokens;
    out.assign(rows * qkv.headDim, 0.0f);
    lse.assign(rows, -std::numeric_limits<float>::infinity());
    if (qkv.nTokens == 0) {
        return okResult();
    }
    ATTNSCOPE_TRY(checkDeviceMemory(denseAttentionDeviceBytes(qkv.nHeads, qkv.nKvHeads, qkv.nTokens, qkv.headDim),
                                    cudaFreeMemoryBytes(),
                                    "dense attention of " + std::to_string(qkv.nHeads) + " heads over " +
                                        std::to_string(qkv.nTokens) + " tokens",
                                    layerContext(qkv)));
    ATTNSCOPE_TRY(selectDevice());
    auto q = DeviceBuffer<float>::fromHost(qkv.q.data(), qkv.q.size());
    ATTNSCOPE_TRY(q);
    auto k = DeviceBuffer<float>::fromHost(qkv.k.data(), qkv.k.size());
    ATTNSCOPE_TRY(k);
    auto v = DeviceBuffer<float>::fromHost(qkv.v.data(), qkv.v.size());
    ATTNSCOPE_TRY(v);
    auto outDevice = DeviceBuffer<float>::allocate(out.size());
    ATTNSCOPE_TRY(outDevice);
    auto lseDevice = DeviceBuffer<float>::allocate(lse.size());
    ATTNSCOPE_TRY(lseDevice);

    DenseAttnParams params;
    cuda_host::setDenseLayerFields(params, qkv);
    params.q = q->data();
    params.k = k->data();
    params.v = v->data();
    params.out = outDevice->data();
    params.lse = lseDevice->data();
    ATTNSCOPE_CUDA_CHECK(static_cast<cudaError_t>(launchDenseAttnFwd(params, nullptr)));
    ATTNSCOPE_CUDA_CHECK(cudaDeviceSynchronize());
    ATTNSCOPE_TRY(outDevice->toHost(out.data(), out.size()));
    ATTNSCOPE_TRY(lseDevice->toHost(lse.data(), lse.size()));
    return okResult();
}

Result<void> runAttentionProbsCuda(const LayerQkv& qkv, int head, std::span<const float> headLse,
                                   int rowBegin, int rowCount, int colBegin, int colCount,
                                   std::vector<float>& probs)
{
    ATTNSCOPE_TRY(checkCudaAttentionSupported(qkv));
    const std::string context = layerContext(qkv, head);
    ATTNSCOPE_TRY(checkHead(qkv, head));
    if (rowBegin < 0 || rowCount < 0 || colBegin < 0 || colCount < 0 ||
        rowBegin > qkv.nTokens - rowCount || colBegin > qkv.nTokens - colCount) {
        return makeError(ErrorCode::InvalidArgument, "probability rectangle outside the matrix",
                         context);
    }
    if (headLse.size() != static_cast<std::size_t>(qkv.nTokens)) {
        return makeError(ErrorCode::InvalidArgument, "the head's lse must hold nTokens values",
                         context);
    }
    probs.assign(static_cast<std::size_t>(rowCount) * colCount, 0.0f);
    if (probs.empty()) {
        return okResult();
    }
    ATTNSCOPE_TRY(checkDeviceMemory(attentionProbsDeviceBytes(qkv.nTokens, qkv.headDim, rowCount, colCount),
                                    cudaFreeMemoryBytes(),
                                    "a " + std::to_string(rowCount) + " x " + std::to_string(colCount) +
                                        " block of attention probabilities",
                                    context));
    ATTNSCOPE_TRY(selectDevice());
    auto headBuffers = uploadHeadQkv(qkv, head, false);
    ATTNSCOPE_TRY(headBuffers);
    auto lseDevice = DeviceBuffer<float>::fromHost(headLse.data(), headLse.size());
    ATTNSCOPE_TRY(lseDevice);
    auto probsDevice = DeviceBuffer<float>::allocate(probs.size());
    ATTNSCOPE_TRY(probsDevice);

    AttnProbsParams params;
    params.q = headBuffers->q;
    params.k = headBuffers->k;
    params.lse = lseDevice->data();
    params.probs = probsDevice->data();
    params.qRowStride = params.kRowStride = qkv.headDim;
    params.probsRowStride = colCount;
    params.nTokens = qkv.nTokens;
    params.headDim = qkv.headDim;
    params.rowBegin = rowBegin;
    params.rowCount = rowCount;
    params.colBegin = colBegin;
    params.colCount = colCount;
    params.scale = qkv.scale;
    params.softcap = qkv.softcap;
    params.causal = qkv.causal;
    params.slidingWindow = qkv.slidingWindow;
    ATTNSCOPE_CUDA_CHECK(static_cast<cudaError_t>(launchAttnProbs(params, nullptr)));
    ATTNSCOPE_CUDA_CHECK(cudaDeviceSynchronize());
    ATTNSCOPE_TRY(probsDevice->toHost(probs.data(), probs.size()));
    return okResult();
}

Result<void> runSparseAttentionCuda(const LayerQkv& qkv, int head,
                                    std::span<const std::int32_t> rowPtr,
                                    std::span<const std::int32_t> cols, std::vector<float>& out,
                                    std::vector<float>& weights, std::vector<float>* lse)
{
    ATTNSCOPE_TRY(checkCudaAttentionSupported(qkv));
    ATTNSCOPE_TRY(checkHead(qkv, head));
    ATTNSCOPE_TRY(validateCsr(qkv, rowPtr, cols));
    const std::size_t perHead = static_cast<std::size_t>(qkv.nTokens) * qkv.headDim;
    out.assign(perHead, 0.0f);
    weights.assign(cols.size(), 0.0f);
    if (lse != nullptr) {
        lse->assign(qkv.nTokens, -std::numeric_limits<float>::infinity());
    }
    if (qkv.nTokens == 0) {
        return okResult();
    }
    ATTNSCOPE_TRY(checkDeviceMemory(sparseAttentionDeviceBytes(qkv.nTokens, qkv.headDim, cols.size()),
                                    cudaFreeMemoryBytes(),
                                    "sparse attention of " + std::to_string(cols.size()) + " kept entries over " +
                                        std::to_string(qkv.nTokens) + " tokens",
                                    layerContext(qkv, head)));
    ATTNSCOPE_TRY(selectDevice());
    auto headBuffers = uploadHeadQkv(qkv, head, true);
    ATTNSCOPE_TRY(headBuffers);
    auto rowPtrDevice = DeviceBuffer<std::int32_t>::fromHost(rowPtr.data(), rowPtr.size());
    ATTNSCOPE_TRY(rowPtrDevice);
    auto colsDevice = DeviceBuffer<std::int32_t>::fromHost(cols.data(), cols.size());
    ATTNSCOPE_TRY(colsDevice);
    auto outDevice = DeviceBuffer<float>::allocate(out.size());
    ATTNSCOPE_TRY(outDevice);
    auto weightsDevice = DeviceBuffer<float>::allocate(weights.size());
    ATTNSCOPE_TRY(weightsDevice);
    auto lseDevice = DeviceBuffer<float>::allocate(qkv.nTokens);
    ATTNSCOPE_TRY(lseDevice);

    SparseAttnParams params;
    params.q = headBuffers->q;
    params.k = headBuffers->k;
    params.v = headBuffers->v;
    params.rowPtr = rowPtrDevice->data();
    // A kernel never dereferences colIdx of an empty CSR, but the launcher wants a pointer.
    params.colIdx = cols.empty() ? rowPtrDevice->data() : colsDevice->data();
    params.out = outDevice->data();
    params.weights = cols.empty() ? nullptr : weightsDevice->data();
    params.lse = lseDevice->data();
    params.qRowStride = params.kRowStride = params.vRowStride = params.outRowStride = qkv.headDim;
    params.nHeads = 1;
    params.nKvHeads = 1;
    params.nTokens = qkv.nTokens;
    params.headDim = qkv.headDim;
    params.scale = qkv.scale;
    params.softcap = qkv.softcap;
    ATTNSCOPE_CUDA_CHECK(static_cast<cudaError_t>(launchSparseAttnFwd(params, nullptr)));
    ATTNSCOPE_CUDA_CHECK(cudaDeviceSynchronize());
    ATTNSCOPE_TRY(outDevice->toHost(out.data(), out.size()));
    ATTNSCOPE_TRY(weightsDevice->toHost(weights.data(), weights.size()));
    if (lse != nullptr) {
        ATTNSCOPE_TRY(lseDevice->toHost(lse->data(), lse->size()));
    }
    return okResult();
}

Result<void> runTopkSelectCuda(const LayerQkv& qkv, int head, long long topK,
                               std::vector<std::int64_t>& rowPtr, std::vector<std::int32_t>& cols)
{
    ATTNSCOPE_TRY(checkCudaAttentionSupported(qkv));
    const std::string context = layerContext(qkv, head);
    ATTNSCOPE_TRY(checkHead(qkv, head));
    if (topK < 0) {
        return makeError(ErrorCode::InvalidArgument, "top-k needs k >= 0", context);
    }
    // The count of every row is known before scoring: min(k, allowed keys).
    const int k = static_cast<int>(std::min<long long>(topK, qkv.nTokens));
    rowPtr.assign(static_cast<std::size_t>(qkv.nTokens) + 1, 0);
    for (int queryPos = 0; queryPos < qkv.nTokens; ++queryPos) {
        int first = 0;
        int last = -1;
        modelAllowedRange(queryPos, qkv.nTokens, qkv.causal, qkv.slidingWindow, &first, &last);
        rowPtr[static_cast<std::size_t>(queryPos) + 1] =
            rowPtr[static_cast<std::size_t>(queryPos)] + std::min(k, std::max(0, last - first + 1));
    }
    if (rowPtr.back() > std::numeric_limits<int>::max()) {
        return makeError(ErrorCode::InvalidArgument,
                         "top-k selects " + std::to_string(rowPtr.back()) +
                             " entries, beyond the CUDA kernels' 32-bit CSR indexing",
                         context, "csr_too_large");
    }
    cols.assign(static_cast<std::size_t>(rowPtr.back()), 0);
    if (cols.empty()) {
        return okResult();
    }
    const std::vector<std::int32_t> rowPtr32(rowPtr.begin(), rowPtr.end());
    const bool needsScratch = topkNeedsScratch(qkv.nTokens, qkv.causal, qkv.slidingWindow);
    const int rowKeys = topkMaxRowKeys(qkv.nTokens, qkv.causal, qkv.slidingWindow);
    // Long rows keep their scores in a global scratch row each; rows go in batches so that the
    // scratch stays at kTopkScratchBytes (N = 32k: 2048 rows of 128 KiB).
    constexpr std::size_t kTopkScratchBytes = std::size_t{256} << 20;
    const int batchRows =
        needsScratch ? static_cast<int>(std::clamp<std::size_t>(kTopkScratchBytes / (sizeof(float) * rowKeys), 1,
                                                                static_cast<std::size_t>(qkv.nTokens)))
                     : qkv.nTokens;
    const std::size_t scratchFloats = needsScratch ? static_cast<std::size_t>(batchRows) * rowKeys : 0;
    ATTNSCOPE_TRY(checkDeviceMemory(topkSelectDeviceBytes(qkv.nTokens, qkv.headDim, cols.size(), scratchFloats),
                                    cudaFreeMemoryBytes(),
                                    "top-" + std::to_string(k) + " selection over " + std::to_string(qkv.nTokens) +
                                        " tokens",
                                    context));
    ATTNSCOPE_TRY(selectDevice());
    auto headBuffers = uploadHeadQkv(qkv, head, false);
    ATTNSCOPE_TRY(headBuffers);
    auto rowPtrDevice = DeviceBuffer<std::int32_t>::fromHost(rowPtr32.data(), rowPtr32.size());
    ATTNSCOPE_TRY(rowPtrDevice);
    auto colsDevice = DeviceBuffer<std::int32_t>::allocate(cols.size());
    ATTNSCOPE_TRY(colsDevice);
    auto scratch = DeviceBuffer<float>::allocate(scratchFloats);
    ATTNSCOPE_TRY(scratch);

    TopkSelectParams params;
    params.q = headBuffers->q;
    params.k = headBuffers->k;
    params.rowPtr = rowPtrDevice->data();
    params.colIdx = colsDevice->data();
    params.scratch = needsScratch ? scratch->data() : nullptr;
    params.qRowStride = params.kRowStride = qkv.headDim;
    params.scratchRowStride = needsScratch ? rowKeys : 0;
    params.nHeads = 1;
    params.nKvHeads = 1;
    params.nTokens = qkv.nTokens;
    params.headDim = qkv.headDim;
    params.topK = k;
    params.scale = qkv.scale;
    params.softcap = qkv.softcap;
    params.causal = qkv.causal;
    params.slidingWindow = qkv.slidingWindow;
    for (int rowBegin = 0; rowBegin < qkv.nTokens; rowBegin += batchRows) {
        params.rowBegin = rowBegin;
        params.rowCount = std::min(batchRows, qkv.nTokens - rowBegin);
        ATTNSCOPE_CUDA_CHECK(static_cast<cudaError_t>(launchTopkSelect(params, nullptr)));
    }
    ATTNSCOPE_CUDA_CHECK(cudaDeviceSynchronize());
    ATTNSCOPE_TRY(colsDevice->toHost(cols.data(), cols.size()));
    return okResult();
}

#else // !ATTNSCOPE_HAVE_CUDA

using cuda_host::unavailableError;

Result<void> checkCudaAttentionSupported(const LayerQkv&)
{
    return unavailableError();
}

Result<void> runDenseAttentionCuda(const LayerQkv&, std::vector<float>&, std::vector<float>&)
{
    return unavailableError();
}

Result<void> runAttentionProbsCuda(const LayerQkv&, int, std::span<const float>, int, int, int,
                                   int, std::vector<float>&)
{
    return unavailableError();
}

Result<void> runSparseAttentionCuda(const LayerQkv&, int, std::span<const std::int32_t>,
                                    std::span<const std::int32_t>, std::vector<float>&,
                                    std::vector<float>&, std::vector<float>*)
{
    return unavailableError();
}

Result<void> runTopkSelectCuda(const LayerQkv&, int, long long, std::vector<std::int64_t>&,
                               std::vector<std::int32_t>&)
{
    return unavailableError();
}

#endif // ATTNSCOPE_HAVE_CUDA

} // namespace attnscope

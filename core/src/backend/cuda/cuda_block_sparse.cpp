// Host glue of the block-sparse kernels: checks, uploads, launch, download (cuda_attention.cpp's
// pattern, with its shared steps from cuda_host_common.h). Buffers are allocated per call.

#include "backend/cuda/cuda_block_sparse.h"

#include <algorithm>
#include <limits>
#include <new>
#include <string>

#include "attnscope_kernels/block_sparse_params.h"
#include "backend/cuda/cuda_attention.h"
#include "backend/cuda/cuda_device.h"
#include "backend/cuda/cuda_host_common.h"
#include "backend/cuda/device_memory_budget.h"
#include "model/layer_qkv.h"

#if ATTNSCOPE_HAVE_CUDA
#include "attnscope_kernels/launch_block_sparse.h"
#include "backend/cuda/cuda_check.h"
#include "backend/cuda/device_buffer.h"
#endif

namespace attnscope {

Result<void> validateBlockMask(const LayerQkv& qkv, int blockSize, std::span<const std::int32_t> blockRowPtr,
                               std::span<const std::int32_t> blockCols)
{
    const std::string context = cuda_host::layerContext(qkv);
    if (blockSize < 1) {
        return makeError(ErrorCode::InvalidArgument,
                         "block size " + std::to_string(blockSize) + " must be at least 1 token", context,
                         "block_size");
    }
    const int blocks = blockCount(qkv.nTokens, blockSize);
    if (blockRowPtr.size() != static_cast<std::size_t>(blocks) + 1) {
        return makeError(ErrorCode::InvalidArgument,
                         "the block mask needs " + std::to_string(blocks + 1) + " row offsets (" +
                             std::to_string(blocks) + " blocks of " + std::to_string(blockSize) + " tokens), got " +
                             std::to_string(blockRowPtr.size()),
                         context, "block_row_ptr_size");
    }
    if (blockRowPtr.front() != 0 || static_cast<std::size_t>(blockRowPtr.back()) != blockCols.size()) {
        return makeError(ErrorCode::InvalidArgument,
                         "block mask row offsets must start at 0 and end at the number of kept blocks", context,
                         "block_row_ptr_bounds");
    }
    for (int queryBlock = 0; queryBlock < blocks; ++queryBlock) {
        const std::int32_t begin = blockRowPtr[static_cast<std::size_t>(queryBlock)];
        const std::int32_t end = blockRowPtr[static_cast<std::size_t>(queryBlock) + 1];
        if (end < begin) {
            return makeError(ErrorCode::InvalidArgument,
                             "block mask row offsets decrease at query block " + std::to_string(queryBlock), context,
                             "block_row_ptr_order");
        }
        for (std::int32_t index = begin; index < end; ++index) {
            const std::int32_t keyBlock = blockCols[static_cast<std::size_t>(index)];
            if (keyBlock < 0 || keyBlock >= blocks) {
                return makeError(ErrorCode::InvalidArgument,
                                 "query block " + std::to_string(queryBlock) + " keeps key block " +
                                     std::to_string(keyBlock) + " outside [0, " + std::to_string(blocks) + ")",
                                 context, "block_col_range");
            }
            if (index > begin && keyBlock <= blockCols[static_cast<std::size_t>(index) - 1]) {
                return makeError(ErrorCode::InvalidArgument,
                                 "query block " + std::to_string(queryBlock) +
                                     " lists its key blocks out of order or twice (they must be ascending)",
                                 context, "block_col_order");
            }
        }
    }
    return okResult();
}

#if ATTNSCOPE_HAVE_CUDA

using cuda_host::checkHead;
using cuda_host::layerContext;
using cuda_host::selectDevice;
using cuda_host::uploadHeadQkv;

Result<void> runBlockSparseAttentionCuda(const LayerQkv& qkv, int head, int blockSize,
                                         std::span<const std::int32_t> blockRowPtr,
                                         std::span<const std::int32_t> blockCols, std::vector<float>& out,
                                         std::vector<float>& lse)
{
    ATTNSCOPE_TRY(checkCudaAttentionSupported(qkv));
    ATTNSCOPE_TRY(checkHead(qkv, head));
    ATTNSCOPE_TRY(validateBlockMask(qkv, blockSize, blockRowPtr, blockCols));
    out.assign(static_cast<std::size_t>(qkv.nTokens) * qkv.headDim, 0.0f);
    lse.assign(static_cast<std::size_t>(qkv.nTokens), -std::numeric_limits<float>::infinity());
    if (qkv.nTokens == 0) {
        return okResult();
    }
    const int blocks = blockCount(qkv.nTokens, blockSize);
    ATTNSCOPE_TRY(checkDeviceMemory(
        blockSparseAttentionDeviceBytes(qkv.nTokens, qkv.headDim, blocks, blockCols.size()), cudaFreeMemoryBytes(),
        "block-sparse attention of " + std::to_string(blockCols.size()) + " kept blocks of " +
            std::to_string(blockSize) + " tokens",
        layerContext(qkv, head)));
    ATTNSCOPE_TRY(selectDevice());
    auto headBuffers = uploadHeadQkv(qkv, head, true);
    ATTNSCOPE_TRY(headBuffers);
    auto rowPtrDevice = DeviceBuffer<std::int32_t>::fromHost(blockRowPtr.data(), blockRowPtr.size());
    ATTNSCOPE_TRY(rowPtrDevice);
    auto colsDevice = DeviceBuffer<std::int32_t>::fromHost(blockCols.data(), blockCols.size());
    ATTNSCOPE_TRY(colsDevice);
    auto outDevice = DeviceBuffer<float>::allocate(out.size());
    ATTNSCOPE_TRY(outDevice);
    auto lseDevice = DeviceBuffer<float>::allocate(lse.size());
    ATTNSCOPE_TRY(lseDevice);

    BlockSparseAttnParams params;
    DenseAttnParams& attn = params.attn;
    attn.q = headBuffers->q;
    attn.k = headBuffers->k;
    attn.v = headBuffers->v;
    attn.out = outDevice->data();
    attn.lse = lseDevice->data();
    attn.qRowStride = attn.kRowStride = attn.vRowStride = attn.outRowStride = qkv.headDim;
    attn.nHeads = 1;
    attn.nKvHeads = 1;
    attn.nTokens = qkv.nTokens;
    attn.headDim = qkv.headDim;
    attn.scale = qkv.scale;
    attn.softcap = qkv.softcap;
    attn.causal = qkv.causal;
    attn.slidingWindow = qkv.slidingWindow;
    params.blockRowPtr = rowPtrDevice->data();
    // The kernel never reads the columns of an empty mask, but the launcher wants a pointer.
    params.blockCols = blockCols.empty() ? rowPtrDevice->data() : colsDevice->data();
    // A block larger than the sequence is the one block [0, nTokens): the same mask, and a grid of
    // chunks that stops at the last token.
    params.blockSize = std::min(blockSize, qkv.nTokens);
    ATTNSCOPE_CUDA_CHECK(static_cast<cudaError_t>(launchBlockSparseAttnFwd(params, nullptr)));
    ATTNSCOPE_CUDA_CHECK(cudaDeviceSynchronize());
    ATTNSCOPE_TRY(outDevice->toHost(out.data(), out.size()));
    ATTNSCOPE_TRY(lseDevice->toHost(lse.data(), lse.size()));
    return okResult();
}

Result<void> runBlockPooledProbsCuda(const LayerQkv& qkv, int head, std::span<const float> headLse, int poolSize,
                                     std::vector<float>& maxMap, std::vector<float>& sumMap)
{
    ATTNSCOPE_TRY(checkCudaAttentionSupported(qkv));
    const std::string context = layerContext(qkv, head);
    ATTNSCOPE_TRY(checkHead(qkv, head));
    if (poolSize < 1) {
        return makeError(ErrorCode::InvalidArgument,
                         "pool size " + std::to_string(poolSize) + " must be at least 1 token", context);
    }
    if (headLse.size() != static_cast<std::size_t>(qkv.nTokens)) {
        return makeError(ErrorCode::InvalidArgument, "the head's lse must hold nTokens values", context);
    }
    const int blocks = blockCount(qkv.nTokens, poolSize);
    const std::size_t cells = static_cast<std::size_t>(blocks) * blocks;
    if (cells == 0) {
        maxMap.clear();
        sumMap.clear();
        return okResult();
    }
    // Checked before the host maps are sized: a tiny pool size over a long sequence asks for
    // blocks² cells on both sides, and the refusal should say so instead of failing to allocate.
    ATTNSCOPE_TRY(checkDeviceMemory(blockPooledProbsDeviceBytes(qkv.nTokens, qkv.headDim, blocks),
                                    cudaFreeMemoryBytes(),
                                    "block-pooled probabilities (" + std::to_string(blocks) + " x " +
                                        std::to_string(blocks) + " blocks of " + std::to_string(poolSize) +
                                        " tokens)",
                                    context));
    try {
        maxMap.assign(cells, 0.0f);
        sumMap.assign(cells, 0.0f);
    } catch (const std::bad_alloc&) {
        return makeError(ErrorCode::OutOfMemory,
                         "no host memory for " + std::to_string(blocks) + " x " + std::to_string(blocks) +
                             " pooled blocks",
                         context);
    }
    ATTNSCOPE_TRY(selectDevice());
    auto headBuffers = uploadHeadQkv(qkv, head, false);
    ATTNSCOPE_TRY(headBuffers);
    auto lseDevice = DeviceBuffer<float>::fromHost(headLse.data(), headLse.size());
    ATTNSCOPE_TRY(lseDevice);
    auto maxDevice = DeviceBuffer<float>::allocate(cells);
    ATTNSCOPE_TRY(maxDevice);
    auto sumDevice = DeviceBuffer<float>::allocate(cells);
    ATTNSCOPE_TRY(sumDevice);

    BlockPoolProbsParams params;
    params.q = headBuffers->q;
    params.k = headBuffers->k;
    params.lse = lseDevice->data();
    params.maxOut = maxDevice->data();
    params.sumOut = sumDevice->data();
    params.qRowStride = params.kRowStride = qkv.headDim;
    params.nTokens = qkv.nTokens;
    params.headDim = qkv.headDim;
    params.poolSize = poolSize;
    params.queryBlockBegin = 0;
    params.queryBlockCount = blocks;
    params.scale = qkv.scale;
    params.softcap = qkv.softcap;
    params.causal = qkv.causal;
    params.slidingWindow = qkv.slidingWindow;
    ATTNSCOPE_CUDA_CHECK(static_cast<cudaError_t>(launchBlockPoolProbs(params, nullptr)));
    ATTNSCOPE_CUDA_CHECK(cudaDeviceSynchronize());
    ATTNSCOPE_TRY(maxDevice->toHost(maxMap.data(), cells));
    ATTNSCOPE_TRY(sumDevice->toHost(sumMap.data(), cells));
    return okResult();
}

#else // !ATTNSCOPE_HAVE_CUDA

using cuda_host::unavailableError;

Result<void> runBlockSparseAttentionCuda(const LayerQkv&, int, int, std::span<const std::int32_t>,
                                         std::span<const std::int32_t>, std::vector<float>&, std::vector<float>&)
{
    return unavailableError();
}

Result<void> runBlockPooledProbsCuda(const LayerQkv&, int, std::span<const float>, int, std::vector<float>&,
                                     std::vector<float>&)
{
    return unavailableError();
}

#endif // ATTNSCOPE_HAVE_CUDA

} // namespace attnscope

// Block-pooled probability maps of one head (DESIGN.md §4: views read block-pooled pyramids, max
// and sum per block, so that one-pixel lines survive and mass is preserved): per (query block,
// key block) of poolSize tokens, the max and the sum of the exact probabilities exp(score - lse),
// recomputed from Q, K and the forward pass's row LSE, so the N×N matrix never exists.
//
// One CUDA block per pooled block: it walks the block's cells in 32 × 32 tiles (Q and K rows
// staged in shared memory with an odd row stride, as attn_probs.cu), each thread keeps its own max
// and sum, and a shared-memory tree reduces the 256 partials at the end, in a fixed order, so the
// result does not depend on scheduling. Blocks that the model's mask hides entirely are written as
// zeros without scoring. Runtime head dim: a view helper, not worth a template per bucket.

#include "attn_common.cuh"
#include "attnscope_kernels/attn_heuristics.h"
#include "attnscope_kernels/block_sparse_params.h"
#include "attnscope_kernels/launch_block_sparse.h"
#include "attnscope_kernels/mask_predicates.h"

namespace attnscope {

namespace {

constexpr int kPoolTile = 32;                      // cells per tile side; one key per threadIdx.x
constexpr int kPoolThreadRows = 8;                 // threadIdx.y
constexpr int kPoolRowsPerThread = kPoolTile / kPoolThreadRows;
constexpr int kPoolThreads = kPoolTile * kPoolThreadRows;
constexpr int kMaxQueryBlocksPerLaunch = 65535;    // gridDim.y limit
static_assert(kPoolThreads == 256 && (kPoolThreads & (kPoolThreads - 1)) == 0,
              "the reduction halves a power-of-two thread count");
static_assert(kPoolRowsPerThread * kPoolThreadRows == kPoolTile, "rows of a tile split evenly");

size_t poolSharedBytes(int headDim)
{
    return sizeof(float) * (2 * static_cast<size_t>(kPoolTile) * (headDim + 1) + 2 * kPoolThreads);
}

__global__ void __launch_bounds__(kPoolThreads) blockPoolProbsKernel(const BlockPoolProbsParams p)
{
    extern __shared__ float sharedPool[];
    const int stride = p.headDim + 1;
    float* qTile = sharedPool;                    // [kPoolTile][headDim + 1]
    float* kTile = qTile + kPoolTile * stride;    // [kPoolTile][headDim + 1]
    float* partialMax = kTile + kPoolTile * stride;  // [kPoolThreads]
    float* partialSum = partialMax + kPoolThreads;   // [kPoolThreads]

    const int blocks = blockCount(p.nTokens, p.poolSize);
    const int keyBlock = blockIdx.x;
    const int localQueryBlock = blockIdx.y;
    int rowBegin = 0;
    int rowEnd = 0;
    int keyBegin = 0;
    int keyEnd = 0;
    blockTokenRange(p.queryBlockBegin + localQueryBlock, p.poolSize, p.nTokens, &rowBegin, &rowEnd);
    blockTokenRange(keyBlock, p.poolSize, p.nTokens, &keyBegin, &keyEnd);
    const int thread = threadIdx.y * kPoolTile + threadIdx.x;

    float localMax = 0.0f;  // probabilities are >= 0, and a hidden cell counts as 0
    float localSum = 0.0f;
    if (keysVisibleToRows(rowBegin, rowEnd, keyBegin, keyEnd, p.nTokens, p.causal, p.slidingWindow)) {
        for (int row0 = rowBegin; row0 < rowEnd; row0 += kPoolTile) {
            __syncthreads();  // the previous Q tile is consumed
            for (int idx = thread; idx < kPoolTile * p.headDim; idx += kPoolThreads) {
                const int r = idx / p.headDim;
                const int c = idx % p.headDim;
                const int row = row0 + r;
                qTile[r * stride + c] = row < rowEnd ? p.q[row * p.qRowStride + c] : 0.0f;
            }
            for (int key0 = keyBegin; key0 < keyEnd; key0 += kPoolTile) {
                __syncthreads();  // the previous K tile is consumed (and the Q tile is visible)
                for (int idx = thread; idx < kPoolTile * p.headDim; idx += kPoolThreads) {
                    const int r = idx / p.headDim;
                    const int c = idx % p.headDim;
                    const int key = key0 + r;
                    kTile[r * stride + c] = key < keyEnd ? p.k[key * p.kRowStride + c] : 0.0f;
                }
                __syncthreads();
                const int key = key0 + threadIdx.x;
                if (key >= keyEnd) {
                    continue;  // no barrier until the next iteration's, which every thread reaches
                }
                for (int i = 0; i < kPoolRowsPerThread; ++i) {
                    const int r = threadIdx.y + i * kPoolThreadRows;
                    const int row = row0 + r;
                    if (row >= rowEnd) {
                        break;
                    }
                    const float rowLse = p.lse[row];
                    if (!modelAllows(row, key, p.causal, p.slidingWindow) || rowLse == -CUDART_INF_F) {
                        continue;
                    }
                    float dot = 0.0f;
                    for (int c = 0; c < p.headDim; ++c) {
                        dot = fmaf(qTile[r * stride + c], kTile[threadIdx.x * stride + c], dot);
                    }
                    const float prob = expf(applySoftcap(dot * p.scale, p.softcap) - rowLse);
                    localMax = fmaxf(localMax, prob);
                    localSum += prob;
                }
            }
        }
    }

    partialMax[thread] = localMax;
    partialSum[thread] = localSum;
    __syncthreads();
    for (int half = kPoolThreads / 2; half > 0; half /= 2) {
        if (thread < half) {
            partialMax[thread] = fmaxf(partialMax[thread], partialMax[thread + half]);
            partialSum[thread] += partialSum[thread + half];
        }
        __syncthreads();
    }
    if (thread == 0) {
        const long long cell = static_cast<long long>(localQueryBlock) * blocks + keyBlock;
        p.maxOut[cell] = partialMax[0];
        p.sumOut[cell] = partialSum[0];
    }
}

} // namespace

int launchBlockPoolProbs(const BlockPoolProbsParams& params, void* stream)
{
    const int blocks = blockCount(params.nTokens, params.poolSize);
    if (params.q == nullptr || params.k == nullptr || params.lse == nullptr || params.maxOut == nullptr ||
        params.sumOut == nullptr || params.headDim <= 0 || params.headDim > kAttnMaxHeadDim ||
        params.poolSize < 1 || params.nTokens < 0 || params.queryBlockBegin < 0 ||
        params.queryBlockCount < 0 || params.queryBlockBegin > blocks - params.queryBlockCount) {
        return cudaErrorInvalidValue;
    }
    const auto cudaStream = static_cast<cudaStream_t>(stream);
    const size_t sharedBytes = poolSharedBytes(params.headDim);
    // Past 48 KiB (head dims above ~180, up to kAttnMaxHeadDim = 256) the kernel must opt in.
    if (const cudaError_t status = cudaFuncSetAttribute(
            blockPoolProbsKernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(sharedBytes));
        status != cudaSuccess) {
        return status;
    }
    for (int done = 0; done < params.queryBlockCount; done += kMaxQueryBlocksPerLaunch) {
        BlockPoolProbsParams part = params;
        part.queryBlockBegin = params.queryBlockBegin + done;
        part.queryBlockCount = min(kMaxQueryBlocksPerLaunch, params.queryBlockCount - done);
        part.maxOut = params.maxOut + static_cast<long long>(done) * blocks;
        part.sumOut = params.sumOut + static_cast<long long>(done) * blocks;
        const dim3 grid(blocks, part.queryBlockCount);
        const dim3 block(kPoolTile, kPoolThreadRows);
        blockPoolProbsKernel<<<grid, block, sharedBytes, cudaStream>>>(part);
        const cudaError_t status = cudaGetLastError();
        if (status != cudaSuccess) {
            return status;
        }
    }
    return cudaSuccess;
}

} // namespace attnscope

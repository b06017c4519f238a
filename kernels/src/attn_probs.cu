// Exact probabilities of one head on a rectangle of the attention matrix, recomputed from Q, K
// and the forward pass's row log-sum-exp: this is how the views zoom to full resolution without
// the forward pass ever storing nTokens² values (DESIGN.md §4).
//
// A block computes a kProbsTile × kProbsTile tile; Q and K rows are staged in shared memory with
// an odd row stride so that the 32 lanes (32 keys) of a warp read 32 distinct banks while the
// query value is a broadcast. Runtime head dim (any value up to kAttnMaxHeadDim): this kernel is
// not on a hot path worth a template per bucket.

#include "attn_common.cuh"
#include "attnscope_kernels/attn_heuristics.h"
#include "attnscope_kernels/launch.h"
#include "attnscope_kernels/mask_predicates.h"

namespace attnscope {

namespace {

constexpr int kProbsRowsPerThread = 4;
constexpr int kProbsThreadRows = kProbsTile / kProbsRowsPerThread;

__global__ void __launch_bounds__(kProbsTile * kProbsThreadRows) attnProbsKernel(const AttnProbsParams p)
{
    extern __shared__ float sharedProbs[];
    const int stride = p.headDim + 1;
    float* qTile = sharedProbs;               // [kProbsTile][headDim + 1]
    float* kTile = qTile + kProbsTile * stride;  // [kProbsTile][headDim + 1]

    const int tileRow0 = p.rowBegin + blockIdx.y * kProbsTile;
    const int tileCol0 = p.colBegin + blockIdx.x * kProbsTile;
    const int rowEnd = p.rowBegin + p.rowCount;
    const int colEnd = p.colBegin + p.colCount;
    const int threads = blockDim.x * blockDim.y;
    const int thread = threadIdx.y * blockDim.x + threadIdx.x;

    for (int idx = thread; idx < kProbsTile * p.headDim; idx += threads) {
        const int r = idx / p.headDim;
        const int c = idx % p.headDim;
        const int row = tileRow0 + r;
        const int keyPos = tileCol0 + r;
        qTile[r * stride + c] = row < rowEnd ? p.q[row * p.qRowStride + c] : 0.0f;
        kTile[r * stride + c] = keyPos < colEnd ? p.k[keyPos * p.kRowStride + c] : 0.0f;
    }
    __syncthreads();

    const int col = tileCol0 + threadIdx.x;
    if (col >= colEnd) {
        return;
    }
    for (int i = 0; i < kProbsRowsPerThread; ++i) {
        const int r = threadIdx.y + i * kProbsThreadRows;
        const int row = tileRow0 + r;
        if (row >= rowEnd) {
            break;
        }
        float dot = 0.0f;
        for (int c = 0; c < p.headDim; ++c) {
            dot = fmaf(qTile[r * stride + c], kTile[threadIdx.x * stride + c], dot);
        }
        const float rowLse = p.lse[row];
        float prob = 0.0f;
        if (modelAllows(row, col, p.causal, p.slidingWindow) && rowLse != -CUDART_INF_F) {
            prob = expf(applySoftcap(dot * p.scale, p.softcap) - rowLse);
        }
        p.probs[(row - p.rowBegin) * p.probsRowStride + (col - p.colBegin)] = prob;
    }
}

} // namespace

int launchAttnProbs(const AttnProbsParams& params, void* stream)
{
    if (params.q == nullptr || params.k == nullptr || params.lse == nullptr ||
        params.probs == nullptr || params.headDim <= 0 || params.headDim > kAttnMaxHeadDim ||
        params.rowBegin < 0 || params.colBegin < 0 || params.rowCount < 0 ||
        params.colCount < 0 || params.rowBegin + params.rowCount > params.nTokens ||
        params.colBegin + params.colCount > params.nTokens) {
        return cudaErrorInvalidValue;
    }
    if (params.rowCount == 0 || params.colCount == 0) {
        return cudaSuccess;
    }
    const dim3 grid((params.colCount + kProbsTile - 1) / kProbsTile,
                    (params.rowCount + kProbsTile - 1) / kProbsTile);
    const dim3 block(kProbsTile, kProbsThreadRows);
    const size_t sharedBytes = sizeof(float) * 2 * kProbsTile * (params.headDim + 1);
    // Past 48 KiB (head dims above ~190) the kernel must opt in; cheap to set again.
    if (const cudaError_t status = cudaFuncSetAttribute(attnProbsKernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                                        static_cast<int>(sharedBytes));
        status != cudaSuccess) {
        return status;
    }
    attnProbsKernel<<<grid, block, sharedBytes, static_cast<cudaStream_t>(stream)>>>(params);
    return cudaGetLastError();
}

} // namespace attnscope

// Per-row exact top-k selection (the mask step of the `topk` variant), one block per query row:
//   1. score the row's allowed keys into shared memory (or a global scratch row when the row is
//      longer than kTopkSharedKeys), summed in the CPU's fixed order (score_kernel.cpp: eight
//      lanes over the head dim, lane l summing dims l, l + 8, ... by fma, the lanes added as
//      ((l0 + l1) + (l2 + l3)) + ((l4 + l5) + (l6 + l7)), then the d mod 8 leftover dims by fma),
//      with explicitly rounded intrinsics so nvcc cannot contract or reorder: the GPU sees the
//      same score bits as attn::scoreRow, hence the same ties and the same selection;
//   2. radix select over the order-preserving bits of the scores, 8 bits per pass (256 bins, one
//      per thread): four histogram passes find the k-th largest value exactly, and how many of
//      the values equal to it are still needed;
//   3. one ordered compaction pass: a key is kept when it is above the threshold or is one of
//      the first needed ties in index order (ties to the lower index, as selectTopIndices does),
//      and lands at (keys above before it) + min(ties before it, ties needed): ascending output.
// Step 1's score is row_select.cuh's exactScore, steps 2 and 3 its selectTopOfRow (shared with
// selection.cu).
// Runtime head dim (up to kAttnMaxHeadDim): the cost is in the selection passes, not worth an
// instance per bucket.

#include <cuda_runtime.h>

#include "attn_common.cuh"
#include "row_select.cuh"
#include "attnscope_kernels/attn_heuristics.h"
#include "attnscope_kernels/launch.h"
#include "attnscope_kernels/mask_predicates.h"
#include "attnscope_kernels/topk_params.h"

namespace attnscope {

namespace {

using row_select::exactScore;
using row_select::selectTopOfRow;

__global__ void __launch_bounds__(kTopkThreads) topkSelectKernel(const TopkSelectParams p)
{
    extern __shared__ float sharedScores[];
    __shared__ float query[kAttnMaxHeadDim];

    const int tid = threadIdx.x;
    const int head = blockIdx.y;
    const int slot = blockIdx.x;
    const int row = p.rowBegin + slot;

    int first = 0;
    int last = -1;
    modelAllowedRange(row, p.nTokens, p.causal, p.slidingWindow, &first, &last);
    const int length = last - first + 1;
    const int* rowPtr = p.rowPtr + head * p.rowPtrHeadStride;
    const int outBegin = rowPtr[row];
    const int count = rowPtr[row + 1] - outBegin;
    int* out = p.colIdx + head * p.colIdxHeadStride + outBegin;
    // Block-uniform exits, before any barrier.
    if (count <= 0 || length <= 0) {
        return;
    }
    if (count >= length) {
        for (int index = tid; index < length; index += kTopkThreads) {
            out[index] = first + index;
        }
        return;
    }

    const int kvHead = head / (p.nHeads / p.nKvHeads);
    const float* queryRow = p.q + head * p.qHeadStride + row * p.qRowStride;
    for (int dim = tid; dim < p.headDim; dim += kTopkThreads) {
        query[dim] = queryRow[dim];
    }
    __syncthreads();

    const float* kHead = p.k + kvHead * p.kHeadStride;
    const bool vectorised = p.headDim % 4 == 0 && p.kRowStride % 4 == 0 && p.kHeadStride % 4 == 0 &&
                            (reinterpret_cast<unsigned long long>(p.k) % 16) == 0;
    float* scores = topkNeedsScratch(p.nTokens, p.causal, p.slidingWindow)
                        ? p.scratch + (static_cast<long long>(head) * p.rowCount + slot) * p.scratchRowStride
                        : sharedScores;
    for (int index = tid; index < length; index += kTopkThreads) {
        scores[index] = exactScore(query, kHead + static_cast<long long>(first + index) * p.kRowStride,
                                   p.headDim, vectorised, p.scale, p.softcap);
    }
    __syncthreads();

    selectTopOfRow(scores, length, count, first, out);
}

} // namespace

int launchTopkSelect(const TopkSelectParams& params, void* stream)
{
    if (params.q == nullptr || params.k == nullptr || params.rowPtr == nullptr ||
        params.colIdx == nullptr || params.nTokens < 0 || params.nHeads <= 0 ||
        params.nKvHeads <= 0 || params.nHeads % params.nKvHeads != 0 || params.nHeads > 65535 ||
        params.headDim <= 0 || params.headDim > kAttnMaxHeadDim || params.topK < 0 ||
        params.rowBegin < 0 || params.rowCount < 0 ||
        params.rowBegin > params.nTokens - params.rowCount) {
        return cudaErrorInvalidValue;
    }
    const bool scratch = topkNeedsScratch(params.nTokens, params.causal, params.slidingWindow);
    if (scratch && (params.scratch == nullptr ||
                    params.scratchRowStride < topkMaxRowKeys(params.nTokens, params.causal,
                                                             params.slidingWindow))) {
        return cudaErrorInvalidValue;
    }
    if (params.rowCount == 0) {
        return cudaSuccess;
    }
    const dim3 grid(params.rowCount, params.nHeads);
    const int sharedBytes = topkSharedBytes(params.nTokens, params.causal, params.slidingWindow);
    topkSelectKernel<<<grid, kTopkThreads, sharedBytes, static_cast<cudaStream_t>(stream)>>>(params);
    return cudaGetLastError();
}

} // namespace attnscope

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
// Runtime head dim (up to kAttnMaxHeadDim): the cost is in the selection passes, not worth an
// instance per bucket.

#include <cuda_runtime.h>

#include "attn_common.cuh"
#include "attnscope_kernels/attn_heuristics.h"
#include "attnscope_kernels/launch.h"
#include "attnscope_kernels/mask_predicates.h"
#include "attnscope_kernels/topk_params.h"

namespace attnscope {

namespace {

constexpr int kRadixBits = 8;
constexpr int kRadixBins = 1 << kRadixBits;
constexpr int kTopkWarps = kTopkThreads / 32;
constexpr int kScoreLanes = 8;  // score_kernel.cpp's kLanes
static_assert(kTopkThreads == kRadixBins, "one histogram bin per thread");
static_assert(kRadixBins == 32 * 8, "warp 0 scans the bins, eight per lane");

/// Unsigned bits that sort like the float: larger float, larger bits. -0 is read as +0 first, so
/// that the two zeros tie as they do in the CPU's float comparisons.
__device__ __forceinline__ unsigned orderedBits(float value)
{
    const unsigned bits = __float_as_uint(value == 0.0f ? 0.0f : value);
    return (bits & 0x80000000u) != 0u ? ~bits : (bits | 0x80000000u);
}

/// The score of one key in the CPU's summation order (see the file comment).
__device__ __forceinline__ float exactScore(const float* query, const float* key, int headDim,
                                            bool vectorised, float scale, float softcap)
{
    const int chunks = headDim / kScoreLanes;
    float lane[kScoreLanes];
#pragma unroll
    for (int l = 0; l < kScoreLanes; ++l) {
        lane[l] = 0.0f;
    }
    for (int chunk = 0; chunk < chunks; ++chunk) {
        const int offset = chunk * kScoreLanes;
        float keyValues[kScoreLanes];
        if (vectorised) {
            const float4 low = *reinterpret_cast<const float4*>(key + offset);
            const float4 high = *reinterpret_cast<const float4*>(key + offset + 4);
            keyValues[0] = low.x;
            keyValues[1] = low.y;
            keyValues[2] = low.z;
            keyValues[3] = low.w;
            keyValues[4] = high.x;
            keyValues[5] = high.y;
            keyValues[6] = high.z;
            keyValues[7] = high.w;
        } else {
#pragma unroll
            for (int l = 0; l < kScoreLanes; ++l) {
                keyValues[l] = key[offset + l];
            }
        }
#pragma unroll
        for (int l = 0; l < kScoreLanes; ++l) {
            lane[l] = chunk == 0 ? __fmul_rn(query[offset + l], keyValues[l])
                                 : __fmaf_rn(query[offset + l], keyValues[l], lane[l]);
        }
    }
    float sum = __fadd_rn(__fadd_rn(__fadd_rn(lane[0], lane[1]), __fadd_rn(lane[2], lane[3])),
                          __fadd_rn(__fadd_rn(lane[4], lane[5]), __fadd_rn(lane[6], lane[7])));
    for (int dim = chunks * kScoreLanes; dim < headDim; ++dim) {
        sum = __fmaf_rn(query[dim], key[dim], sum);
    }
    const float score = __fmul_rn(sum, scale);
    return softcap > 0.0f ? __fmul_rn(softcap, tanhf(__fdiv_rn(score, softcap))) : score;
}

__global__ void __launch_bounds__(kTopkThreads) topkSelectKernel(const TopkSelectParams p)
{
    extern __shared__ float sharedScores[];
    __shared__ float query[kAttnMaxHeadDim];
    __shared__ unsigned histogram[kRadixBins];
    __shared__ unsigned warpCounts[2][kTopkWarps];
    __shared__ unsigned chosenBin;
    __shared__ int chosenRemaining;

    const int tid = threadIdx.x;
    const int warp = tid / 32;
    const int lane = tid % 32;
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

    // ---- Radix select: the count-th largest value's bits, most significant digit first ----
    unsigned prefix = 0u;
    unsigned prefixMask = 0u;
    int remaining = count;  // how many of the values matching `prefix` are still to be taken
    for (int shift = 32 - kRadixBits; shift >= 0; shift -= kRadixBits) {
        histogram[tid] = 0u;
        __syncthreads();
        for (int index = tid; index < length; index += kTopkThreads) {
            const unsigned bits = orderedBits(scores[index]);
            if ((bits & prefixMask) == prefix) {
                atomicAdd(&histogram[(bits >> shift) & (kRadixBins - 1)], 1u);
            }
        }
        __syncthreads();
        if (warp == 0) {
            // Lane l owns the bins 255 - 8l down to 248 - 8l: lanes in order walk the bins from
            // the largest values down, so an inclusive scan over lanes counts from the top.
            unsigned local[8];
            unsigned laneSum = 0u;
#pragma unroll
            for (int j = 0; j < 8; ++j) {
                local[j] = histogram[kRadixBins - 1 - 8 * lane - j];
                laneSum += local[j];
            }
            unsigned inclusive = laneSum;
#pragma unroll
            for (int offset = 1; offset < 32; offset <<= 1) {
                const unsigned other = __shfl_up_sync(kFullWarpMask, inclusive, offset);
                if (lane >= offset) {
                    inclusive += other;
                }
            }
            const unsigned reached =
                __ballot_sync(kFullWarpMask, inclusive >= static_cast<unsigned>(remaining));
            if (lane == __ffs(reached) - 1) {
                unsigned before = inclusive - laneSum;
                for (int j = 0; j < 8; ++j) {
                    if (before + local[j] >= static_cast<unsigned>(remaining)) {
                        chosenBin = static_cast<unsigned>(kRadixBins - 1 - 8 * lane - j);
                        chosenRemaining = remaining - static_cast<int>(before);
                        break;
                    }
                    before += local[j];
                }
            }
        }
        __syncthreads();
        // Read before warp 0 can write again: that needs both barriers of the next pass.
        prefix |= chosenBin << shift;
        prefixMask |= static_cast<unsigned>(kRadixBins - 1) << shift;
        remaining = chosenRemaining;
    }
    const unsigned threshold = prefix;
    const unsigned tiesWanted = static_cast<unsigned>(remaining);

    // ---- Ordered compaction: ascending key positions ----
    const unsigned lanesBelow = (1u << lane) - 1u;
    unsigned aboveSoFar = 0u;
    unsigned tiesSoFar = 0u;
    int buffer = 0;
    for (int base = 0; base < length; base += kTopkThreads) {
        const int index = base + tid;
        const unsigned bits = index < length ? orderedBits(scores[index]) : 0u;
        const bool above = index < length && bits > threshold;
        const bool tie = index < length && bits == threshold;
        const unsigned aboveBallot = __ballot_sync(kFullWarpMask, above);
        const unsigned tieBallot = __ballot_sync(kFullWarpMask, tie);
        if (lane == 0) {
            warpCounts[buffer][warp] = __popc(aboveBallot) | (__popc(tieBallot) << 16);
        }
        __syncthreads();
        unsigned aboveBefore = aboveSoFar + __popc(aboveBallot & lanesBelow);
        unsigned tiesBefore = tiesSoFar + __popc(tieBallot & lanesBelow);
        unsigned aboveTotal = 0u;
        unsigned tiesTotal = 0u;
#pragma unroll
        for (int w = 0; w < kTopkWarps; ++w) {
            const unsigned packed = warpCounts[buffer][w];
            if (w < warp) {
                aboveBefore += packed & 0xffffu;
                tiesBefore += packed >> 16;
            }
            aboveTotal += packed & 0xffffu;
            tiesTotal += packed >> 16;
        }
        if (above || (tie && tiesBefore < tiesWanted)) {
            out[aboveBefore + min(tiesBefore, tiesWanted)] = first + index;
        }
        aboveSoFar += aboveTotal;
        tiesSoFar += tiesTotal;
        // The other buffer next time: a thread can only write this one again after every thread
        // has passed the next barrier, i.e. finished reading it here.
        buffer ^= 1;
        if (aboveSoFar + min(tiesSoFar, tiesWanted) >= static_cast<unsigned>(count)) {
            break;  // block-uniform: every thread summed the same totals
        }
    }
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

#pragma once
// Device pieces of the per-row selection kernels (topk_select.cu, selection.cu), nvcc only: the
// exact score in the CPU's summation order, the radix select of a row's top keys with ordered
// compaction, a flag compaction in key order and block reductions. Every function here is called
// by all kTopkThreads threads of a block, with block-uniform arguments (they hold barriers).

#include <cuda_runtime.h>

#include "attn_common.cuh"
#include "attnscope_kernels/attn_heuristics.h"
#include "attnscope_kernels/selection_math.h"

namespace attnscope {

namespace row_select {

constexpr int kRadixBits = 8;
constexpr int kRadixBins = 1 << kRadixBits;
constexpr int kWarps = kTopkThreads / 32;
constexpr int kScoreLanes = 8;  // score_kernel.cpp's kLanes
static_assert(kTopkThreads == kRadixBins, "one histogram bin per thread");
static_assert(kRadixBins == 32 * 8, "warp 0 scans the bins, eight per lane");
static_assert(kTopkThreads % 32 == 0, "whole warps: the ballots use the full mask");

/// Unsigned bits that sort like the float (selection_math.h), -0 read as +0.
__device__ __forceinline__ unsigned orderedBits(float value)
{
    return orderedFloatBits(value);
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

/// The `count` (0 < count < length) largest of scores[0, length) written as key positions
/// first + index, ascending, to out[0, count): ties at the count-th value go to the lower index
/// (attn::selectTopIndices). scores may be shared or global memory; it is only read.
///   1. radix select over the order-preserving bits of the scores, 8 bits per pass (256 bins,
///      one per thread): four histogram passes find the count-th largest value exactly, and how
///      many of the values equal to it are still needed;
///   2. one ordered compaction pass: a key is kept when it is above the threshold or is one of
///      the first needed ties in index order, and lands at (keys above before it) +
///      min(ties before it, ties needed): ascending output.
__device__ inline void selectTopOfRow(const float* scores, int length, int count, int first, int* out)
{
    __shared__ unsigned histogram[kRadixBins];
    __shared__ unsigned warpCounts[2][kWarps];
    __shared__ unsigned chosenBin;
    __shared__ int chosenRemaining;
    constexpr int kTopkWarps = kWarps;

    const int tid = threadIdx.x;
    const int warp = tid / 32;
    const int lane = tid % 32;

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

/// For one chunk of a block-wide ordered pass (every thread one flag): how many threads of lower
/// index are flagged (returned) and how many in all (*total). counts is double-buffered shared
/// memory: pass buffer 0, 1, 0, ... on successive chunks, so that a thread can only write a buffer
/// again after every thread has passed the next barrier, i.e. finished reading it here.
__device__ inline unsigned countFlagsBefore(bool flag, unsigned (*counts)[kWarps], int buffer, unsigned* total)
{
    const int warp = threadIdx.x / 32;
    const int lane = threadIdx.x % 32;
    const unsigned ballot = __ballot_sync(kFullWarpMask, flag);
    if (lane == 0) {
        counts[buffer][warp] = __popc(ballot);
    }
    __syncthreads();
    unsigned before = __popc(ballot & ((1u << lane) - 1u));
    unsigned all = 0u;
#pragma unroll
    for (int w = 0; w < kWarps; ++w) {
        const unsigned here = counts[buffer][w];
        if (w < warp) {
            before += here;
        }
        all += here;
    }
    *total = all;
    return before;
}

/// Writes first + index, ascending, to out for every index in [0, length) with keep(index), and
/// returns how many there are (out may be null: count only). keep must be a pure function of the
/// index for the block (the count and the write passes then agree).
template <typename Keep>
__device__ inline int compactAscending(int length, int first, int* out, Keep keep)
{
    __shared__ unsigned warpCounts[2][kWarps];
    unsigned soFar = 0u;
    int buffer = 0;
    for (int base = 0; base < length; base += kTopkThreads) {
        const int index = base + static_cast<int>(threadIdx.x);
        const bool flag = index < length && keep(index);
        unsigned total = 0u;
        const unsigned before = soFar + countFlagsBefore(flag, warpCounts, buffer, &total);
        if (flag && out != nullptr) {
            out[before] = first + index;
        }
        soFar += total;
        buffer ^= 1;
    }
    __syncthreads();  // the counts are free again: a following call may reuse them at once
    return static_cast<int>(soFar);
}

/// Like compactAscending, for keys ranked by an order-preserving image `bitsOf(index)` against a
/// threshold image: kept are the keys above it, the first `tiesTaken` keys equal to it (in index
/// order), and any index with extra(index). Returns the kept count.
template <typename BitsOf, typename Extra>
__device__ inline int compactAboveAndTies(int length, int first, int* out, BitsOf bitsOf, unsigned threshold,
                                          int tiesTaken, Extra extra)
{
    __shared__ unsigned tieCounts[2][kWarps];
    __shared__ unsigned keptCounts[2][kWarps];
    unsigned tiesSoFar = 0u;
    unsigned keptSoFar = 0u;
    int buffer = 0;
    for (int base = 0; base < length; base += kTopkThreads) {
        const int index = base + static_cast<int>(threadIdx.x);
        const unsigned bits = index < length ? bitsOf(index) : 0u;
        const bool tie = index < length && bits == threshold;
        unsigned tiesTotal = 0u;
        const unsigned tiesBefore = tiesSoFar + countFlagsBefore(tie, tieCounts, buffer, &tiesTotal);
        const bool keep = index < length && (bits > threshold ||
                                             (tie && tiesBefore < static_cast<unsigned>(tiesTaken)) || extra(index));
        unsigned keptTotal = 0u;
        const unsigned before = keptSoFar + countFlagsBefore(keep, keptCounts, buffer, &keptTotal);
        if (keep && out != nullptr) {
            out[before] = first + index;
        }
        tiesSoFar += tiesTotal;
        keptSoFar += keptTotal;
        buffer ^= 1;
    }
    __syncthreads();  // as in compactAscending
    return static_cast<int>(keptSoFar);
}

/// The block's values combined by `op` in a fixed tree order (every thread passes one and gets
/// the result; the same bits on every call with the same inputs). `scratch` is kTopkThreads
/// doubles of shared memory, free again on return.
template <typename Op>
__device__ inline double blockReduce(double value, double* scratch, Op op)
{
    const int tid = threadIdx.x;
    scratch[tid] = value;
    __syncthreads();
    for (int stride = kTopkThreads / 2; stride > 0; stride >>= 1) {
        if (tid < stride) {
            scratch[tid] = op(scratch[tid], scratch[tid + stride]);
        }
        __syncthreads();
    }
    const double result = scratch[0];
    __syncthreads();
    return result;
}

__device__ inline double blockMax(double value, double* scratch)
{
    return blockReduce(value, scratch, [](double a, double b) { return a < b ? b : a; });
}

__device__ inline double blockSum(double value, double* scratch)
{
    return blockReduce(value, scratch, [](double a, double b) { return a + b; });
}

} // namespace row_select

} // namespace attnscope

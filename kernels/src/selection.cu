// The mask steps of the score-selecting variants (issue #7), params in selection_params.h:
//  - rowSelectKernel (threshold, dsa): one block per selection row scores its candidate keys
//    into shared memory (a global scratch row when longer than kTopkSharedKeys), exactly as the
//    top-k kernel does (row_select.cuh's exactScore: the CPU's bits) or as predicted low-rank
//    scores, then keeps the top count (selectTopOfRow, the top-k kernel's radix select), the keys
//    within delta of the row maximum, or the keys of probability >= p. The last two are counted
//    first (one launch), the caller turns the counts into row offsets, and a second launch writes
//    the keys in ascending order (compactAscending): the same pure keep() decides both times.
//  - SAC's global top-(alpha·N): sacKeysKernel writes every allowed pair's proxy key (row
//    log-softmax of predicted score + distance prior, Gumbel noise) in allowed-set CSR order;
//    sacHistogramKernel counts one 8-bit digit of the keys' order-preserving bits at a time, the
//    host picks the digit (pickRadixBin) four times to find the budget-th largest key exactly and
//    how many keys equal to it are still wanted; sacRowsKernel then counts each row's keys above
//    and equal to that threshold, the host hands the wanted ties to the earliest rows (row-major
//    order, the CPU's tie rule), and two more launches count and write the kept keys per row.
// Runtime head dim / rank up to kAttnMaxHeadDim; kTopkThreads threads per block throughout.

#include <cuda_runtime.h>
#include <math_constants.h>

#include "attn_common.cuh"
#include "row_select.cuh"
#include "attnscope_kernels/attn_heuristics.h"
#include "attnscope_kernels/launch.h"
#include "attnscope_kernels/mask_predicates.h"
#include "attnscope_kernels/selection_math.h"
#include "attnscope_kernels/selection_params.h"

namespace attnscope {

namespace {

using row_select::blockMax;
using row_select::blockSum;
using row_select::compactAboveAndTies;
using row_select::compactAscending;
using row_select::exactScore;
using row_select::selectTopOfRow;

constexpr int kHistogramBins = 256;
static_assert(kTopkThreads == kHistogramBins, "one histogram bin per thread");

/// scale · q~·k~ over `rank` dims: one fma chain in dimension order, then the scale.
__device__ __forceinline__ float predictedScore(const float* query, const float* key, int rank, float scale)
{
    float sum = 0.0f;
    for (int dim = 0; dim < rank; ++dim) {
        sum = __fmaf_rn(query[dim], key[dim], sum);
    }
    return __fmul_rn(sum, scale);
}

__global__ void __launch_bounds__(kTopkThreads) rowSelectKernel(const RowSelectParams p)
{
    extern __shared__ float sharedScores[];
    __shared__ float query[kAttnMaxHeadDim];
    __shared__ double reduction[kTopkThreads];

    const int tid = threadIdx.x;
    const int slot = blockIdx.x;
    const int row = p.rowBegin + slot;
    const int first = p.keyFirst[row];
    const int length = p.keyCount[row];
    const bool counting = p.counts != nullptr;
    int outBegin = 0;
    int count = 0;
    // Block-uniform exits, before any barrier.
    if (p.rule == RowSelectRule::TopCount) {
        outBegin = p.rowPtr[row];
        count = p.rowPtr[row + 1] - outBegin;
        if (count <= 0 || length <= 0) {
            return;
        }
        if (count >= length) {
            for (int index = tid; index < length; index += kTopkThreads) {
                p.colIdx[outBegin + index] = first + index;
            }
            return;
        }
    } else if (length <= 0) {
        if (counting && tid == 0) {
            p.counts[row] = 0;
        }
        return;
    } else if (!counting) {
        outBegin = p.rowPtr[row];
    }
    int* out = counting ? nullptr : p.colIdx + outBegin;

    const float* queryRow = p.q + static_cast<long long>(row) * p.qRowStride;
    for (int dim = tid; dim < p.headDim; dim += kTopkThreads) {
        query[dim] = queryRow[dim];
    }
    __syncthreads();

    const bool vectorised = !p.lowRank && p.headDim % 4 == 0 && p.kRowStride % 4 == 0 &&
                            (reinterpret_cast<unsigned long long>(p.k) % 16) == 0;
    float* scores = p.maxKeys > kTopkSharedKeys ? p.scratch + static_cast<long long>(slot) * p.scratchRowStride
                                                : sharedScores;
    for (int index = tid; index < length; index += kTopkThreads) {
        const float* key = p.k + static_cast<long long>(first + index) * p.kRowStride;
        scores[index] = p.lowRank ? predictedScore(query, key, p.headDim, p.scale)
                                  : exactScore(query, key, p.headDim, vectorised, p.scale, p.softcap);
    }
    __syncthreads();

    if (p.rule == RowSelectRule::TopCount) {
        selectTopOfRow(scores, length, count, first, out);
        return;
    }
    // The row maximum is exact in any order (a float kept in a double).
    double localMax = -CUDART_INF;
    for (int index = tid; index < length; index += kTopkThreads) {
        localMax = fmax(localMax, static_cast<double>(scores[index]));
    }
    const float maxScore = static_cast<float>(blockMax(localMax, reduction));
    double sum = 1.0;
    if (p.rule == RowSelectRule::MinProbability) {
        double localSum = 0.0;
        for (int index = tid; index < length; index += kTopkThreads) {
            localSum += exp(static_cast<double>(scores[index]) - static_cast<double>(maxScore));
        }
        sum = blockSum(localSum, reduction);
    }
    const bool byDelta = p.rule == RowSelectRule::WithinDelta;
    const int kept = compactAscending(length, first, out, [&](int index) {
        const float score = scores[index];
        return byDelta ? withinDeltaOfMax(score, maxScore, p.delta)
                       : exp(static_cast<double>(score) - static_cast<double>(maxScore)) / sum >= p.minProbability;
    });
    if (counting && tid == 0) {
        p.counts[row] = kept;
    }
}

__global__ void __launch_bounds__(kTopkThreads) sacKeysKernel(const SacKeysParams p)
{
    __shared__ float query[kAttnMaxHeadDim];
    __shared__ double reduction[kTopkThreads];

    const int tid = threadIdx.x;
    const int row = p.rowBegin + static_cast<int>(blockIdx.x);
    int first = 0;
    int last = -1;
    modelAllowedRange(row, p.nTokens, p.causal, p.slidingWindow, &first, &last);
    const int length = last - first + 1;
    if (length <= 0) {
        return;  // block-uniform
    }
    float* keys = p.keys + p.rowOffset[row];
    const float* queryRow = p.q + static_cast<long long>(row) * p.rank;
    for (int dim = tid; dim < p.rank; dim += kTopkThreads) {
        query[dim] = queryRow[dim];
    }
    __syncthreads();

    // Each thread owns the indices tid, tid + kTopkThreads, ...: it only rereads its own writes
    // between the barriers of the reductions.
    double localMax = -CUDART_INF;
    for (int index = tid; index < length; index += kTopkThreads) {
        const int keyPos = first + index;
        float score = predictedScore(query, p.k + static_cast<long long>(keyPos) * p.rank, p.rank, p.scale);
        if (p.beta != 0.0) {
            score = __fadd_rn(score, static_cast<float>(p.beta * sacDistancePrior(row, keyPos)));
        }
        keys[index] = score;
        localMax = fmax(localMax, static_cast<double>(score));
    }
    const float maxScore = static_cast<float>(blockMax(localMax, reduction));
    double localSum = 0.0;
    for (int index = tid; index < length; index += kTopkThreads) {
        const float shifted = __fsub_rn(keys[index], maxScore);
        keys[index] = shifted;
        localSum += static_cast<double>(expf(shifted));
    }
    const double logTotal = log(blockSum(localSum, reduction));
    for (int index = tid; index < length; index += kTopkThreads) {
        double key = fmax(static_cast<double>(keys[index]) - logTotal, p.logFloor);
        if (p.tau > 0.0) {
            const double u = hashUniform01(p.noiseKey, static_cast<unsigned long long>(row),
                                           static_cast<unsigned long long>(first + index));
            key += p.tau * -log(-log(fmax(u, 1e-300)));
        }
        keys[index] = static_cast<float>(key);
    }
}

__global__ void __launch_bounds__(kTopkThreads) sacHistogramKernel(const SacHistogramParams p)
{
    __shared__ unsigned bins[kHistogramBins];
    const int tid = threadIdx.x;
    bins[tid] = 0u;
    __syncthreads();
    const long long stride = static_cast<long long>(gridDim.x) * kTopkThreads;
    for (long long index = static_cast<long long>(blockIdx.x) * kTopkThreads + tid; index < p.count;
         index += stride) {
        const unsigned bits = orderedFloatBits(p.keys[index]);
        if ((bits & p.prefixMask) == p.prefix) {
            atomicAdd(&bins[(bits >> p.shift) & (kHistogramBins - 1)], 1u);
        }
    }
    __syncthreads();
    if (bins[tid] != 0u) {
        atomicAdd(&p.histogram[tid], static_cast<unsigned long long>(bins[tid]));
    }
}

__global__ void __launch_bounds__(kTopkThreads) sacRowsKernel(const SacRowsParams p)
{
    const int tid = threadIdx.x;
    const int row = p.rowBegin + static_cast<int>(blockIdx.x);
    int first = 0;
    int last = -1;
    modelAllowedRange(row, p.nTokens, p.causal, p.slidingWindow, &first, &last);
    const int length = last - first + 1;
    if (length <= 0) {  // block-uniform
        if (tid == 0 && p.mode == SacRowMode::CountAboveTies) {
            p.above[row] = 0;
            p.ties[row] = 0;
        } else if (tid == 0 && p.mode == SacRowMode::CountKept) {
            p.counts[row] = 0;
        }
        return;
    }
    const float* keys = p.keys + p.rowOffset[row];
    const unsigned threshold = p.threshold;
    const bool none = p.selectNone;
    if (p.mode == SacRowMode::CountAboveTies) {
        const int above = compactAscending(length, first, nullptr, [&](int index) {
            return !none && orderedFloatBits(keys[index]) > threshold;
        });
        const int ties = compactAscending(length, first, nullptr, [&](int index) {
            return !none && orderedFloatBits(keys[index]) == threshold;
        });
        if (tid == 0) {
            p.above[row] = above;
            p.ties[row] = ties;
        }
        return;
    }
    int* out = p.mode == SacRowMode::Write ? p.colIdx + p.rowPtr[row] : nullptr;
    const int selfIndex = row - first;
    const bool selfLoop = p.selfLoop;
    const auto diagonal = [&](int index) { return selfLoop && index == selfIndex; };
    const int kept = none ? compactAscending(length, first, out, diagonal)
                          : compactAboveAndTies(
                                length, first, out, [&](int index) { return orderedFloatBits(keys[index]); },
                                threshold, p.tiesTaken[row], diagonal);
    if (tid == 0 && p.mode == SacRowMode::CountKept) {
        p.counts[row] = kept;
    }
}

// Rows [rowBegin, rowBegin + rowCount) of a grid of one block per row, within [0, nTokens).
bool rowsWithin(int rowBegin, int rowCount, int nTokens)
{
    return nTokens >= 0 && rowBegin >= 0 && rowCount >= 0 && rowBegin <= nTokens - rowCount;
}

// The common tail of the per-row launchers: refuse, skip an empty grid, or launch one block of
// kTopkThreads per row.
template <typename Params>
int launchPerRow(void (*kernel)(Params), const Params& params, bool valid, int sharedBytes, void* stream)
{
    if (!valid) {
        return cudaErrorInvalidValue;
    }
    if (params.rowCount == 0) {
        return cudaSuccess;
    }
    kernel<<<params.rowCount, kTopkThreads, sharedBytes, static_cast<cudaStream_t>(stream)>>>(params);
    return cudaGetLastError();
}

} // namespace

int launchRowSelect(const RowSelectParams& params, void* stream)
{
    const bool twoPass = params.rule != RowSelectRule::TopCount;
    const bool scratch = params.maxKeys > kTopkSharedKeys;
    const bool valid =
        params.q != nullptr && params.k != nullptr && params.keyFirst != nullptr && params.keyCount != nullptr &&
        params.headDim > 0 && params.headDim <= kAttnMaxHeadDim && params.maxKeys >= 0 &&
        rowsWithin(params.rowBegin, params.rowCount, 0x7fffffff) &&
        (params.counts != nullptr || (params.rowPtr != nullptr && params.colIdx != nullptr)) &&
        (twoPass || params.counts == nullptr) &&
        (!scratch || (params.scratch != nullptr && params.scratchRowStride >= params.maxKeys));
    const int sharedBytes = scratch ? 0 : static_cast<int>(sizeof(float)) * params.maxKeys;
    return launchPerRow(rowSelectKernel, params, valid, sharedBytes, stream);
}

int launchSacKeys(const SacKeysParams& params, void* stream)
{
    const bool valid = params.q != nullptr && params.k != nullptr && params.rowOffset != nullptr &&
                       params.keys != nullptr && params.rank > 0 && params.rank <= kAttnMaxHeadDim &&
                       rowsWithin(params.rowBegin, params.rowCount, params.nTokens);
    return launchPerRow(sacKeysKernel, params, valid, 0, stream);
}

int launchSacHistogram(const SacHistogramParams& params, void* stream)
{
    if (params.keys == nullptr || params.histogram == nullptr || params.count < 0 || params.shift < 0 ||
        params.shift > 24) {
        return cudaErrorInvalidValue;
    }
    if (params.count == 0) {
        return cudaSuccess;
    }
    // Enough blocks to fill the device; each strides over the rest.
    constexpr long long kMaxBlocks = 4096;
    const long long needed = (params.count + kTopkThreads - 1) / kTopkThreads;
    const int blocks = static_cast<int>(needed < kMaxBlocks ? needed : kMaxBlocks);
    sacHistogramKernel<<<blocks, kTopkThreads, 0, static_cast<cudaStream_t>(stream)>>>(params);
    return cudaGetLastError();
}

int launchSacRows(const SacRowsParams& params, void* stream)
{
    const bool modeValid =
        (params.mode == SacRowMode::CountAboveTies && params.above != nullptr && params.ties != nullptr) ||
        (params.mode == SacRowMode::CountKept && params.counts != nullptr &&
         (params.selectNone || params.tiesTaken != nullptr)) ||
        (params.mode == SacRowMode::Write && params.rowPtr != nullptr && params.colIdx != nullptr &&
         (params.selectNone || params.tiesTaken != nullptr));
    const bool valid = modeValid && params.keys != nullptr && params.rowOffset != nullptr &&
                       rowsWithin(params.rowBegin, params.rowCount, params.nTokens);
    return launchPerRow(sacRowsKernel, params, valid, 0, stream);
}

} // namespace attnscope

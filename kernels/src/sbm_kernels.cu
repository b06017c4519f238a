// The sbm variant's mask on the GPU (issue #7), with the per-element math of sbm_sampling.h that
// the CPU path runs too:
//   sbmAssignKernel  one thread per (point, cluster) logit, then one thread per point for its
//                    nearest centroid (first maximum);
//   sbmSampleKernel  one block per query row: the row's draws (thread t takes draws t, t + 256,
//                    ...) and its floor keys set bits of a shared-memory bitset over the row's
//                    allowed keys (atomicOr: duplicates collapse, order does not matter); then
//                    either the row's count (count pass) or its keys in ascending order at
//                    rowPtr[row] (write pass: each thread owns a contiguous run of words, an
//                    exclusive scan of the runs' counts gives each its offset).
// Counter-based draws make the two passes see the same draws without storing them.

#include <cuda_runtime.h>

#include "attnscope_kernels/launch_sbm.h"
#include "attnscope_kernels/mask_predicates.h"
#include "attnscope_kernels/sbm_params.h"
#include "attnscope_kernels/sbm_sampling.h"

namespace attnscope {

namespace {

static_assert(kSbmThreads == 256, "the scan below is sized for 256 threads");

__global__ void __launch_bounds__(kSbmThreads) sbmLogitsKernel(const SbmAssignParams p)
{
    const long long index = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x;
    const long long total = static_cast<long long>(p.pointCount) * p.clusters;
    if (index >= total) {
        return;
    }
    const long long point = index / p.clusters;
    const int cluster = static_cast<int>(index - point * p.clusters);
    p.logits[index] = sbmLogit(p.points + point * p.dim, p.centroids + static_cast<long long>(cluster) * p.dim,
                               p.dim);
}

__global__ void __launch_bounds__(kSbmThreads) sbmNearestKernel(const SbmAssignParams p)
{
    const long long point = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (point >= p.pointCount) {
        return;
    }
    p.assignment[point] = sbmNearestCentroid(p.logits + point * p.clusters, p.clusters);
}

__global__ void __launch_bounds__(kSbmThreads) sbmSampleKernel(const SbmSampleParams p)
{
    extern __shared__ unsigned long long bits[];
    __shared__ int runCounts[kSbmThreads];

    const int tid = threadIdx.x;
    const int row = blockIdx.x;
    int first = 0;
    int last = -1;
    modelAllowedRange(row, p.nTokens, p.causal, p.slidingWindow, &first, &last);
    const int length = last - first + 1;
    if (length <= 0) {  // block-uniform, before any barrier
        if (p.rowPtr == nullptr && tid == 0) {
            p.rowCounts[row] = 0;
        }
        return;
    }
    const int words = (length + 63) / 64;
    for (int word = tid; word < words; word += kSbmThreads) {
        bits[word] = 0ull;
    }
    __syncthreads();

    // ---- fastRG draws ----
    const long long stride = static_cast<long long>(p.nTokens) + 1;
    const double* keep = p.aliasKeep + static_cast<long long>(row) * p.clusters;
    const int* alias = p.aliasIndex + static_cast<long long>(row) * p.clusters;
    const int draws = p.drawCount[row];
    for (int draw = tid; draw < draws; draw += kSbmThreads) {
        const int cluster = aliasDraw(keep, alias, p.clusters, sbmRowUniform(p.clusterKey, row, draw));
        const double* column = p.prefix + cluster * stride;
        const double target = sbmDrawTarget(column, first, last, sbmRowUniform(p.targetKey, row, draw));
        const int offset = sbmKeyAt(column, first, last, target) - first;
        atomicOr(&bits[offset >> 6], 1ull << (offset & 63));
    }

    // ---- Floor ----
    if (p.floorMode == kSbmFloorEvery) {
        for (int word = tid; word < words; word += kSbmThreads) {
            const int tail = length - word * 64;
            atomicOr(&bits[word], tail >= 64 ? ~0ull : (1ull << tail) - 1ull);
        }
    } else if (p.floorMode == kSbmFloorGeometric && tid == 0) {
        // Sequential by nature (each gap starts where the last ended): floor·length steps.
        double position = -1.0;
        for (unsigned long long step = 0;; ++step) {
            position = sbmFloorNext(position, p.floorKey, row, step, p.logSkip);
            if (position >= static_cast<double>(length)) {
                break;
            }
            const int offset = static_cast<int>(position);
            atomicOr(&bits[offset >> 6], 1ull << (offset & 63));
        }
    }
    __syncthreads();

    // ---- Count, then (write pass) ascending keys ----
    const int run = (words + kSbmThreads - 1) / kSbmThreads;
    const int runBegin = min(words, tid * run);
    const int runEnd = min(words, runBegin + run);
    int count = 0;
    for (int word = runBegin; word < runEnd; ++word) {
        count += __popcll(bits[word]);
    }
    runCounts[tid] = count;
    __syncthreads();
    if (tid == 0) {
        int running = 0;
        for (int index = 0; index < kSbmThreads; ++index) {
            const int value = runCounts[index];
            runCounts[index] = running;
            running += value;
        }
        if (p.rowPtr == nullptr) {
            p.rowCounts[row] = running;
        }
    }
    __syncthreads();
    if (p.rowPtr == nullptr) {
        return;
    }
    int* out = p.colIdx + p.rowPtr[row] + runCounts[tid];
    for (int word = runBegin; word < runEnd; ++word) {
        unsigned long long value = bits[word];
        while (value != 0ull) {
            const int bit = __ffsll(static_cast<long long>(value)) - 1;
            *out++ = first + word * 64 + bit;
            value &= value - 1ull;
        }
    }
}

} // namespace

int launchSbmAssign(const SbmAssignParams& params, void* stream)
{
    if (params.points == nullptr || params.centroids == nullptr || params.logits == nullptr ||
        params.assignment == nullptr || params.pointCount < 0 || params.dim <= 0 || params.clusters <= 0) {
        return cudaErrorInvalidValue;
    }
    if (params.pointCount == 0) {
        return cudaSuccess;
    }
    const long long logits = static_cast<long long>(params.pointCount) * params.clusters;
    const long long logitBlocks = (logits + kSbmThreads - 1) / kSbmThreads;
    if (logitBlocks > 0x7FFFFFFFLL) {
        return cudaErrorInvalidValue;
    }
    const cudaStream_t cudaStream = static_cast<cudaStream_t>(stream);
    sbmLogitsKernel<<<static_cast<unsigned>(logitBlocks), kSbmThreads, 0, cudaStream>>>(params);
    if (const cudaError_t error = cudaGetLastError(); error != cudaSuccess) {
        return error;
    }
    const int pointBlocks = (params.pointCount + kSbmThreads - 1) / kSbmThreads;
    sbmNearestKernel<<<pointBlocks, kSbmThreads, 0, cudaStream>>>(params);
    return cudaGetLastError();
}

int launchSbmSample(const SbmSampleParams& params, void* stream)
{
    const bool writePass = params.rowPtr != nullptr;
    if (params.prefix == nullptr || params.aliasKeep == nullptr || params.aliasIndex == nullptr ||
        params.drawCount == nullptr || (writePass ? params.colIdx == nullptr : params.rowCounts == nullptr) ||
        params.nTokens < 0 || params.clusters <= 0 ||
        (params.floorMode != kSbmFloorNone && params.floorMode != kSbmFloorEvery &&
         params.floorMode != kSbmFloorGeometric) ||
        (params.floorMode == kSbmFloorGeometric && !(params.logSkip < 0.0)) ||
        sbmSampleSharedBytes(params.nTokens) > kSbmMaxSharedBytes) {
        return cudaErrorInvalidValue;
    }
    if (params.nTokens == 0) {
        return cudaSuccess;
    }
    const int sharedBytes = static_cast<int>(sbmSampleSharedBytes(params.nTokens));
    sbmSampleKernel<<<params.nTokens, kSbmThreads, sharedBytes, static_cast<cudaStream_t>(stream)>>>(params);
    return cudaGetLastError();
}

} // namespace attnscope

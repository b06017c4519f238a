// Feature-map kernels (issue #7): FAVOR+ features (performer, SEA's estimate), Fastmax's factorised
// features (fast) and the linear attention over either, causal or sliding-window by a running state
// that the host steps chunk by chunk (feature_map_math.h). Deliberately plain: one block per row
// with shared-memory tree reductions, or one thread per output element; runtime head dim and
// feature count (one instance per kernel). The linear attention accumulates in f64 as the CPU does.

#include <cuda_runtime.h>
#include <math_constants.h>

#include "attnscope_kernels/feature_map_math.h"
#include "attnscope_kernels/launch_feature_map.h"
#include "attnscope_kernels/mask_predicates.h"
#include "row_select.cuh"

namespace attnscope {

namespace {

// Block reductions are row_select.cuh's (fixed tree order over kTopkThreads threads).
using row_select::blockMax;
using row_select::blockSum;
constexpr int kFeatureThreads = kTopkThreads;
constexpr int kLinearThreads = kTopkThreads;
constexpr int kElementThreads = 256;
constexpr int kMaxElementBlocks = 8192;
// Dynamic shared memory: a row of headDim floats (logits) or headDim + 1 doubles (linear chunk).
constexpr int kMaxHeadDim = 4096;
static_assert((kTopkThreads & (kTopkThreads - 1)) == 0, "tree reductions need a power of two");
static_assert((kMaxHeadDim + 1) * 8 + kLinearThreads * 8 <= 48 * 1024, "shared memory of the chunk kernel");

// One block per row: the row (minus the mean) in shared memory, ‖x‖² by a block sum (f64), then
// each thread the logits of features tid, tid + blockDim, ... and the row's max.
__global__ void __launch_bounds__(kFeatureThreads) performerLogitsKernel(const PerformerLogitsParams p)
{
    extern __shared__ float row[];
    __shared__ double scratch[kFeatureThreads];
    const int tid = threadIdx.x;
    const int r = blockIdx.x;
    const float* x = p.x + static_cast<long long>(r) * p.headDim;
    double squares = 0.0;
    for (int dim = tid; dim < p.headDim; dim += kFeatureThreads) {
        const float value = p.mean != nullptr ? __fsub_rn(x[dim], p.mean[dim]) : x[dim];
        row[dim] = value;
        squares += static_cast<double>(value) * value;
    }
    // Also the barrier after which `row` is complete.
    const double squaredNorm = blockSum(squares, scratch);
    const float halfNorm = performerHalfNorm(p.scale, static_cast<float>(squaredNorm));
    const float rootScale = __fsqrt_rn(p.scale);
    float* logits = p.logits + static_cast<long long>(r) * p.features;
    float localMax = -CUDART_INF_F;
    for (int feature = tid; feature < p.features; feature += kFeatureThreads) {
        float dot = 0.0f;
        for (int dim = 0; dim < p.headDim; ++dim) {
            dot = __fmaf_rn(row[dim], p.projectionT[static_cast<long long>(dim) * p.features + feature], dot);
        }
        const float logit = __fsub_rn(__fmul_rn(dot, rootScale), halfNorm);
        logits[feature] = logit;
        localMax = fmaxf(localMax, logit);
    }
    // Max of floats through double: exact.
    const float rowMax = static_cast<float>(blockMax(localMax, scratch));
    if (tid == 0) {
        p.rowMax[r] = rowMax;
    }
}

// One block: the max of rowMax over all rows.
__global__ void __launch_bounds__(kFeatureThreads) globalMaxKernel(const PerformerExpParams p)
{
    __shared__ double scratch[kFeatureThreads];
    float localMax = -CUDART_INF_F;
    for (int r = threadIdx.x; r < p.nRows; r += kFeatureThreads) {
        localMax = fmaxf(localMax, p.rowMax[r]);
    }
    const float total = static_cast<float>(blockMax(localMax, scratch));
    if (threadIdx.x == 0) {
        *p.globalMax = total;
    }
}

__global__ void __launch_bounds__(kElementThreads) performerExpKernel(const PerformerExpParams p)
{
    const long long total = static_cast<long long>(p.nRows) * p.features;
    const float norm = __fdiv_rn(1.0f, __fsqrt_rn(static_cast<float>(p.features)));
    const float globalShift = p.perRowShift ? 0.0f : *p.globalMax;
    for (long long index = static_cast<long long>(blockIdx.x) * kElementThreads + threadIdx.x; index < total;
         index += static_cast<long long>(gridDim.x) * kElementThreads) {
        const float shift = p.perRowShift ? p.rowMax[index / p.features] : globalShift;
        p.logits[index] = performerFeature(p.logits[index], shift, norm);
    }
}

__global__ void __launch_bounds__(kElementThreads) fastmaxFeaturesKernel(const FastmaxFeaturesParams p)
{
    const long long total = static_cast<long long>(p.nRows) * p.featureCount;
    for (long long index = static_cast<long long>(blockIdx.x) * kElementThreads + threadIdx.x; index < total;
         index += static_cast<long long>(gridDim.x) * kElementThreads) {
        const long long r = index / p.featureCount;
        const long long feature = index - r * p.featureCount;
        p.features[index] = static_cast<float>(
            fastmaxFeature(feature, p.x + r * p.headDim, p.headDim, p.c0, p.c1, p.c2));
    }
}

// One thread per state element (feature f, column e): e < headDim accumulates φk_f·v_e, the last
// column φk_f (the denominator's state). Keys in order, added then removed, in f64.
__global__ void __launch_bounds__(kElementThreads) linearAttnUpdateKernel(const LinearAttnParams p)
{
    const int width = p.headDim + 1;
    const long long total = static_cast<long long>(p.features) * width;
    for (long long index = static_cast<long long>(blockIdx.x) * kElementThreads + threadIdx.x; index < total;
         index += static_cast<long long>(gridDim.x) * kElementThreads) {
        const long long feature = index / width;
        const int column = static_cast<int>(index - feature * width);
        double sum = p.state[index];
        for (int key = p.addBegin; key < p.addEnd; ++key) {
            const double phi = p.keyFeatures[static_cast<long long>(key) * p.features + feature];
            const double value = column < p.headDim ? p.values[static_cast<long long>(key) * p.headDim + column] : 1.0;
            sum += phi * value;
        }
        for (int key = p.removeBegin; key < p.removeEnd; ++key) {
            const double phi = p.keyFeatures[static_cast<long long>(key) * p.features + feature];
            const double value = column < p.headDim ? p.values[static_cast<long long>(key) * p.headDim + column] : 1.0;
            sum -= phi * value;
        }
        p.state[index] = sum;
    }
}

// One block per row of the chunk: acc = φq·state (each thread its own columns), then each key of
// the row's range outside the state interval: w = φq·φk (block sum), acc += w·[v ‖ 1]. Each
// thread only ever touches the columns e ≡ tid (mod blockDim) of acc until the final barrier.
__global__ void __launch_bounds__(kLinearThreads) linearAttnChunkKernel(const LinearAttnParams p)
{
    extern __shared__ double acc[];
    __shared__ double scratch[kLinearThreads];
    const int tid = threadIdx.x;
    const int row = p.rowBegin + blockIdx.x;
    const int width = p.headDim + 1;
    const float* query = p.queryFeatures + static_cast<long long>(row) * p.features;
    for (int column = tid; column < width; column += kLinearThreads) {
        double sum = 0.0;
        for (int feature = 0; feature < p.features; ++feature) {
            sum += static_cast<double>(query[feature]) * p.state[static_cast<long long>(feature) * width + column];
        }
        acc[column] = sum;
    }
    int first = 0;
    int last = -1;
    modelAllowedRange(row, p.nTokens, p.causal, p.slidingWindow, &first, &last);
    int segments[4];
    linearDirectSegments(first, last, p.stateBegin, p.stateEnd, segments);
    for (int segment = 0; segment < 2; ++segment) {
        for (int key = segments[2 * segment]; key < segments[2 * segment + 1]; ++key) {
            const float* keyRow = p.keyFeatures + static_cast<long long>(key) * p.features;
            double partial = 0.0;
            for (int feature = tid; feature < p.features; feature += kLinearThreads) {
                partial += static_cast<double>(query[feature]) * keyRow[feature];
            }
            const double weight = blockSum(partial, scratch);
            const float* value = p.values + static_cast<long long>(key) * p.headDim;
            for (int column = tid; column < width; column += kLinearThreads) {
                acc[column] += weight * (column < p.headDim ? static_cast<double>(value[column]) : 1.0);
            }
        }
    }
    __syncthreads();
    const double denominator = acc[p.headDim];
    const bool usable = p.positiveOnly ? denominator > 0.0 : denominator != 0.0;
    float* out = p.out + static_cast<long long>(row) * p.headDim;
    for (int column = tid; column < p.headDim; column += kLinearThreads) {
        out[column] = usable ? static_cast<float>(acc[column] / denominator) : 0.0f;
    }
    if (tid == 0) {
        p.denominators[row] = denominator;
    }
}

int elementBlocks(long long total)
{
    const long long blocks = (total + kElementThreads - 1) / kElementThreads;
    return static_cast<int>(blocks < kMaxElementBlocks ? blocks : kMaxElementBlocks);
}

bool validInterval(int begin, int end, int nTokens)
{
    return begin >= 0 && end >= begin && end <= nTokens;
}

} // namespace

int launchPerformerLogits(const PerformerLogitsParams& params, void* stream)
{
    if (params.x == nullptr || params.projectionT == nullptr || params.logits == nullptr ||
        params.rowMax == nullptr || params.nRows < 0 || params.headDim <= 0 || params.headDim > kMaxHeadDim ||
        params.features <= 0) {
        return cudaErrorInvalidValue;
    }
    if (params.nRows == 0) {
        return cudaSuccess;
    }
    const int sharedBytes = params.headDim * static_cast<int>(sizeof(float));
    performerLogitsKernel<<<params.nRows, kFeatureThreads, sharedBytes, static_cast<cudaStream_t>(stream)>>>(params);
    return cudaGetLastError();
}

int launchPerformerExp(const PerformerExpParams& params, void* stream)
{
    if (params.logits == nullptr || params.rowMax == nullptr || (!params.perRowShift && params.globalMax == nullptr) ||
        params.nRows < 0 || params.features <= 0) {
        return cudaErrorInvalidValue;
    }
    if (params.nRows == 0) {
        return cudaSuccess;
    }
    const auto cudaStream = static_cast<cudaStream_t>(stream);
    if (!params.perRowShift) {
        globalMaxKernel<<<1, kFeatureThreads, 0, cudaStream>>>(params);
        if (const cudaError_t error = cudaGetLastError(); error != cudaSuccess) {
            return error;
        }
    }
    const long long total = static_cast<long long>(params.nRows) * params.features;
    performerExpKernel<<<elementBlocks(total), kElementThreads, 0, cudaStream>>>(params);
    return cudaGetLastError();
}

int launchFastmaxFeatures(const FastmaxFeaturesParams& params, void* stream)
{
    if (params.x == nullptr || params.features == nullptr || params.nRows < 0 || params.headDim <= 0 ||
        params.featureCount <= 0 || params.featureCount > fastmaxFeatureCount(params.headDim, 2)) {
        return cudaErrorInvalidValue;
    }
    if (params.nRows == 0) {
        return cudaSuccess;
    }
    const long long total = static_cast<long long>(params.nRows) * params.featureCount;
    fastmaxFeaturesKernel<<<elementBlocks(total), kElementThreads, 0, static_cast<cudaStream_t>(stream)>>>(params);
    return cudaGetLastError();
}

namespace {

bool validLinearShape(const LinearAttnParams& params)
{
    return params.keyFeatures != nullptr && params.values != nullptr && params.state != nullptr &&
           params.nTokens >= 0 && params.headDim > 0 && params.headDim <= kMaxHeadDim && params.features > 0;
}

} // namespace

int launchLinearAttnUpdate(const LinearAttnParams& params, void* stream)
{
    if (!validLinearShape(params) || !validInterval(params.addBegin, params.addEnd, params.nTokens) ||
        !validInterval(params.removeBegin, params.removeEnd, params.nTokens)) {
        return cudaErrorInvalidValue;
    }
    if (params.addBegin == params.addEnd && params.removeBegin == params.removeEnd) {
        return cudaSuccess;
    }
    const long long total = static_cast<long long>(params.features) * (params.headDim + 1);
    linearAttnUpdateKernel<<<elementBlocks(total), kElementThreads, 0, static_cast<cudaStream_t>(stream)>>>(params);
    return cudaGetLastError();
}

int launchLinearAttnChunk(const LinearAttnParams& params, void* stream)
{
    if (!validLinearShape(params) || params.queryFeatures == nullptr || params.out == nullptr ||
        params.denominators == nullptr || params.rowBegin < 0 || params.rowCount < 0 ||
        params.rowBegin > params.nTokens - params.rowCount ||
        !validInterval(params.stateBegin, params.stateEnd, params.nTokens)) {
        return cudaErrorInvalidValue;
    }
    if (params.rowCount == 0) {
        return cudaSuccess;
    }
    const int sharedBytes = (params.headDim + 1) * static_cast<int>(sizeof(double));
    linearAttnChunkKernel<<<params.rowCount, kLinearThreads, sharedBytes, static_cast<cudaStream_t>(stream)>>>(params);
    return cudaGetLastError();
}

} // namespace attnscope

#pragma once
// CSR sparse attention forward, fused per query row: one warp walks the row's kept keys in
// chunks of 32 and, per chunk, computes the scores (SDDMM), folds them into a running softmax
// (one rescale per chunk, not per entry), and accumulates the weighted values (SpMM). The raw
// scores go to the weights array as scratch and are turned into the applied weights once the
// row's log-sum-exp is known, so a row costs one pass over its keys and values.
//
// Each lane owns headDim/32 consecutive columns, so every K and V row is read by the warp as one
// coalesced segment; a score is a warp reduction. Included only by the instance files.

#include "attn_common.cuh"
#include "attnscope_kernels/attn_heuristics.h"
#include "attnscope_kernels/sparse_attn_params.h"

namespace attnscope {

template <int kBucket>
__global__ void __launch_bounds__(kSparseWarps * 32) sparseAttnFwdKernel(const SparseAttnParams p)
{
    constexpr int kDimsPerLane = kBucket / 32;
    constexpr int kUnroll = 4;  // independent K/V row loads in flight per lane
    static_assert(kBucket % 32 == 0, "a lane owns a whole number of columns");

    const int warp = threadIdx.x / 32;
    const int lane = threadIdx.x % 32;
    const int row = blockIdx.x * kSparseWarps + warp;
    const int head = blockIdx.y;
    if (row >= p.nTokens) {
        return;  // warp-uniform; the kernel has no block-wide barrier
    }
    const int kvHead = head / (p.nHeads / p.nKvHeads);
    const int* rowPtr = p.rowPtr + head * p.rowPtrHeadStride;
    const int entryBegin = rowPtr[row];
    const int entryEnd = rowPtr[row + 1];
    const float* kHead = p.k + kvHead * p.kHeadStride;
    const float* vHead = p.v + kvHead * p.vHeadStride;
    float* weights = p.weights != nullptr ? p.weights + head * p.weightsHeadStride : nullptr;
    const int col0 = lane * kDimsPerLane;
    const bool kVec = canLoadRowsAsFloat4(p.k, p.kHeadStride, p.kRowStride, p.headDim, kBucket);
    const bool vVec = canLoadRowsAsFloat4(p.v, p.vHeadStride, p.vRowStride, p.headDim, kBucket);

    float query[kDimsPerLane];
    const float* queryRow = p.q + head * p.qHeadStride + row * p.qRowStride;
#pragma unroll
    for (int e = 0; e < kDimsPerLane; ++e) {
        query[e] = col0 + e < p.headDim ? queryRow[col0 + e] : 0.0f;
    }

    float rowMax = -CUDART_INF_F;
    float laneSum = 0.0f;
    float acc[kDimsPerLane];
#pragma unroll
    for (int e = 0; e < kDimsPerLane; ++e) {
        acc[e] = 0.0f;
    }

    for (int chunk0 = entryBegin; chunk0 < entryEnd; chunk0 += 32) {
        const int chunkSize = min(32, entryEnd - chunk0);
        const int myKey = lane < chunkSize ? p.colIdx[chunk0 + lane] : 0;
        float myScore = -CUDART_INF_F;  // lane j keeps the score of entry chunk0 + j

        for (int t = 0; t < chunkSize; t += kUnroll) {
            float dot[kUnroll];
#pragma unroll
            for (int u = 0; u < kUnroll; ++u) {
                const int key = __shfl_sync(kFullWarpMask, myKey, min(t + u, chunkSize - 1));
                float keyValues[kDimsPerLane];
                loadLaneColumns<kDimsPerLane>(keyValues, kHead + key * p.kRowStride, col0,
                                              p.headDim, kVec);
                dot[u] = 0.0f;
#pragma unroll
                for (int e = 0; e < kDimsPerLane; ++e) {
                    dot[u] = fmaf(query[e], keyValues[e], dot[u]);
                }
            }
#pragma unroll
            for (int u = 0; u < kUnroll; ++u) {
                const float s = applySoftcap(warpSum(dot[u]) * p.scale, p.softcap);
                if (lane == t + u && t + u < chunkSize) {
                    myScore = s;
                }
            }
        }
        if (weights != nullptr && lane < chunkSize) {
            weights[chunk0 + lane] = myScore;
        }

        const float newMax = fmaxf(rowMax, warpMax(myScore));
        const float alpha = rowMax == -CUDART_INF_F ? 0.0f : expf(rowMax - newMax);
        const float myProb = lane < chunkSize ? expf(myScore - newMax) : 0.0f;
        rowMax = newMax;
        laneSum = fmaf(laneSum, alpha, myProb);
#pragma unroll
        for (int e = 0; e < kDimsPerLane; ++e) {
            acc[e] *= alpha;
        }

        for (int t = 0; t < chunkSize; t += kUnroll) {
            float value[kUnroll][kDimsPerLane];
            float prob[kUnroll];
#pragma unroll
            for (int u = 0; u < kUnroll; ++u) {
                const int src = min(t + u, chunkSize - 1);
                const int key = __shfl_sync(kFullWarpMask, myKey, src);
                prob[u] = __shfl_sync(kFullWarpMask, myProb, src);
                if (t + u >= chunkSize) {
                    prob[u] = 0.0f;  // the clamped duplicate must not count twice
                }
                loadLaneColumns<kDimsPerLane>(value[u], vHead + key * p.vRowStride, col0,
                                              p.headDim, vVec);
            }
#pragma unroll
            for (int u = 0; u < kUnroll; ++u) {
#pragma unroll
                for (int e = 0; e < kDimsPerLane; ++e) {
                    acc[e] = fmaf(prob[u], value[u][e], acc[e]);
                }
            }
        }
    }

    const float rowSum = warpSum(laneSum);
    const float invSum = rowSum > 0.0f ? 1.0f / rowSum : 0.0f;
    const float lse = rowSum > 0.0f ? rowMax + logf(rowSum) : -CUDART_INF_F;
    float* outRow = p.out + head * p.outHeadStride + row * p.outRowStride;
#pragma unroll
    for (int e = 0; e < kDimsPerLane; ++e) {
        if (col0 + e < p.headDim) {
            outRow[col0 + e] = acc[e] * invSum;
        }
    }
    if (p.lse != nullptr && lane == 0) {
        p.lse[head * p.lseHeadStride + row] = lse;
    }
    // The same lane wrote each raw score above (entry chunk0 + lane), so no cross-lane ordering
    // is needed before turning it into the applied weight.
    if (weights != nullptr) {
        for (int entry = entryBegin + lane; entry < entryEnd; entry += 32) {
            weights[entry] = expf(weights[entry] - lse);
        }
    }
}

template <int kBucket>
cudaError_t runSparseAttnFwd(const SparseAttnParams& params, cudaStream_t stream)
{
    const dim3 grid((params.nTokens + kSparseWarps - 1) / kSparseWarps, params.nHeads);
    sparseAttnFwdKernel<kBucket><<<grid, kSparseWarps * 32, 0, stream>>>(params);
    return cudaGetLastError();
}

} // namespace attnscope

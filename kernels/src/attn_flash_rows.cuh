#pragma once
// The flash-style body shared by the dense and the block-sparse forward kernels: a block owns
// kDenseBlockRows query rows of one head and walks a list of key ranges in tiles of 32 keys,
// keeping a running max, a running sum and the output accumulator per row (online softmax), so
// nothing of size nTokens² is ever stored. The dense kernel walks one range (every key the rows
// may see); the block-sparse kernel one range per kept key block. Tensor cores are a later step;
// this code is the correctness anchor.
//
// Work split inside a warp (8 rows per warp):
//   scores: lane j computes the 8 scores of key j (K row from padded shared memory, Q rows as
//           shared-memory broadcasts);
//   P·V:    lane j owns headDim/32 output columns and reads the 8 probabilities of each key from
//           a per-warp shared row (a broadcast), so no shuffles sit in the inner loop.

#include "attn_common.cuh"
#include "attnscope_kernels/attn_heuristics.h"
#include "attnscope_kernels/dense_attn_params.h"
#include "attnscope_kernels/mask_predicates.h"

namespace attnscope {

/// Attention of the query rows [blockRow0, min(blockRow0 + kDenseBlockRows, rowEnd)) of `head`
/// (rowEnd <= p.nTokens) over the keys of `ranges` that the model's mask lets each row see.
/// KeyRanges: count() ranges, range(i, &begin, &end) the half-open key range i; ranges must not
/// overlap (a key in two ranges would count twice). Every value the loops depend on is uniform
/// over the block, so the barriers inside are reached by all threads. Rows that see no key get
/// out = 0 and lse = -inf. Dynamic shared memory: denseAttnSharedBytes(kBucket).
template <int kBucket, typename KeyRanges>
__device__ __forceinline__ void flashAttnRowBlock(const DenseAttnParams& p, int head, int blockRow0,
                                                  int rowEnd, const KeyRanges& ranges)
{
    constexpr int kThreads = kDenseWarps * 32;
    constexpr int kRows = kDenseRowsPerWarp;
    constexpr int kKeyStride = denseKeyTileStride(kBucket);
    constexpr int kDimsPerLane = kBucket / 32;
    static_assert(kBucket % 32 == 0, "a lane owns a whole number of output columns");
    static_assert(kDenseBlockKeys == 32, "a key tile is one key per lane");

    extern __shared__ float4 sharedRaw[];
    float* qTile = reinterpret_cast<float*>(sharedRaw);    // [kDenseBlockRows][kBucket]
    float* kTile = qTile + kDenseBlockRows * kBucket;      // [kDenseBlockKeys][kKeyStride]
    float* vTile = kTile + kDenseBlockKeys * kKeyStride;   // [kDenseBlockKeys][kBucket]
    float* pTile = vTile + kDenseBlockKeys * kBucket;      // [kDenseBlockRows][kDenseBlockKeys]

    const int kvHead = head / (p.nHeads / p.nKvHeads);
    const int warp = threadIdx.x / 32;
    const int lane = threadIdx.x % 32;
    const int warpRow0 = blockRow0 + warp * kRows;

    const float* qHead = p.q + head * p.qHeadStride;
    const float* kHead = p.k + kvHead * p.kHeadStride;
    const float* vHead = p.v + kvHead * p.vHeadStride;
    const bool qVec = canLoadRowsAsFloat4(p.q, p.qHeadStride, p.qRowStride, p.headDim, kBucket);
    const bool kVec = canLoadRowsAsFloat4(p.k, p.kHeadStride, p.kRowStride, p.headDim, kBucket);
    const bool vVec = canLoadRowsAsFloat4(p.v, p.vHeadStride, p.vRowStride, p.headDim, kBucket);

    loadRowsToShared<kBucket, kThreads>(qTile, kBucket, qHead, p.qRowStride, blockRow0,
                                        kDenseBlockRows, rowEnd, p.headDim, qVec);

    // Keys outside [modelBegin, modelEnd) are masked for every row of this block.
    int modelBegin = 0;
    int modelEnd = 0;
    modelKeyRangeOfRows(blockRow0, min(blockRow0 + kDenseBlockRows, rowEnd), p.nTokens, p.causal,
                        p.slidingWindow, &modelBegin, &modelEnd);

    float rowMax[kRows];
    float laneSum[kRows];  // this lane's share of the row sum; reduced once at the end
    float acc[kRows][kDimsPerLane];
#pragma unroll
    for (int r = 0; r < kRows; ++r) {
        rowMax[r] = -CUDART_INF_F;
        laneSum[r] = 0.0f;
#pragma unroll
        for (int e = 0; e < kDimsPerLane; ++e) {
            acc[r][e] = 0.0f;
        }
    }

    const int rangeCount = ranges.count();
    for (int rangeIndex = 0; rangeIndex < rangeCount; ++rangeIndex) {
        int rangeBegin = 0;
        int rangeEnd = 0;
        ranges.range(rangeIndex, &rangeBegin, &rangeEnd);
        const int keyBegin = max(rangeBegin, modelBegin);
        const int keyEnd = min(rangeEnd, modelEnd);
        for (int tile0 = keyBegin; tile0 < keyEnd; tile0 += kDenseBlockKeys) {
            __syncthreads();  // the previous tile is consumed (and, the first time, Q is visible)
            loadRowsToShared<kBucket, kThreads>(kTile, kKeyStride, kHead, p.kRowStride, tile0,
                                                kDenseBlockKeys, keyEnd, p.headDim, kVec);
            loadRowsToShared<kBucket, kThreads>(vTile, kBucket, vHead, p.vRowStride, tile0,
                                                kDenseBlockKeys, keyEnd, p.headDim, vVec);
            __syncthreads();

            float score[kRows];
#pragma unroll
            for (int r = 0; r < kRows; ++r) {
                score[r] = 0.0f;
            }
            const float* keyRow = kTile + lane * kKeyStride;
#pragma unroll 4
            for (int c = 0; c < kBucket; c += 4) {
                const float4 kq = *reinterpret_cast<const float4*>(keyRow + c);
#pragma unroll
                for (int r = 0; r < kRows; ++r) {
                    const float4 qq =
                        *reinterpret_cast<const float4*>(qTile + (warp * kRows + r) * kBucket + c);
                    score[r] = fmaf(qq.x, kq.x, score[r]);
                    score[r] = fmaf(qq.y, kq.y, score[r]);
                    score[r] = fmaf(qq.z, kq.z, score[r]);
                    score[r] = fmaf(qq.w, kq.w, score[r]);
                }
            }

            const int key = tile0 + lane;
#pragma unroll
            for (int r = 0; r < kRows; ++r) {
                const bool visible = key < keyEnd &&
                                     modelAllows(warpRow0 + r, key, p.causal, p.slidingWindow);
                const float s =
                    visible ? applySoftcap(score[r] * p.scale, p.softcap) : -CUDART_INF_F;
                const float newMax = fmaxf(rowMax[r], warpMax(s));
                float alpha = 1.0f;
                float prob = 0.0f;
                // newMax stays -inf while no key of this row has been visible: nothing to rescale.
                if (newMax != -CUDART_INF_F) {
                    alpha = expf(rowMax[r] - newMax);
                    prob = expf(s - newMax);
                }
                rowMax[r] = newMax;
                laneSum[r] = fmaf(laneSum[r], alpha, prob);
#pragma unroll
                for (int e = 0; e < kDimsPerLane; ++e) {
                    acc[r][e] *= alpha;
                }
                pTile[(warp * kRows + r) * kDenseBlockKeys + lane] = prob;
            }
            __syncwarp();

            const float* warpProbs = pTile + warp * kRows * kDenseBlockKeys;
#pragma unroll 2
            for (int j = 0; j < kDenseBlockKeys; j += 4) {
                float4 prob4[kRows];
#pragma unroll
                for (int r = 0; r < kRows; ++r) {
                    prob4[r] = *reinterpret_cast<const float4*>(warpProbs + r * kDenseBlockKeys + j);
                }
#pragma unroll
                for (int jj = 0; jj < 4; ++jj) {
                    float value[kDimsPerLane];
                    // Shared rows are padded to the bucket and 16-byte aligned: always vectorised.
                    loadLaneColumns<kDimsPerLane>(value, vTile + (j + jj) * kBucket,
                                                  lane * kDimsPerLane, kBucket, true);
#pragma unroll
                    for (int r = 0; r < kRows; ++r) {
                        const float prob = jj == 0   ? prob4[r].x
                                           : jj == 1 ? prob4[r].y
                                           : jj == 2 ? prob4[r].z
                                                     : prob4[r].w;
#pragma unroll
                        for (int e = 0; e < kDimsPerLane; ++e) {
                            acc[r][e] = fmaf(prob, value[e], acc[r][e]);
                        }
                    }
                }
            }
        }
    }

#pragma unroll
    for (int r = 0; r < kRows; ++r) {
        const int row = warpRow0 + r;
        const float rowSum = warpSum(laneSum[r]);
        if (row >= rowEnd) {
            continue;
        }
        const float invSum = rowSum > 0.0f ? 1.0f / rowSum : 0.0f;
        float* outRow = p.out + head * p.outHeadStride + row * p.outRowStride;
#pragma unroll
        for (int e = 0; e < kDimsPerLane; ++e) {
            const int c = lane * kDimsPerLane + e;
            if (c < p.headDim) {
                outRow[c] = acc[r][e] * invSum;
            }
        }
        if (p.lse != nullptr && lane == 0) {
            p.lse[head * p.lseHeadStride + row] =
                rowSum > 0.0f ? rowMax[r] + logf(rowSum) : -CUDART_INF_F;
        }
    }
}

} // namespace attnscope

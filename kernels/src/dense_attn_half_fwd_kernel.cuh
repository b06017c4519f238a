#pragma once
// Dense attention forward with f16 / bf16 inputs on tensor cores (FlashAttention-2's layout): a
// block owns kDenseHalfBlockRows query rows of one head, each warp 16 of them (the M of one
// mma.sync.m16n8k16), and walks the visible keys in tiles of kDenseHalfBlockKeys. Per tile a warp
//   S  = Q·Kᵀ       16 × 64 scores, f32 accumulators (Q fragments stay in registers throughout);
//   online softmax  row max / sum in f32 on the accumulator layout (a row lives in one lane quad);
//   O += P·V        P re-packed to 16 bits straight from the S accumulators (FA2's register
//                   reuse: the C layout of two 16×8 tiles is the A layout of one 16×16 tile).
// K and V tiles sit row-major in shared memory. When rows can be copied as 16-byte vectors they
// arrive by cp.async, V's copy overlapping S = Q·Kᵀ and the next tile's K copy overlapping P·V;
// their B fragments are read with ldmatrix (x4: four 8×8 matrices per instruction; .trans for V,
// whose B operand is column-major in the tile). DenseAttnHalfParams::simplePath instead loads
// both tiles synchronously and reads the fragments with plain 32-bit / 16-bit shared loads at the
// documented positions: the slow path that states the layout directly, kept so the GPU test can
// hold the fast one against it (same operands, same mma order: same bits). Included only by the
// instance files, one per (type, bucket).
//
// Fragment layout of mma.sync.aligned.m16n8k16 (PTX ISA, "Matrix Fragments for mma.m16n8k16"),
// with g = lane / 4 and t = lane % 4; a 32-bit register holds two 16-bit elements, the lower
// column / row index in the low half:
//   A (16×16, row-major): reg0 (g, 2t..2t+1)   reg1 (g+8, 2t..2t+1)
//                         reg2 (g, 2t+8..+9)   reg3 (g+8, 2t+8..+9)
//   B (16×8, "col"):      reg0 (k = 2t..2t+1, n = g)   reg1 (k = 2t+8..+9, n = g)
//   C/D (16×8, f32):      c0, c1 (g, 2t..2t+1)         c2, c3 (g+8, 2t..2t+1)
// ldmatrix.m8n8.x4 (PTX ISA, "ldmatrix"): lanes 8m..8m+7 give the addresses of rows 0..7 of
// matrix m (16 bytes each); register m of lane L then holds row L/4, columns 2(L%4), 2(L%4)+1 of
// matrix m, or with .trans rows 2(L%4), 2(L%4)+1 of column L/4: exactly a B register (k = 2t..,
// n = g) when the matrix is stored n-major (K: key rows) resp. k-major (V: key rows) in shared memory.

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "attn_common.cuh"
#include "attnscope_kernels/dense_attn_half_params.h"
#include "attnscope_kernels/half_convert.h"
#include "attnscope_kernels/mask_predicates.h"

namespace attnscope {

template <AttnHalfType kType>
struct HalfTypeTraits;

template <>
struct HalfTypeTraits<AttnHalfType::F16> {
    /// Two floats rounded to nearest even into one register, `low` in the low half.
    __device__ static __forceinline__ unsigned int pack(float low, float high)
    {
        const __half2 value = __floats2half2_rn(low, high);
        return *reinterpret_cast<const unsigned int*>(&value);
    }
    /// D = A·B + C on one m16n8k16 tile.
    __device__ static __forceinline__ void mma(float (&d)[4], const unsigned int (&a)[4],
                                               unsigned int b0, unsigned int b1)
    {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
        asm volatile(
            "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 "
            "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};\n"
            : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
            : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
#else
        __trap();  // the launcher refuses devices below sm_80
#endif
    }
};

template <>
struct HalfTypeTraits<AttnHalfType::Bf16> {
    __device__ static __forceinline__ unsigned int pack(float low, float high)
    {
        const __nv_bfloat162 value = __floats2bfloat162_rn(low, high);
        return *reinterpret_cast<const unsigned int*>(&value);
    }
    __device__ static __forceinline__ void mma(float (&d)[4], const unsigned int (&a)[4],
                                               unsigned int b0, unsigned int b1)
    {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
        asm volatile(
            "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 "
            "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};\n"
            : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
            : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
#else
        __trap();
#endif
    }
};

/// Four 8×8 b16 matrices from shared memory (see the layout note above); `row` is this lane's row
/// address (16-byte aligned). kTrans: the transposed read.
template <bool kTrans>
__device__ __forceinline__ void loadMatrixX4(unsigned int (&r)[4], const unsigned short* row)
{
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    const auto address = static_cast<unsigned int>(__cvta_generic_to_shared(row));
    if constexpr (kTrans) {
        asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, %3}, [%4];\n"
                     : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                     : "r"(address)
                     : "memory");
    } else {
        asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
                     : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                     : "r"(address)
                     : "memory");
    }
#else
    (void)row;
    r[0] = r[1] = r[2] = r[3] = 0u;
    __trap();
#endif
}

/// cp.async of 16 bytes global -> shared, zero-filled when !valid (then `src` is not read, but is
/// kept a valid address).
__device__ __forceinline__ void copyAsync16(unsigned short* dst, const unsigned short* src, bool valid)
{
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    const auto address = static_cast<unsigned int>(__cvta_generic_to_shared(dst));
    const int srcBytes = valid ? 16 : 0;
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(address), "l"(src), "r"(srcBytes)
                 : "memory");
#else
    (void)dst;
    (void)src;
    (void)valid;
    __trap();
#endif
}

__device__ __forceinline__ void copyAsyncCommit()
{
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    asm volatile("cp.async.commit_group;\n" ::: "memory");
#endif
}

/// Waits until at most kPending of this thread's committed cp.async groups are still in flight.
template <int kPending>
__device__ __forceinline__ void copyAsyncWait()
{
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    asm volatile("cp.async.wait_group %0;\n" ::"n"(kPending) : "memory");
#endif
}

/// The vectorised tile copy of loadHalfTile by cp.async (rows at or past rowEnd zero-filled); the
/// caller commits, waits and synchronises.
template <int kBucket, int kThreads>
__device__ __forceinline__ void copyHalfTileAsync(unsigned short* dst, const unsigned short* src,
                                                  long long rowStride, int row0, int rowEnd)
{
    constexpr int kStride = denseHalfTileStride(kBucket);
    constexpr int kChunks = kBucket / 8;
    for (int idx = threadIdx.x; idx < kDenseHalfBlockKeys * kChunks; idx += kThreads) {
        const int r = idx / kChunks;
        const int c = (idx % kChunks) * 8;
        const int row = row0 + r;
        const bool valid = row < rowEnd;
        copyAsync16(dst + r * kStride + c, src + (valid ? row * rowStride + c : 0), valid);
    }
}

/// Whether rows of `headDim` 16-bit elements can be read as 16-byte vectors: the row fills the
/// bucket and every row start is 16-byte aligned.
__host__ __device__ inline bool canLoadHalfRowsAsVec(const unsigned short* base, long long headStride,
                                                     long long rowStride, int headDim, int bucket)
{
    return headDim == bucket && (reinterpret_cast<unsigned long long>(base) % 16) == 0 &&
           headStride % 8 == 0 && rowStride % 8 == 0;
}

/// Whether element pairs (2c, 2c+1) of every row can be read as one 32-bit word.
__host__ __device__ inline bool canLoadHalfPairs(const void* base, long long headStride,
                                                 long long rowStride)
{
    return (reinterpret_cast<unsigned long long>(base) % 4) == 0 && headStride % 2 == 0 &&
           rowStride % 2 == 0;
}

/// Elements (row, col) and (row, col + 1) of a [rows, headDim] array as one register (col even),
/// zero at or past rowEnd / headDim.
__device__ __forceinline__ unsigned int loadHalfPair(const unsigned short* src, long long rowStride,
                                                     int row, int col, int rowEnd, int headDim,
                                                     bool pairs)
{
    if (row >= rowEnd) {
        return 0u;
    }
    const unsigned short* at = src + row * rowStride + col;
    if (pairs && col + 1 < headDim) {
        return *reinterpret_cast<const unsigned int*>(at);
    }
    const unsigned int low = col < headDim ? at[0] : 0u;
    const unsigned int high = col + 1 < headDim ? at[1] : 0u;
    return low | (high << 16);
}

/// Copies rows [row0, row0 + kDenseHalfBlockKeys) of one head into shared memory (row stride
/// denseHalfTileStride(kBucket)), zero past rowEnd and past headDim. All threads take part.
template <int kBucket, int kThreads>
__device__ __forceinline__ void loadHalfTile(unsigned short* dst, const unsigned short* src,
                                             long long rowStride, int row0, int rowEnd, int headDim,
                                             bool vectorised, bool pairs)
{
    constexpr int kStride = denseHalfTileStride(kBucket);
    if (vectorised) {
        constexpr int kChunks = kBucket / 8;  // 16-byte chunks per row
        for (int idx = threadIdx.x; idx < kDenseHalfBlockKeys * kChunks; idx += kThreads) {
            const int r = idx / kChunks;
            const int c = (idx % kChunks) * 8;
            const int row = row0 + r;
            uint4 value = make_uint4(0u, 0u, 0u, 0u);
            if (row < rowEnd) {
                value = *reinterpret_cast<const uint4*>(src + row * rowStride + c);
            }
            *reinterpret_cast<uint4*>(dst + r * kStride + c) = value;
        }
        return;
    }
    constexpr int kPairs = kBucket / 2;
    for (int idx = threadIdx.x; idx < kDenseHalfBlockKeys * kPairs; idx += kThreads) {
        const int r = idx / kPairs;
        const int c = (idx % kPairs) * 2;
        *reinterpret_cast<unsigned int*>(dst + r * kStride + c) =
            loadHalfPair(src, rowStride, row0 + r, c, rowEnd, headDim, pairs);
    }
}

template <AttnHalfType kType, int kBucket>
__global__ void __launch_bounds__(kDenseHalfWarps * 32)
    denseAttnHalfFwdKernel(const DenseAttnHalfParams p)
{
    using Traits = HalfTypeTraits<kType>;
    constexpr int kThreads = kDenseHalfWarps * 32;
    constexpr int kStride = denseHalfTileStride(kBucket);
    constexpr int kDimChunks = kBucket / 16;               // k-steps of S = Q·Kᵀ
    constexpr int kKeyTiles = kDenseHalfBlockKeys / 8;     // n-tiles of S
    constexpr int kKeyChunks = kDenseHalfBlockKeys / 16;   // k-steps of O += P·V
    constexpr int kDimTiles = kBucket / 8;                 // n-tiles of O
    constexpr float kLog2e = 1.4426950408889634f;
    constexpr float kLn2 = 0.6931471805599453f;
    static_assert(kDenseHalfRowsPerWarp == 16, "one m16n8k16 row tile per warp");
    static_assert(kBucket % 16 == 0 && kDenseHalfBlockKeys % 16 == 0, "whole mma tiles");
    static_assert((kStride * 2) % 16 == 0, "16-byte aligned shared rows (ldmatrix row addresses)");
    static_assert(kDimChunks % 2 == 0 && kDimTiles % 2 == 0, "ldmatrix x4 covers two chunks / tiles");

    extern __shared__ uint4 halfSharedRaw[];
    unsigned short* kTile = reinterpret_cast<unsigned short*>(halfSharedRaw);  // [keys][kStride]
    unsigned short* vTile = kTile + kDenseHalfBlockKeys * kStride;         // [keys][kStride]

    const int nTokens = p.nTokens;
    const int head = blockIdx.y;
    const int kvHead = head / (p.nHeads / p.nKvHeads);
    // Reversed so the causal blocks with the most keys start first and do not form the tail.
    const int blockRow0 = (gridDim.x - 1 - blockIdx.x) * kDenseHalfBlockRows;
    const int warp = threadIdx.x / 32;
    const int lane = threadIdx.x % 32;
    const int g = lane / 4;
    const int t = lane % 4;
    const int warpRow0 = blockRow0 + warp * kDenseHalfRowsPerWarp;
    const int rowLow = warpRow0 + g;  // this lane's rows: rowLow and rowLow + 8
    const int rowHigh = rowLow + 8;

    const unsigned short* qHead = p.q + head * p.qHeadStride;
    const unsigned short* kHead = p.k + kvHead * p.kHeadStride;
    const unsigned short* vHead = p.v + kvHead * p.vHeadStride;
    const bool kVec = canLoadHalfRowsAsVec(p.k, p.kHeadStride, p.kRowStride, p.headDim, kBucket);
    const bool vVec = canLoadHalfRowsAsVec(p.v, p.vHeadStride, p.vRowStride, p.headDim, kBucket);
    const bool qPairs = canLoadHalfPairs(p.q, p.qHeadStride, p.qRowStride);
    const bool kPairs = canLoadHalfPairs(p.k, p.kHeadStride, p.kRowStride);
    const bool vPairs = canLoadHalfPairs(p.v, p.vHeadStride, p.vRowStride);

    // Q as A fragments, once: rows past nTokens and columns past headDim are zero.
    unsigned int qFrag[kDimChunks][4];
#pragma unroll
    for (int kc = 0; kc < kDimChunks; ++kc) {
        const int col = kc * 16 + 2 * t;
        qFrag[kc][0] = loadHalfPair(qHead, p.qRowStride, rowLow, col, nTokens, p.headDim, qPairs);
        qFrag[kc][1] = loadHalfPair(qHead, p.qRowStride, rowHigh, col, nTokens, p.headDim, qPairs);
        qFrag[kc][2] = loadHalfPair(qHead, p.qRowStride, rowLow, col + 8, nTokens, p.headDim, qPairs);
        qFrag[kc][3] = loadHalfPair(qHead, p.qRowStride, rowHigh, col + 8, nTokens, p.headDim, qPairs);
    }

    // Keys outside [keyBegin, keyEnd) are masked for every row of this block.
    const int lastRow = min(blockRow0 + kDenseHalfBlockRows, nTokens) - 1;
    int keyBegin = 0;
    int keyEnd = nTokens;
    if (p.causal) {
        keyEnd = min(keyEnd, lastRow + 1);
    }
    if (p.slidingWindow > 0) {
        keyBegin = max(0, blockRow0 - p.slidingWindow + 1);
        if (!p.causal) {
            keyEnd = min(keyEnd, lastRow + p.slidingWindow);
        }
    }

    // Per lane: index 0 is rowLow, 1 is rowHigh. Max in log2 units (score · log2 e); the sums are
    // this lane's share (its 2 keys of every 8), reduced over the quad once at the end.
    float rowMax[2] = {-CUDART_INF_F, -CUDART_INF_F};
    float laneSum[2] = {0.0f, 0.0f};
    float acc[kDimTiles][4];
#pragma unroll
    for (int dt = 0; dt < kDimTiles; ++dt) {
#pragma unroll
        for (int i = 0; i < 4; ++i) {
            acc[dt][i] = 0.0f;
        }
    }

    // Pipelined tile copies (block-uniform choice): K of the first tile now, then per tile V
    // while S is computed and the next K while P·V is.
    const bool pipelined = !p.simplePath && kVec && vVec;
    if (pipelined && keyBegin < keyEnd) {
        copyHalfTileAsync<kBucket, kThreads>(kTile, kHead, p.kRowStride, keyBegin, keyEnd);
        copyAsyncCommit();
    }

    for (int tile0 = keyBegin; tile0 < keyEnd; tile0 += kDenseHalfBlockKeys) {
        __syncthreads();  // every warp is done with the previous tile's V (and K)
        if (pipelined) {
            copyHalfTileAsync<kBucket, kThreads>(vTile, vHead, p.vRowStride, tile0, keyEnd);
            copyAsyncCommit();
            copyAsyncWait<1>();  // this tile's K (committed before V) has landed
        } else {
            loadHalfTile<kBucket, kThreads>(kTile, kHead, p.kRowStride, tile0, keyEnd, p.headDim,
                                            kVec, kPairs);
            loadHalfTile<kBucket, kThreads>(vTile, vHead, p.vRowStride, tile0, keyEnd, p.headDim,
                                            vVec, vPairs);
        }
        __syncthreads();  // K (and without the pipeline V) visible to every warp

        // S = Q·Kᵀ: B(k = dim, n = key) = K[key][dim], so a B register is two adjacent dims of
        // one key row. ldmatrix: matrix m of lane L's x4 is keys nt·8.., dims 32·kp + 8m.., so
        // registers 0-1 are (b0, b1) of dim chunk 2kp and 2-3 those of chunk 2kp + 1.
        float score[kKeyTiles][4];
#pragma unroll
        for (int nt = 0; nt < kKeyTiles; ++nt) {
#pragma unroll
            for (int i = 0; i < 4; ++i) {
                score[nt][i] = 0.0f;
            }
            if (p.simplePath) {
                const unsigned short* keyRow = kTile + (nt * 8 + g) * kStride + 2 * t;
#pragma unroll
                for (int kc = 0; kc < kDimChunks; ++kc) {
                    const unsigned int b0 = *reinterpret_cast<const unsigned int*>(keyRow + kc * 16);
                    const unsigned int b1 = *reinterpret_cast<const unsigned int*>(keyRow + kc * 16 + 8);
                    Traits::mma(score[nt], qFrag[kc], b0, b1);
                }
            } else {
                const unsigned short* keyRow = kTile + (nt * 8 + lane % 8) * kStride + (lane / 8) * 8;
#pragma unroll
                for (int kp = 0; kp < kDimChunks / 2; ++kp) {
                    unsigned int b[4];
                    loadMatrixX4<false>(b, keyRow + kp * 32);
                    Traits::mma(score[nt], qFrag[2 * kp], b[0], b[1]);
                    Traits::mma(score[nt], qFrag[2 * kp + 1], b[2], b[3]);
                }
            }
        }

        // Mask, scale, softcap; the tile's row max (a row's 64 keys live in the 4 lanes of a quad).
        // A tile every key of which every row of this warp sees (inside [.., keyEnd), no window,
        // and for causal wholly at or below the warp's first row) skips the per-element test.
        const bool wholeTile = tile0 + kDenseHalfBlockKeys <= keyEnd && p.slidingWindow <= 0 &&
                               (!p.causal || tile0 + kDenseHalfBlockKeys - 1 <= warpRow0);
        float tileMax[2] = {-CUDART_INF_F, -CUDART_INF_F};
#pragma unroll
        for (int nt = 0; nt < kKeyTiles; ++nt) {
#pragma unroll
            for (int i = 0; i < 4; ++i) {
                const int row = i < 2 ? rowLow : rowHigh;
                const int key = tile0 + nt * 8 + 2 * t + (i & 1);
                const bool visible =
                    wholeTile || (key < keyEnd && modelAllows(row, key, p.causal, p.slidingWindow));
                const float s = visible ? applySoftcap(score[nt][i] * p.scale, p.softcap) * kLog2e
                                        : -CUDART_INF_F;
                score[nt][i] = s;
                tileMax[i / 2] = fmaxf(tileMax[i / 2], s);
            }
        }
        float alpha[2];
#pragma unroll
        for (int h = 0; h < 2; ++h) {
            tileMax[h] = fmaxf(tileMax[h], __shfl_xor_sync(kFullWarpMask, tileMax[h], 1));
            tileMax[h] = fmaxf(tileMax[h], __shfl_xor_sync(kFullWarpMask, tileMax[h], 2));
            const float newMax = fmaxf(rowMax[h], tileMax[h]);
            // newMax stays -inf while no key of the row has been visible: nothing to rescale.
            alpha[h] = newMax == -CUDART_INF_F ? 1.0f : exp2f(rowMax[h] - newMax);
            rowMax[h] = newMax;
            laneSum[h] *= alpha[h];
        }
#pragma unroll
        for (int nt = 0; nt < kKeyTiles; ++nt) {
#pragma unroll
            for (int i = 0; i < 4; ++i) {
                const float m = rowMax[i / 2];
                const float prob = m == -CUDART_INF_F ? 0.0f : exp2f(score[nt][i] - m);
                score[nt][i] = prob;
                laneSum[i / 2] += prob;
            }
        }
#pragma unroll
        for (int dt = 0; dt < kDimTiles; ++dt) {
            acc[dt][0] *= alpha[0];
            acc[dt][1] *= alpha[0];
            acc[dt][2] *= alpha[1];
            acc[dt][3] *= alpha[1];
        }

        if (pipelined) {
            copyAsyncWait<0>();  // this tile's V has landed
            __syncthreads();     // V visible to every warp, and every warp is done reading K
            if (tile0 + kDenseHalfBlockKeys < keyEnd) {
                copyHalfTileAsync<kBucket, kThreads>(kTile, kHead, p.kRowStride,
                                                     tile0 + kDenseHalfBlockKeys, keyEnd);
                copyAsyncCommit();
            }
        }

        // O += P·V. P's A fragment for keys 16kc..16kc+15 is the C layout of key tiles 2kc and
        // 2kc+1; B(k = key, n = dim) = V[key][dim] is two keys of one column: two 16-bit loads, or
        // ldmatrix.trans with matrix m of lane L's x4 at keys 16kc + 8(m % 2).., dims 16dp + 8(m / 2)..,
        // so registers 0-1 are (b0, b1) of dim tile 2dp and 2-3 those of dim tile 2dp + 1.
#pragma unroll
        for (int kc = 0; kc < kKeyChunks; ++kc) {
            unsigned int pFrag[4];
            pFrag[0] = Traits::pack(score[2 * kc][0], score[2 * kc][1]);
            pFrag[1] = Traits::pack(score[2 * kc][2], score[2 * kc][3]);
            pFrag[2] = Traits::pack(score[2 * kc + 1][0], score[2 * kc + 1][1]);
            pFrag[3] = Traits::pack(score[2 * kc + 1][2], score[2 * kc + 1][3]);
            if (p.simplePath) {
                const unsigned short* v0 = vTile + (kc * 16 + 2 * t) * kStride + g;
#pragma unroll
                for (int dt = 0; dt < kDimTiles; ++dt) {
                    const unsigned short* at = v0 + dt * 8;
                    const unsigned int b0 = static_cast<unsigned int>(at[0]) |
                                            (static_cast<unsigned int>(at[kStride]) << 16);
                    const unsigned int b1 = static_cast<unsigned int>(at[8 * kStride]) |
                                            (static_cast<unsigned int>(at[9 * kStride]) << 16);
                    Traits::mma(acc[dt], pFrag, b0, b1);
                }
            } else {
                const unsigned short* valueRow =
                    vTile + (kc * 16 + ((lane / 8) % 2) * 8 + lane % 8) * kStride + (lane / 16) * 8;
#pragma unroll
                for (int dp = 0; dp < kDimTiles / 2; ++dp) {
                    unsigned int b[4];
                    loadMatrixX4<true>(b, valueRow + dp * 16);
                    Traits::mma(acc[2 * dp], pFrag, b[0], b[1]);
                    Traits::mma(acc[2 * dp + 1], pFrag, b[2], b[3]);
                }
            }
        }
    }

    // Epilogue: quad-reduce the sums, normalise, round to the 16-bit type (half_convert.h, the
    // rounding the host and its tests use), write out and the natural-log LSE.
#pragma unroll
    for (int h = 0; h < 2; ++h) {
        laneSum[h] += __shfl_xor_sync(kFullWarpMask, laneSum[h], 1);
        laneSum[h] += __shfl_xor_sync(kFullWarpMask, laneSum[h], 2);
    }
#pragma unroll
    for (int h = 0; h < 2; ++h) {
        const int row = h == 0 ? rowLow : rowHigh;
        if (row >= nTokens) {
            continue;
        }
        const float rowSum = laneSum[h];
        const float invSum = rowSum > 0.0f ? 1.0f / rowSum : 0.0f;
        unsigned short* outRow = p.out + head * p.outHeadStride + row * p.outRowStride;
#pragma unroll
        for (int dt = 0; dt < kDimTiles; ++dt) {
            const int col = dt * 8 + 2 * t;
            if (col < p.headDim) {
                outRow[col] = floatToHalfTypeBits(acc[dt][2 * h] * invSum, kType);
            }
            if (col + 1 < p.headDim) {
                outRow[col + 1] = floatToHalfTypeBits(acc[dt][2 * h + 1] * invSum, kType);
            }
        }
        if (p.lse != nullptr && t == 0) {
            p.lse[head * p.lseHeadStride + row] =
                rowSum > 0.0f ? rowMax[h] * kLn2 + logf(rowSum) : -CUDART_INF_F;
        }
    }
}

/// Launches the kernel for one (type, bucket); instantiated once each in instances/.
template <AttnHalfType kType, int kBucket>
cudaError_t runDenseAttnHalfFwd(const DenseAttnHalfParams& params, cudaStream_t stream)
{
    constexpr int kSharedBytes = denseHalfSharedBytes(kBucket);
    const dim3 grid((params.nTokens + kDenseHalfBlockRows - 1) / kDenseHalfBlockRows, params.nHeads);
    denseAttnHalfFwdKernel<kType, kBucket>
        <<<grid, kDenseHalfWarps * 32, kSharedBytes, stream>>>(params);
    return cudaGetLastError();
}

} // namespace attnscope

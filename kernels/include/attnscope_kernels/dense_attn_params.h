#pragma once
// POD parameters of the dense attention kernels: the only thing that crosses from core to
// kernels (DESIGN.md §7.4). Plain C++17, no CUDA or std:: types, so g++ and nvcc both see it.
// Layouts are row-major with explicit strides in elements:
//   q:   [nHeads,   nTokens, headDim]    element (head, row, c)  at head*qHeadStride + row*qRowStride + c
//   k,v: [nKvHeads, nTokens, headDim]    query head h reads KV head h / (nHeads / nKvHeads) (GQA)
//   out: [nHeads,   nTokens, headDim]
//   lse: [nHeads,   nTokens]             natural-log sum of exp of the scaled scores of each row

namespace attnscope {

/// Dense forward: out = softmax(mask(score)) · V with score = softcap?(scale · q·k), tiled over
/// keys with an online softmax (no nTokens² buffer). Rows with no visible key get out = 0 and
/// lse = -inf. All device pointers; lse may be null when the caller does not need it.
struct DenseAttnParams {
    const float* q = nullptr;
    const float* k = nullptr;
    const float* v = nullptr;
    float* out = nullptr;
    float* lse = nullptr;

    long long qHeadStride = 0;
    long long qRowStride = 0;
    long long kHeadStride = 0;
    long long kRowStride = 0;
    long long vHeadStride = 0;
    long long vRowStride = 0;
    long long outHeadStride = 0;
    long long outRowStride = 0;
    long long lseHeadStride = 0;

    int nHeads = 0;
    int nKvHeads = 0;
    int nTokens = 0;
    int headDim = 0;
    float scale = 1.0f;     ///< multiplies q·k before the softmax
    float softcap = 0.0f;   ///< > 0: score = softcap · tanh(score / softcap)
    bool causal = true;     ///< key visible to query only if keyPos <= queryPos
    int slidingWindow = 0;  ///< > 0: also |queryPos - keyPos| < slidingWindow (mask_predicates.h)
};

/// Exact probabilities of one head on a rectangle of the attention matrix, from Q, K and the
/// row log-sum-exp that the dense forward produced: p = exp(score - lse[row]), 0 where masked.
///   probs: [rowCount, colCount] with row stride probsRowStride; rows rowBegin.., keys colBegin..
/// q, k, lse point at the head's (and its KV head's) first element.
struct AttnProbsParams {
    const float* q = nullptr;
    const float* k = nullptr;
    const float* lse = nullptr;
    float* probs = nullptr;

    long long qRowStride = 0;
    long long kRowStride = 0;
    long long probsRowStride = 0;

    int nTokens = 0;
    int headDim = 0;
    int rowBegin = 0;
    int rowCount = 0;
    int colBegin = 0;
    int colCount = 0;
    float scale = 1.0f;
    float softcap = 0.0f;
    bool causal = true;
    int slidingWindow = 0;
};

} // namespace attnscope

#pragma once
// The one definition of "is key k visible to query q" for every pattern that is a pure function of
// positions. The CPU reference, the CUDA kernels and the drawn masks all call these, so what the
// user sees is what was computed. Plain C++17, no std:: containers (nvcc compiles this too).

#include "attnscope_kernels/host_device.h"

namespace attnscope {

/// The model's own mask: causal and/or sliding window (slidingWindow <= 0: no window).
ATTNSCOPE_HD bool modelAllows(int queryPos, int keyPos, bool causal, int slidingWindow)
{
    if (causal && keyPos > queryPos) {
        return false;
    }
    if (slidingWindow > 0) {
        const int distance = queryPos > keyPos ? queryPos - keyPos : keyPos - queryPos;
        if (distance >= slidingWindow) {
            return false;
        }
    }
    return true;
}

/// The model's allowed keys of a query form one interval [*firstKey, *lastKey] (causal and/or
/// sliding window); empty when *lastKey < *firstKey (only for nTokens == 0).
ATTNSCOPE_HD void modelAllowedRange(int queryPos, int nTokens, bool causal, int slidingWindow, int* firstKey,
                                    int* lastKey)
{
    int first = 0;
    int last = causal ? queryPos : nTokens - 1;
    if (slidingWindow > 0) {
        first = queryPos - slidingWindow + 1 > 0 ? queryPos - slidingWindow + 1 : 0;
        if (!causal) {
            last = queryPos + slidingWindow - 1 < nTokens - 1 ? queryPos + slidingWindow - 1 : nTokens - 1;
        }
    }
    *firstKey = first;
    *lastKey = last;
}

/// The keys any query of rows [rowBegin, rowEnd) may see under the model's mask, as the half-open
/// range [*keyBegin, *keyEnd): the first key of rowBegin to the last key of rowEnd - 1 (both ends
/// grow with the query). What a tile of query rows has to visit; empty when rowEnd <= rowBegin.
ATTNSCOPE_HD void modelKeyRangeOfRows(int rowBegin, int rowEnd, int nTokens, bool causal, int slidingWindow,
                                      int* keyBegin, int* keyEnd)
{
    if (rowEnd <= rowBegin) {
        *keyBegin = 0;
        *keyEnd = 0;
        return;
    }
    int first = 0;
    int last = -1;
    int unused = 0;
    modelAllowedRange(rowBegin, nTokens, causal, slidingWindow, &first, &unused);
    modelAllowedRange(rowEnd - 1, nTokens, causal, slidingWindow, &unused, &last);
    *keyBegin = first;
    *keyEnd = last + 1;
}

/// Local window of width w: |i - j| < w (bidirectional) or i - w < j <= i (causal side; the causal
/// cut itself comes from modelAllows). w >= nTokens keeps every key.
ATTNSCOPE_HD bool windowAllows(int queryPos, int keyPos, int width, bool causal)
{
    const int distance = queryPos - keyPos;
    if (causal) {
        return distance >= 0 && distance < width;
    }
    return (distance < 0 ? -distance : distance) < width;
}

/// Longformer sliding window of total width w: keys i - ceil((w-1)/2) ... i + floor((w-1)/2) (the left
/// side gets the extra key when w is even); causal: i - w < j <= i. Plus `globalTokens` leading
/// global tokens, symmetric: a global query sees every key and every query sees the global keys.
ATTNSCOPE_HD bool longformerAllows(int queryPos, int keyPos, int width, int globalTokens, bool causal)
{
    if (queryPos < globalTokens || keyPos < globalTokens) {
        return !causal || keyPos <= queryPos;
    }
    const int offset = keyPos - queryPos;
    if (causal) {
        return offset <= 0 && -offset < width;
    }
    const int left = width / 2;
    const int right = (width - 1) / 2;
    return offset >= -left && offset <= right;
}

/// Sparse Transformer "strided" pattern (Child et al. 2019) with stride l: the previous l keys
/// (|i - j| < l when bidirectional) or keys at a distance that is a multiple of l.
ATTNSCOPE_HD bool stridedAllows(int queryPos, int keyPos, int stride, bool causal)
{
    const int distance = queryPos - keyPos;
    const int absDistance = distance < 0 ? -distance : distance;
    if (causal && distance < 0) {
        return false;
    }
    return absDistance < stride || absDistance % stride == 0;
}

/// Sparse Transformer "fixed" pattern: same block of l tokens, or the key is one of the last c
/// "summary" positions of its block (j mod l >= l - c).
ATTNSCOPE_HD bool fixedAllows(int queryPos, int keyPos, int stride, int summary, bool causal)
{
    if (causal && keyPos > queryPos) {
        return false;
    }
    return queryPos / stride == keyPos / stride || keyPos % stride >= stride - summary;
}

/// BigBird structural blocks (without the random ones): key block within `windowBlocks` of the
/// query block, or either block among the first `globalBlocks`.
ATTNSCOPE_HD bool bigbirdBlockAllows(int queryBlock, int keyBlock, int windowBlocks, int globalBlocks)
{
    if (queryBlock < globalBlocks || keyBlock < globalBlocks) {
        return true;
    }
    const int distance = queryBlock > keyBlock ? queryBlock - keyBlock : keyBlock - queryBlock;
    return distance <= windowBlocks;
}

/// Multi-scale (BP-Transformer-like, SAC preset): the local window |i - j| < w plus one key per
/// dyadic distance band, the one at distance exactly 2^l.
ATTNSCOPE_HD bool multiScaleAllows(int queryPos, int keyPos, int width, bool causal)
{
    const int distance = queryPos - keyPos;
    if (causal && distance < 0) {
        return false;
    }
    const int absDistance = distance < 0 ? -distance : distance;
    return absDistance < width || (absDistance & (absDistance - 1)) == 0;
}

} // namespace attnscope

#pragma once
// POD parameters of the per-row top-k selection kernel (the mask step of the `topk` variant).
// Plain C++17, no CUDA or std:: types. Layouts as in dense_attn_params.h; the result is CSR:
//   rowPtr: [nTokens + 1] per head at head*rowPtrHeadStride, filled by the caller beforehand:
//           row r holds min(topK, |allowed keys of r|) entries (the count is known before scoring)
//   colIdx: per head at head*colIdxHeadStride: the selected key positions, ascending within a row

namespace attnscope {

/// Exact top-k keys per query row: scores s = softcap?(scale · q·k) of the keys the model's mask
/// allows (causal / sliding window, mask_predicates.h), summed in the CPU's fixed order so the
/// bits agree with attn::scoreRow, and the topK largest kept, ties to the lower key position
/// (the contract of attn::selectTopIndices). Scores must be finite.
/// Rows longer than topkSharedKeys() keep their scores in `scratch` (device memory, one row of
/// scratchRowStride >= topkMaxRowKeys() floats per launched (head, row)); null otherwise.
struct TopkSelectParams {
    const float* q = nullptr;
    const float* k = nullptr;
    const int* rowPtr = nullptr;
    int* colIdx = nullptr;
    float* scratch = nullptr;

    long long qHeadStride = 0;
    long long qRowStride = 0;
    long long kHeadStride = 0;
    long long kRowStride = 0;
    long long rowPtrHeadStride = 0;
    long long colIdxHeadStride = 0;
    long long scratchRowStride = 0;

    int nHeads = 0;
    int nKvHeads = 0;
    int nTokens = 0;
    int headDim = 0;
    int rowBegin = 0;  ///< this launch selects the query rows [rowBegin, rowBegin + rowCount)
    int rowCount = 0;
    int topK = 0;
    float scale = 1.0f;
    float softcap = 0.0f;
    bool causal = true;
    int slidingWindow = 0;
};

} // namespace attnscope

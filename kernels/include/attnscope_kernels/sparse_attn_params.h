#pragma once
// POD parameters of the CSR sparse attention kernel (SDDMM → row softmax → SpMM, fused per row).
// Plain C++17, no CUDA or std:: types. Layouts as in dense_attn_params.h; the kept set is CSR:
//   rowPtr: [nTokens + 1] per head at head*rowPtrHeadStride; entries index colIdx and weights
//   colIdx: key positions of each query row (any order, no duplicates, all < nTokens)
//   weights:[nnz] per head at head*weightsHeadStride: the softmax weight applied to each entry
// rowPtrHeadStride = 0 shares one mask between all heads (the weights still differ per head).
// The kept set is taken as given: callers intersect it with the model's own mask beforehand.

namespace attnscope {

/// Sparse forward on a kept set. Rows with no entry get out = 0 and lse = -inf.
/// Device pointers; weights and lse may be null when not needed.
struct SparseAttnParams {
    const float* q = nullptr;
    const float* k = nullptr;
    const float* v = nullptr;
    const int* rowPtr = nullptr;
    const int* colIdx = nullptr;
    float* out = nullptr;
    float* weights = nullptr;
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
    long long rowPtrHeadStride = 0;
    long long weightsHeadStride = 0;

    int nHeads = 0;
    int nKvHeads = 0;
    int nTokens = 0;
    int headDim = 0;
    float scale = 1.0f;
    float softcap = 0.0f;  ///< > 0: score = softcap · tanh(score / softcap)
};

} // namespace attnscope

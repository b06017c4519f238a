#pragma once
// The model's own softmax attention on the CPU. The forward pass uses denseAttention() for the
// attention output and per-row log-sum-exp (the fused kernel: no score row is ever stored); views
// use denseProbabilities() to get one head's full matrix on demand, computed a block of query rows
// at a time so that no N×N matrix exists beyond the one asked for.

#include "attnscope/status.h"
#include "model/layer_qkv.h"

#include <cstdlib>
#include <new>
#include <vector>

namespace attnscope {

/// std::allocator for floats aligned to 64 bytes (a cache line; enough for AVX-512).
struct AlignedFloatAllocator {
    using value_type = float;
    static constexpr std::size_t kAlignment = 64;
    AlignedFloatAllocator() = default;
    template <typename Other>
    AlignedFloatAllocator(const Other&)
    {
    }
    float* allocate(std::size_t count)
    {
        void* memory = ::operator new(count * sizeof(float), std::align_val_t(kAlignment));
        return static_cast<float*>(memory);
    }
    void deallocate(float* pointer, std::size_t) { ::operator delete(pointer, std::align_val_t(kAlignment)); }
    template <typename Other>
    struct rebind {
        using other = AlignedFloatAllocator;
    };
    bool operator==(const AlignedFloatAllocator&) const { return true; }
};

/// Scratch for one row block. Its storage is aligned to the widest vector: Eigen peels unaligned
/// leading elements off vectorised loops and computes them with the scalar exp, so a buffer whose
/// alignment changed from run to run changed the last bits of the probabilities.
using AttentionScratch = std::vector<float, AlignedFloatAllocator>;

/// Query rows per work item: S for a block is kAttentionRowBlock × nTokens floats.
constexpr int kAttentionRowBlock = 64;

/// Attention for query rows [rowBegin, rowEnd) of `head`. Each output pointer may be null:
///   probs:   [rowEnd - rowBegin, nTokens], 0 where masked
///   outputs: [rowEnd - rowBegin, headDim]
///   lse:     [rowEnd - rowBegin], log Σ exp(score) over the visible keys (natural log)
/// `scratch` is reused between calls. The caller guarantees valid indices.
void attendRowBlock(const LayerQkv& qkv, int head, int rowBegin, int rowEnd, float* probs, float* outputs,
                    float* lse, AttentionScratch& scratch);

/// Every head's attention output [nHeads, nTokens, headDim] and log-sum-exp [nHeads, nTokens]
/// (each may be null), and probabilities (null: none) of the heads in `probabilityHeads`
/// [probabilityHeads.size(), nTokens, nTokens], or of every head [nHeads, nTokens, nTokens] when
/// it is empty. Outputs and LSE come from the fused kernel (attention/fused_attention_kernel.h),
/// which holds no score row; only when every head's probabilities are wanted do all three come
/// from one pass of row blocks instead (the N² writes dominate then, and a second pass over the
/// scores would cost more than it saves). Errors: InvalidArgument (inconsistent LayerQkv sizes, a
/// head out of range), OutOfMemory.
Result<void> denseAttention(const LayerQkv& qkv, std::vector<float>* headOutputs, std::vector<float>* lse,
                            int threads = 0, std::vector<float>* probabilities = nullptr,
                            const std::vector<int>& probabilityHeads = {});

/// One head's dense probabilities [nTokens, nTokens] (row = query, 0 where masked) and optionally
/// its per-row log-sum-exp [nTokens]. Errors: InvalidArgument (head out of range, inconsistent
/// sizes), OutOfMemory.
Result<void> denseProbabilities(const LayerQkv& qkv, int head, std::vector<float>& out, std::vector<float>* lse);

/// Checks that the vectors of `qkv` match its sizes and that nHeads is a multiple of nKvHeads.
Result<void> validateLayerQkv(const LayerQkv& qkv);

} // namespace attnscope

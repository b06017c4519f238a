#pragma once
// The GPU paths of the variants' shared steps: the kept-set attention every mask variant ends in
// (attendOnSet) and the top-k selection. Each tries the CUDA backend when
// VariantRunOptions::backend allows it and the head came from a LayerQkv, and otherwise, or on
// any error, says "not here" with the reason recorded in VariantStats::backendFallbackReason, so
// the caller runs its CPU path (DESIGN.md §7.7; backend/dense_attention_dispatch.h for the dense
// forward). Sticky device errors also mark the backend failed (backend/cuda/cuda_check.h), so
// the following heads go straight to the CPU. Same result contract as the CPU paths.

#include "attention/attention_common.h"

#include <optional>
#include <vector>

namespace attnscope::attn {

/// Softmax attention of `input` on `set` on the GPU: true when CUDA computed output [N, d] and,
/// when options.keepAttention, the applied weights [nnz] in the CSR order of `set` (weights empty
/// otherwise). False when CUDA was not selected or not usable, the kept set has more than
/// 2^31 - 1 entries (the kernels index CSR with int32), or the call failed; the outputs are then
/// unspecified and stats.backendFallbackReason says why (first reason only).
bool sparseAttentionOnCuda(const HeadInput& input, const KeptSet& set, const VariantRunOptions& options,
                           std::vector<float>& output, std::vector<float>& weights, VariantStats& stats);

/// The top-k kept set (selectTopIndices per row on exact scores: min(k, allowed) keys per row,
/// ties to the lower key, ascending) computed on the GPU; nullopt when CUDA was not selected, not
/// usable or failed, with the reason in stats.backendFallbackReason.
std::optional<KeptSet> topkSetOnCuda(const HeadInput& input, long long k, const VariantRunOptions& options,
                                     VariantStats& stats);

} // namespace attnscope::attn

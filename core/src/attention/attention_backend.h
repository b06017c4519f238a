#pragma once
// The GPU paths of the variants' shared steps: the kept-set attention every mask variant ends in
// (attendOnSet) and the top-k selection. Each tries the CUDA backend when
// VariantRunOptions::backend allows it and the head came from a LayerQkv, and otherwise, or on
// any error, says "not here" with the reason recorded in VariantStats::backendFallbackReason, so
// the caller runs its CPU path (DESIGN.md §7.7; backend/dense_attention_dispatch.h for the dense
// forward). Sticky device errors also mark the backend failed (backend/cuda/cuda_check.h), so
// the following heads go straight to the CPU. Same result contract as the CPU paths.

#include "attention/attention_common.h"
#include "backend/cuda/cuda_sbm.h"
#include "backend/cuda/cuda_selection.h"

#include <cstdint>
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

/// A square block mask (blockMask[queryBlock · blocks + keyBlock] != 0 keeps the key block) as CSR
/// over query blocks with ascending key blocks: the form runBlockSparseAttentionCuda reads.
/// Offsets are int64 like KeptSet's; blockSparseAttentionOnCuda checks they fit the kernels' int32.
struct BlockMaskCsr {
    std::vector<std::int64_t> rowPtr;  ///< [blocks + 1]
    std::vector<std::int32_t> cols;    ///< kept key blocks
};
BlockMaskCsr blockMaskCsr(const std::vector<std::uint8_t>& blockMask, int blocks);

/// Softmax attention of `input` on a block mask of blockSize-token blocks (block variants: bigbird)
/// on the GPU, each row restricted to its query block's kept key blocks and the model's mask, so
/// equal to sparse attention on keptSetFromBlockMask(input, blockMask, blockSize): true when CUDA
/// computed output [N, d]. The block kernel writes no per-entry weights, so with
/// options.keepAttention this returns false at once and records nothing: the caller's kept-set path
/// (sparseAttentionOnCuda) writes output and applied weights in one pass, which beats a second pass
/// for the weights. False also when CUDA was not selected or not usable, the mask keeps more than
/// 2^31 - 1 blocks, or the call failed, with the reason in stats.backendFallbackReason.
bool blockSparseAttentionOnCuda(const HeadInput& input, const std::vector<std::uint8_t>& blockMask, int blockSize,
                                const VariantRunOptions& options, std::vector<float>& output, VariantStats& stats);

/// The score-selecting variants' kept sets on the GPU (backend/cuda/cuda_selection.h), with
/// topkSetOnCuda's contract: nullopt when CUDA was not selected, not usable or failed, with the
/// reason in stats.backendFallbackReason.
///
/// threshold: per row the allowed keys whose exact score is within delta of the row's maximum, or
/// (byProbability) whose dense probability is at least minProbability.
std::optional<KeptSet> thresholdSetOnCuda(const HeadInput& input, bool byProbability, double delta,
                                          double minProbability, const VariantRunOptions& options,
                                          VariantStats& stats);

/// dsa: a selection on predicted low-rank scores, one CSR row per selection row of `selection`
/// (query rows, or query blocks).
std::optional<KeptSet> lowRankSetOnCuda(const HeadInput& input, const LowRankSelection& selection,
                                        const VariantRunOptions& options, VariantStats& stats);

/// sac: the proxy's global top-(alpha·N) plus the diagonal when selection.selfLoop.
std::optional<KeptSet> sacProxySetOnCuda(const HeadInput& input, const SacProxySelection& selection,
                                         const VariantRunOptions& options, VariantStats& stats);

/// Whether the sbm variant may try CUDA for this head (CUDA selected, a LayerQkv, a usable
/// device); records the reason when not. Asked before the host prepares the sampling request, so
/// a machine without a GPU pays nothing for it.
bool sbmCudaUsable(const HeadInput& input, const VariantRunOptions& options, VariantStats& stats);

/// sbm's k-means assignment on the GPU: logits [count, clusters] and nearest centroid [count] of
/// points [count, dim] against centroids [clusters, dim], the same values as the CPU's
/// (sbm_sampling.h's sbmLogit / sbmNearestCentroid). False when CUDA was not selected, not usable
/// or failed, with the reason in stats.backendFallbackReason.
bool sbmAssignOnCuda(const HeadInput& input, const VariantRunOptions& options, const float* points, int count,
                     int dim, const float* centroids, int clusters, std::vector<float>& logits,
                     std::vector<std::int32_t>& assignment, VariantStats& stats);

/// sbm's fastRG mask sampled on the GPU from the host-prepared request (backend/cuda/cuda_sbm.h):
/// the same kept set as the CPU sampler for the same request. nullopt when CUDA was not selected,
/// not usable or failed, with the reason in stats.backendFallbackReason.
std::optional<KeptSet> sbmSampleOnCuda(const HeadInput& input, const VariantRunOptions& options,
                                       const SbmSampleRequest& request, VariantStats& stats);

/// The feature-map variants on the GPU (backend/cuda/cuda_feature_maps.h), with the same contract
/// as the functions above: true when CUDA computed the result, false (CPU path, reason in
/// stats.backendFallbackReason) when CUDA was not selected, not usable or failed.
///
/// FAVOR+ features of `input` (attn::performerFeaturesFromProjection's contract) from the
/// projection [features, headDim] and, when keyMean is not empty, keys centred on it.
bool performerFeaturesOnCuda(const HeadInput& input, const float* projection, int features,
                             const std::vector<float>& keyMean, const VariantRunOptions& options,
                             std::vector<float>& queryFeatures, std::vector<float>& keyFeatures, VariantStats& stats);

/// The performer's output [N, d] and per-row denominators [N]; the features too when the pointers
/// are not null (materialised weights).
bool performerAttentionOnCuda(const HeadInput& input, const float* projection, int features,
                              const VariantRunOptions& options, std::vector<float>& output,
                              std::vector<double>& denominators, std::vector<float>* queryFeatures,
                              std::vector<float>* keyFeatures, VariantStats& stats);

/// Fastmax's output [N, d] and per-row denominators [N] from the normalised queries and keys
/// ([N, d] row-major each, f64) and the polynomial order.
bool fastmaxAttentionOnCuda(const HeadInput& input, const double* queries, const double* keys, int order,
                            const VariantRunOptions& options, std::vector<float>& output,
                            std::vector<double>& denominators, VariantStats& stats);

} // namespace attnscope::attn

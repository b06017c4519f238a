#pragma once
// What a variant returns for one attention head and a whole layer (DESIGN.md §3), and how close it is
// to dense attention (research/variants.md §7). Plain data, std-only; produced by core, read by the
// CLI (`compare`, `attention --variant`) and the GUI. Shapes are row-major, outer → inner; N is the
// number of tokens, d the head dimension.

#include "attnscope/variant_spec.h"

#include <cstdint>
#include <string>
#include <vector>

namespace attnscope {

/// The effective attention of one head as a CSR matrix over [N queries, N keys]: row i holds the
/// keys that query i attended to (ascending key positions) and the weights actually applied
/// (they sum to 1 per non-empty row for softmax variants; Performer/FAST weights are their implied
/// normalised kernel values). Empty when the variant was run without keeping the structure.
struct CsrAttention {
    std::vector<std::int64_t> rowPtr; ///< [N + 1]
    std::vector<std::int32_t> cols;   ///< [nnz] key positions
    std::vector<float> weights;       ///< [nnz] applied attention weights

    bool empty() const { return rowPtr.empty(); }
    std::int64_t nnz() const { return rowPtr.empty() ? 0 : rowPtr.back(); }
};

/// Per-head bookkeeping of what a variant kept, against the model's own allowed set.
struct VariantStats {
    std::int64_t allowedPairs = 0; ///< Σ_i |allowed(i)| (causal: N(N+1)/2)
    std::int64_t keptPairs = 0;    ///< Σ_i kept keys (density-1 variants: == allowedPairs)
    double density = 0.0;          ///< keptPairs / allowedPairs
    int emptyRows = 0;             ///< rows with no kept key (their output is zero)
    std::vector<std::int32_t> keptPerRow; ///< [N]
    double expectedDensity = -1.0; ///< sbm: expected density of the Bernoulli graph; else -1
    double estimateFlops = 0.0;    ///< cost of building the mask/estimate (not the attention itself)
    double attentionFlops = 0.0;   ///< cost of the attention step (kept pairs, or the factorised form)
    double attentionBytes = 0.0;   ///< bytes the attention step moves (gather model, docs/variants.md)
    double estimateSeconds = 0.0;  ///< wall time of the mask/estimate step
    double attentionSeconds = 0.0; ///< wall time of the (sparse) attention step
    /// Where the kept-set attention ran: "cpu" or "cuda" (VariantRunOptions::backend); for the
    /// density-1 linear variants (performer, fast) where their linear attention ran. dense always
    /// reports "cpu".
    std::string attentionBackend = "cpu";
    /// Where the mask selection ran when it has a GPU path (topk: "cpu" or "cuda"; sea in tf mode:
    /// where its Performer features ran, the bin masses and top cells being on the CPU); empty when
    /// the variant's selection only runs on the CPU.
    std::string selectionBackend;
    /// Why CUDA was tried and not used ("CUDA backend unavailable: no CUDA device", an out-of-memory
    /// refusal, a device error); the first reason of the head, empty when CUDA ran or was not tried.
    std::string backendFallbackReason;
};

/// What one head of a variant produced. Optional members are empty when not applicable or when the
/// sequence is longer than VariantRunOptions::maxMaterialisedTokens.
struct HeadVariantResult {
    int head = 0;
    std::vector<float> output; ///< [N, d]
    CsrAttention attention;    ///< effective attention (kept keys + applied weights)
    VariantStats stats;
    /// Block mask [nQueryBlocks, nKeyBlocks] (1 = block computed), for block variants (bigbird).
    std::vector<std::uint8_t> blockMask;
    int blockSize = 0;
    /// Cluster memberships (sbm): [N, clusters] for queries and keys, and the block matrix
    /// [clusters, clusters] (entries sum to 1 before scaling; `blockScale` is the density factor c).
    std::vector<float> queryMemberships;
    std::vector<float> keyMemberships;
    std::vector<float> blockMatrix;
    int clusters = 0;
    double blockScale = 0.0;
    /// Dense estimate [N, N] (0 outside the allowed set): sea = stretched estimated probabilities,
    /// dsa/sac proxy = predicted scores, sbm = edge probabilities min(1, c·P + floor), fast/performer =
    /// their implied attention. `estimateKind` names which ("probabilities", "scores", "edge_probabilities").
    std::vector<float> estimate;
    std::string estimateKind;
    /// sea: compressed estimate [N, tm] (row-relative bins) and the compressed mask [N, tm].
    std::vector<float> compressedEstimate;
    std::vector<std::uint8_t> compressedMask;
    int compressedWidth = 0;
    /// sac adaptive-span: the span chosen for this head; -1 otherwise.
    int span = -1;
};

/// How close a variant's head is to dense attention on the same input (variants.md §7). Row
/// quantities are averaged over rows that may attend to at least one key.
struct VariantMetrics {
    int head = 0;
    double density = 0.0;     ///< kept / allowed pairs
    double recall = 0.0;      ///< mean_i Σ_{j kept} A_ij: dense mass on the kept keys
    /// KL(effective ‖ dense) = Σ_j Â_ij log(Â_ij / A_ij) per row, finite for any support; equals
    /// −log(recall_i) for a mask on exact scores. Rows with no kept key are skipped here.
    double kl = 0.0;
    /// KL(dense ‖ effective) = Σ_j A_ij log(A_ij / (Â_ij + 1e-9)) (variants.md §7, ε = 1e-9): large
    /// when the support misses dense mass.
    double klDenseEffective = 0.0;
    double tv = 0.0;          ///< ½ Σ_j |Â_ij − A_ij|, = 1 − recall for a mask on exact scores
    double jaccard = 0.0;     ///< |S_i ∩ T_i| / |S_i ∪ T_i|, T_i = dense top-|S_i|
    double outputError = 0.0; ///< ‖O − O_dense‖_F / ‖O_dense‖_F
    double negativeShare = 0.0; ///< share of applied weights < 0 (Performer/FAST order 1 can go negative)
    int emptyRows = 0;
    double sparseFlops = 0.0; ///< attention FLOPs on the kept pairs + the estimate's FLOPs
    double denseFlops = 0.0;  ///< dense attention FLOPs on the allowed pairs
    double sparseBytes = 0.0; ///< bytes moved, gather model (see docs/variants.md)
    double denseBytes = 0.0;
    bool distributionMetrics = true; ///< false when the effective attention was not kept (N too large)
};

/// Which backend a variant's kept-set attention (and its selection, where a GPU path exists) may
/// use. Auto: CUDA when it is compiled, a device is usable and the head fits, else the CPU (the
/// reason lands in VariantStats::backendFallbackReason); Cpu: the CPU only (bit-reproducible runs).
enum class VariantBackend { Auto, Cpu };

/// Options of a variant run.
struct VariantRunOptions {
    std::vector<int> heads; ///< query heads to run; empty = all
    /// Keep the CSR effective attention in the result (metrics need it; it is dropped afterwards
    /// when false). Density-1 variants (dense, performer, fast) materialise it only up to
    /// maxMaterialisedTokens.
    bool keepAttention = true;
    int maxMaterialisedTokens = 2048; ///< N above which N×N estimates are not stored
    bool computeMetrics = true;
    int threads = 0; ///< 0 = default (ATTNSCOPE_THREADS or hardware concurrency)
    /// Fill LayerVariantResult::outputs of the heads not requested with dense attention, so the
    /// result can replace the whole layer in the forward pass. Callers that look at one head only
    /// (the compare view, structure views) turn it off: at N = 2048 the other heads' dense
    /// attention costs more than the variant itself. Their outputs are then zero.
    bool denseForOtherHeads = true;
    VariantBackend backend = VariantBackend::Auto; ///< see VariantBackend
};

/// One variant applied to one layer.
struct LayerVariantResult {
    VariantSpec spec;
    int layer = 0;
    int nHeads = 0;
    int nTokens = 0;
    int headDim = 0;
    /// [nHeads, N, d]: the variant's output for the requested heads, dense output for the others
    /// (so that it can replace the layer's attention in the forward pass; zero when
    /// VariantRunOptions::denseForOtherHeads is off).
    std::vector<float> outputs;
    std::vector<HeadVariantResult> heads; ///< one per requested head
    std::vector<VariantMetrics> metrics;  ///< one per requested head when computeMetrics
    VariantMetrics mean;                  ///< mean of `metrics` over heads (head = -1)
};

} // namespace attnscope

#pragma once
// sbm's graph model (variant_sbm.cpp): memberships of every query and key in k clusters and the
// k × k block matrix, so that the expected graph is P = Q^ B K^ᵀ. Training-free (spherical
// k-means, variants.md §5.3 recipe 1) or learned (the paper's parametrisation fitted by
// tools/predictors/sbm.py). The sampling of the graph stays in variant_sbm.cpp / sbm_sampler.h.

#include "attention/attention_common.h"

#include <Eigen/Core>

#include <cstdint>

namespace attnscope::attn {

// k-means runs on at most this many of the 2N q/k points (a strided subsample beyond it).
inline constexpr int kKmeansPoints = 2048;
// The block matrix reads dense probabilities of query rows holding at most this many pairs.
inline constexpr std::int64_t kBlockPairs = 1 << 18;

struct SbmGraphModel {
    using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    RowMatrix memberships; ///< [2N, k]: σ(...) of the N queries, then of the N keys
    Eigen::MatrixXd block; ///< [k, k], entries sum to 1
};

/// The training-free model: spherical k-means on the normalised q and k (at most kKmeansPoints of
/// them), memberships σ(β·cos + γ), block matrix from the dense mass between hard clusters. The
/// final assignment runs on the GPU when options allow (stats records where). Errors:
/// InvalidArgument when the k-means sample has fewer points than clusters.
Result<SbmGraphModel> kmeansGraphModel(const HeadInput& input, int clusters, int iterations, std::uint64_t seed,
                                       const VariantRunOptions& options, VariantStats& stats);

/// The cluster count of input.learned's embeddings for this layer (validated at load).
int learnedClusterCount(const HeadInput& input);

/// The learned model of input.learned (validated by validateSbmPredictors).
SbmGraphModel learnedGraphModel(const HeadInput& input);

} // namespace attnscope::attn

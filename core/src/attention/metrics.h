#pragma once
// Quality of a variant against dense attention on the same head (research/variants.md §7). The
// dense probabilities are recomputed row by row (float scores, double softmax), never stored as N×N.

#include "attention/attention_common.h"
#include "attnscope/variant_result.h"

#include <vector>

namespace attnscope::attn {

/// ε of KL(dense ‖ effective), as variants.md §7 prescribes: a key with dense mass and no effective
/// weight contributes A_ij·log(A_ij / ε).
inline constexpr double kKlEpsilon = 1e-9;

/// Metrics of one head. Without result.attention (not kept), only density, output error, FLOPs
/// and bytes are filled and distributionMetrics is false. Thread-safe; threads as in parallelFor.
VariantMetrics computeHeadMetrics(const HeadInput& input, const HeadVariantResult& result, int threads = 0);

/// Mean over heads of every metric (head = -1); sums for FLOPs, bytes and empty rows.
VariantMetrics meanMetrics(const std::vector<VariantMetrics>& heads);

} // namespace attnscope::attn

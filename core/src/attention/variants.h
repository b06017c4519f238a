#pragma once
// The CPU variants, one function per kind (one file each: variant_<kind>.cpp). Each takes one head
// and a spec already validated by validateVariantSpec, and returns the head's output, effective
// attention and stats (attnscope/variant_result.h). Run-time errors: InvalidArgument for a
// parameter that does not fit this input (sbm clusters > N).

#include "attention/attention_common.h"
#include "attnscope/variant_spec.h"

#include <Eigen/Core>

#include <cstdint>
#include <vector>

namespace attnscope::attn {

using HeadVariantFn = Result<HeadVariantResult> (*)(const HeadInput&, const VariantSpec&, const VariantRunOptions&);

Result<HeadVariantResult> runDense(const HeadInput& input, const VariantSpec& spec, const VariantRunOptions& options);
Result<HeadVariantResult> runTopk(const HeadInput& input, const VariantSpec& spec, const VariantRunOptions& options);
Result<HeadVariantResult> runTopp(const HeadInput& input, const VariantSpec& spec, const VariantRunOptions& options);
Result<HeadVariantResult> runThreshold(const HeadInput& input, const VariantSpec& spec,
                                       const VariantRunOptions& options);
Result<HeadVariantResult> runWindow(const HeadInput& input, const VariantSpec& spec, const VariantRunOptions& options);
Result<HeadVariantResult> runStrided(const HeadInput& input, const VariantSpec& spec, const VariantRunOptions& options);
Result<HeadVariantResult> runBigbird(const HeadInput& input, const VariantSpec& spec, const VariantRunOptions& options);
Result<HeadVariantResult> runLongformer(const HeadInput& input, const VariantSpec& spec,
                                        const VariantRunOptions& options);
Result<HeadVariantResult> runRandom(const HeadInput& input, const VariantSpec& spec, const VariantRunOptions& options);
Result<HeadVariantResult> runPerformer(const HeadInput& input, const VariantSpec& spec,
                                       const VariantRunOptions& options);
Result<HeadVariantResult> runSbm(const HeadInput& input, const VariantSpec& spec, const VariantRunOptions& options);
Result<HeadVariantResult> runDsa(const HeadInput& input, const VariantSpec& spec, const VariantRunOptions& options);
Result<HeadVariantResult> runSac(const HeadInput& input, const VariantSpec& spec, const VariantRunOptions& options);
Result<HeadVariantResult> runFast(const HeadInput& input, const VariantSpec& spec, const VariantRunOptions& options);

/// SEA works on several heads at once: with grouping=heads the heads of a query share one budget.
Result<std::vector<HeadVariantResult>> runSea(const std::vector<HeadInput>& heads, const VariantSpec& spec,
                                              const VariantRunOptions& options);

/// The random control with a given number of keys per row (e.g. another variant's keptPerRow),
/// clamped to each row's allowed keys.
Result<HeadVariantResult> runRandomWithCounts(const HeadInput& input, const std::vector<std::int32_t>& counts,
                                              std::uint64_t seed, const VariantRunOptions& options);

// ---- Helpers shared by several variants ----

/// Positive orthogonal random features of FAVOR+ for the softmax kernel exp(s q·k): φ(x) for every
/// row of q and k of the head, [N, m] row-major each. Rows are rescaled by constants that cancel in
/// any normalised use (per-query max, one global key max). `centreKeys` subtracts the mean key
/// first, which leaves softmax attention unchanged and lowers the estimator's variance.
struct PerformerFeatures {
    int features = 0;
    std::vector<float> query;
    std::vector<float> key;
    double flops = 0.0;
};
PerformerFeatures performerFeatures(const HeadInput& input, int features, std::uint64_t seed,
                                     bool centreKeys = false, int threads = 0);
/// The projection ω that performerFeatures draws for this head and seed: [features, headDim]
/// row-major, f32 (the same bits on every backend: the CUDA path uploads it).
std::vector<float> performerProjection(const HeadInput& input, int features, std::uint64_t seed);
/// performerFeatures computed on the GPU when options.backend allows and the device can
/// (attention_backend.h; *onCuda = true), else on the CPU with the reason in
/// stats.backendFallbackReason. The GPU features equal the CPU's to f32 rounding (expf vs Eigen's
/// exp, summation order), not bit for bit.
PerformerFeatures performerFeaturesPreferCuda(const HeadInput& input, int features, std::uint64_t seed,
                                              bool centreKeys, const VariantRunOptions& options, VariantStats& stats,
                                              bool* onCuda);

/// DSA's prediction path: q and k projected to rank r with a seeded Gaussian matrix N(0, 1/r),
/// optionally quantised to `bits` (symmetric per row). [N, r] row-major each (dequantised values).
struct LowRankProjection {
    int rank = 0;
    std::vector<float> query;
    std::vector<float> key;
    double flops = 0.0;
};
LowRankProjection lowRankProjection(const HeadInput& input, int rank, int bits, std::uint64_t seed);
/// DSA's learned prediction path: the fitted projections of input.learned (a validated dsa
/// predictor file) for this layer and head, then the same quantisation.
LowRankProjection learnedLowRankProjection(const HeadInput& input, int bits);

/// Predicted scores s·q~_i·k~_j of queries [rowBegin, rowEnd) against keys [keyBegin, keyEnd) in one
/// rank-r GEMM: scores is resized to [rows, keys], row-major.
void predictedScoreBlock(const HeadInput& input, const LowRankProjection& projection, int rowBegin, int rowEnd,
                         int keyBegin, int keyEnd,
                         Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>& scores);

/// Exact dense probabilities of one row over its allowed keys (float scores, double softmax).
void denseProbabilityRow(const HeadInput& input, int queryPos, KeyRange range, std::vector<float>& scratch,
                         std::vector<double>& probabilities);

} // namespace attnscope::attn

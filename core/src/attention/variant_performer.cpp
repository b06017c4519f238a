// performer: FAVOR+ (Choromanski et al. 2021), linear attention with positive orthogonal random
// features for the softmax kernel. The model's allowed set is an interval per query whose ends only
// move forward, so one sweep that adds entering keys and removes leaving ones serves the causal,
// bidirectional and sliding-window cases (plain prefix sums when causal without a window).
#include "attention/allowed_sweep.h"
#include "attention/attention_backend.h"
#include "attention/learned_sea.h"
#include "attention/variants.h"

#include <Eigen/Core>
#include <Eigen/QR>

#include <algorithm>
#include <cmath>
#include <limits>

namespace attnscope::attn {

namespace {

using RowMatrixF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Rows per parallel feature block (one GEMM each).
constexpr int kFeatureRowBlock = 256;

// Orthogonal Gaussian rows (blocks of d orthonormal rows from QR) rescaled by chi_d norms, so each
// row is marginally N(0, I) while rows within a block are exactly orthogonal (FAVOR+ "ORF").
Eigen::MatrixXd orthogonalFeatures(int features, int d, Rng& rng)
{
    Eigen::MatrixXd projection(features, d);
    for (int rowBegin = 0; rowBegin < features; rowBegin += d) {
        Eigen::MatrixXd gaussian(d, d);
        for (int index = 0; index < d * d; ++index) {
            gaussian.data()[index] = rng.normal();
        }
        const Eigen::MatrixXd orthonormal = Eigen::HouseholderQR<Eigen::MatrixXd>(gaussian).householderQ();
        const int rows = std::min(d, features - rowBegin);
        for (int row = 0; row < rows; ++row) {
            double normSquared = 0.0;
            for (int dim = 0; dim < d; ++dim) {
                const double g = rng.normal();
                normSquared += g * g;
            }
            projection.row(rowBegin + row) = orthonormal.col(row).transpose() * std::sqrt(normSquared);
        }
    }
    return projection;
}

// The mean key that centreKeys subtracts (summed in double, stored in float).
Eigen::RowVectorXf keyMean(const HeadInput& input)
{
    const Eigen::Map<const RowMatrixF> keys(input.k, input.nTokens, input.headDim);
    return keys.cast<double>().colwise().mean().cast<float>();
}

// Logits (one GEMM per side) and exp of the query and key features.
double featureFlops(int n, int d, int features)
{
    return 2.0 * (2.0 * n * d * features + 2.0 * n * features);
}

// The CPU's linear attention: one sweep over the allowed intervals, state and contraction in
// double. output [N, d], denominators [N].
void attendOnCpu(const HeadInput& input, const PerformerFeatures& phi, HeadVariantResult& result,
                 std::vector<double>& denominators)
{
    const int n = input.nTokens;
    const int d = input.headDim;
    const int m = phi.features;
    Stopwatch attentionWatch;
    result.output.assign(static_cast<std::size_t>(n) * d, 0.0f);
    denominators.assign(static_cast<std::size_t>(n), 0.0);
    Eigen::VectorXd keySum = Eigen::VectorXd::Zero(m);
    Eigen::MatrixXd keyValue = Eigen::MatrixXd::Zero(m, d);
    const auto update = [&](int keyPos, double sign) {
        const Eigen::VectorXd feature =
            Eigen::Map<const Eigen::VectorXf>(phi.key.data() + static_cast<std::size_t>(keyPos) * m, m).cast<double>();
        keySum += sign * feature;
        keyValue += sign * (feature * Eigen::Map<const Eigen::RowVectorXf>(input.v + static_cast<std::size_t>(keyPos) * d, d)
                                          .cast<double>());
    };
    sweepAllowedKeys(input, update, [&](int queryPos) {
        const Eigen::VectorXd query =
            Eigen::Map<const Eigen::VectorXf>(phi.query.data() + static_cast<std::size_t>(queryPos) * m, m).cast<double>();
        const double denominator = query.dot(keySum);
        denominators[static_cast<std::size_t>(queryPos)] = denominator;
        if (denominator > 0.0) {
            Eigen::Map<Eigen::RowVectorXf>(result.output.data() + static_cast<std::size_t>(queryPos) * d, d) =
                ((query.transpose() * keyValue) / denominator).cast<float>();
        }
    });
    result.stats.attentionSeconds = attentionWatch.seconds();
}

} // namespace

std::vector<float> performerProjection(const HeadInput& input, int features, std::uint64_t seed)
{
    Rng rng(mixSeed(seed, input.layer, input.head, 0x9e7f0));
    const RowMatrixF projection = orthogonalFeatures(features, input.headDim, rng).cast<float>();
    return std::vector<float>(projection.data(), projection.data() + projection.size());
}

PerformerFeatures performerFeatures(const HeadInput& input, int features, std::uint64_t seed, bool centreKeys,
                                     int threads)
{
    const std::vector<float> projection = performerProjection(input, features, seed);
    return performerFeaturesFromProjection(input, projection.data(), features, centreKeys, threads);
}

PerformerFeatures performerFeaturesPreferCuda(const HeadInput& input, int features, std::uint64_t seed,
                                              bool centreKeys, const VariantRunOptions& options, VariantStats& stats,
                                              bool* onCuda)
{
    const std::vector<float> projection = performerProjection(input, features, seed);
    std::vector<float> mean;
    if (centreKeys && input.nTokens > 0) {
        const Eigen::RowVectorXf centre = keyMean(input);
        mean.assign(centre.data(), centre.data() + centre.size());
    }
    PerformerFeatures result;
    *onCuda = performerFeaturesOnCuda(input, projection.data(), features, mean, options, result.query, result.key, stats);
    if (*onCuda) {
        result.features = features;
        result.flops = featureFlops(input.nTokens, input.headDim, features);
        return result;
    }
    return performerFeaturesFromProjection(input, projection.data(), features, centreKeys, options.threads);
}

PerformerFeatures performerFeaturesFromProjection(const HeadInput& input, const float* projectionRows, int features,
                                                  bool centreKeys, int threads)
{
    const int n = input.nTokens;
    const int d = input.headDim;
    const Eigen::Map<const RowMatrixF> projection(projectionRows, features, d);
    // exp(s q·k) = exp(q'·k') with q' = sqrt(s) q, k' = sqrt(s) k.
    const float rootScale = std::sqrt(input.scale);
    PerformerFeatures result;
    result.features = features;
    const float norm = 1.0f / std::sqrt(static_cast<float>(features));
    const int blocks = (n + kFeatureRowBlock - 1) / kFeatureRowBlock;
    // Row blocks in parallel: logits (one GEMM per block), then exp. Every step is row-local
    // except the keys' single global max, reduced between the two passes.
    auto compute = [&](const float* rows, std::vector<float>& out, bool perRowMax) {
        out.resize(static_cast<std::size_t>(n) * features);
        std::vector<float> blockMax(static_cast<std::size_t>(blocks), -std::numeric_limits<float>::infinity());
        parallelFor(
            blocks,
            [&](std::int64_t block) {
                const int rowBegin = static_cast<int>(block) * kFeatureRowBlock;
                const int count = std::min(n, rowBegin + kFeatureRowBlock) - rowBegin;
                Eigen::Map<const RowMatrixF> x(rows + static_cast<std::size_t>(rowBegin) * d, count, d);
                Eigen::Map<RowMatrixF> logits(out.data() + static_cast<std::size_t>(rowBegin) * features, count,
                                              features);
                logits.noalias() = (x * projection.transpose()) * rootScale;
                for (int row = 0; row < count; ++row) {
                    const float halfNorm = 0.5f * input.scale * x.row(row).squaredNorm();
                    logits.row(row).array() -= halfNorm;
                    // A constant per query (or one for all keys) cancels in the normalised
                    // attention and keeps exp() in range.
                    if (perRowMax) {
                        logits.row(row).array() -= logits.row(row).maxCoeff();
                    }
                }
                if (!perRowMax) {
                    blockMax[static_cast<std::size_t>(block)] = logits.maxCoeff();
                }
            },
            threads);
        const float shift = perRowMax ? 0.0f : *std::max_element(blockMax.begin(), blockMax.end());
        parallelFor(
            blocks,
            [&](std::int64_t block) {
                const int rowBegin = static_cast<int>(block) * kFeatureRowBlock;
                const int count = std::min(n, rowBegin + kFeatureRowBlock) - rowBegin;
                Eigen::Map<RowMatrixF> logits(out.data() + static_cast<std::size_t>(rowBegin) * features, count,
                                              features);
                // Through an aligned temporary: the vectorised exp peels a different number of
                // scalar elements on an unaligned destination, which would change the bits with the
                // allocation.
                thread_local RowMatrixF aligned;
                aligned = (logits.array() - shift).exp() * norm;
                logits = aligned;
            },
            threads);
    };
    compute(input.q, result.query, true);
    if (centreKeys && n > 0) {
        // softmax_j(q·k_j) = softmax_j(q·(k_j − μ)) for any fixed μ (q·μ is constant in a row), but
        // the FAVOR+ variance grows like exp(‖q' + k'‖²): removing the keys' common component
        // leaves every row's attention unchanged and shrinks the estimator's noise.
        const Eigen::Map<const RowMatrixF> keys(input.k, n, d);
        RowMatrixF centred = keys.rowwise() - keyMean(input);
        compute(centred.data(), result.key, false);
    } else {
        compute(input.k, result.key, false);
    }
    result.flops = featureFlops(n, d, features);
    return result;
}

Result<HeadVariantResult> runPerformer(const HeadInput& input, const VariantSpec& spec,
                                       const VariantRunOptions& options)
{
    const int n = input.nTokens;
    const int d = input.headDim;
    long long features = specInt(spec, "features");
    if (features == 0) {
        features = std::max(1LL, std::llround(d * std::log(static_cast<double>(std::max(d, 2)))));
    }
    const int m = static_cast<int>(features);
    HeadVariantResult result;
    result.head = input.head;
    const bool keepWeights = materialise(input, options);
    Stopwatch watch;
    const std::vector<float> projection =
        performerProjection(input, m, static_cast<std::uint64_t>(specInt(spec, "seed")));
    PerformerFeatures phi;
    std::vector<double> denominators;
    if (performerAttentionOnCuda(input, projection.data(), m, options, result.output, denominators,
                                 keepWeights ? &phi.query : nullptr, keepWeights ? &phi.key : nullptr,
                                 result.stats)) {
        // One device call computes the features and the attention: its time is the attention's.
        result.stats.attentionBackend = "cuda";
        result.stats.attentionSeconds = watch.seconds();
        phi.features = m;
        phi.flops = featureFlops(n, d, m);
    } else {
        phi = performerFeaturesFromProjection(input, projection.data(), m, false, options.threads);
        result.stats.estimateSeconds = watch.seconds();
        attendOnCpu(input, phi, result, denominators);
    }
    result.stats.estimateFlops = phi.flops;

    std::vector<float> weights;
    if (keepWeights) {
        weights.reserve(static_cast<std::size_t>(allowedPairCount(input)));
        for (int queryPos = 0; queryPos < n; ++queryPos) {
            const KeyRange range = allowedKeys(input, queryPos);
            const double denominator = denominators[static_cast<std::size_t>(queryPos)];
            const float* query = phi.query.data() + static_cast<std::size_t>(queryPos) * m;
            for (int keyPos = range.first; keyPos <= range.last; ++keyPos) {
                const double value = dotProduct(query, phi.key.data() + static_cast<std::size_t>(keyPos) * m, m);
                weights.push_back(denominator > 0.0 ? static_cast<float>(value / denominator) : 0.0f);
            }
        }
    }
    finishAllAllowed(input, std::move(weights), result);
    result.estimateKind = "probabilities";
    // Linear attention: per token one m×d state update and one m×d contraction, whatever N is.
    result.stats.attentionFlops = 4.0 * n * m * d + 4.0 * n * m;
    result.stats.attentionBytes = 4.0 * n * (2.0 * m + 2.0 * d);
    return result;
}

} // namespace attnscope::attn

// fast: Fastmax (Gerami et al. 2024), f(x) = a0 + a1 x + a2 x^2 (a = 1, 1, 1/2; order 1 drops x^2)
// on normalised q,k. Exact factorised form: moments of the keys in the row's allowed interval
// (counts, Σv, Σk, Σk vᵀ, Σk kᵀ, Σ(k⊗k) vᵀ) contracted with q and q⊗q, O(N·d³) for order 2. The
// interval only moves forward, so one add/remove sweep is the causal prefix sum and also serves the
// sliding window. The paper's exact normalisation is unverified (variants.md §4.1, §9): mode=paper
// follows the CUDA package (divide by the head's largest token norm, times lim; optional centring as
// in the einops reference). Softcap does not apply (there is no softmax). Density is 1.
#include "attention/allowed_sweep.h"
#include "attention/attention_backend.h"
#include "attention/variants.h"
#include "attnscope_kernels/feature_map_math.h"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>

namespace attnscope::attn {

namespace {

using RowMatrixD = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

RowMatrixD normalised(const float* rows, int n, int d, bool paper, bool center, double lim, double factor)
{
    RowMatrixD x = Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(rows, n, d)
                       .cast<double>();
    if (!paper) {
        return x * factor;
    }
    if (center) {
        for (int row = 0; row < n; ++row) {
            x.row(row).array() -= x.row(row).mean();
        }
    }
    double maxNorm = 0.0;
    for (int row = 0; row < n; ++row) {
        maxNorm = std::max(maxNorm, x.row(row).norm());
    }
    return maxNorm > 0.0 ? RowMatrixD(x * (lim * factor / maxNorm)) : x;
}

// The CPU's factorised attention: moments of the keys in the row's allowed interval (one add/remove
// sweep) contracted with q and q⊗q, in double. output [N, d], denominators [N].
void attendOnCpu(const HeadInput& input, const RowMatrixD& queries, const RowMatrixD& keys, const RowMatrixD& values,
                 const FastmaxCoefficients& coefficients, int order, std::vector<float>& output,
                 std::vector<double>& denominators)
{
    const int n = input.nTokens;
    const int d = input.headDim;
    const double a0 = coefficients.a0;
    const double a1 = coefficients.a1;
    const double a2 = coefficients.a2;
    double count = 0.0;
    Eigen::RowVectorXd valueSum = Eigen::RowVectorXd::Zero(d);
    Eigen::VectorXd keySum = Eigen::VectorXd::Zero(d);
    Eigen::MatrixXd keyValue = Eigen::MatrixXd::Zero(d, d);
    Eigen::VectorXd keyKey = Eigen::VectorXd::Zero(order >= 2 ? d * d : 0);
    Eigen::MatrixXd keyKeyValue = Eigen::MatrixXd::Zero(order >= 2 ? d * d : 0, d);
    Eigen::VectorXd outer(order >= 2 ? d * d : 0);
    denominators.assign(static_cast<std::size_t>(n), 0.0);
    output.assign(static_cast<std::size_t>(n) * d, 0.0f);
    auto update = [&](int keyPos, double sign) {
        const auto key = keys.row(keyPos).transpose();
        const auto value = values.row(keyPos);
        count += sign;
        valueSum += sign * value;
        keySum += sign * key;
        keyValue.noalias() += sign * key * value;
        if (order >= 2) {
            Eigen::Map<Eigen::MatrixXd>(outer.data(), d, d).noalias() = key * key.transpose();
            keyKey += sign * outer;
            keyKeyValue.noalias() += sign * outer * value;
        }
    };
    sweepAllowedKeys(input, update, [&](int queryPos) {
        const auto query = queries.row(queryPos);
        Eigen::RowVectorXd numerator = a0 * valueSum + a1 * (query * keyValue);
        double denominator = a0 * count + a1 * query.dot(keySum.transpose());
        if (order >= 2) {
            Eigen::Map<Eigen::MatrixXd>(outer.data(), d, d).noalias() = query.transpose() * query;
            numerator.noalias() += a2 * (outer.transpose() * keyKeyValue);
            denominator += a2 * outer.dot(keyKey);
        }
        denominators[static_cast<std::size_t>(queryPos)] = denominator;
        if (denominator != 0.0) {
            Eigen::Map<Eigen::RowVectorXf>(output.data() + static_cast<std::size_t>(queryPos) * d, d) =
                (numerator / denominator).cast<float>();
        }
    });
}

} // namespace

Result<HeadVariantResult> runFast(const HeadInput& input, const VariantSpec& spec, const VariantRunOptions& options)
{
    const int n = input.nTokens;
    const int d = input.headDim;
    const bool paper = specString(spec, "mode") == "paper";
    const int order = static_cast<int>(specInt(spec, "order"));
    const double tau = specFloat(spec, "tau");
    const double lim = specFloat(spec, "lim");
    const bool center = specBool(spec, "center");
    const FastmaxCoefficients coefficients = fastmaxCoefficients(order);
    const double a0 = coefficients.a0;
    const double a1 = coefficients.a1;
    const double a2 = coefficients.a2;

    HeadVariantResult result;
    result.head = input.head;
    Stopwatch watch;
    // x = q^·k^/tau: the temperature is folded into the queries; taylor mode uses the model's scale.
    const double queryFactor = (paper ? 1.0 : std::sqrt(static_cast<double>(input.scale))) / tau;
    const double keyFactor = paper ? 1.0 : std::sqrt(static_cast<double>(input.scale));
    const RowMatrixD queries = normalised(input.q, n, d, paper, center, lim, queryFactor);
    const RowMatrixD keys = normalised(input.k, n, d, paper, center, lim, keyFactor);
    const RowMatrixD values =
        Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(input.v, n, d)
            .cast<double>();
    result.stats.estimateSeconds = watch.seconds();

    Stopwatch attentionWatch;
    std::vector<double> denominators(static_cast<std::size_t>(n), 0.0);
    if (fastmaxAttentionOnCuda(input, queries.data(), keys.data(), order, options, result.output, denominators,
                               result.stats)) {
        result.stats.attentionBackend = "cuda";
    } else {
        attendOnCpu(input, queries, keys, values, coefficients, order, result.output, denominators);
    }
    result.stats.attentionSeconds = attentionWatch.seconds();

    std::vector<float> weights;
    if (materialise(input, options)) {
        weights.reserve(static_cast<std::size_t>(allowedPairCount(input)));
        for (int queryPos = 0; queryPos < n; ++queryPos) {
            const KeyRange range = allowedKeys(input, queryPos);
            const double denominator = denominators[static_cast<std::size_t>(queryPos)];
            for (int keyPos = range.first; keyPos <= range.last; ++keyPos) {
                const double x = queries.row(queryPos).dot(keys.row(keyPos));
                const double f = a0 + a1 * x + a2 * x * x;
                weights.push_back(denominator != 0.0 ? static_cast<float>(f / denominator) : 0.0f);
            }
        }
    }
    finishAllAllowed(input, std::move(weights), result);
    result.estimateKind = "probabilities";
    const double stateSize = 1.0 + d + (order >= 2 ? static_cast<double>(d) * d : 0.0);
    result.stats.attentionFlops = 4.0 * n * stateSize * (d + 1);
    result.stats.attentionBytes = 4.0 * n * 3.0 * d + 8.0 * stateSize * (d + 1);
    return result;
}

} // namespace attnscope::attn

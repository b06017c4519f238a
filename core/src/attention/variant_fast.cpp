// fast: Fastmax (Gerami et al. 2024), f(x) = a0 + a1 x + a2 x^2 (a = 1, 1, 1/2; order 1 drops x^2)
// on normalised q,k. Exact factorised form: moments of the keys in the row's allowed interval
// (counts, Σv, Σk, Σk vᵀ, Σk kᵀ, Σ(k⊗k) vᵀ) contracted with q and q⊗q, O(N·d³) for order 2. The
// interval only moves forward, so one add/remove sweep is the causal prefix sum and also serves the
// sliding window. The paper's exact normalisation is unverified (variants.md §4.1, §9): mode=paper
// follows the CUDA package (divide by the head's largest token norm, times lim; optional centring as
// in the einops reference). Softcap does not apply (there is no softmax). Density is 1.
//
// form=explicit sums f(q^·k^) over every allowed pair instead, O(pairs·d): the same values up to
// rounding, and far fewer operations whenever a text is shorter than about d² tokens (order 2), as
// for a 512-token text on Gemma 3's d = 256 heads: 67 M against 17 G multiply-adds per head (d³
// per key added and per query).
// form=auto (the default) takes whichever costs fewer; the reported FLOPs stay the factorised
// form's, the cost of the method as the paper runs it.
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

// The explicit form: each allowed pair's f(x) and the rows' sums, in double, rows in parallel.
// output [N, d], denominators [N]; with `weights`, every allowed pair's f / Σf in row-major order
// (as finishAllAllowed takes them).
void attendExplicitlyOnCpu(const HeadInput& input, const RowMatrixD& queries, const RowMatrixD& keys,
                           const RowMatrixD& values, const FastmaxCoefficients& coefficients, int threads,
                           std::vector<float>& output, std::vector<double>& denominators, std::vector<float>* weights)
{
    const int n = input.nTokens;
    const int d = input.headDim;
    std::vector<std::int64_t> rowStart(static_cast<std::size_t>(n) + 1, 0);
    for (int row = 0; row < n; ++row) {
        rowStart[static_cast<std::size_t>(row) + 1] = rowStart[static_cast<std::size_t>(row)] + allowedKeys(input, row).size();
    }
    denominators.assign(static_cast<std::size_t>(n), 0.0);
    output.assign(static_cast<std::size_t>(n) * d, 0.0f);
    if (weights != nullptr) {
        weights->assign(static_cast<std::size_t>(rowStart.back()), 0.0f);
    }
    parallelFor(
        n,
        [&](std::int64_t rowIndex) {
            const int row = static_cast<int>(rowIndex);
            const KeyRange range = allowedKeys(input, row);
            thread_local std::vector<double> polynomial;
            polynomial.resize(static_cast<std::size_t>(range.size()));
            const auto query = queries.row(row);
            double denominator = 0.0;
            Eigen::RowVectorXd numerator = Eigen::RowVectorXd::Zero(d);
            for (int key = range.first; key <= range.last; ++key) {
                const double x = query.dot(keys.row(key));
                const double f = fastmaxPolynomial(coefficients, x);
                polynomial[static_cast<std::size_t>(key - range.first)] = f;
                denominator += f;
                numerator.noalias() += f * values.row(key);
            }
            denominators[static_cast<std::size_t>(row)] = denominator;
            if (denominator != 0.0) {
                Eigen::Map<Eigen::RowVectorXf>(output.data() + static_cast<std::size_t>(row) * d, d) =
                    (numerator / denominator).cast<float>();
            }
            if (weights != nullptr) {
                float* rowWeights = weights->data() + rowStart[static_cast<std::size_t>(row)];
                for (int index = 0; index < range.size(); ++index) {
                    rowWeights[index] = denominator != 0.0
                                            ? static_cast<float>(polynomial[static_cast<std::size_t>(index)] / denominator)
                                            : 0.0f;
                }
            }
        },
        threads);
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

    const double stateSize = 1.0 + d + (order >= 2 ? static_cast<double>(d) * d : 0.0);
    const double factorisedWork = 2.0 * n * stateSize * (d + 1);  // one update and one contraction per token
    const double explicitWork = 2.0 * static_cast<double>(allowedPairCount(input)) * d;
    const std::string form = specString(spec, "form");
    const bool explicitForm = form == "explicit" || (form == "auto" && explicitWork < factorisedWork);

    Stopwatch attentionWatch;
    std::vector<double> denominators(static_cast<std::size_t>(n), 0.0);
    std::vector<float> weights;
    bool weightsDone = false;
    if (explicitForm) {
        const bool keep = materialise(input, options);
        attendExplicitlyOnCpu(input, queries, keys, values, coefficients, options.threads, result.output,
                              denominators, keep ? &weights : nullptr);
        weightsDone = true;
    } else if (fastmaxAttentionOnCuda(input, queries.data(), keys.data(), order, options, result.output, denominators,
                                      result.stats)) {
        result.stats.attentionBackend = "cuda";
    } else {
        attendOnCpu(input, queries, keys, values, coefficients, order, result.output, denominators);
    }
    result.stats.attentionSeconds = attentionWatch.seconds();

    if (!weightsDone && materialise(input, options)) {
        weights.reserve(static_cast<std::size_t>(allowedPairCount(input)));
        for (int queryPos = 0; queryPos < n; ++queryPos) {
            const KeyRange range = allowedKeys(input, queryPos);
            const double denominator = denominators[static_cast<std::size_t>(queryPos)];
            for (int keyPos = range.first; keyPos <= range.last; ++keyPos) {
                const double x = queries.row(queryPos).dot(keys.row(keyPos));
                const double f = fastmaxPolynomial(coefficients, x);
                weights.push_back(denominator != 0.0 ? static_cast<float>(f / denominator) : 0.0f);
            }
        }
    }
    finishAllAllowed(input, std::move(weights), result);
    result.estimateKind = "probabilities";
    result.stats.attentionFlops = 4.0 * n * stateSize * (d + 1);
    result.stats.attentionBytes = 4.0 * n * 3.0 * d + 8.0 * stateSize * (d + 1);
    return result;
}

} // namespace attnscope::attn

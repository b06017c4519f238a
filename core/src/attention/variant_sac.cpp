// sac: Sparse Adaptive Connection (Li et al. 2020), training-free. The paper's edge predictor is an
// LSTM trained by REINFORCE with no released code; its equations are unverified (variants.md §1,
// §9). We implement the spec's recipes: proxy = one global top-(alpha·N) over row-normalised cheap
// scores softmax(s·q~·k~ + beta·prior), prior = -log(1 + |i - j|) (our choice of distance prior);
// oracle = global top-(alpha·N) of the exact dense probabilities; plus the special-case presets.
// Rows therefore get different edge counts, the distinctive SAC property.
#include "attention/variants.h"

#include "attnscope_kernels/mask_predicates.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace attnscope::attn {

namespace {

// Smallest span z such that the mean dense mass at distance <= z reaches `coverage` (adaptive span
// preset; the spec's post-hoc choice of z_h).
int adaptiveSpan(const HeadInput& input, double coverage)
{
    const int n = input.nTokens;
    std::vector<double> massByDistance(static_cast<std::size_t>(n), 0.0);
    std::vector<float> scratch;
    std::vector<double> probabilities;
    for (int queryPos = 0; queryPos < n; ++queryPos) {
        const KeyRange range = allowedKeys(input, queryPos);
        denseProbabilityRow(input, queryPos, range, scratch, probabilities);
        for (int index = 0; index < range.size(); ++index) {
            massByDistance[static_cast<std::size_t>(std::abs(queryPos - (range.first + index)))] +=
                probabilities[static_cast<std::size_t>(index)];
        }
    }
    const double total = std::accumulate(massByDistance.begin(), massByDistance.end(), 0.0);
    double covered = 0.0;
    for (int distance = 0; distance < n; ++distance) {
        covered += massByDistance[static_cast<std::size_t>(distance)];
        if (covered >= coverage * total - 1e-12) {
            return distance;
        }
    }
    return std::max(0, n - 1);
}

} // namespace

Result<HeadVariantResult> runSac(const HeadInput& input, const VariantSpec& spec, const VariantRunOptions& options)
{
    const int n = input.nTokens;
    const std::string preset = specString(spec, "preset");
    const bool selfLoop = specBool(spec, "selfloop");
    HeadVariantResult result;
    result.head = input.head;
    Stopwatch watch;

    if (preset != "none") {
        const int width = static_cast<int>(std::min<long long>(specInt(spec, "w"), n + 1LL));
        int span = n;
        if (preset == "adaptive-span") {
            span = adaptiveSpan(input, specFloat(spec, "coverage"));
            result.span = span;
            result.stats.estimateFlops = pairFlops(input, allowedPairCount(input));
        }
        KeptSet set = keptSetFromPredicate(input, [&](int queryPos, int keyPos) {
            if (preset == "local") {
                return windowAllows(queryPos, keyPos, width, input.causal);
            }
            if (preset == "multi-scale") {
                return multiScaleAllows(queryPos, keyPos, width, input.causal);
            }
            if (preset == "adaptive-span") {
                return std::abs(queryPos - keyPos) <= span;
            }
            return true;
        });
        result.stats.estimateSeconds = watch.seconds();
        attendOnSet(input, std::move(set), options, result);
        return result;
    }

    const bool oracle = specString(spec, "mode") == "oracle";
    const double beta = specFloat(spec, "beta");
    const double tau = specFloat(spec, "tau");
    const auto seed = static_cast<std::uint64_t>(specInt(spec, "seed"));
    long long rank = specInt(spec, "rank");
    if (rank == 0) {
        rank = std::max(1, input.headDim / 4);
    }
    LowRankProjection projection;
    if (!oracle) {
        projection = lowRankProjection(input, static_cast<int>(rank), static_cast<int>(specInt(spec, "bits")), seed);
    }

    // Every allowed pair gets a row-normalised score, laid out in allowedSet() order.
    const KeptSet allowed = allowedSet(input);
    const std::int64_t pairs = allowed.rowPtr.back();
    std::vector<float> keys(static_cast<std::size_t>(pairs));
    const std::uint64_t noiseKey = mixSeed(seed, input.layer, input.head, 0x5ac);
    parallelFor(
        n,
        [&](std::int64_t row) {
            thread_local std::vector<float> scratch;
            thread_local std::vector<double> probabilities;
            const int queryPos = static_cast<int>(row);
            const KeyRange range = allowedKeys(input, queryPos);
            if (oracle) {
                denseProbabilityRow(input, queryPos, range, scratch, probabilities);
            } else {
                scratch.resize(static_cast<std::size_t>(range.size()));
                predictedScoreRow(input, projection, queryPos, range, scratch.data());
                double maxScore = -1e300;
                for (int index = 0; index < range.size(); ++index) {
                    const double prior = -std::log1p(std::abs(queryPos - (range.first + index)));
                    scratch[static_cast<std::size_t>(index)] += static_cast<float>(beta * prior);
                    maxScore = std::max(maxScore, static_cast<double>(scratch[static_cast<std::size_t>(index)]));
                }
                probabilities.resize(scratch.size());
                double sum = 0.0;
                for (std::size_t index = 0; index < scratch.size(); ++index) {
                    probabilities[index] = std::exp(scratch[index] - maxScore);
                    sum += probabilities[index];
                }
                for (double& p : probabilities) {
                    p /= sum;
                }
            }
            float* out = keys.data() + allowed.rowPtr[static_cast<std::size_t>(queryPos)];
            for (int index = 0; index < range.size(); ++index) {
                double key = std::log(std::max(probabilities[static_cast<std::size_t>(index)], 1e-300));
                if (tau > 0.0) {
                    const double u = hashUniform(noiseKey, static_cast<std::uint64_t>(queryPos),
                                                 static_cast<std::uint64_t>(range.first + index));
                    key += tau * -std::log(-std::log(std::max(u, 1e-300)));
                }
                out[index] = static_cast<float>(key);
            }
        },
        options.threads);

    const auto budget = static_cast<std::int64_t>(
        std::min<double>(std::llround(specFloat(spec, "alpha") * n), static_cast<double>(pairs)));
    std::vector<std::uint8_t> chosen(static_cast<std::size_t>(pairs), 0);
    if (budget >= pairs) {
        std::fill(chosen.begin(), chosen.end(), 1);
    } else if (budget > 0) {
        std::vector<std::int64_t> order(static_cast<std::size_t>(pairs));
        std::iota(order.begin(), order.end(), 0);
        std::nth_element(order.begin(), order.begin() + budget, order.end(), [&](std::int64_t a, std::int64_t b) {
            return keys[static_cast<std::size_t>(a)] > keys[static_cast<std::size_t>(b)] ||
                   (keys[static_cast<std::size_t>(a)] == keys[static_cast<std::size_t>(b)] && a < b);
        });
        for (std::int64_t index = 0; index < budget; ++index) {
            chosen[static_cast<std::size_t>(order[static_cast<std::size_t>(index)])] = 1;
        }
    }
    KeptSet set;
    set.rowPtr.assign(static_cast<std::size_t>(n) + 1, 0);
    for (int queryPos = 0; queryPos < n; ++queryPos) {
        for (std::int64_t index = allowed.rowPtr[static_cast<std::size_t>(queryPos)];
             index < allowed.rowPtr[static_cast<std::size_t>(queryPos) + 1]; ++index) {
            const int keyPos = allowed.cols[static_cast<std::size_t>(index)];
            if (chosen[static_cast<std::size_t>(index)] || (selfLoop && keyPos == queryPos)) {
                set.cols.push_back(keyPos);
            }
        }
        set.rowPtr[static_cast<std::size_t>(queryPos) + 1] = static_cast<std::int64_t>(set.cols.size());
    }
    result.stats.estimateSeconds = watch.seconds();
    result.stats.estimateFlops = oracle ? pairFlops(input, pairs) : projection.flops;
    attendOnSet(input, std::move(set), options, result);
    return result;
}

} // namespace attnscope::attn

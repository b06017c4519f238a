// sea: SEA (Lee et al. 2024), training-free (variants.md §3.3 recipes 1 and 2). The paper's learned
// encoder/decoder/CNN and row scalers are dropped (unavailable without training); the scalers are 1.
//   tf:     compressed estimate P^c[i, b] ∝ Performer mass of the keys in bin b of row i. Bins tile
//           the row's own allowed range; the mass of a bin is φ(q_i)·(prefix(end) − prefix(start)),
//           exact for the Performer kernel (the spec resamples absolute bins instead; ours is the
//           same estimate without the interpolation error).
//   oracle: P^c[i, b] = exact dense mass of the keys in bin b (quadratic; the upper bound of the
//           compress → select → stretch pipeline).
// Then top cells in the compressed domain (per head, or with grouping=heads the heads of a query
// share one budget, SEA's causal_batch), stretched back to keys, exact attention on the kept set.
// Deviation: a row uses U = min(tm, L_i) bins, so short rows have one key per bin and no unused
// bins, and the budget is n_i = round(k·U/L_i) cells (≈ k keys) rather than k·tm/L_i.
#include "attention/variants.h"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace attnscope::attn {

namespace {

// First key offset (0-based, within the row's range) of bin `bin` when `length` keys are split into
// `bins` bins with bin(c) = floor((2c − 1)·bins / (2·length)), c = 1..length (SEA's stretch rule).
int binStart(int bin, int bins, int length)
{
    const std::int64_t numerator = 2LL * bin * length + bins;
    return static_cast<int>((numerator + 2LL * bins - 1) / (2LL * bins)) - 1;
}

struct HeadEstimate {
    std::vector<float> compressed; // [N, tm]; only the first U_i bins of row i are used
    double flops = 0.0;
};

HeadEstimate estimateHead(const HeadInput& input, bool oracle, int tm, int features, std::uint64_t seed, int threads)
{
    const int n = input.nTokens;
    HeadEstimate estimate;
    estimate.compressed.assign(static_cast<std::size_t>(n) * tm, 0.0f);
    if (oracle) {
        parallelFor(
            n,
            [&](std::int64_t row) {
                thread_local std::vector<float> scratch;
                thread_local std::vector<double> probabilities;
                const int queryPos = static_cast<int>(row);
                const KeyRange range = allowedKeys(input, queryPos);
                denseProbabilityRow(input, queryPos, range, scratch, probabilities);
                const int bins = std::min(tm, range.size());
                float* out = estimate.compressed.data() + static_cast<std::size_t>(queryPos) * tm;
                for (int bin = 0; bin < bins; ++bin) {
                    const int end = binStart(bin + 1, bins, range.size());
                    for (int offset = binStart(bin, bins, range.size()); offset < end; ++offset) {
                        out[bin] += static_cast<float>(probabilities[static_cast<std::size_t>(offset)]);
                    }
                }
            },
            threads);
        estimate.flops = pairFlops(input, allowedPairCount(input));
        return estimate;
    }
    const PerformerFeatures phi = performerFeatures(input, features, seed, true, threads);
    const int m = features;
    // prefix[j] = Σ_{t<j} φ(k_t), summed in double and stored in float: a bin's mass is
    // F(end) − F(start) with F(j) = φ(q_i)·prefix[j], so a row needs U + 1 float dot products (one
    // per bin boundary) instead of U difference vectors in double. The rounding of F (≈ 1e-6 of the
    // row's total mass) is far below the masses that compete for the top cells.
    using RowMatrixF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    RowMatrixF prefix(n + 1, m);
    {
        Eigen::RowVectorXd running = Eigen::RowVectorXd::Zero(m);
        prefix.row(0).setZero();
        for (int keyPos = 0; keyPos < n; ++keyPos) {
            running += Eigen::Map<const Eigen::RowVectorXf>(phi.key.data() + static_cast<std::size_t>(keyPos) * m, m)
                           .cast<double>();
            prefix.row(keyPos + 1) = running.cast<float>();
        }
    }
    parallelFor(
        n,
        [&](std::int64_t row) {
            thread_local std::vector<double> cumulative;
            // An aligned copy: a vectorised dot product's rounding must not depend on where the
            // feature buffer happened to be allocated.
            thread_local Eigen::RowVectorXf query;
            const int queryPos = static_cast<int>(row);
            const KeyRange range = allowedKeys(input, queryPos);
            const int bins = std::min(tm, range.size());
            if (bins <= 0) {
                return;
            }
            query = Eigen::Map<const Eigen::RowVectorXf>(phi.query.data() + static_cast<std::size_t>(queryPos) * m, m);
            cumulative.resize(static_cast<std::size_t>(bins) + 1);
            for (int bin = 0; bin <= bins; ++bin) {
                const int position = range.first + binStart(bin, bins, range.size());
                cumulative[static_cast<std::size_t>(bin)] = prefix.row(position).dot(query);
            }
            float* out = estimate.compressed.data() + static_cast<std::size_t>(queryPos) * tm;
            double total = 0.0;
            for (int bin = 0; bin < bins; ++bin) {
                const double mass =
                    std::max(0.0, cumulative[static_cast<std::size_t>(bin) + 1] - cumulative[static_cast<std::size_t>(bin)]);
                out[bin] = static_cast<float>(mass);
                total += mass;
            }
            for (int bin = 0; bin < bins && total > 0.0; ++bin) {
                out[bin] = static_cast<float>(out[bin] / total);
            }
        },
        threads);
    estimate.flops = phi.flops + static_cast<double>(n) * m + 2.0 * n * static_cast<double>(tm + 1) * m;
    return estimate;
}

} // namespace

Result<std::vector<HeadVariantResult>> runSea(const std::vector<HeadInput>& heads, const VariantSpec& spec,
                                              const VariantRunOptions& options)
{
    std::vector<HeadVariantResult> results(heads.size());
    if (heads.empty()) {
        return results;
    }
    const HeadInput& first = heads.front();
    const int n = first.nTokens;
    const bool oracle = specString(spec, "mode") == "oracle";
    const bool grouped = specString(spec, "grouping") == "heads";
    const long long k = specInt(spec, "k");
    const int tm = static_cast<int>(specInt(spec, "tm"));
    const int features = static_cast<int>(specInt(spec, "features"));
    const auto seed = static_cast<std::uint64_t>(specInt(spec, "seed"));
    const auto headCount = static_cast<int>(heads.size());

    Stopwatch watch;
    std::vector<HeadEstimate> estimates(heads.size());
    for (int index = 0; index < headCount; ++index) {
        estimates[static_cast<std::size_t>(index)] =
            estimateHead(heads[static_cast<std::size_t>(index)], oracle, tm, features, seed, options.threads);
    }
    // Compressed mask per head: [N, tm].
    std::vector<std::vector<std::uint8_t>> masks(heads.size(),
                                                 std::vector<std::uint8_t>(static_cast<std::size_t>(n) * tm, 0));
    parallelFor(
        n,
        [&](std::int64_t row) {
            thread_local std::vector<float> cells;
            thread_local std::vector<int> selected;
            const int queryPos = static_cast<int>(row);
            const KeyRange range = allowedKeys(first, queryPos);
            const int bins = std::min(tm, range.size());
            if (bins <= 0) {
                return;
            }
            const int perHead = static_cast<int>(
                std::clamp<long long>(std::llround(static_cast<double>(k) * bins / range.size()), 1, bins));
            const int groups = grouped ? 1 : headCount;
            const int width = grouped ? headCount : 1;
            for (int group = 0; group < groups; ++group) {
                cells.resize(static_cast<std::size_t>(width) * bins);
                for (int member = 0; member < width; ++member) {
                    const int head = grouped ? member : group;
                    const float* source =
                        estimates[static_cast<std::size_t>(head)].compressed.data() + static_cast<std::size_t>(queryPos) * tm;
                    std::copy(source, source + bins, cells.begin() + static_cast<std::ptrdiff_t>(member) * bins);
                }
                selectTopIndices(cells.data(), width * bins, perHead * width, selected);
                for (int cell : selected) {
                    const int head = grouped ? cell / bins : group;
                    masks[static_cast<std::size_t>(head)][static_cast<std::size_t>(queryPos) * tm + cell % bins] = 1;
                }
            }
        },
        options.threads);
    const double selectSeconds = watch.seconds();

    for (int index = 0; index < headCount; ++index) {
        const HeadInput& input = heads[static_cast<std::size_t>(index)];
        HeadVariantResult& result = results[static_cast<std::size_t>(index)];
        result.head = input.head;
        const std::vector<std::uint8_t>& mask = masks[static_cast<std::size_t>(index)];
        const std::vector<float>& compressed = estimates[static_cast<std::size_t>(index)].compressed;
        const bool keepEstimate = materialise(input, options);
        if (keepEstimate) {
            result.estimate.assign(static_cast<std::size_t>(n) * n, 0.0f);
            result.estimateKind = "probabilities";
        }
        // Only the kept bins are expanded, so stretching costs O(N·tm + kept), not O(N²).
        KeptSet set = keptSetFromRows(input, options.threads, [&](int queryPos, std::vector<std::int32_t>& cols) {
            const KeyRange range = allowedKeys(input, queryPos);
            const int bins = std::min(tm, range.size());
            for (int bin = 0; bin < bins; ++bin) {
                const bool kept = mask[static_cast<std::size_t>(queryPos) * tm + bin] != 0;
                if (!kept && !keepEstimate) {
                    continue;
                }
                const int start = binStart(bin, bins, range.size());
                const int end = binStart(bin + 1, bins, range.size());
                if (keepEstimate) {
                    const float cell = compressed[static_cast<std::size_t>(queryPos) * tm + bin];
                    std::fill(result.estimate.begin() + static_cast<std::ptrdiff_t>(queryPos) * n + range.first + start,
                              result.estimate.begin() + static_cast<std::ptrdiff_t>(queryPos) * n + range.first + end,
                              cell / static_cast<float>(end - start));
                }
                if (kept) {
                    for (int offset = start; offset < end; ++offset) {
                        cols.push_back(range.first + offset);
                    }
                }
            }
        });
        result.stats.estimateSeconds = selectSeconds / headCount;
        result.stats.estimateFlops = estimates[static_cast<std::size_t>(index)].flops;
        result.compressedWidth = tm;
        if (options.keepAttention) {
            result.compressedEstimate = compressed;
            result.compressedMask = mask;
        }
        attendOnSet(input, std::move(set), options, result);
    }
    return results;
}

} // namespace attnscope::attn

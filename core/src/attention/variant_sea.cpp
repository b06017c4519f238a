// sea: SEA (Lee et al. 2024), training-free (variants.md §3.3 recipes 1 and 2) and learned (recipe 3,
// with a fitted predictor file). The paper's row scalers are not used in any mode (they are 1).
//   tf:     compressed estimate P^c[i, b] ∝ Performer mass of the keys in bin b of row i. Bins tile
//           the row's own allowed range; the mass of a bin is φ(q_i)·(prefix(end) − prefix(start)),
//           exact for the Performer kernel (the spec resamples absolute bins instead; ours is the
//           same estimate without the interpolation error).
//   oracle: P^c[i, b] = exact dense mass of the keys in bin b (quadratic; the upper bound of the
//           compress → select → stretch pipeline).
//   learned: the fitted estimator of a predictor file (learned_sea.h; tools/predictors/sea.py)
//           gives each row a distribution over its own tm row-relative cells; a bin gets the mass
//           of its keys, each cell's mass spread evenly over the cell's keys (SEA's stretch). tm
//           is the file's; k and grouping are the spec's.
// Then top cells in the compressed domain (per head, or with grouping=heads the heads of a query
// share one budget, SEA's causal_batch), stretched back to keys, exact attention on the kept set.
// Deviations: the 16 queries of a block share one tiling, min(tm, L) bins over the union L of
// their allowed ranges, each row using the bins that overlap its own range (its first and last bin
// cut by it), so a block's bin boundaries are one GEMM (row-relative bins differ by < 16 keys; a
// bidirectional row's bins are its own). The budget is n_i = round(k·U_i/L_i) cells for the U_i
// bins a row uses (≈ k keys) rather than k·tm/L_i; short blocks have one key per bin.
#include "attention/learned_sea.h"
#include "attention/variants.h"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <utility>

namespace attnscope::attn {

namespace {

// Queries per bin tiling: the rows of a block share the bins of the block's key range (the union
// of their allowed ranges), so that the bin boundaries of a block are one GEMM of its Performer
// query features against the prefix sums at those boundaries.
constexpr int kTilingRows = 16;

// The bins of a block of queries: `bins` = min(tm, length) bins over keys [first, first + length).
struct BinTiling {
    int first = 0;
    int length = 0;
    int bins = 0;
    // The bin of key position keyPos: bin(c) = floor((2c − 1)·bins / (2·length)) for the c-th key
    // of the range, c = 1..length (SEA's stretch rule).
    int binOf(int keyPos) const
    {
        return static_cast<int>((2LL * (keyPos - first) + 1) * bins / (2LL * length));
    }
};

BinTiling blockTiling(const HeadInput& input, int queryPos, int tm)
{
    const int rowBegin = (queryPos / kTilingRows) * kTilingRows;
    const int rowEnd = std::min(input.nTokens, rowBegin + kTilingRows);
    // Allowed ranges only move forward with the query, so the union is [first of the first row,
    // last of the last row].
    BinTiling tiling;
    tiling.first = allowedKeys(input, rowBegin).first;
    tiling.length = std::max(0, allowedKeys(input, rowEnd - 1).last - tiling.first + 1);
    tiling.bins = std::min(tm, tiling.length);
    return tiling;
}

// starts[bin] = the first key of bin `bin` for bin = 0..bins (starts[bins] = one past the range):
// the smallest c with bin(c) >= bin is ceil((2·bin·length + bins) / (2·bins)) (1-based), found
// without a division per bin: the numerator grows by 2·length per bin, so its quotient and
// remainder by 2·bins are stepped. (Two 64-bit divisions per kept bin cost more than writing the
// bin's keys.)
void fillBinStarts(const BinTiling& tiling, int* starts)
{
    if (tiling.bins <= 0) {
        return;
    }
    const std::int64_t divisor = 2LL * tiling.bins;
    const std::int64_t step = 2LL * tiling.length;
    const std::int64_t stepQuotient = step / divisor;
    const std::int64_t stepRemainder = step % divisor;
    std::int64_t quotient = tiling.bins / divisor; // numerator at bin 0 is `bins`
    std::int64_t remainder = tiling.bins % divisor;
    for (int bin = 0; bin <= tiling.bins; ++bin) {
        // ceil(numerator / divisor) − 1
        starts[bin] = tiling.first + static_cast<int>(quotient + (remainder > 0 ? 1 : 0)) - 1;
        quotient += stepQuotient;
        remainder += stepRemainder;
        if (remainder >= divisor) {
            remainder -= divisor;
            ++quotient;
        }
    }
}

// Bin starts of every block's tiling, [blocks, tm + 1] (entries past a block's bins unused), for
// the stretch, which reads two per kept bin.
std::vector<int> blockBinStarts(const HeadInput& input, int tm)
{
    const int blocks = (input.nTokens + kTilingRows - 1) / kTilingRows;
    std::vector<int> starts(static_cast<std::size_t>(blocks) * (static_cast<std::size_t>(tm) + 1), 0);
    for (int block = 0; block < blocks; ++block) {
        fillBinStarts(blockTiling(input, block * kTilingRows, tm),
                      starts.data() + static_cast<std::size_t>(block) * (static_cast<std::size_t>(tm) + 1));
    }
    return starts;
}

// The run of the tiling's bins that overlap a row's range; a row's first and last bins may be cut
// by its range.
struct RowBins {
    int first = 0;
    int count = 0;
};

RowBins rowBins(const BinTiling& tiling, KeyRange range)
{
    if (range.size() <= 0 || tiling.bins <= 0) {
        return {};
    }
    const int first = tiling.binOf(range.first);
    return {first, tiling.binOf(range.last) - first + 1};
}

// Keys [begin, end) of bin `bin` within the row's range.
// `starts` from fillBinStarts.
std::pair<int, int> clippedBin(const int* starts, int bin, KeyRange range)
{
    return {std::max(range.first, starts[bin]), std::min(range.last + 1, starts[bin + 1])};
}

struct HeadEstimate {
    std::vector<float> compressed; // [N, tm]; only the first U_i bins of row i are used
    double flops = 0.0;
};

// tf mode's Performer features run on the GPU when options allow (stats.selectionBackend says
// where); the prefix sums, bin masses and the selection after them stay on the CPU.
HeadEstimate estimateHead(const HeadInput& input, bool oracle, int tm, int features, std::uint64_t seed,
                          const VariantRunOptions& options, VariantStats& stats)
{
    const int threads = options.threads;
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
                const BinTiling tiling = blockTiling(input, queryPos, tm);
                const RowBins used = rowBins(tiling, range);
                thread_local std::vector<int> starts;
                starts.resize(static_cast<std::size_t>(tiling.bins) + 1);
                fillBinStarts(tiling, starts.data());
                denseProbabilityRow(input, queryPos, range, scratch, probabilities);
                float* out = estimate.compressed.data() + static_cast<std::size_t>(queryPos) * tm;
                for (int bin = used.first; bin < used.first + used.count; ++bin) {
                    const auto [begin, end] = clippedBin(starts.data(), bin, range);
                    for (int keyPos = begin; keyPos < end; ++keyPos) {
                        out[bin] += static_cast<float>(probabilities[static_cast<std::size_t>(keyPos - range.first)]);
                    }
                }
            },
            threads);
        estimate.flops = pairFlops(input, allowedPairCount(input));
        return estimate;
    }
    bool featuresOnCuda = false;
    const PerformerFeatures phi = performerFeaturesPreferCuda(input, features, seed, true, options, stats, &featuresOnCuda);
    stats.selectionBackend = featuresOnCuda ? "cuda" : "cpu";
    const int m = features;
    // prefix[j] = Σ_{t<j} φ(k_t), summed in double and stored in float: a bin's mass is
    // F(end) − F(start) with F(j) = φ(q_i)·prefix[j]. The rounding of F (≈ 1e-6 of the row's total
    // mass) is far below the masses that compete for the top cells.
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
    const int blocks = (n + kTilingRows - 1) / kTilingRows;
    parallelFor(
        blocks,
        [&](std::int64_t block) {
            // F at the block's bin boundaries for all its rows: one [rows × m]·[m × (bins + 1)]
            // GEMM over the gathered prefix rows, instead of U + 1 scattered dot products per row.
            thread_local RowMatrixF boundaries;
            thread_local RowMatrixF atBoundaries;
            thread_local Eigen::RowVectorXf query;
            const int rowBegin = static_cast<int>(block) * kTilingRows;
            const int rowEnd = std::min(n, rowBegin + kTilingRows);
            const BinTiling tiling = blockTiling(input, rowBegin, tm);
            if (tiling.bins <= 0) {
                return;
            }
            thread_local std::vector<int> starts;
            starts.resize(static_cast<std::size_t>(tiling.bins) + 1);
            fillBinStarts(tiling, starts.data());
            boundaries.resize(tiling.bins + 1, m);
            for (int bin = 0; bin <= tiling.bins; ++bin) {
                boundaries.row(bin) = prefix.row(starts[static_cast<std::size_t>(bin)]);
            }
            const Eigen::Map<const RowMatrixF> queries(phi.query.data() + static_cast<std::size_t>(rowBegin) * m,
                                                       rowEnd - rowBegin, m);
            atBoundaries.resize(rowEnd - rowBegin, tiling.bins + 1);
            atBoundaries.noalias() = queries * boundaries.transpose();
            for (int queryPos = rowBegin; queryPos < rowEnd; ++queryPos) {
                const KeyRange range = allowedKeys(input, queryPos);
                const RowBins used = rowBins(tiling, range);
                if (used.count <= 0) {
                    continue;
                }
                const float* boundary = atBoundaries.row(queryPos - rowBegin).data();
                // A row's range may cut its first and last bins: F at its own ends, by a dot
                // product through an aligned copy (the rounding must not depend on the address).
                query = queries.row(queryPos - rowBegin);
                const int last = used.first + used.count - 1;
                const double startMass = range.first == starts[static_cast<std::size_t>(used.first)]
                                            ? boundary[used.first]
                                            : static_cast<double>(prefix.row(range.first).dot(query));
                const double endMass = range.last + 1 == starts[static_cast<std::size_t>(last) + 1]
                                          ? boundary[last + 1]
                                          : static_cast<double>(prefix.row(range.last + 1).dot(query));
                float* out = estimate.compressed.data() + static_cast<std::size_t>(queryPos) * tm;
                double total = 0.0;
                for (int bin = used.first; bin <= last; ++bin) {
                    const double low = bin == used.first ? startMass : boundary[bin];
                    const double high = bin == last ? endMass : boundary[bin + 1];
                    const double mass = std::max(0.0, high - low);
                    out[bin] = static_cast<float>(mass);
                    total += mass;
                }
                for (int bin = used.first; bin <= last && total > 0.0; ++bin) {
                    out[bin] = static_cast<float>(out[bin] / total);
                }
            }
        },
        threads);
    estimate.flops = phi.flops + static_cast<double>(n) * m + 2.0 * n * static_cast<double>(tm + 3) * m;
    return estimate;
}

// Learned mode: the estimator's row-relative cells (learned_sea.h) moved onto the block tiling.
// F(r) = estimated mass of the row's first r keys (cells whole, the cut cell pro rata); a bin's
// mass is F at its end minus F at its start.
HeadEstimate estimateFromCells(const HeadInput& input, const std::vector<float>& cells, int tm, int threads)
{
    const int n = input.nTokens;
    HeadEstimate estimate;
    estimate.compressed.assign(static_cast<std::size_t>(n) * tm, 0.0f);
    parallelFor(
        n,
        [&](std::int64_t row) {
            thread_local std::vector<double> before;
            thread_local std::vector<int> starts;
            const int queryPos = static_cast<int>(row);
            const KeyRange range = allowedKeys(input, queryPos);
            const int length = range.size();
            const BinTiling tiling = blockTiling(input, queryPos, tm);
            const RowBins used = rowBins(tiling, range);
            if (used.count <= 0) {
                return;
            }
            const float* cell = cells.data() + static_cast<std::size_t>(queryPos) * tm;
            before.assign(static_cast<std::size_t>(tm) + 1, 0.0);
            for (int index = 0; index < tm; ++index) {
                before[static_cast<std::size_t>(index) + 1] = before[static_cast<std::size_t>(index)] + cell[index];
            }
            const auto massBefore = [&](int keyPos) {
                const int relative = keyPos - range.first;
                if (relative >= length) {
                    return before[static_cast<std::size_t>(tm)];
                }
                const int owner = seaCellOf(relative, length, tm);
                const int start = seaCellStart(owner, length, tm);
                const int count = seaCellStart(owner + 1, length, tm) - start;
                return before[static_cast<std::size_t>(owner)] +
                       static_cast<double>(cell[owner]) * (relative - start) / count;
            };
            starts.resize(static_cast<std::size_t>(tiling.bins) + 1);
            fillBinStarts(tiling, starts.data());
            float* out = estimate.compressed.data() + static_cast<std::size_t>(queryPos) * tm;
            for (int bin = used.first; bin < used.first + used.count; ++bin) {
                const auto [begin, end] = clippedBin(starts.data(), bin, range);
                out[bin] = static_cast<float>(std::max(0.0, massBefore(end) - massBefore(begin)));
            }
        },
        threads);
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
    const bool learned = specString(spec, "mode") == "learned";
    const bool grouped = specString(spec, "grouping") == "heads";
    const long long k = specInt(spec, "k");
    int tm = static_cast<int>(specInt(spec, "tm"));
    int features = static_cast<int>(specInt(spec, "features"));
    const auto seed = static_cast<std::uint64_t>(specInt(spec, "seed"));
    const auto headCount = static_cast<int>(heads.size());

    Stopwatch watch;
    std::vector<HeadEstimate> estimates(heads.size());
    if (learned) {
        if (first.learned == nullptr) {
            return makeError(ErrorCode::InvalidArgument, "sea:mode=learned needs a predictor file (learned=PATH)");
        }
        auto fileTm = first.learned->metadataInt("tm");
        auto fileFeatures = first.learned->metadataInt("features");
        if (!fileTm || !fileFeatures) {
            return fileTm ? fileFeatures.error() : fileTm.error();
        }
        tm = *fileTm;
        features = *fileFeatures;
        auto cells = seaLearnedCells(*first.learned, heads, options.threads);
        if (!cells) {
            return cells.error();
        }
        const int d = first.headDim;
        for (int index = 0; index < headCount; ++index) {
            HeadEstimate& estimate = estimates[static_cast<std::size_t>(index)];
            estimate = estimateFromCells(heads[static_cast<std::size_t>(index)], (*cells)[static_cast<std::size_t>(index)],
                                         tm, options.threads);
            // Features, the context sweep (update and contraction over [P ‖ v]), encoder, decoder.
            estimate.flops = 2.0 * (2.0 * n * d * features) + 8.0 * n * features * 2.0 * d +
                             2.0 * n * (8.0 * d * d + 2.0 * d * tm) + 4.0 * n * tm;
        }
    } else {
        for (int index = 0; index < headCount; ++index) {
            estimates[static_cast<std::size_t>(index)] =
                estimateHead(heads[static_cast<std::size_t>(index)], oracle, tm, features, seed, options,
                             results[static_cast<std::size_t>(index)].stats);
        }
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
            const RowBins used = rowBins(blockTiling(first, queryPos, tm), range);
            const int bins = used.count;
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
                    const float* source = estimates[static_cast<std::size_t>(head)].compressed.data() +
                                          static_cast<std::size_t>(queryPos) * tm + used.first;
                    std::copy(source, source + bins, cells.begin() + static_cast<std::ptrdiff_t>(member) * bins);
                }
                selectTopIndices(cells.data(), width * bins, perHead * width, selected);
                for (int cell : selected) {
                    const int head = grouped ? cell / bins : group;
                    masks[static_cast<std::size_t>(head)][static_cast<std::size_t>(queryPos) * tm + used.first + cell % bins] = 1;
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
        // Only the kept bins are expanded, so stretching costs O(N·tm + kept), not O(N²). A row's
        // keys are the runs of its kept bins (cut by its range): counted first, so that each row
        // writes its runs straight into the CSR (no per-row vectors to grow and concatenate).
        const std::vector<int> binStarts = blockBinStarts(input, tm);
        const auto forEachBin = [&](int queryPos, auto visit) {
            const KeyRange range = allowedKeys(input, queryPos);
            const RowBins used = rowBins(blockTiling(input, queryPos, tm), range);
            const int* starts =
                binStarts.data() + static_cast<std::size_t>(queryPos / kTilingRows) * (static_cast<std::size_t>(tm) + 1);
            for (int bin = used.first; bin < used.first + used.count; ++bin) {
                const auto [begin, end] = clippedBin(starts, bin, range);
                visit(bin, begin, end);
            }
        };
        KeptSet set;
        set.rowPtr.assign(static_cast<std::size_t>(n) + 1, 0);
        parallelFor(
            n,
            [&](std::int64_t row) {
                const int queryPos = static_cast<int>(row);
                const std::uint8_t* rowMask = mask.data() + static_cast<std::size_t>(queryPos) * tm;
                std::int64_t keptKeys = 0;
                forEachBin(queryPos, [&](int bin, int begin, int end) {
                    keptKeys += rowMask[bin] != 0 ? end - begin : 0;
                    if (keepEstimate) {
                        const float cell = compressed[static_cast<std::size_t>(queryPos) * tm + bin];
                        std::fill(result.estimate.begin() + static_cast<std::ptrdiff_t>(queryPos) * n + begin,
                                  result.estimate.begin() + static_cast<std::ptrdiff_t>(queryPos) * n + end,
                                  cell / static_cast<float>(end - begin));
                    }
                });
                set.rowPtr[static_cast<std::size_t>(queryPos) + 1] = keptKeys;
            },
            options.threads);
        std::partial_sum(set.rowPtr.begin(), set.rowPtr.end(), set.rowPtr.begin());
        set.cols.resize(static_cast<std::size_t>(set.rowPtr.back()));
        parallelFor(
            n,
            [&](std::int64_t row) {
                const int queryPos = static_cast<int>(row);
                const std::uint8_t* rowMask = mask.data() + static_cast<std::size_t>(queryPos) * tm;
                auto out = set.cols.begin() + static_cast<std::ptrdiff_t>(set.rowPtr[static_cast<std::size_t>(queryPos)]);
                forEachBin(queryPos, [&](int bin, int begin, int end) {
                    if (rowMask[bin] != 0) {
                        std::iota(out, out + (end - begin), begin);
                        out += end - begin;
                    }
                });
            },
            options.threads);
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

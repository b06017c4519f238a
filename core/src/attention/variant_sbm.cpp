// sbm: SBM-Transformer (Cho et al. 2022), training-free "kmeans" mode (variants.md §5.3 recipe 1).
// The paper learns cluster embeddings and an MLP; here: spherical k-means on the head's normalised
// q and k (on a strided subsample of at most kKmeansPoints points), memberships σ(β·cos + γ) with
// β = 4/std and γ = -β·p90 of the logits, block matrix from the dense attention mass between hard
// clusters (on a strided subsample of query rows holding at most kBlockPairs pairs; every row for
// short inputs), normalised to sum 1, and expected graph P = Q^ B K^ᵀ.
// Edge model (fastRG, Rohe et al. 2018, variants.md §5.1): a Poisson multigraph with rate c·P_ij
// collapsed to a simple graph, united with an independent Bernoulli floor, so pair (i, j) is kept
// with probability 1 − (1 − floor)·exp(−c·P_ij) (≈ c·P_ij + floor where small). c is set by Newton
// steps so that the mean of that probability over allowed pairs equals the target density.
// Sampling is linear in the number of edges and rejection-free: row i draws Poisson(c·Σ_{j allowed}
// P_ij) edges, each from key cluster b with probability ∝ (Q^ B)_ib·Σ_{j allowed} K^_jb and then
// a key of its allowed range ∝ K^_jb (inverse prefix sums, sbm_sampler.h), which is fastRG's
// multigraph restricted to the allowed set without drawing the pairs outside it; the floor draws
// geometric gaps per row. When the draws would outnumber the allowed pairs (high density) the same
// probabilities are drawn per pair instead. All draws are seeded by (seed, layer, head) and by row,
// so the mask does not depend on the thread count. The fastRG draws and the floor's gaps are
// counter-based (draw t of row i is a function of (seed, layer, head, i, t); sbm_sampling.h), so
// the CUDA sampler (backend/cuda/cuda_sbm.h), given the same per-row counts and alias tables
// from the host, marks the same keys; the final k-means assignment also runs on either backend
// with the same logits (sbmLogit's order). selectionBackend says where the draws ran.
// density = 1 keeps every allowed pair.
// Learned mode (mode=learned): memberships and block matrix from the paper's parametrisation
// fitted by tools/predictors/sbm.py (learnedGraphModel, sbm_graph_model.h); scale, sampler and attention as above.
#include "attention/attention_backend.h"
#include "attention/learned_predictor_file.h"
#include "attention/sbm_graph_model.h"
#include "attention/sbm_sampler.h"
#include "attention/variants.h"

#include "attnscope_kernels/mask_predicates.h"
#include "attnscope_kernels/sbm_sampling.h"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

namespace attnscope::attn {

namespace {

using RowMatrixF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Calibration of c reads every allowed pair up to this many, else this many uniformly drawn pairs.
constexpr std::int64_t kCalibrationPairs = 1 << 16;
// Above this many expected fastRG draws per allowed pair, per-pair Bernoulli draws are cheaper.
constexpr double kMaxDrawsPerPair = 1.0;
// Rows whose draws are resolved together, cluster by cluster (see the sampling step).
constexpr int kSampleChunkRows = 32;

double keepProbability(double rate, double floor)
{
    return 1.0 - (1.0 - floor) * std::exp(-rate);
}

// Mean keep probability over the calibration sample at scale c, and its derivative in c. Fixed
// chunks summed in order, so the value does not depend on the thread count.
void meanProbability(const std::vector<float>& sample, double scale, double floor, double& value, double& slope,
                     int threads)
{
    constexpr std::size_t kChunk = 4096;
    const std::size_t chunks = (sample.size() + kChunk - 1) / kChunk;
    std::vector<double> sums(chunks, 0.0);
    std::vector<double> derivatives(chunks, 0.0);
    parallelFor(
        static_cast<std::int64_t>(chunks),
        [&](std::int64_t chunk) {
            const std::size_t begin = static_cast<std::size_t>(chunk) * kChunk;
            const std::size_t end = std::min(sample.size(), begin + kChunk);
            double sum = 0.0;
            double derivative = 0.0;
            for (std::size_t index = begin; index < end; ++index) {
                const double p = sample[index];
                const double survive = (1.0 - floor) * std::exp(-scale * p);
                sum += 1.0 - survive;
                derivative += p * survive;
            }
            sums[static_cast<std::size_t>(chunk)] = sum;
            derivatives[static_cast<std::size_t>(chunk)] = derivative;
        },
        threads);
    double sum = 0.0;
    double derivative = 0.0;
    for (std::size_t chunk = 0; chunk < chunks; ++chunk) {
        sum += sums[chunk];
        derivative += derivatives[chunk];
    }
    const double count = sample.empty() ? 1.0 : static_cast<double>(sample.size());
    value = sum / count;
    slope = derivative / count;
}

// The c with mean keep probability = target: Newton from c = 0. The mean is concave and increasing
// in c, so every Newton step stays below the root and the iteration climbs to it monotonically.
double calibrateScale(const std::vector<float>& sample, double target, double floor, int threads)
{
    double scale = 0.0;
    for (int step = 0; step < 100; ++step) {
        double value = 0.0;
        double slope = 0.0;
        meanProbability(sample, scale, floor, value, slope, threads);
        if (value >= target * (1.0 - 1e-9) || slope <= 0.0) {
            break;
        }
        scale += (target - value) / slope;
    }
    return scale;
}

// Vose's alias table over a few non-negative weights (a row's key clusters): one uniform per draw.
struct AliasTable {
    std::vector<double> keep;
    std::vector<int> alias;
    std::vector<int> small;
    std::vector<int> large;

    void build(const std::vector<double>& weights)
    {
        const int count = static_cast<int>(weights.size());
        double total = 0.0;
        for (double weight : weights) {
            total += weight;
        }
        keep.resize(static_cast<std::size_t>(count));
        alias.resize(static_cast<std::size_t>(count));
        small.clear();
        large.clear();
        for (int index = 0; index < count; ++index) {
            keep[static_cast<std::size_t>(index)] = total > 0.0 ? weights[static_cast<std::size_t>(index)] * count / total : 1.0;
            alias[static_cast<std::size_t>(index)] = index;
            (keep[static_cast<std::size_t>(index)] < 1.0 ? small : large).push_back(index);
        }
        while (!small.empty() && !large.empty()) {
            const int low = small.back();
            small.pop_back();
            const int high = large.back();
            alias[static_cast<std::size_t>(low)] = high;
            keep[static_cast<std::size_t>(high)] -= 1.0 - keep[static_cast<std::size_t>(low)];
            if (keep[static_cast<std::size_t>(high)] < 1.0) {
                large.pop_back();
                small.push_back(high);
            }
        }
        // Leftovers (rounding) keep their own column.
        for (int index : small) {
            keep[static_cast<std::size_t>(index)] = 1.0;
        }
        for (int index : large) {
            keep[static_cast<std::size_t>(index)] = 1.0;
        }
    }

    // uniform in [0, 1): its integer part over the columns picks one, the fraction is the coin
    // (sbm_sampling.h, the GPU's draw too).
    int draw(double uniform) const
    {
        return aliasDraw(keep.data(), alias.data(), static_cast<int>(keep.size()), uniform);
    }
};

// Poisson(mean): multiplication for small means, Hörmann's PTRS transformed rejection otherwise.
std::int64_t poisson(double mean, Rng& rng)
{
    if (mean <= 0.0) {
        return 0;
    }
    if (mean < 10.0) {
        const double limit = std::exp(-mean);
        std::int64_t count = 0;
        double product = rng.uniform();
        while (product > limit) {
            ++count;
            product *= rng.uniform();
        }
        return count;
    }
    const double root = std::sqrt(mean);
    const double b = 0.931 + 2.53 * root;
    const double a = -0.059 + 0.02483 * b;
    const double inverseAlpha = 1.1239 + 1.1328 / (b - 3.4);
    const double vr = 0.9277 - 3.6224 / (b - 2.0);
    const double logMean = std::log(mean);
    for (;;) {
        const double u = rng.uniform() - 0.5;
        const double v = rng.uniform();
        const double us = 0.5 - std::abs(u);
        const auto k = static_cast<std::int64_t>(std::floor((2.0 * a / us + b) * u + mean + 0.43));
        if (us >= 0.07 && v <= vr) {
            return k;
        }
        if (k < 0 || (us < 0.013 && v > us)) {
            continue;
        }
        if (std::log(v) + std::log(inverseAlpha) - std::log(a / (us * us) + b) <=
            -mean + static_cast<double>(k) * logMean - std::lgamma(static_cast<double>(k) + 1.0)) {
            return k;
        }
    }
}

} // namespace

Result<HeadVariantResult> runSbm(const HeadInput& input, const VariantSpec& spec, const VariantRunOptions& options)
{
    const int n = input.nTokens;
    const int d = input.headDim;
    const bool learned = input.learned != nullptr;
    // Learned mode: the file's cluster count (validated at load), whatever `clusters` says.
    // The default k (16) gives way to N on a shorter text, as the other budgets are clamped to N,
    // so plain `sbm` runs on any text; a k the user wrote must fit, and an error says so.
    const bool written = spec.find("clusters") != nullptr;
    const int clusters = learned ? learnedClusterCount(input)
                         : written ? static_cast<int>(specInt(spec, "clusters"))
                                   : static_cast<int>(std::min<long long>(specInt(spec, "clusters"), std::max(1, n)));
    if (!learned && clusters > n) {
        return makeError(ErrorCode::InvalidArgument,
                         "sbm: parameter 'clusters' = " + std::to_string(clusters) +
                             " exceeds the number of tokens; expected an integer in [1, " + std::to_string(n) + "]",
                         "sbm", "bad_parameter");
    }
    const double density = specFloat(spec, "density");
    const double floor = specFloat(spec, "floor");
    const auto seed = static_cast<std::uint64_t>(specInt(spec, "seed"));
    const int iterations = static_cast<int>(specInt(spec, "iters"));

    HeadVariantResult result;
    result.head = input.head;
    result.clusters = clusters;
    Stopwatch watch;

    // ---- Memberships [2N, k] (queries, then keys) and block matrix [k, k] ----
    auto model = learned ? Result<SbmGraphModel>(learnedGraphModel(input))
                         : kmeansGraphModel(input, clusters, iterations, seed, options, result.stats);
    if (!model) {
        return model.error();
    }
    const RowMatrixF& memberships = model.value().memberships;
    const Eigen::MatrixXd& block = model.value().block;
    const std::int64_t allowedPairs = allowedPairCount(input);

    // ---- Expected graph P = Q^ B K^T and the scale c of the target density ----
    const RowMatrixF queryMembers = memberships.topRows(n);
    const RowMatrixF keyMembers = memberships.bottomRows(n);
    const RowMatrixF keyFactor = keyMembers * block.cast<float>().transpose(); // [N, k]: (B K^T)^T
    auto edgeScore = [&](int queryPos, int keyPos) {
        return queryMembers.row(queryPos).dot(keyFactor.row(keyPos));
    };
    // Every allowed pair when there are few; else pairs drawn uniformly, one per stratum of the
    // allowed set (scattered pairs estimate the mean far better than whole strided rows, whose
    // pairs are correlated).
    std::vector<float> sample;
    if (allowedPairs <= kCalibrationPairs) {
        for (int queryPos = 0; queryPos < n; ++queryPos) {
            const KeyRange range = allowedKeys(input, queryPos);
            for (int keyPos = range.first; keyPos <= range.last; ++keyPos) {
                sample.push_back(edgeScore(queryPos, keyPos));
            }
        }
    } else {
        // One pair drawn uniformly in each of 2^16 equal strata of the allowed pairs (in row
        // order): a stratified sample, whose mean varies no more than that of independent draws,
        // and whose pairs come in row order, so the rows are walked once instead of searched.
        Rng sampleRng(mixSeed(seed, input.layer, input.head, 0xca1));
        sample.resize(static_cast<std::size_t>(kCalibrationPairs));
        int queryPos = 0;
        std::int64_t rowBegin = 0;
        KeyRange range = allowedKeys(input, 0);
        for (std::int64_t stratum = 0; stratum < kCalibrationPairs; ++stratum) {
            const auto pair = std::min<std::int64_t>(
                allowedPairs - 1, static_cast<std::int64_t>((static_cast<double>(stratum) + sampleRng.uniform()) *
                                                            static_cast<double>(allowedPairs) / kCalibrationPairs));
            while (pair >= rowBegin + std::max(0, range.size())) {
                rowBegin += std::max(0, range.size());
                range = allowedKeys(input, ++queryPos);
            }
            sample[static_cast<std::size_t>(stratum)] = edgeScore(queryPos, range.first + static_cast<int>(pair - rowBegin));
        }
    }
    const bool keepAll = density >= 1.0;
    const double scale = keepAll || floor >= density ? 0.0 : calibrateScale(sample, density, floor, options.threads);
    result.blockScale = keepAll ? std::numeric_limits<double>::infinity() : scale;

    // ---- Sampled graph ----
    const bool keepEstimate = materialise(input, options);
    if (keepEstimate) {
        result.estimate.assign(static_cast<std::size_t>(n) * n, 0.0f);
        result.estimateKind = "edge_probabilities";
    }
    // Expected density: exact over every allowed pair when they are visited anyway (estimate kept
    // or per-pair draws), else the calibration sample's mean (exact when it holds every pair).
    double sampleValue = 0.0;
    double sampleSlope = 0.0;
    meanProbability(sample, scale, floor, sampleValue, sampleSlope, options.threads);
    result.stats.expectedDensity = keepAll ? 1.0 : sampleValue;

    const Eigen::RowVectorXd querySums = queryMembers.cast<double>().colwise().sum();
    const Eigen::RowVectorXd keySums = keyMembers.cast<double>().colwise().sum();
    const double totalDraws = scale * (querySums * block * keySums.transpose())(0, 0);
    const bool perPair = keepAll || totalDraws > kMaxDrawsPerPair * static_cast<double>(allowedPairs);
    const std::uint64_t drawKey = mixSeed(seed, input.layer, input.head, 0xbe5);

    KeptSet set;
    bool selectionOnGpu = false; // fastRG draws sampled by the CUDA kernel
    if (perPair) {
        std::vector<double> rowExpected(static_cast<std::size_t>(n), 0.0);
        set = keptSetFromRows(input, options.threads, [&](int queryPos, std::vector<std::int32_t>& cols) {
            const KeyRange range = allowedKeys(input, queryPos);
            double expected = 0.0;
            for (int keyPos = range.first; keyPos <= range.last; ++keyPos) {
                const double probability = keepAll ? 1.0 : keepProbability(scale * edgeScore(queryPos, keyPos), floor);
                expected += probability;
                if (keepAll || hashUniform(drawKey, static_cast<std::uint64_t>(queryPos),
                                           static_cast<std::uint64_t>(keyPos)) < probability) {
                    cols.push_back(keyPos);
                }
            }
            rowExpected[static_cast<std::size_t>(queryPos)] = expected;
        });
        double expectedPairs = 0.0;
        for (double value : rowExpected) {
            expectedPairs += value;
        }
        result.stats.expectedDensity = allowedPairs > 0 ? expectedPairs / static_cast<double>(allowedPairs) : 0.0;
    } else {
        // Rejection-free: row by row, the Poisson multigraph restricted to the row's allowed keys.
        // The rate of pair (i, j) is c·Σ_b w_ib·K^_jb with w = Q^ B, so row i draws
        // Poisson(c·Σ_b w_ib·S_b(i)) edges (S_b(i) = the key-cluster-b membership mass of its
        // allowed range), each from key cluster b with probability ∝ w_ib·S_b(i) and then a key of
        // the range ∝ K^_jb by inverting the column's prefix sums. Same distribution as fastRG
        // with the disallowed draws rejected, without drawing them, and no bucketing by row.
        const KeyColumnSampler sampler(keyMembers.data(), n, clusters);
        const RowMatrixF rowWeights = queryMembers * block.cast<float>(); // [N, k]: w = Q^ B
        const double logSkip = floor > 0.0 && floor < 1.0 ? std::log1p(-floor) : 0.0;
        // Counter streams (sbm_sampling.h): draw t of row i reads uniform t of row i in the
        // cluster and target streams, and the floor's step t uniform t of row i in its stream, on
        // either backend, whatever the chunking or thread count.
        const std::uint64_t clusterKey = mixSeed(drawKey, input.layer, input.head, 0xc1a5);
        const std::uint64_t targetKey = mixSeed(drawKey, input.layer, input.head, 0x7a26);
        const std::uint64_t floorKey = mixSeed(drawKey, input.layer, input.head, 0xf1002);
        // A row's number of draws and its key-cluster alias table: host code for both backends (the
        // Poisson draw needs exp, log and lgamma, whose last bits differ between math libraries).
        auto prepareRow = [&](int queryPos, KeyRange range, std::vector<double>& clusterMass, AliasTable& table) {
            double rowMass = 0.0;
            for (int cluster = 0; cluster < clusters; ++cluster) {
                const double mass =
                    static_cast<double>(rowWeights(queryPos, cluster)) * sampler.rangeMass(cluster, range);
                clusterMass[static_cast<std::size_t>(cluster)] = mass;
                rowMass += mass;
            }
            Rng rowRng(mixSeed(drawKey, input.layer, queryPos, 0x5b3d));
            const std::int64_t draws = poisson(scale * rowMass, rowRng);
            if (draws > 0) {
                table.build(clusterMass);
            }
            return draws;
        };
        std::optional<KeptSet> onGpu;
        if (sbmCudaUsable(input, options, result.stats)) {
            const auto cells = static_cast<std::size_t>(n) * static_cast<std::size_t>(clusters);
            std::vector<std::int32_t> drawCounts(static_cast<std::size_t>(n), 0);
            std::vector<double> aliasKeep(cells, 1.0);
            std::vector<std::int32_t> aliasIndex(cells, 0);
            std::vector<std::uint8_t> tooMany(static_cast<std::size_t>(n), 0);
            parallelFor(
                n,
                [&](std::int64_t row) {
                    thread_local std::vector<double> clusterMass;
                    thread_local AliasTable table;
                    clusterMass.resize(static_cast<std::size_t>(clusters));
                    const int queryPos = static_cast<int>(row);
                    const KeyRange range = allowedKeys(input, queryPos);
                    const std::size_t base = static_cast<std::size_t>(queryPos) * static_cast<std::size_t>(clusters);
                    const std::int64_t draws = range.size() > 0 ? prepareRow(queryPos, range, clusterMass, table) : 0;
                    tooMany[static_cast<std::size_t>(queryPos)] = draws > std::numeric_limits<std::int32_t>::max();
                    drawCounts[static_cast<std::size_t>(queryPos)] = static_cast<std::int32_t>(
                        std::min<std::int64_t>(draws, std::numeric_limits<std::int32_t>::max()));
                    for (int cluster = 0; cluster < clusters; ++cluster) {
                        aliasKeep[base + cluster] = draws > 0 ? table.keep[static_cast<std::size_t>(cluster)] : 1.0;
                        aliasIndex[base + cluster] = draws > 0 ? table.alias[static_cast<std::size_t>(cluster)] : cluster;
                    }
                },
                options.threads);
            if (std::find(tooMany.begin(), tooMany.end(), std::uint8_t{1}) != tooMany.end()) {
                if (result.stats.backendFallbackReason.empty()) {
                    result.stats.backendFallbackReason = "a row draws more than 2^31 - 1 edges";
                }
            } else {
                SbmSampleRequest request;
                request.nTokens = n;
                request.clusters = clusters;
                request.causal = input.causal;
                request.slidingWindow = input.slidingWindow;
                request.prefix = sampler.prefixSums();
                request.aliasKeep = aliasKeep;
                request.aliasIndex = aliasIndex;
                request.drawCounts = drawCounts;
                request.clusterKey = clusterKey;
                request.targetKey = targetKey;
                request.floorKey = floorKey;
                request.floor = floor;
                request.logSkip = logSkip;
                onGpu = sbmSampleOnCuda(input, options, request, result.stats);
            }
        }
        selectionOnGpu = onGpu.has_value();
        // Rows in chunks: every draw of a chunk is first assigned its key cluster, then the
        // chunk's draws are resolved cluster by cluster, so that one column's prefix sums and
        // guide stay in L1.
        struct PendingDraw {
            double target;
            std::int32_t row;
        };
        if (onGpu) {
            set = std::move(*onGpu);
        } else {
            set = keptSetFromRowBlocks(input, kSampleChunkRows, options.threads,
                                       [&](int rowBegin, int rowEnd, std::vector<std::int32_t>* rows) {
                thread_local std::vector<std::uint64_t> bits;
                thread_local std::vector<std::size_t> wordOffset;
                thread_local std::vector<double> clusterMass;
                thread_local AliasTable clusterChoice;
                thread_local std::vector<std::vector<PendingDraw>> byCluster;
                byCluster.resize(static_cast<std::size_t>(clusters));
                for (auto& list : byCluster) {
                    list.clear();
                }
                clusterMass.resize(static_cast<std::size_t>(clusters));
                wordOffset.assign(static_cast<std::size_t>(rowEnd - rowBegin) + 1, 0);
                for (int queryPos = rowBegin; queryPos < rowEnd; ++queryPos) {
                    const KeyRange range = allowedKeys(input, queryPos);
                    wordOffset[static_cast<std::size_t>(queryPos - rowBegin) + 1] =
                        wordOffset[static_cast<std::size_t>(queryPos - rowBegin)] +
                        static_cast<std::size_t>((std::max(0, range.size()) + 63) / 64);
                }
                bits.assign(wordOffset.back(), 0);
                auto mark = [&](int queryPos, KeyRange range, int keyPos) {
                    const int offset = keyPos - range.first;
                    bits[wordOffset[static_cast<std::size_t>(queryPos - rowBegin)] + static_cast<std::size_t>(offset >> 6)] |=
                        1ull << (offset & 63);
                };
                for (int queryPos = rowBegin; queryPos < rowEnd; ++queryPos) {
                    const KeyRange range = allowedKeys(input, queryPos);
                    if (range.size() <= 0) {
                        continue;
                    }
                    const std::int64_t draws = prepareRow(queryPos, range, clusterMass, clusterChoice);
                    for (std::int64_t draw = 0; draw < draws; ++draw) {
                        const auto index = static_cast<std::uint64_t>(draw);
                        const int cluster = clusterChoice.draw(sbmRowUniform(clusterKey, queryPos, index));
                        // The draw's place on the column's cumulative mass, so that resolving it later
                        // is one guide lookup and a short scan.
                        const double target = sbmDrawTarget(sampler.column(cluster), range.first, range.last,
                                                            sbmRowUniform(targetKey, queryPos, index));
                        byCluster[static_cast<std::size_t>(cluster)].push_back({target, queryPos});
                    }
                    if (floor >= 1.0) {
                        for (int keyPos = range.first; keyPos <= range.last; ++keyPos) {
                            mark(queryPos, range, keyPos);
                        }
                    } else if (floor > 0.0) {
                        double position = -1.0;
                        for (std::uint64_t step = 0;; ++step) {
                            position = sbmFloorNext(position, floorKey, queryPos, step, logSkip);
                            if (position >= range.size()) {
                                break;
                            }
                            mark(queryPos, range, range.first + static_cast<int>(position));
                        }
                    }
                }
                for (int cluster = 0; cluster < clusters; ++cluster) {
                    for (const PendingDraw& pending : byCluster[static_cast<std::size_t>(cluster)]) {
                        const KeyRange range = allowedKeys(input, pending.row);
                        mark(pending.row, range, sampler.keyAt(cluster, range, pending.target));
                    }
                }
                for (int queryPos = rowBegin; queryPos < rowEnd; ++queryPos) {
                    const KeyRange range = allowedKeys(input, queryPos);
                    std::vector<std::int32_t>& cols = rows[queryPos - rowBegin];
                    std::size_t kept = 0;
                    for (std::size_t word = wordOffset[static_cast<std::size_t>(queryPos - rowBegin)];
                         word < wordOffset[static_cast<std::size_t>(queryPos - rowBegin) + 1]; ++word) {
                        kept += static_cast<std::size_t>(__builtin_popcountll(bits[word]));
                    }
                    cols.reserve(kept);
                    for (std::size_t word = wordOffset[static_cast<std::size_t>(queryPos - rowBegin)];
                         word < wordOffset[static_cast<std::size_t>(queryPos - rowBegin) + 1]; ++word) {
                        std::uint64_t value = bits[word];
                        const int base = range.first +
                                         static_cast<int>((word - wordOffset[static_cast<std::size_t>(queryPos - rowBegin)]) * 64);
                        while (value) {
                            cols.push_back(base + __builtin_ctzll(value));
                            value &= value - 1;
                        }
                    }
                }
            });
        }
        if (keepEstimate) {
            parallelFor(
                n,
                [&](std::int64_t row) {
                    const int queryPos = static_cast<int>(row);
                    const KeyRange range = allowedKeys(input, queryPos);
                    for (int keyPos = range.first; keyPos <= range.last; ++keyPos) {
                        result.estimate[static_cast<std::size_t>(queryPos) * n + keyPos] =
                            static_cast<float>(keepProbability(scale * edgeScore(queryPos, keyPos), floor));
                    }
                },
                options.threads);
        }
    }
    if (keepEstimate && perPair) {
        for (int queryPos = 0; queryPos < n; ++queryPos) {
            const KeyRange range = allowedKeys(input, queryPos);
            for (int keyPos = range.first; keyPos <= range.last; ++keyPos) {
                result.estimate[static_cast<std::size_t>(queryPos) * n + keyPos] = static_cast<float>(
                    keepAll ? 1.0 : keepProbability(scale * edgeScore(queryPos, keyPos), floor));
            }
        }
    }
    result.stats.estimateSeconds = watch.seconds();
    const double kmeansPoints = std::min(2.0 * n, static_cast<double>(kKmeansPoints));
    result.stats.estimateFlops = 2.0 * kmeansPoints * d * clusters * iterations + 2.0 * 2.0 * n * d * clusters +
                                 pairFlops(input, std::min(allowedPairs, kBlockPairs)) +
                                 2.0 * static_cast<double>(sample.size()) * clusters +
                                 (perPair ? 2.0 * static_cast<double>(allowedPairs) * clusters : 0.0);
    result.queryMemberships.assign(queryMembers.data(), queryMembers.data() + queryMembers.size());
    result.keyMemberships.assign(keyMembers.data(), keyMembers.data() + keyMembers.size());
    result.blockMatrix.resize(static_cast<std::size_t>(clusters) * clusters);
    for (int a = 0; a < clusters; ++a) {
        for (int b = 0; b < clusters; ++b) {
            result.blockMatrix[static_cast<std::size_t>(a) * clusters + b] = static_cast<float>(block(a, b));
        }
    }
    result.stats.selectionBackend = selectionOnGpu ? "cuda" : "cpu";
    attendOnSet(input, std::move(set), options, result);
    return result;
}

} // namespace attnscope::attn

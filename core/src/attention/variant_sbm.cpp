// sbm: SBM-Transformer (Cho et al. 2022), training-free "kmeans" mode (variants.md §5.3 recipe 1).
// The paper learns cluster embeddings and an MLP; here: spherical k-means on the head's normalised
// q and k, memberships σ(β·cos + γ) with β = 4/std and γ = -β·p90 of the logits, block matrix from
// the dense attention mass between hard clusters (normalised to sum 1), expected graph
// P = Q^ B K^ᵀ scaled by c so that mean(min(1, c·P + floor)) over allowed pairs equals the target
// density, and a Bernoulli mask drawn per pair from a counter-based generator seeded by
// (seed, layer, head). The dense path (O(N²·k) to form P) is used, as in the paper's default
// sbm_type; the fastRG edge sampler is not implemented. density = 1 keeps every allowed pair.
#include "attention/variants.h"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <limits>

namespace attnscope::attn {

namespace {

using RowMatrixF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Calibration of c looks at no more than this many allowed pairs (a row-strided subset beyond it).
constexpr std::int64_t kCalibrationPairs = 1 << 20;

RowMatrixF normalisedRows(const float* rows, int n, int d)
{
    RowMatrixF x = Eigen::Map<const RowMatrixF>(rows, n, d);
    for (int row = 0; row < n; ++row) {
        const float norm = x.row(row).norm();
        if (norm > 0.0f) {
            x.row(row) /= norm;
        }
    }
    return x;
}

RowMatrixF sphericalKmeans(const RowMatrixF& points, int clusters, int iterations, Rng& rng)
{
    const int count = static_cast<int>(points.rows());
    const int d = static_cast<int>(points.cols());
    std::vector<int> pool(static_cast<std::size_t>(count));
    for (int index = 0; index < count; ++index) {
        pool[static_cast<std::size_t>(index)] = index;
    }
    RowMatrixF centroids(clusters, d);
    for (int cluster = 0; cluster < clusters; ++cluster) {
        const auto pick = cluster + rng.below(count - cluster);
        std::swap(pool[static_cast<std::size_t>(cluster)], pool[static_cast<std::size_t>(pick)]);
        centroids.row(cluster) = points.row(pool[static_cast<std::size_t>(cluster)]);
    }
    std::vector<int> assignment(static_cast<std::size_t>(count), 0);
    for (int iteration = 0; iteration < iterations; ++iteration) {
        const RowMatrixF similarity = points * centroids.transpose();
        RowMatrixF sums = RowMatrixF::Zero(clusters, d);
        std::vector<int> sizes(static_cast<std::size_t>(clusters), 0);
        for (int index = 0; index < count; ++index) {
            Eigen::Index best = 0;
            similarity.row(index).maxCoeff(&best);
            assignment[static_cast<std::size_t>(index)] = static_cast<int>(best);
            sums.row(best) += points.row(index);
            ++sizes[static_cast<std::size_t>(best)];
        }
        for (int cluster = 0; cluster < clusters; ++cluster) {
            // An emptied cluster restarts at a random point instead of staying dead.
            if (sizes[static_cast<std::size_t>(cluster)] == 0) {
                sums.row(cluster) = points.row(static_cast<Eigen::Index>(rng.below(count)));
            }
            const float norm = sums.row(cluster).norm();
            centroids.row(cluster) = norm > 0.0f ? RowMatrixF(sums.row(cluster) / norm) : RowMatrixF(sums.row(cluster));
        }
    }
    return centroids;
}

double meanProbability(const std::vector<float>& sample, double scale, double floor)
{
    double sum = 0.0;
    for (float p : sample) {
        sum += std::min(1.0, scale * p + floor);
    }
    return sample.empty() ? 0.0 : sum / static_cast<double>(sample.size());
}

} // namespace

Result<HeadVariantResult> runSbm(const HeadInput& input, const VariantSpec& spec, const VariantRunOptions& options)
{
    const int n = input.nTokens;
    const int d = input.headDim;
    const int clusters = static_cast<int>(specInt(spec, "clusters"));
    if (clusters > n) {
        return makeError(ErrorCode::InvalidArgument,
                         "sbm: parameter 'clusters' = " + std::to_string(clusters) +
                             " exceeds the number of tokens; expected an integer in [1, " + std::to_string(n) + "]",
                         "sbm", "bad_parameter");
    }
    const double density = specFloat(spec, "density");
    const double floor = specFloat(spec, "floor");
    const auto seed = static_cast<std::uint64_t>(specInt(spec, "seed"));

    HeadVariantResult result;
    result.head = input.head;
    result.clusters = clusters;
    Stopwatch watch;

    // ---- Clusters and memberships ----
    RowMatrixF points(2 * n, d);
    points.topRows(n) = normalisedRows(input.q, n, d);
    points.bottomRows(n) = normalisedRows(input.k, n, d);
    Rng rng(mixSeed(seed, input.layer, input.head, 0x5b3));
    const RowMatrixF centroids = sphericalKmeans(points, clusters, static_cast<int>(specInt(spec, "iters")), rng);
    const RowMatrixF logits = points * centroids.transpose();
    const double mean = logits.mean();
    const double variance = (logits.array() - mean).square().mean();
    const double beta = 4.0 / std::max(std::sqrt(variance), 1e-6);
    std::vector<float> sorted(logits.data(), logits.data() + logits.size());
    const auto p90 = static_cast<std::ptrdiff_t>(0.9 * static_cast<double>(sorted.size() - 1));
    std::nth_element(sorted.begin(), sorted.begin() + p90, sorted.end());
    const double gamma = -beta * sorted[static_cast<std::size_t>(p90)];
    RowMatrixF memberships = ((logits.array() * static_cast<float>(beta) + static_cast<float>(gamma)).exp().inverse() + 1.0f)
                                 .inverse()
                                 .matrix();
    std::vector<int> hard(static_cast<std::size_t>(2 * n));
    for (int row = 0; row < 2 * n; ++row) {
        Eigen::Index best = 0;
        logits.row(row).maxCoeff(&best);
        hard[static_cast<std::size_t>(row)] = static_cast<int>(best);
    }

    // ---- Block matrix from the dense mass between hard clusters ----
    Eigen::MatrixXd block = Eigen::MatrixXd::Zero(clusters, clusters);
    std::vector<float> scratch;
    std::vector<double> probabilities;
    for (int queryPos = 0; queryPos < n; ++queryPos) {
        const KeyRange range = allowedKeys(input, queryPos);
        denseProbabilityRow(input, queryPos, range, scratch, probabilities);
        const int queryCluster = hard[static_cast<std::size_t>(queryPos)];
        for (int index = 0; index < range.size(); ++index) {
            block(queryCluster, hard[static_cast<std::size_t>(n + range.first + index)]) +=
                probabilities[static_cast<std::size_t>(index)];
        }
    }
    block /= std::max(block.sum(), 1e-300);

    // ---- Expected graph P = Q^ B K^T, scaled to the target density ----
    const RowMatrixF queryMembers = memberships.topRows(n);
    const RowMatrixF keyMembers = memberships.bottomRows(n);
    const RowMatrixF keyFactor = keyMembers * block.cast<float>().transpose(); // [N, k]: (B K^T)^T
    auto edgeScore = [&](int queryPos, int keyPos) {
        return queryMembers.row(queryPos).dot(keyFactor.row(keyPos));
    };
    const std::int64_t allowedPairs = allowedPairCount(input);
    const int rowStride = static_cast<int>(std::max<std::int64_t>(1, (allowedPairs + kCalibrationPairs - 1) / kCalibrationPairs));
    std::vector<float> sample;
    for (int queryPos = 0; queryPos < n; queryPos += rowStride) {
        const KeyRange range = allowedKeys(input, queryPos);
        for (int keyPos = range.first; keyPos <= range.last; ++keyPos) {
            sample.push_back(edgeScore(queryPos, keyPos));
        }
    }
    double scale = 0.0;
    bool keepAll = false;
    if (density >= 1.0) {
        keepAll = true;
    } else if (meanProbability(sample, 0.0, floor) < density) {
        double high = 1.0;
        for (int step = 0; step < 200 && meanProbability(sample, high, floor) < density; ++step) {
            high *= 2.0;
        }
        double low = 0.0;
        for (int step = 0; step < 60; ++step) {
            const double middle = 0.5 * (low + high);
            (meanProbability(sample, middle, floor) < density ? low : high) = middle;
        }
        scale = high;
    }
    result.blockScale = keepAll ? std::numeric_limits<double>::infinity() : scale;

    // ---- Bernoulli mask ----
    const std::uint64_t drawKey = mixSeed(seed, input.layer, input.head, 0xbe5);
    const bool keepEstimate = materialise(input, options);
    if (keepEstimate) {
        result.estimate.assign(static_cast<std::size_t>(n) * n, 0.0f);
        result.estimateKind = "edge_probabilities";
    }
    std::vector<double> rowExpected(static_cast<std::size_t>(n), 0.0);
    KeptSet set = keptSetFromRows(input, options.threads, [&](int queryPos, std::vector<std::int32_t>& cols) {
        const KeyRange range = allowedKeys(input, queryPos);
        double expected = 0.0;
        for (int keyPos = range.first; keyPos <= range.last; ++keyPos) {
            const double probability = keepAll ? 1.0 : std::min(1.0, scale * edgeScore(queryPos, keyPos) + floor);
            expected += probability;
            if (keepEstimate) {
                result.estimate[static_cast<std::size_t>(queryPos) * n + keyPos] = static_cast<float>(probability);
            }
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
    result.stats.estimateSeconds = watch.seconds();
    result.stats.estimateFlops = 2.0 * n * 2.0 * d * clusters * static_cast<double>(specInt(spec, "iters")) +
                                 pairFlops(input, allowedPairs) + 2.0 * static_cast<double>(allowedPairs) * clusters;
    result.queryMemberships.assign(queryMembers.data(), queryMembers.data() + queryMembers.size());
    result.keyMemberships.assign(keyMembers.data(), keyMembers.data() + keyMembers.size());
    result.blockMatrix.resize(static_cast<std::size_t>(clusters) * clusters);
    for (int a = 0; a < clusters; ++a) {
        for (int b = 0; b < clusters; ++b) {
            result.blockMatrix[static_cast<std::size_t>(a) * clusters + b] = static_cast<float>(block(a, b));
        }
    }
    attendOnSet(input, std::move(set), options, result);
    return result;
}

} // namespace attnscope::attn

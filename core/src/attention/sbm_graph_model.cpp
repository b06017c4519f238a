// sbm's graph model: training-free k-means memberships and block matrix, or the learned ones
// (sbm_graph_model.h). Moved out of variant_sbm.cpp, which keeps the calibration and sampling.
#include "attention/sbm_graph_model.h"

#include "attention/attention_backend.h"
#include "attention/learned_predictor_file.h"
#include "attention/sbm_sampler.h"
#include "attention/variants.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

namespace attnscope::attn {

namespace {

using RowMatrixF = SbmGraphModel::RowMatrix;

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
    for (int iteration = 0; iteration < iterations; ++iteration) {
        const RowMatrixF similarity = points * centroids.transpose();
        RowMatrixF sums = RowMatrixF::Zero(clusters, d);
        std::vector<int> sizes(static_cast<std::size_t>(clusters), 0);
        for (int index = 0; index < count; ++index) {
            Eigen::Index best = 0;
            similarity.row(index).maxCoeff(&best);
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

constexpr const char* kClusterEmbeddings = "clusters";
constexpr const char* kMlpInWeight = "mlp.0.weight";
constexpr const char* kMlpInBias = "mlp.0.bias";
constexpr const char* kMlpOutWeight = "mlp.2.weight";
constexpr const char* kMlpOutBias = "mlp.2.bias";

} // namespace

// The training-free model (variants.md §5.3 recipe 1): spherical k-means memberships and the block
// matrix from the dense mass between hard clusters. The final assignment of every query and key
// (the O(N·k·d) step) runs on the GPU when it may, with the CPU's values.
Result<SbmGraphModel> kmeansGraphModel(const HeadInput& input, int clusters, int iterations, std::uint64_t seed,
                                       const VariantRunOptions& options, VariantStats& stats)
{
    const int threads = options.threads;
    const int n = input.nTokens;
    const int d = input.headDim;
    // ---- Clusters and memberships ----
    RowMatrixF points(2 * n, d);
    points.topRows(n) = normalisedRows(input.q, n, d);
    points.bottomRows(n) = normalisedRows(input.k, n, d);
    Rng rng(mixSeed(seed, input.layer, input.head, 0x5b3));
    const int pointStride = std::max(1, (2 * n + kKmeansPoints - 1) / kKmeansPoints);
    RowMatrixF centroids;
    if (pointStride == 1) {
        centroids = sphericalKmeans(points, clusters, iterations, rng);
    } else {
        RowMatrixF subsample((2 * n + pointStride - 1) / pointStride, d);
        for (Eigen::Index row = 0; row < subsample.rows(); ++row) {
            subsample.row(row) = points.row(row * pointStride);
        }
        centroids = sphericalKmeans(subsample, std::min<int>(clusters, static_cast<int>(subsample.rows())),
                                    iterations, rng);
        if (centroids.rows() < clusters) {
            return makeError(ErrorCode::InvalidArgument, "sbm: more clusters than k-means sample points", "sbm",
                             "bad_parameter");
        }
    }
    RowMatrixF logits;
    std::vector<int> hard;
    {
        std::vector<float> gpuLogits;
        std::vector<std::int32_t> gpuHard;
        if (sbmAssignOnCuda(input, options, points.data(), 2 * n, d, centroids.data(), clusters, gpuLogits, gpuHard,
                            stats)) {
            logits = Eigen::Map<const RowMatrixF>(gpuLogits.data(), 2 * n, clusters);
            hard.assign(gpuHard.begin(), gpuHard.end());
        } else {
            logits.resize(2 * n, clusters);
            hard.assign(static_cast<std::size_t>(2 * n), 0);
            kmeansAssignCpu(points.data(), 2 * n, d, centroids.data(), clusters, logits.data(), hard.data(), threads);
        }
    }
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

    // ---- Block matrix from the dense mass between hard clusters ----
    const std::int64_t allowedPairs = allowedPairCount(input);
    const int blockStride = static_cast<int>(std::max<std::int64_t>(1, (allowedPairs + kBlockPairs - 1) / kBlockPairs));
    // Sampled rows in fixed chunks, each with its own partial matrix, summed in chunk order.
    constexpr int kBlockChunkRows = 16;
    const int sampledRows = (n + blockStride - 1) / blockStride;
    const int blockChunks = (sampledRows + kBlockChunkRows - 1) / kBlockChunkRows;
    std::vector<Eigen::MatrixXd> partial(static_cast<std::size_t>(blockChunks));
    parallelFor(
        blockChunks,
        [&](std::int64_t chunk) {
            thread_local std::vector<float> scratch;
            thread_local std::vector<double> probabilities;
            Eigen::MatrixXd& mass = partial[static_cast<std::size_t>(chunk)];
            mass = Eigen::MatrixXd::Zero(clusters, clusters);
            const int first = static_cast<int>(chunk) * kBlockChunkRows;
            for (int sampled = first; sampled < std::min(sampledRows, first + kBlockChunkRows); ++sampled) {
                const int queryPos = sampled * blockStride;
                const KeyRange range = allowedKeys(input, queryPos);
                denseProbabilityRow(input, queryPos, range, scratch, probabilities);
                const int queryCluster = hard[static_cast<std::size_t>(queryPos)];
                for (int index = 0; index < range.size(); ++index) {
                    mass(queryCluster, hard[static_cast<std::size_t>(n + range.first + index)]) +=
                        probabilities[static_cast<std::size_t>(index)];
                }
            }
        },
        threads);
    Eigen::MatrixXd block = Eigen::MatrixXd::Zero(clusters, clusters);
    for (const Eigen::MatrixXd& mass : partial) {
        block += mass;
    }
    block /= std::max(block.sum(), 1e-300);
    return SbmGraphModel{std::move(memberships), std::move(block)};
}

int learnedClusterCount(const HeadInput& input)
{
    return static_cast<int>(input.learned->find(input.layer, kClusterEmbeddings)->shape[1]);
}

// Learned mode (issue #11; the paper's parametrisation, variants.md §5.1): per layer a shared MLP
// (Linear d→d, ReLU, Linear d→d) and per query head cluster embeddings C [k, d], fitted by
// tools/predictors/sbm.py with the straight-through estimator and a density penalty.
// Memberships σ(MLP(x)·Cᵀ) for x = q_i and k_j; block matrix softmax over all k² entries of C·Cᵀ.
SbmGraphModel learnedGraphModel(const HeadInput& input)
{
    const LearnedPredictorFile& file = *input.learned;
    const int n = input.nTokens;
    const int d = input.headDim;
    const PredictorTensor& embeddings = *file.find(input.layer, kClusterEmbeddings);
    const int clusters = static_cast<int>(embeddings.shape[1]);
    const Eigen::Map<const RowMatrixF> c(embeddings.values.data() + static_cast<std::size_t>(input.head) * clusters * d,
                                         clusters, d);
    const Eigen::Map<const RowMatrixF> w1(file.find(input.layer, kMlpInWeight)->values.data(), d, d);
    const Eigen::Map<const Eigen::RowVectorXf> b1(file.find(input.layer, kMlpInBias)->values.data(), d);
    const Eigen::Map<const RowMatrixF> w2(file.find(input.layer, kMlpOutWeight)->values.data(), d, d);
    const Eigen::Map<const Eigen::RowVectorXf> b2(file.find(input.layer, kMlpOutBias)->values.data(), d);
    RowMatrixF points(2 * n, d);
    points.topRows(n) = Eigen::Map<const RowMatrixF>(input.q, n, d);
    points.bottomRows(n) = Eigen::Map<const RowMatrixF>(input.k, n, d);
    RowMatrixF hidden = (points * w1.transpose()).rowwise() + b1;
    hidden = hidden.cwiseMax(0.0f);
    const RowMatrixF mapped = (hidden * w2.transpose()).rowwise() + b2;
    const RowMatrixF logits = mapped * c.transpose();
    RowMatrixF memberships = (1.0f + (-logits.array()).exp()).inverse().matrix();
    const Eigen::MatrixXd affinity = (c * c.transpose()).cast<double>();
    Eigen::MatrixXd block = (affinity.array() - affinity.maxCoeff()).exp().matrix();
    block /= block.sum();
    return SbmGraphModel{std::move(memberships), std::move(block)};
}

Result<void> validateSbmPredictors(const LearnedPredictorFile& file)
{
    auto clusters = file.metadataInt("clusters");
    if (!clusters) {
        return clusters.error();
    }
    const std::int64_t d = file.headDim();
    const std::pair<const char*, std::vector<std::int64_t>> expected[] = {
        {kClusterEmbeddings, {file.nHeads(), clusters.value(), d}},
        {kMlpInWeight, {d, d}},
        {kMlpInBias, {d}},
        {kMlpOutWeight, {d, d}},
        {kMlpOutBias, {d}},
    };
    for (int layer = 0; layer < file.nLayers(); ++layer) {
        for (const auto& [name, shape] : expected) {
            auto tensor = file.require(layer, name, shape);
            if (!tensor) {
                return tensor.error();
            }
        }
    }
    return okResult();
}

} // namespace attnscope::attn

// sea learned mode: the forward of tools/predictors/sea.py's estimator (see learned_sea.h).
// The Performer context uses prefix sums over the entering keys (the fit computes the same sums
// as a masked matrix product); everything else is per row.
#include "attention/learned_sea.h"

#include "attention/allowed_sweep.h"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

namespace attnscope::attn {

namespace {

using RowMatrixF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using RowMatrixD = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

constexpr double kLayerNormEpsilon = 1e-5; // torch.nn.LayerNorm's default, as fitted

struct SeaSizes {
    int heads = 0;
    int headDim = 0;
    int features = 0;
    int tm = 0;
    int maxPositions = 0;
};

Result<SeaSizes> seaSizes(const LearnedPredictorFile& file)
{
    SeaSizes sizes;
    sizes.heads = file.nHeads();
    sizes.headDim = file.headDim();
    auto features = file.metadataInt("features");
    if (!features) {
        return features.error();
    }
    auto tm = file.metadataInt("tm");
    if (!tm) {
        return tm.error();
    }
    auto positions = file.metadataInt("max_positions");
    if (!positions) {
        return positions.error();
    }
    sizes.features = *features;
    sizes.tm = *tm;
    sizes.maxPositions = *positions;
    return sizes;
}

// One layer's tensors, shapes checked.
struct SeaLayer {
    const PredictorTensor* omega = nullptr;
    const PredictorTensor* pos = nullptr;
    const PredictorTensor* encWeight = nullptr;
    const PredictorTensor* encBias = nullptr;
    const PredictorTensor* normWeight = nullptr;
    const PredictorTensor* normBias = nullptr;
    const PredictorTensor* decWeight = nullptr;
    const PredictorTensor* decBias = nullptr;
};

Result<SeaLayer> seaLayer(const LearnedPredictorFile& file, const SeaSizes& s, int layer)
{
    const std::int64_t h = s.heads;
    const std::int64_t d = s.headDim;
    auto found = file.requireAll(layer, {{"omega", {h, s.features, d}},
                                         {"pos", {s.maxPositions, d}},
                                         {"enc.weight", {2 * d, 4 * d}},
                                         {"enc.bias", {2 * d}},
                                         {"norm.weight", {2 * d}},
                                         {"norm.bias", {2 * d}},
                                         {"dec.weight", {h, s.tm, 2 * d}},
                                         {"dec.bias", {h, s.tm}}});
    if (!found) {
        return found.error();
    }
    const std::vector<const PredictorTensor*>& t = *found;
    return SeaLayer{t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7]};
}

} // namespace

Result<void> validateSeaPredictors(const LearnedPredictorFile& file)
{
    auto sizes = seaSizes(file);
    if (!sizes) {
        return sizes.error();
    }
    for (int layer = 0; layer < file.nLayers(); ++layer) {
        auto tensors = seaLayer(file, *sizes, layer);
        if (!tensors) {
            return tensors.error();
        }
    }
    return {};
}

int seaCellOf(int relativeKey, int rowLength, int tm)
{
    return static_cast<int>((2LL * relativeKey + 1) * tm / (2LL * rowLength));
}

int seaCellStart(int cell, int rowLength, int tm)
{
    // Smallest r >= 0 with (2r + 1)·tm >= 2·cell·L, i.e. r >= (2·cell·L − tm) / (2·tm).
    const long long numerator = 2LL * cell * rowLength - tm;
    if (numerator <= 0) {
        return 0;
    }
    return static_cast<int>((numerator + 2LL * tm - 1) / (2LL * tm));
}

Result<std::vector<std::vector<float>>> seaLearnedCells(const LearnedPredictorFile& file,
                                                        const std::vector<HeadInput>& heads, int threads)
{
    auto sizes = seaSizes(file);
    if (!sizes) {
        return sizes.error();
    }
    std::vector<std::vector<float>> cells(heads.size());
    if (heads.empty()) {
        return cells;
    }
    const HeadInput& first = heads.front();
    const int n = first.nTokens;
    const int d = first.headDim;
    const int m = sizes->features;
    const int tm = sizes->tm;
    if (d != sizes->headDim || first.layer < 0 || first.layer >= file.nLayers()) {
        return Error{ErrorCode::ShapeMismatch,
                     "sea predictor file " + file.path() + " was fitted for " + std::to_string(file.nLayers()) +
                         " layers of head dim " + std::to_string(sizes->headDim) + "; this is layer " +
                         std::to_string(first.layer) + " with head dim " + std::to_string(d)};
    }
    if (!first.causal) {
        return Error{ErrorCode::InvalidArgument,
                     "sea:mode=learned is fitted on causal models only (tools/fit_predictors.py); this model is "
                     "bidirectional"};
    }
    if (n > sizes->maxPositions) {
        return Error{ErrorCode::InvalidArgument,
                     "sea predictor file " + file.path() + " has a position table of " +
                         std::to_string(sizes->maxPositions) + " tokens; the input has " + std::to_string(n) +
                         " (refit with a longer --window or use fewer tokens)"};
    }
    auto layerTensors = seaLayer(file, *sizes, first.layer);
    if (!layerTensors) {
        return layerTensors.error();
    }
    const SeaLayer& t = *layerTensors;
    const Eigen::Map<const RowMatrixF> pos(t.pos->values.data(), sizes->maxPositions, d);
    const Eigen::Map<const RowMatrixF> encWeight(t.encWeight->values.data(), 2 * d, 4 * d);
    const Eigen::Map<const Eigen::VectorXf> encBias(t.encBias->values.data(), 2 * d);
    const Eigen::Map<const Eigen::VectorXf> normWeight(t.normWeight->values.data(), 2 * d);
    const Eigen::Map<const Eigen::VectorXf> normBias(t.normBias->values.data(), 2 * d);

    for (std::size_t index = 0; index < heads.size(); ++index) {
        const HeadInput& input = heads[index];
        if (input.head < 0 || input.head >= sizes->heads || input.nTokens != n || input.headDim != d) {
            return Error{ErrorCode::ShapeMismatch, "sea predictor file " + file.path() + " has " +
                                                       std::to_string(sizes->heads) + " heads; asked for head " +
                                                       std::to_string(input.head)};
        }
        const PerformerFeatures phi = performerFeaturesFromProjection(
            input, t.omega->values.data() + static_cast<std::size_t>(input.head) * m * d, m, true, threads);

        // Performer context C_i = Σ_j w_ij [P_j ‖ v_j] / Σ_j w_ij over the row's allowed keys, one
        // sweep adding entering keys and removing leaving ones (the allowed interval only moves forward).
        RowMatrixF context(n, 2 * d);
        {
            RowMatrixD keyValue = RowMatrixD::Zero(m, 2 * d);
            Eigen::VectorXd keySum = Eigen::VectorXd::Zero(m);
            Eigen::RowVectorXd value(2 * d);
            const auto update = [&](int keyPos, double sign) {
                const Eigen::Map<const Eigen::VectorXf> feature(phi.key.data() + static_cast<std::size_t>(keyPos) * m, m);
                value.head(d) = pos.row(keyPos).cast<double>();
                value.tail(d) = Eigen::Map<const Eigen::RowVectorXf>(input.v + static_cast<std::size_t>(keyPos) * d, d)
                                    .cast<double>();
                keySum += sign * feature.cast<double>();
                keyValue += sign * (feature.cast<double>() * value);
            };
            sweepAllowedKeys(input, update, [&](int queryPos) {
                const Eigen::Map<const Eigen::VectorXf> query(phi.query.data() + static_cast<std::size_t>(queryPos) * m,
                                                              m);
                const double denominator = query.cast<double>().dot(keySum);
                if (denominator > 0.0) {
                    context.row(queryPos) = ((query.cast<double>().transpose() * keyValue) / denominator).cast<float>();
                } else {
                    context.row(queryPos).setZero();
                }
            });
        }

        const Eigen::Map<const RowMatrixF> decWeight(
            t.decWeight->values.data() + static_cast<std::size_t>(input.head) * tm * 2 * d, tm, 2 * d);
        const Eigen::Map<const Eigen::VectorXf> decBias(
            t.decBias->values.data() + static_cast<std::size_t>(input.head) * tm, tm);
        std::vector<float>& out = cells[index];
        out.assign(static_cast<std::size_t>(n) * tm, 0.0f);
        parallelFor(
            n,
            [&](std::int64_t row) {
                const int queryPos = static_cast<int>(row);
                const KeyRange range = allowedKeys(input, queryPos);
                const int length = range.size();
                if (length <= 0) {
                    return;
                }
                // Encoder: t = GELU(LayerNorm(W [C ‖ v_i ‖ P_i] + b)).
                Eigen::VectorXf features(4 * d);
                features.head(2 * d) = context.row(queryPos).transpose();
                features.segment(2 * d, d) =
                    Eigen::Map<const Eigen::VectorXf>(input.v + static_cast<std::size_t>(queryPos) * d, d);
                features.tail(d) = pos.row(queryPos).transpose();
                const Eigen::VectorXd encoded = (encWeight * features + encBias).cast<double>();
                const double mean = encoded.mean();
                const double variance = (encoded.array() - mean).square().mean();
                Eigen::VectorXf hidden(2 * d);
                for (int unit = 0; unit < 2 * d; ++unit) {
                    const double normed = (encoded[unit] - mean) / std::sqrt(variance + kLayerNormEpsilon) *
                                              normWeight[unit] +
                                          normBias[unit];
                    hidden[unit] = static_cast<float>(0.5 * normed * (1.0 + std::erf(normed / std::sqrt(2.0))));
                }
                // Decoder logits, softmax over the cells the row's keys fall in.
                const Eigen::VectorXf logits = decWeight * hidden + decBias;
                float* probabilities = out.data() + static_cast<std::size_t>(queryPos) * tm;
                double maxLogit = -std::numeric_limits<double>::infinity();
                const auto forEachUsedCell = [&](auto visit) {
                    if (length >= tm) {
                        for (int cell = 0; cell < tm; ++cell) {
                            visit(cell);
                        }
                        return;
                    }
                    for (int key = 0; key < length; ++key) {
                        visit(seaCellOf(key, length, tm));
                    }
                };
                forEachUsedCell([&](int cell) { maxLogit = std::max(maxLogit, static_cast<double>(logits[cell])); });
                double sum = 0.0;
                thread_local std::vector<double> weights;
                weights.assign(static_cast<std::size_t>(tm), 0.0);
                forEachUsedCell([&](int cell) {
                    weights[static_cast<std::size_t>(cell)] = std::exp(static_cast<double>(logits[cell]) - maxLogit);
                });
                for (double weight : weights) {
                    sum += weight;
                }
                for (int cell = 0; cell < tm; ++cell) {
                    probabilities[cell] = static_cast<float>(weights[static_cast<std::size_t>(cell)] / sum);
                }
            },
            threads);
    }
    return cells;
}

} // namespace attnscope::attn

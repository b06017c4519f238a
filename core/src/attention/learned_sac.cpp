// sac learned mode: the forward of tools/predictors/sac.py's LSTM pointer (see learned_sac.h).
#include "attention/learned_sac.h"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

namespace attnscope::attn {

namespace {

using RowMatrixF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

struct SacSizes {
    int heads = 0;
    int headDim = 0;
    int width = 0;   // dp
    int state = 0;   // dh
    int maxDistance = 0;
};

Result<SacSizes> sacSizes(const LearnedPredictorFile& file)
{
    SacSizes sizes;
    sizes.heads = file.nHeads();
    sizes.headDim = file.headDim();
    for (auto [key, slot] : {std::pair{"dp", &sizes.width}, std::pair{"dh", &sizes.state},
                             std::pair{"dmax", &sizes.maxDistance}}) {
        auto value = file.metadataInt(key);
        if (!value) {
            return value.error();
        }
        *slot = *value;
    }
    return sizes;
}

struct SacLayer {
    const PredictorTensor* embedWeight = nullptr;
    const PredictorTensor* embedBias = nullptr;
    const PredictorTensor* inputWeight = nullptr;
    const PredictorTensor* stateWeight = nullptr;
    const PredictorTensor* lstmBias = nullptr;
    const PredictorTensor* outWeight = nullptr;
    const PredictorTensor* outBias = nullptr;
    const PredictorTensor* distance = nullptr;
};

Result<SacLayer> sacLayer(const LearnedPredictorFile& file, const SacSizes& s, int layer)
{
    const std::int64_t h = s.heads;
    const std::int64_t d = s.headDim;
    const std::int64_t dp = s.width;
    const std::int64_t dh = s.state;
    auto found = file.requireAll(layer, {{"embed_weight", {h, dp, 2 * d}},
                                         {"embed_bias", {h, dp}},
                                         {"w_ih", {h, 4 * dh, dp}},
                                         {"w_hh", {h, 4 * dh, dh}},
                                         {"lstm_bias", {h, 4 * dh}},
                                         {"out_weight", {h, dp, dh + dp}},
                                         {"out_bias", {h, dp}},
                                         {"distance", {h, s.maxDistance + 1LL, dp}}});
    if (!found) {
        return found.error();
    }
    const std::vector<const PredictorTensor*>& t = *found;
    return SacLayer{t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7]};
}

// Head `head`'s slice of a [H, rows, cols] tensor as a row-major matrix.
Eigen::Map<const RowMatrixF> headMatrix(const PredictorTensor& tensor, int head)
{
    const auto rows = static_cast<Eigen::Index>(tensor.shape[tensor.shape.size() - 2]);
    const auto cols = static_cast<Eigen::Index>(tensor.shape.back());
    return {tensor.values.data() + static_cast<std::size_t>(head) * rows * cols, rows, cols};
}

Eigen::Map<const Eigen::VectorXf> headVector(const PredictorTensor& tensor, int head)
{
    const auto size = static_cast<Eigen::Index>(tensor.shape.back());
    return {tensor.values.data() + static_cast<std::size_t>(head) * size, size};
}

float sigmoid(float x)
{
    return 1.0f / (1.0f + std::exp(-x));
}

} // namespace

Result<void> validateSacPredictors(const LearnedPredictorFile& file)
{
    auto sizes = sacSizes(file);
    if (!sizes) {
        return sizes.error();
    }
    for (int layer = 0; layer < file.nLayers(); ++layer) {
        auto tensors = sacLayer(file, *sizes, layer);
        if (!tensors) {
            return tensors.error();
        }
    }
    return {};
}

Result<SacPolicy> SacPolicy::compute(const LearnedPredictorFile& file, const HeadInput& input)
{
    auto sizes = sacSizes(file);
    if (!sizes) {
        return sizes.error();
    }
    const int n = input.nTokens;
    const int d = input.headDim;
    if (d != sizes->headDim || input.layer < 0 || input.layer >= file.nLayers() || input.head < 0 ||
        input.head >= sizes->heads) {
        return makeError(ErrorCode::ShapeMismatch,
                         "the predictors were fitted for " + std::to_string(file.nLayers()) + " layers of " +
                             std::to_string(sizes->heads) + " heads of dim " + std::to_string(sizes->headDim) +
                             "; asked for layer " + std::to_string(input.layer) + " head " +
                             std::to_string(input.head) + " of dim " + std::to_string(d),
                         file.path());
    }
    if (!input.causal) {
        return makeError(ErrorCode::InvalidArgument,
                         "sac:mode=lstm is fitted on causal models only (tools/fit_predictors.py); this model is "
                         "bidirectional",
                         file.path());
    }
    auto layerTensors = sacLayer(file, *sizes, input.layer);
    if (!layerTensors) {
        return layerTensors.error();
    }
    const SacLayer& t = *layerTensors;
    const int head = input.head;
    const int dp = sizes->width;
    const int dh = sizes->state;

    SacPolicy policy;
    policy.m_tokens = n;
    policy.m_width = dp;
    policy.m_distances = sizes->maxDistance + 1;

    // Node embeddings e_j = W_e [q_j ‖ k_j] + b_e.
    RowMatrixF nodeFeatures(n, 2 * d);
    nodeFeatures.leftCols(d) = Eigen::Map<const RowMatrixF>(input.q, n, d);
    nodeFeatures.rightCols(d) = Eigen::Map<const RowMatrixF>(input.k, n, d);
    RowMatrixF nodes = nodeFeatures * headMatrix(*t.embedWeight, head).transpose();
    nodes.rowwise() += headVector(*t.embedBias, head).transpose();

    // LSTM over the sequence (PyTorch gate order: input, forget, cell, output).
    const RowMatrixF inputGates = (nodes * headMatrix(*t.inputWeight, head).transpose()).rowwise() +
                                  headVector(*t.lstmBias, head).transpose();
    const auto stateWeight = headMatrix(*t.stateWeight, head);
    RowMatrixF states(n, dh);
    Eigen::VectorXf hidden = Eigen::VectorXf::Zero(dh);
    Eigen::VectorXf cell = Eigen::VectorXf::Zero(dh);
    Eigen::VectorXf gates(4 * dh);
    for (int step = 0; step < n; ++step) {
        gates = inputGates.row(step).transpose() + stateWeight * hidden;
        for (int unit = 0; unit < dh; ++unit) {
            const float inputGate = sigmoid(gates[unit]);
            const float forgetGate = sigmoid(gates[dh + unit]);
            const float candidate = std::tanh(gates[2 * dh + unit]);
            const float outputGate = sigmoid(gates[3 * dh + unit]);
            cell[unit] = forgetGate * cell[unit] + inputGate * candidate;
            hidden[unit] = outputGate * std::tanh(cell[unit]);
        }
        states.row(step) = hidden.transpose();
    }

    // Pointer queries r_i = W_o [h_i ‖ e_i] + b_o and r_i·D[δ].
    RowMatrixF pointerInput(n, dh + dp);
    pointerInput.leftCols(dh) = states;
    pointerInput.rightCols(dp) = nodes;
    RowMatrixF queries = pointerInput * headMatrix(*t.outWeight, head).transpose();
    queries.rowwise() += headVector(*t.outBias, head).transpose();
    const RowMatrixF byDistance = queries * headMatrix(*t.distance, head).transpose();

    policy.m_queries.assign(queries.data(), queries.data() + queries.size());
    policy.m_nodes.assign(nodes.data(), nodes.data() + nodes.size());
    policy.m_byDistance.assign(byDistance.data(), byDistance.data() + byDistance.size());
    policy.m_setupFlops = 2.0 * n *
                          (2.0 * d * dp + 4.0 * dh * (dp + dh) + 10.0 * dh + dp * (dh + dp) +
                           static_cast<double>(policy.m_distances) * dp);
    return policy;
}

void SacPolicy::rowLogProbabilities(int queryPos, KeyRange range, double* out) const
{
    const float* query = m_queries.data() + static_cast<std::size_t>(queryPos) * m_width;
    const double* byDistance = m_byDistance.data() + static_cast<std::size_t>(queryPos) * m_distances;
    double maxLogit = -std::numeric_limits<double>::infinity();
    for (int index = 0; index < range.size(); ++index) {
        const int keyPos = range.first + index;
        const float* node = m_nodes.data() + static_cast<std::size_t>(keyPos) * m_width;
        double logit = 0.0;
        for (int unit = 0; unit < m_width; ++unit) {
            logit += static_cast<double>(query[unit]) * node[unit];
        }
        logit += byDistance[std::min(queryPos - keyPos, m_distances - 1)];
        out[index] = logit;
        maxLogit = std::max(maxLogit, logit);
    }
    double sum = 0.0;
    for (int index = 0; index < range.size(); ++index) {
        sum += std::exp(out[index] - maxLogit);
    }
    const double logSum = maxLogit + std::log(sum);
    for (int index = 0; index < range.size(); ++index) {
        out[index] -= logSum;
    }
}

} // namespace attnscope::attn

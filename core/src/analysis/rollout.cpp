// Attention rollout (Abnar & Zuidema 2020, "Quantifying Attention Flow in Transformers"): the
// residual connection is modelled as 0.5·A + 0.5·I, rows renormalised, and the per-layer matrices
// (heads averaged) multiplied from the first layer up. For a variant, each layer's effective
// attention comes from the variant run on that layer's dense-model Q/K/V, as in compare.

#include "analysis/head_structure.h"
#include "attention/variant_runner.h"
#include "attnscope/analysis.h"
#include "model/dense_attention.h"
#include "workspace/workspace_impl.h"

#include <Eigen/Dense>

namespace attnscope {

namespace {

using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Adds every head's effective attention (CSR) of one layer result into sum [n, n].
void addEffective(const LayerVariantResult& layer, std::vector<double>& sum, int n)
{
    for (const HeadVariantResult& head : layer.heads) {
        const CsrAttention& csr = head.attention;
        for (int row = 0; row < n && !csr.empty(); ++row) {
            for (std::int64_t entry = csr.rowPtr[static_cast<std::size_t>(row)];
                 entry < csr.rowPtr[static_cast<std::size_t>(row) + 1]; ++entry) {
                sum[static_cast<std::size_t>(row) * n + static_cast<std::size_t>(csr.cols[static_cast<std::size_t>(entry)])] +=
                    csr.weights[static_cast<std::size_t>(entry)];
            }
        }
    }
}

} // namespace

Result<std::vector<double>> rolloutOfLayers(const std::vector<std::vector<double>>& headMeans, int n)
{
    if (headMeans.empty() || n < 1) {
        return makeError(ErrorCode::InvalidArgument, "rollout needs at least one layer of at least one token");
    }
    const auto cells = static_cast<std::size_t>(n) * static_cast<std::size_t>(n);
    RowMatrix rollout = RowMatrix::Identity(n, n);
    for (std::size_t layer = 0; layer < headMeans.size(); ++layer) {
        if (headMeans[layer].size() != cells) {
            return makeError(ErrorCode::InvalidArgument, "rollout layer " + std::to_string(layer) + " has " +
                                                             std::to_string(headMeans[layer].size()) +
                                                             " values, expected " + std::to_string(cells));
        }
        RowMatrix mixed = 0.5 * Eigen::Map<const RowMatrix>(headMeans[layer].data(), n, n);
        mixed.diagonal().array() += 0.5;
        const Eigen::VectorXd sums = mixed.rowwise().sum();
        for (int row = 0; row < n; ++row) {
            if (sums(row) > 0.0) {
                mixed.row(row) /= sums(row);
            }
        }
        rollout = mixed * rollout;  // later layers act on what earlier layers already mixed
    }
    return std::vector<double>(rollout.data(), rollout.data() + cells);
}

Result<AttentionRollout> attentionRollout(Workspace& workspace, const std::vector<std::int32_t>& ids,
                                          const std::string& variantSpec, int throughLayer, const RunOptions& options)
{
    const ModelInfo& info = workspace.info();
    if (throughLayer < 0 || throughLayer >= info.nLayers) {
        return makeError(ErrorCode::InvalidArgument, "layer " + std::to_string(throughLayer) +
                                                         " is out of range [0, " + std::to_string(info.nLayers) + ")");
    }
    if (ids.empty()) {
        return makeError(ErrorCode::InvalidArgument, "the input has no tokens");
    }
    ATTNSCOPE_TRY(analysis::checkAnalysisLength(ids.size()));
    const bool dense = variantSpec.empty() || variantSpec == "dense";
    auto spec = parseVariantSpec(dense ? std::string("dense") : variantSpec);
    if (!spec) {
        return spec.error();
    }
    ATTNSCOPE_TRY(workspace.impl().checkLength(ids.size(), options.allowOverflow));
    const int n = static_cast<int>(ids.size());
    const auto cells = static_cast<std::size_t>(n) * static_cast<std::size_t>(n);
    std::vector<std::vector<double>> headMeans;
    std::vector<int> layers(static_cast<std::size_t>(throughLayer) + 1);
    for (int layer = 0; layer <= throughLayer; ++layer) {
        layers[static_cast<std::size_t>(layer)] = layer;
    }
    ForwardOptions forward;
    forward.capture = LayerSelection::only(layers);
    forward.captureProbabilities = dense;
    forward.logits = LogitsMode::None;
    forward.allowOverflow = options.allowOverflow;
    forward.cancel = options.cancel;
    forward.progress = options.progress;
    forward.onLayer = [&](LayerCapture&& capture) -> Result<void> {
        const LayerQkv& qkv = capture.qkv;
        std::vector<double> sum(cells, 0.0);
        if (dense) {
            if (capture.probabilities.size() != cells * static_cast<std::size_t>(qkv.nHeads)) {
                return makeError(ErrorCode::Internal, "the forward pass did not capture the layer's probabilities");
            }
            for (std::size_t index = 0; index < capture.probabilities.size(); ++index) {
                sum[index % cells] += capture.probabilities[index];
            }
        } else {
            VariantRunOptions run;
            run.keepAttention = true;
            run.computeMetrics = false;
            run.maxMaterialisedTokens = n;
            run.backend = workspace.impl().backend;
            auto result = attn::runLayerVariant(qkv, spec.value(), run, options.cancel);
            if (!result) {
                return result.error();
            }
            addEffective(result.value(), sum, n);
        }
        for (double& value : sum) {
            value /= qkv.nHeads;
        }
        headMeans.push_back(std::move(sum));
        return okResult();
    };
    const std::vector<int> intIds(ids.begin(), ids.end());
    auto ran = workspace.impl().forward(intIds, forward);
    if (!ran) {
        return ran.error();
    }
    auto rollout = rolloutOfLayers(headMeans, n);
    if (!rollout) {
        return rollout.error();
    }
    AttentionRollout result;
    result.nTokens = n;
    result.throughLayer = throughLayer;
    result.variant = dense ? std::string("dense") : formatVariantSpec(spec.value());
    result.rollout.assign(rollout->begin(), rollout->end());
    return result;
}

} // namespace attnscope

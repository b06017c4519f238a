// One head's variant structure next to dense attention and true scores, and its kept edges as a
// laid-out graph: what the structure and graph views draw (issue #6).

#include "analysis/head_structure.h"

#include "attention/variant_runner.h"
#include "attnscope/analysis.h"
#include "attnscope_kernels/mask_predicates.h"
#include "model/dense_attention.h"
#include "workspace/workspace_impl.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace attnscope {

namespace analysis {

Result<void> checkHeadRequest(const Workspace& workspace, const std::vector<std::int32_t>& ids, int layer, int head)
{
    const ModelInfo& info = workspace.info();
    if (layer < 0 || layer >= info.nLayers) {
        return makeError(ErrorCode::InvalidArgument,
                         "layer " + std::to_string(layer) + " is out of range [0, " + std::to_string(info.nLayers) + ")");
    }
    if (head < 0 || head >= info.nHeads) {
        return makeError(ErrorCode::InvalidArgument,
                         "head " + std::to_string(head) + " is out of range [0, " + std::to_string(info.nHeads) + ")");
    }
    if (ids.empty()) {
        return makeError(ErrorCode::InvalidArgument, "the input has no tokens");
    }
    return okResult();
}

Result<void> checkAnalysisLength(std::size_t nTokens)
{
    if (nTokens > static_cast<std::size_t>(kMaxAnalysisTokens)) {
        return makeError(ErrorCode::InvalidArgument,
                         "the text has " + std::to_string(nTokens) + " tokens; this analysis holds several N × N "
                         "matrices and is limited to " + std::to_string(kMaxAnalysisTokens) + " (shorten the text)");
    }
    return okResult();
}

Result<LayerQkv> captureLayerQkv(Workspace& workspace, const std::vector<std::int32_t>& ids, int layer,
                                 const RunOptions& options)
{
    auto capture = workspace.impl().captureLayer(ids, layer, options);
    if (!capture) {
        return capture.error();
    }
    return std::move(capture->qkv);
}

} // namespace analysis

namespace {

// Positions sorted by dominant cluster, then by position: rows of one cluster become one band.
std::vector<int> clusterOrder(const std::vector<float>& memberships, int n, int clusters)
{
    const std::vector<int> dominant = dominantClusters(memberships, n, clusters);
    if (dominant.empty()) {
        return {};
    }
    std::vector<int> order(static_cast<std::size_t>(n));
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
        return dominant[static_cast<std::size_t>(a)] < dominant[static_cast<std::size_t>(b)];
    });
    return order;
}

// scale·q·k as the model's softmax sees it (softcapped when the model caps), 0 where not allowed.
void trueScores(const LayerQkv& qkv, int head, std::vector<float>& scores, std::vector<std::uint8_t>& allowed)
{
    const int n = qkv.nTokens;
    const int d = qkv.headDim;
    const float* queries = qkv.queryHead(head);
    const float* keys = qkv.keyHead(head);
    scores.assign(static_cast<std::size_t>(n) * n, 0.0f);
    allowed.assign(static_cast<std::size_t>(n) * n, 0);
    for (int i = 0; i < n; ++i) {
        for (int j = 0; j < n; ++j) {
            if (!modelAllows(i, j, qkv.causal, qkv.slidingWindow)) {
                continue;
            }
            double dot = 0.0;
            for (int c = 0; c < d; ++c) {
                dot += static_cast<double>(queries[static_cast<std::size_t>(i) * d + c]) *
                       keys[static_cast<std::size_t>(j) * d + c];
            }
            double score = dot * qkv.scale;
            if (qkv.softcap > 0.0f) {
                score = qkv.softcap * std::tanh(score / qkv.softcap);
            }
            const std::size_t index = static_cast<std::size_t>(i) * n + j;
            scores[index] = static_cast<float>(score);
            allowed[index] = 1;
        }
    }
}

} // namespace

Result<HeadStructure> headStructure(Workspace& workspace, const std::vector<std::int32_t>& ids, int layer, int head,
                                    const std::string& variantSpec, const RunOptions& options)
{
    ATTNSCOPE_TRY(analysis::checkHeadRequest(workspace, ids, layer, head));
    ATTNSCOPE_TRY(analysis::checkAnalysisLength(ids.size()));
    auto spec = parseVariantSpec(variantSpec.empty() ? std::string("dense") : variantSpec);
    if (!spec) {
        return spec.error();
    }
    auto qkv = analysis::captureLayerQkv(workspace, ids, layer, options);
    if (!qkv) {
        return qkv.error();
    }
    VariantRunOptions run;
    run.heads = {head};
    run.keepAttention = true;
    run.computeMetrics = false;
    run.maxMaterialisedTokens = qkv->nTokens;
    run.denseForOtherHeads = false;
    run.backend = workspace.backend();  // `--backend cpu` reaches the structure view too
    auto layerResult = attn::runLayerVariant(*qkv, spec.value(), run, options.cancel);
    if (!layerResult) {
        return layerResult.error();
    }
    HeadStructure structure;
    structure.layer = layer;
    structure.head = head;
    structure.nTokens = qkv->nTokens;
    structure.variant = formatVariantSpec(spec.value());
    structure.kind = spec->kind;
    structure.result = std::move(layerResult->heads.front());
    ATTNSCOPE_TRY(denseProbabilities(*qkv, head, structure.denseAttention, nullptr));
    trueScores(*qkv, head, structure.denseScores, structure.allowed);
    const HeadVariantResult& result = structure.result;
    unpackAttention(result.attention, structure.nTokens, structure.effective, structure.kept);
    if (result.clusters > 0) {
        structure.queryOrder = clusterOrder(result.queryMemberships, structure.nTokens, result.clusters);
        structure.keyOrder = clusterOrder(result.keyMemberships, structure.nTokens, result.clusters);
    }
    return structure;
}

void unpackAttention(const CsrAttention& attention, int n, std::vector<float>& weights, std::vector<std::uint8_t>& kept)
{
    const auto size = static_cast<std::size_t>(n);
    weights.assign(size * size, 0.0f);
    kept.assign(size * size, 0);
    for (std::size_t row = 0; row < size && row + 1 < attention.rowPtr.size(); ++row) {
        for (std::int64_t entry = attention.rowPtr[row]; entry < attention.rowPtr[row + 1]; ++entry) {
            const auto index = row * size + static_cast<std::size_t>(attention.cols[static_cast<std::size_t>(entry)]);
            weights[index] = attention.weights[static_cast<std::size_t>(entry)];
            kept[index] = 1;
        }
    }
}

std::vector<float> reorderMatrix(const std::vector<float>& matrix, int n, const std::vector<int>& rowOrder,
                                 const std::vector<int>& columnOrder)
{
    const auto size = static_cast<std::size_t>(n);
    if (matrix.size() != size * size || rowOrder.size() != size || columnOrder.size() != size) {
        return matrix;
    }
    std::vector<float> reordered(matrix.size());
    for (std::size_t r = 0; r < size; ++r) {
        const std::size_t source = static_cast<std::size_t>(rowOrder[r]) * size;
        for (std::size_t c = 0; c < size; ++c) {
            reordered[r * size + c] = matrix[source + static_cast<std::size_t>(columnOrder[c])];
        }
    }
    return reordered;
}

Result<AttentionGraph> attentionGraph(Workspace& workspace, const std::vector<std::int32_t>& ids, int layer,
                                      int head, const std::string& variantSpec, GraphLayoutKind layout,
                                      std::uint32_t seed, const RunOptions& options)
{
    auto structure = headStructure(workspace, ids, layer, head, variantSpec, options);
    if (!structure) {
        return structure.error();
    }
    AttentionGraph graph;
    graph.layer = layer;
    graph.head = head;
    graph.nTokens = structure->nTokens;
    graph.variant = structure->variant;
    graph.layout = layout;
    graph.edges = keptEdges(structure->result.attention);
    auto positions = layoutGraph(graph.nTokens, graph.edges, layout, seed);
    if (!positions) {
        return positions.error();
    }
    graph.positions = std::move(positions.value());
    const HeadVariantResult& result = structure->result;
    if (result.clusters > 0) {
        graph.clusters = dominantClusters(result.queryMemberships, graph.nTokens, result.clusters);
        graph.clusterCount = result.clusters;
        // Grouped by cluster: the k-th node in cluster order takes the circle's k-th place.
        if (layout == GraphLayoutKind::Circle && structure->queryOrder.size() == graph.positions.size()) {
            const std::vector<Point2> circle = graph.positions;
            for (std::size_t place = 0; place < circle.size(); ++place) {
                graph.positions[static_cast<std::size_t>(structure->queryOrder[place])] = circle[place];
            }
        }
    }
    return graph;
}

} // namespace attnscope

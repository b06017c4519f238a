#include "attnscope/head_grid.h"

#include <cmath>

namespace attnscope {

const std::vector<HeadGridMetricInfo>& headGridMetrics()
{
    static const std::vector<HeadGridMetricInfo> kMetrics = {
        {HeadGridMetric::Recall, "recall", "variant recall", true},
        {HeadGridMetric::Kl, "kl", "variant KL", true},
        {HeadGridMetric::OutputError, "output_error", "variant output error", true},
        {HeadGridMetric::Density, "density", "variant density", true},
        {HeadGridMetric::PreviousToken, "previous_token", "previous-token score", false},
        {HeadGridMetric::FirstToken, "first_token", "first-token (sink) score", false},
        {HeadGridMetric::Induction, "induction", "induction score", false},
        {HeadGridMetric::NormalisedEntropy, "normalised_entropy", "entropy / log n", false},
    };
    return kMetrics;
}

const HeadGridMetricInfo& headGridMetricInfo(HeadGridMetric metric)
{
    for (const HeadGridMetricInfo& info : headGridMetrics()) {
        if (info.metric == metric) {
            return info;
        }
    }
    return headGridMetrics().front();
}

Result<HeadGridMetric> parseHeadGridMetric(std::string_view name)
{
    std::string names;
    for (const HeadGridMetricInfo& info : headGridMetrics()) {
        if (name == info.name) {
            return info.metric;
        }
        names += (names.empty() ? "" : ", ") + std::string(info.name);
    }
    return makeError(ErrorCode::InvalidArgument, "unknown head grid metric \"" + std::string(name) + "\" (" + names + ")");
}

double headGridValue(HeadGridMetric metric, const HeadScores& scores, const VariantMetrics& metrics)
{
    double value = 0.0;
    switch (metric) {
    case HeadGridMetric::Recall: value = metrics.recall; break;
    case HeadGridMetric::Kl: value = metrics.kl; break;
    case HeadGridMetric::OutputError: value = metrics.outputError; break;
    case HeadGridMetric::Density: value = metrics.density; break;
    case HeadGridMetric::PreviousToken: value = scores.previousToken; break;
    case HeadGridMetric::FirstToken: value = scores.firstToken; break;
    case HeadGridMetric::Induction: value = scores.induction; break;
    case HeadGridMetric::NormalisedEntropy: value = scores.normalisedEntropy; break;
    }
    return std::isfinite(value) ? value : 0.0;
}

double headGridValue(HeadGridMetric metric, const HeadGridValues& grid, int layer, int head)
{
    if (layer < 0 || head < 0 || layer >= static_cast<int>(grid.scores.size()) ||
        head >= static_cast<int>(grid.scores[static_cast<std::size_t>(layer)].size())) {
        return 0.0;
    }
    static const VariantMetrics kNone;
    const auto l = static_cast<std::size_t>(layer);
    const auto h = static_cast<std::size_t>(head);
    const VariantMetrics& metrics = l < grid.metrics.size() && h < grid.metrics[l].size() ? grid.metrics[l][h] : kNone;
    return headGridValue(metric, grid.scores[l][h], metrics);
}

Result<HeadGridValues> computeHeadGrid(Workspace& workspace, const std::vector<std::int32_t>& ids,
                                       const std::string& variantSpec, const RunOptions& options,
                                       std::vector<std::vector<HeadScores>> scores)
{
    const ModelInfo& info = workspace.info();
    HeadGridValues grid;
    grid.variant = variantSpec;
    if (scores.size() != static_cast<std::size_t>(info.nLayers)) {
        auto computed = workspace.headScores(ids, options);
        if (!computed) {
            return computed.error();
        }
        scores = std::move(computed.value());
    }
    grid.scores = std::move(scores);
    CompareRequest request;
    request.variants = {variantSpec};
    request.perplexity = false;
    auto compared = workspace.compare(ids, request, options);
    if (!compared) {
        return compared.error();
    }
    grid.metrics.assign(static_cast<std::size_t>(info.nLayers), std::vector<VariantMetrics>(static_cast<std::size_t>(info.nHeads)));
    if (!compared->variants.empty()) {
        grid.variant = compared->variants.front().variant;
        for (const LayerComparison& layer : compared->variants.front().layers) {
            for (const VariantMetrics& metrics : layer.heads) {
                if (layer.layer >= 0 && layer.layer < info.nLayers && metrics.head >= 0 && metrics.head < info.nHeads) {
                    grid.metrics[static_cast<std::size_t>(layer.layer)][static_cast<std::size_t>(metrics.head)] = metrics;
                }
            }
        }
    }
    return grid;
}

} // namespace attnscope

#include "attnscope/figure_views.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace attnscope {

namespace {

std::string formatNumber(double value, const char* format)
{
    char text[32];
    std::snprintf(text, sizeof text, format, value);
    return text;
}

/// A cell's number as the window prints it: two decimals, one from 10 on.
std::string cellNumber(double value)
{
    return formatNumber(value, std::abs(value) >= 10.0 ? "%.1f" : "%.2f");
}

/// Ticks at 0, 0.25, ..., 1 of [low, high], labelled with 3 significant digits.
std::vector<std::pair<double, std::string>> evenTicks(double low, double high, bool atData)
{
    std::vector<std::pair<double, std::string>> ticks;
    for (int i = 0; i <= 4; ++i) {
        const double t = i / 4.0;
        const double value = low + t * (high - low);
        ticks.emplace_back(atData ? value : t, formatNumber(value, "%.3g"));
    }
    return ticks;
}

} // namespace

Result<FigureModel> buildHeadGridFigure(const HeadGridValues& grid, HeadGridMetric metric)
{
    const int layers = static_cast<int>(grid.scores.size());
    const int heads = layers > 0 ? static_cast<int>(grid.scores.front().size()) : 0;
    if (layers == 0 || heads == 0) {
        return makeError(ErrorCode::InvalidArgument, "the head grid is empty: nothing to draw");
    }
    for (const auto& row : grid.scores) {
        if (static_cast<int>(row.size()) != heads) {
            return makeError(ErrorCode::InvalidArgument, "the head grid's layers have different head counts");
        }
    }
    std::vector<double> values(static_cast<std::size_t>(layers) * heads);
    double low = std::numeric_limits<double>::infinity();
    double high = -low;
    for (int layer = 0; layer < layers; ++layer) {
        for (int head = 0; head < heads; ++head) {
            const double value = headGridValue(metric, grid, layer, head);
            values[static_cast<std::size_t>(layer) * heads + head] = value;
            low = std::min(low, value);
            high = std::max(high, value);
        }
    }
    // Colour spans the grid's own range, as in the window: recall is often 0.9–1.0 everywhere and
    // the interesting heads are the relative outliers; the bar's ticks keep the numbers absolute.
    const double span = std::max(1e-12, high - low);
    const HeadGridMetricInfo& info = headGridMetricInfo(metric);
    const bool variantMetric = info.ofVariant;
    FigureModel figure;
    figure.title = std::string("head grid \xC2\xB7 ") + info.label + (variantMetric ? " \xC2\xB7 " + grid.variant : std::string());
    FigurePanel panel;
    panel.title = "rows: layers \xC2\xB7 columns: heads";
    panel.n = layers;
    panel.columns = heads;
    panel.rowLabels = true;
    panel.values.resize(values.size());
    panel.cellText.resize(values.size());
    for (std::size_t i = 0; i < values.size(); ++i) {
        panel.values[i] = static_cast<float>((values[i] - low) / span);
        panel.cellText[i] = cellNumber(values[i]);
    }
    for (int layer = 0; layer < layers; ++layer) {
        panel.rowNames.push_back("L" + std::to_string(layer));
    }
    for (int head = 0; head < heads; ++head) {
        panel.columnNames.push_back("H" + std::to_string(head));
    }
    figure.panels.push_back(std::move(panel));
    figure.colourBars.push_back({info.label, false, evenTicks(low, low + span, false), 0, 0});
    figure.provenance.version = versionString();
    figure.provenance.variant = variantMetric ? grid.variant : std::string();
    return figure;
}

Result<FigureModel> buildRolloutFigure(const AttentionRollout& dense, const AttentionRollout& variant,
                                       const std::vector<std::string>& pieces, ColourScale scale)
{
    // A rollout is an N × N map like attention: the compare figure's layout, shared scale and
    // difference, with the rollout's own titles.
    auto asAttention = [](const AttentionRollout& rollout) {
        HeadAttention map;
        map.layer = rollout.throughLayer;
        map.nTokens = rollout.nTokens;
        map.variant = rollout.variant;
        map.attention = rollout.rollout;
        return map;
    };
    const HeadAttention denseMap = asAttention(dense);
    const HeadAttention variantMap = asAttention(variant);
    auto figure = buildCompareFigure(denseMap, variantMap, pieces, scale);
    if (!figure) {
        return figure.error();
    }
    figure->title = "attention rollout through layer " + std::to_string(dense.throughLayer) + " \xC2\xB7 " + variant.variant +
                    " vs dense \xC2\xB7 " + colourScaleName(scale) + " scale";
    figure->panels[0].title = "dense rollout";
    figure->panels[1].title = variant.variant + " rollout";
    figure->colourBars[0].title = "rollout";
    figure->provenance.layer = dense.throughLayer;
    figure->provenance.head = -1;
    return figure;
}

Result<FigureModel> buildCurvesFigure(const VariantCurveSet& curves)
{
    if (curves.curves.empty()) {
        return makeError(ErrorCode::InvalidArgument, "no curves to draw: sweep at least one variant");
    }
    FigureChart chart;
    chart.title = "recall against density";
    chart.xTitle = "density (kept / allowed pairs)";
    chart.yTitle = "recall (dense mass on kept keys)";
    chart.xTicks = evenTicks(0.0, 1.0, true);
    chart.yTicks = evenTicks(0.0, 1.0, true);
    std::string specs;
    for (const VariantCurve& curve : curves.curves) {
        FigureSeries series;
        series.name = curve.variant;
        if (curve.perplexity > 0.0) {
            series.name += " \xC2\xB7 perplexity " + formatNumber(curve.perplexity, "%.3f");
            if (curves.densePerplexity > 0.0) {
                series.name += " (" + formatNumber((curve.perplexity / curves.densePerplexity - 1.0) * 100.0, "%+.1f") + "%)";
            }
        }
        if (curve.sweep.points.empty()) {
            series.name += " \xC2\xB7 no sweep";
        }
        for (const SweepPoint& point : curve.sweep.points) {
            series.points.emplace_back(point.mean.density, point.mean.recall);
        }
        chart.series.push_back(std::move(series));
        specs += (specs.empty() ? "" : "; ") + curve.variant;
    }
    if (curves.densePerplexity > 0.0) {
        chart.note = "dense perplexity " + formatNumber(curves.densePerplexity, "%.3f") +
                     "; each variant in " + replacedLayersPhrase(curves.replacedLayers);
    }
    FigureModel figure;
    figure.title = "layer " + std::to_string(curves.layer) + " \xC2\xB7 head " + std::to_string(curves.head) +
                   " \xC2\xB7 budget sweep";
    figure.charts.push_back(std::move(chart));
    figure.provenance.version = versionString();
    figure.provenance.layer = curves.layer;
    figure.provenance.head = curves.head;
    figure.provenance.variant = specs;
    return figure;
}

} // namespace attnscope

#include "figure_layout.h"

#include "figure_style.h"

#include <QFontMetricsF>
#include <QString>

#include <algorithm>
#include <cmath>

namespace attnscope::figure {

using namespace style;

namespace {

/// Room for the widest row or column label of the figure's panels.
double labelRoomFor(const FigureModel& figure, bool tokens, int pixelSize)
{
    const QFontMetricsF metrics(font(pixelSize));
    double widest = 0.0;
    auto measure = [&](const std::vector<std::string>& labels) {
        for (const std::string& label : labels) {
            widest = std::max(widest, metrics.horizontalAdvance(QString::fromStdString(label)));
        }
    };
    if (tokens) {
        measure(figure.tokens);
    }
    for (const FigurePanel& panel : figure.panels) {
        measure(panel.rowNames);
        measure(panel.columnNames);
    }
    return std::clamp(std::ceil(widest) + 4.0, 16.0, kMaxLabelRoom);
}

/// The charts' row under the panels, starting at `top`; returns its height.
double layoutCharts(const FigureModel& figure, FigureLayout& layout, double top, double& right)
{
    if (figure.charts.empty()) {
        return 0.0;
    }
    double x = kMargin;
    double height = 0.0;
    for (const FigureChart& chart : figure.charts) {
        const QRectF plot(x + kChartAxisRoom, top + kPanelTitleHeight, kChartWidth, kChartHeight);
        const double legendLines = static_cast<double>(chart.series.size()) + (chart.note.empty() ? 0.0 : 1.0);
        const QRectF legend(plot.left(), plot.bottom() + kChartTickRoom + kChartTitleRoom, kChartWidth,
                            legendLines * kLegendLine);
        layout.chartPlots.push_back(plot);
        layout.chartLegends.push_back(legend);
        height = std::max(height, legend.bottom() - top);
        x = plot.right() + kPanelGap;
        right = std::max(right, plot.right());
    }
    return height;
}

/// The token-lines blocks' row under the charts, starting at `top`; returns its height.
double layoutTokenLines(const FigureModel& figure, FigureLayout& layout, double top, double& right)
{
    double x = kMargin;
    double height = 0.0;
    for (const FigureTokenLines& block : figure.tokenLines) {
        TokenLinesPlacement placement;
        if (block.rowHeight >= kMinLabelCell && static_cast<int>(block.tokens.size()) == block.n) {
            placement.labelPixelSize = std::clamp(static_cast<int>(block.rowHeight * 0.75), 5, 9);
            const QFontMetricsF metrics(font(placement.labelPixelSize));
            double widest = 0.0;
            for (const std::string& token : block.tokens) {
                widest = std::max(widest, metrics.horizontalAdvance(QString::fromStdString(token)));
            }
            placement.labelRoom = std::clamp(std::ceil(widest) + 4.0, 16.0, kMaxLabelRoom);
        }
        placement.box = QRectF(x + placement.labelRoom, top + kPanelTitleHeight, kTokenLinesWidth, block.n * block.rowHeight);
        placement.legend = QRectF(placement.box.left(), placement.box.bottom() + 4.0, kTokenLinesWidth,
                                  static_cast<double>(block.sets.size()) * kLegendLine);
        layout.tokenLines.push_back(placement);
        height = std::max(height, placement.legend.bottom() - top);
        right = std::max(right, placement.box.right() + placement.labelRoom);
        x = placement.box.right() + placement.labelRoom + kPanelGap;
    }
    return height;
}

/// The graphs' row under the token lines, starting at `top`; returns its height.
double layoutGraphs(const FigureModel& figure, FigureLayout& layout, double top, double& right)
{
    double x = kMargin;
    double height = 0.0;
    for (const FigureGraph& graph : figure.graphs) {
        const QRectF plot(x, top + kPanelTitleHeight, graph.arcs ? kArcWidth : kGraphSide, graph.arcs ? kArcHeight : kGraphSide);
        layout.graphPlots.push_back(plot);
        height = std::max(height, plot.bottom() - top);
        // Labels of nodes near the right edge run past the plot.
        const double labelRoom = graph.labels.empty() ? 0.0 : kMaxLabelRoom / 2.0;
        right = std::max(right, plot.right() + labelRoom);
        x = plot.right() + labelRoom + kPanelGap;
    }
    return height;
}

/// The scatters' row under the graphs, starting at `top`; returns its height.
double layoutScatters(const FigureModel& figure, FigureLayout& layout, double top, double& right)
{
    double x = kMargin;
    double height = 0.0;
    for (const FigureScatter& scatter : figure.scatters) {
        ScatterPlacement placement;
        placement.plot = QRectF(x + kScatterAxisRoom, top + kPanelTitleHeight, kScatterSide, kScatterSide);
        placement.xTitle = QRectF(placement.plot.left(), placement.plot.bottom() + 2.0, kScatterSide, kChartTitleRoom);
        placement.legend = QRectF(placement.plot.left(), placement.xTitle.bottom() + 2.0, kScatterSide,
                                  static_cast<double>(scatter.legend.size()) * kLegendLine);
        layout.scatters.push_back(placement);
        height = std::max(height, placement.legend.bottom() - top);
        right = std::max(right, placement.plot.right());
        x = placement.plot.right() + kPanelGap;
    }
    return height;
}

} // namespace

QPointF placeInSquare(double x, double y, const QRectF& plot, double inset)
{
    const double half = std::max(1.0, std::min(plot.width(), plot.height()) / 2.0 - inset);
    return {plot.center().x() + x * half, plot.center().y() - y * half};
}

QPointF placeScatterPoint(const FigureScatterPoint& point, const QRectF& plot)
{
    return placeInSquare(point.x, point.y, plot, kScatterInset);
}

QPointF placeGraphNode(const FigureGraph& graph, const FigureGraphNode& node, const QRectF& plot)
{
    if (graph.arcs) {
        return {plot.center().x() + node.x * (plot.width() / 2.0 - kGraphInset), plot.bottom() - kGraphInset};
    }
    return placeInSquare(node.x, node.y, plot, kGraphInset);
}

FigureLayout layoutFigure(const FigureModel& figure)
{
    FigureLayout layout;
    // One cell size for every panel, from the longest side of any: square maps of n tokens get
    // the side they always had, a layers × heads grid fits its longer side into the same range.
    int n = 0;
    bool names = false;
    for (const FigurePanel& panel : figure.panels) {
        n = std::max({n, panel.n, panel.drawnWidth()});
        names = names || !panel.rowNames.empty() || !panel.columnNames.empty();
    }
    const int tokensN = figure.panels.empty() ? 0 : figure.panels.front().n;
    const double side = n > 0 ? std::clamp(n * kPreferredCell, kMinPlotSide, kMaxPlotSide) : kMinPlotSide;
    layout.cell = n > 0 ? side / n : 0.0;
    const bool tokens = static_cast<int>(figure.tokens.size()) == tokensN && tokensN > 0;
    layout.labels = n > 0 && layout.cell >= kMinLabelCell && (tokens || names);
    if (layout.labels) {
        layout.labelPixelSize = std::clamp(static_cast<int>(layout.cell * 0.75), 5, 9);
        layout.labelRoom = labelRoomFor(figure, tokens, layout.labelPixelSize);
    }
    // Columns left to right, each followed by the colour bars drawn after it; rows top to bottom,
    // each with room for its panel titles above and its column labels below.
    int columns = 0;
    int rows = 0;
    bool rowLabels = false;
    for (const FigurePanel& panel : figure.panels) {
        columns = std::max(columns, panel.column + 1);
        rows = std::max(rows, panel.row + 1);
        rowLabels = rowLabels || (panel.rowLabels && panel.column == 0);
    }
    std::vector<double> columnWidth(static_cast<std::size_t>(columns), 0.0);
    std::vector<double> rowPlotHeight(static_cast<std::size_t>(std::max(1, rows)), 0.0);
    // A column is as wide as its widest plot or panel title (up to the largest plot side), so
    // that a narrow panel's title (memberships: N × clusters) is not cut to its plot.
    const QFontMetricsF panelTitleMetrics(font(9));
    for (const FigurePanel& panel : figure.panels) {
        auto& width = columnWidth[static_cast<std::size_t>(panel.column)];
        const double title = std::ceil(panelTitleMetrics.horizontalAdvance(QString::fromStdString(panel.title))) + 2.0;
        width = std::max({width, panel.drawnWidth() * layout.cell, std::min(title, kMaxPlotSide)});
        auto& height = rowPlotHeight[static_cast<std::size_t>(panel.row)];
        height = std::max(height, panel.n * layout.cell);
    }
    std::vector<double> columnX(static_cast<std::size_t>(columns));
    std::vector<double> barX(static_cast<std::size_t>(columns), 0.0);
    double x = kMargin + (rowLabels ? layout.labelRoom : 0.0);
    for (int column = 0; column < columns; ++column) {
        columnX[static_cast<std::size_t>(column)] = x;
        x += columnWidth[static_cast<std::size_t>(column)];
        bool bars = false;
        double titleOverflow = 0.0;  // a bar title wider than the bar and its ticks ("induction score")
        const QFontMetricsF titleMetrics(font(9));
        for (const FigureColourBar& bar : figure.colourBars) {
            if (bar.afterColumn == column) {
                bars = true;
                const double title = titleMetrics.horizontalAdvance(QString::fromStdString(bar.title));
                titleOverflow = std::max(titleOverflow, std::ceil(title - (kBarGap + kBarWidth + kBarTickRoom - 2.0)));
            }
        }
        if (bars) {
            barX[static_cast<std::size_t>(column)] = x + kBarGap;
            x += kBarGap + kBarWidth + kBarTickRoom + titleOverflow;
        }
        x += column + 1 < columns ? kPanelGap : 0.0;
    }
    std::vector<double> rowTop(static_cast<std::size_t>(std::max(1, rows)) + 1);
    rowTop[0] = kMargin + kTitleHeight;
    for (int row = 0; row < rows; ++row) {
        rowTop[static_cast<std::size_t>(row) + 1] = rowTop[static_cast<std::size_t>(row)] + kPanelTitleHeight +
                                                    rowPlotHeight[static_cast<std::size_t>(row)] + std::max(layout.labelRoom, 4.0);
    }
    auto plotTop = [&](int row) { return rowTop[static_cast<std::size_t>(row)] + kPanelTitleHeight; };
    for (const FigurePanel& panel : figure.panels) {
        const double left = columnX[static_cast<std::size_t>(panel.column)];
        layout.plots.emplace_back(left, plotTop(panel.row), panel.drawnWidth() * layout.cell, panel.n * layout.cell);
        layout.panelTitles.emplace_back(left, plotTop(panel.row) - kPanelTitleHeight,
                                        columnWidth[static_cast<std::size_t>(panel.column)], kPanelTitleHeight - 2.0);
    }
    for (const FigureColourBar& bar : figure.colourBars) {
        const int column = std::clamp(bar.afterColumn, 0, std::max(0, columns - 1));
        const int row = std::clamp(bar.row, 0, std::max(0, rows - 1));
        layout.barRects.emplace_back(barX[static_cast<std::size_t>(column)], plotTop(bar.row), kBarWidth,
                                     rowPlotHeight[static_cast<std::size_t>(row)]);
    }
    double bottom = figure.panels.empty() ? kMargin + kTitleHeight : rowTop[static_cast<std::size_t>(rows)];
    double chartsRight = 0.0;
    bottom += layoutCharts(figure, layout, bottom, chartsRight);
    bottom += layoutTokenLines(figure, layout, bottom, chartsRight);
    bottom += layoutGraphs(figure, layout, bottom, chartsRight);
    bottom += layoutScatters(figure, layout, bottom, chartsRight);
    // Never narrower than the title (a token-lines block alone is narrower than most).
    const double titleWidth = std::ceil(QFontMetricsF(font(12, true)).horizontalAdvance(QString::fromStdString(figure.title)));
    const double width = std::max({figure.panels.empty() ? 0.0 : x, chartsRight, kMargin + titleWidth}) + kMargin;
    if (figure.caption) {
        layout.caption = QRectF(kMargin, bottom, width - 2 * kMargin, kCaptionHeight);
        bottom += kCaptionHeight;
    }
    layout.title = QRectF(kMargin, kMargin, width - 2 * kMargin, kTitleHeight);
    layout.size = QSizeF(width, bottom + kMargin);
    return layout;
}

} // namespace attnscope::figure

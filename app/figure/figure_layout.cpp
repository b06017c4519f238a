#include "figure_layout.h"

#include "figure_style.h"

#include <QFontMetricsF>
#include <QString>

#include <algorithm>
#include <cmath>

namespace attnscope::figure {

using namespace style;

FigureLayout layoutFigure(const FigureModel& figure)
{
    FigureLayout layout;
    const int n = figure.panels.empty() ? 0 : figure.panels.front().n;
    const double side = n > 0 ? std::clamp(n * kPreferredCell, kMinPlotSide, kMaxPlotSide) : kMinPlotSide;
    layout.cell = n > 0 ? side / n : 0.0;
    layout.labels = n > 0 && layout.cell >= kMinLabelCell && static_cast<int>(figure.tokens.size()) == n;
    if (layout.labels) {
        layout.labelPixelSize = std::clamp(static_cast<int>(layout.cell * 0.75), 5, 9);
        const QFontMetricsF metrics(font(layout.labelPixelSize));
        double widest = 0.0;
        for (const std::string& token : figure.tokens) {
            widest = std::max(widest, metrics.horizontalAdvance(QString::fromStdString(token)));
        }
        layout.labelRoom = std::clamp(std::ceil(widest) + 4.0, 16.0, kMaxLabelRoom);
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
    std::vector<double> columnX(static_cast<std::size_t>(columns));
    std::vector<double> barX(static_cast<std::size_t>(columns), 0.0);
    double x = kMargin + (rowLabels ? layout.labelRoom : 0.0);
    for (int column = 0; column < columns; ++column) {
        columnX[static_cast<std::size_t>(column)] = x;
        x += side;
        bool bars = false;
        for (const FigureColourBar& bar : figure.colourBars) {
            bars = bars || bar.afterColumn == column;
        }
        if (bars) {
            barX[static_cast<std::size_t>(column)] = x + kBarGap;
            x += kBarGap + kBarWidth + kBarTickRoom;
        }
        x += column + 1 < columns ? kPanelGap : 0.0;
    }
    const double rowHeight = kPanelTitleHeight + side + std::max(layout.labelRoom, 4.0);
    auto plotTop = [&](int row) { return kMargin + kTitleHeight + row * rowHeight + kPanelTitleHeight; };
    for (const FigurePanel& panel : figure.panels) {
        layout.plots.emplace_back(columnX[static_cast<std::size_t>(panel.column)], plotTop(panel.row), side, side);
    }
    for (const FigureColourBar& bar : figure.colourBars) {
        const int column = std::clamp(bar.afterColumn, 0, std::max(0, columns - 1));
        layout.barRects.emplace_back(barX[static_cast<std::size_t>(column)], plotTop(bar.row), kBarWidth, side);
    }
    const double width = x + kMargin;
    double bottom = kMargin + kTitleHeight + std::max(1, rows) * rowHeight;
    if (figure.caption) {
        layout.caption = QRectF(kMargin, bottom, width - 2 * kMargin, kCaptionHeight);
        bottom += kCaptionHeight;
    }
    layout.title = QRectF(kMargin, kMargin, width - 2 * kMargin, kTitleHeight);
    layout.size = QSizeF(width, bottom + kMargin);
    return layout;
}

} // namespace attnscope::figure

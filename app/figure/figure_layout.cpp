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
    const double plotTop = kMargin + kTitleHeight + kPanelTitleHeight;
    double x = kMargin;
    layout.barRects.resize(figure.colourBars.size());
    for (std::size_t index = 0; index < figure.panels.size(); ++index) {
        if (figure.panels[index].rowLabels) {
            x += layout.labelRoom;
        }
        layout.plots.emplace_back(x, plotTop, side, side);
        x += side;
        for (std::size_t bar = 0; bar < figure.colourBars.size(); ++bar) {
            if (figure.colourBars[bar].afterPanel == static_cast<int>(index)) {
                layout.barRects[bar] = QRectF(x + kBarGap, plotTop, kBarWidth, side);
                x += kBarGap + kBarWidth + kBarTickRoom;
            }
        }
        x += index + 1 < figure.panels.size() ? kPanelGap : 0.0;
    }
    const double width = x + kMargin;
    double bottom = plotTop + side + std::max(layout.labelRoom, 4.0);
    if (figure.caption) {
        layout.caption = QRectF(kMargin, bottom, width - 2 * kMargin, kCaptionHeight);
        bottom += kCaptionHeight;
    }
    layout.title = QRectF(kMargin, kMargin, width - 2 * kMargin, kTitleHeight);
    layout.size = QSizeF(width, bottom + kMargin);
    return layout;
}

} // namespace attnscope::figure

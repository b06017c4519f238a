#include "figure_painter.h"

#include "figure_colormap.h"
#include "figure_style.h"

#include <QFontMetricsF>
#include <QPainter>
#include <QPainterPath>

#include <algorithm>

namespace attnscope::figure {

using namespace style;

namespace {

const QColor kInk(32, 32, 36);
const QColor kMutedInk(80, 80, 88);
const QColor kFrame(120, 120, 128);
const QColor kOutline(255, 120, 60);

/// The boundary between kept and dropped cells: one path of cell edges, so that a kept region is
/// outlined once however many cells it has.
QPainterPath keptOutline(const std::vector<std::uint8_t>& outline, int n, const QRectF& plot, double cell)
{
    QPainterPath path;
    auto kept = [&](int row, int column) {
        return row >= 0 && column >= 0 && row < n && column < n &&
               outline[static_cast<std::size_t>(row) * n + column] != 0;
    };
    for (int row = 0; row < n; ++row) {
        for (int column = 0; column < n; ++column) {
            if (!kept(row, column)) {
                continue;
            }
            const double x0 = plot.left() + column * cell;
            const double y0 = plot.top() + row * cell;
            if (!kept(row - 1, column)) { path.moveTo(x0, y0); path.lineTo(x0 + cell, y0); }
            if (!kept(row + 1, column)) { path.moveTo(x0, y0 + cell); path.lineTo(x0 + cell, y0 + cell); }
            if (!kept(row, column - 1)) { path.moveTo(x0, y0); path.lineTo(x0, y0 + cell); }
            if (!kept(row, column + 1)) { path.moveTo(x0 + cell, y0); path.lineTo(x0 + cell, y0 + cell); }
        }
    }
    return path;
}

void paintTokenLabels(QPainter& painter, const FigureModel& figure, const FigureLayout& layout, const FigurePanel& panel,
                      const QRectF& plot)
{
    painter.setFont(font(layout.labelPixelSize));
    painter.setPen(kMutedInk);
    const QFontMetricsF metrics(painter.font());
    const double room = layout.labelRoom - 3.0;
    for (int i = 0; i < panel.n; ++i) {
        const QString label = metrics.elidedText(QString::fromStdString(figure.tokens[i]), Qt::ElideRight, room);
        if (panel.rowLabels) {
            painter.drawText(QRectF(plot.left() - layout.labelRoom, plot.top() + i * layout.cell, room, layout.cell),
                             Qt::AlignRight | Qt::AlignVCenter, label);
        }
        painter.save();
        painter.translate(plot.left() + (i + 0.5) * layout.cell, plot.bottom() + 3.0);
        painter.rotate(90.0);
        painter.drawText(QRectF(0.0, -layout.cell / 2.0, room, layout.cell), Qt::AlignLeft | Qt::AlignVCenter, label);
        painter.restore();
    }
}

void paintPanel(QPainter& painter, const FigureModel& figure, const FigureLayout& layout, std::size_t index)
{
    const FigurePanel& panel = figure.panels[index];
    const QRectF plot = layout.plots[index];
    painter.setFont(font(9));
    painter.setPen(kInk);
    const QFontMetricsF titleMetrics(painter.font());
    painter.drawText(QRectF(plot.left(), plot.top() - kPanelTitleHeight, plot.width(), kPanelTitleHeight - 2.0),
                     Qt::AlignHCenter | Qt::AlignBottom,
                     titleMetrics.elidedText(QString::fromStdString(panel.title), Qt::ElideRight, plot.width()));
    // Nearest-neighbour scaling of a one-pixel-per-cell image: crisp cells at any size.
    painter.setRenderHint(QPainter::SmoothPixmapTransform, false);
    painter.drawImage(plot, heatmapImage(panel.values, panel.n, panel.diverging,
                                         Colormap::sequential(QString::fromStdString(figure.colormap))));
    painter.setRenderHint(QPainter::Antialiasing, true);
    if (!panel.outline.empty() && layout.cell >= 3.0) {
        painter.setPen(QPen(kOutline, std::clamp(layout.cell * 0.08, 0.6, 1.5)));
        painter.setBrush(Qt::NoBrush);
        painter.drawPath(keptOutline(panel.outline, panel.n, plot, layout.cell));
    }
    painter.setPen(QPen(kFrame, 0.5));
    painter.setBrush(Qt::NoBrush);
    painter.drawRect(plot);
    painter.setRenderHint(QPainter::Antialiasing, false);
    if (layout.labels) {
        paintTokenLabels(painter, figure, layout, panel, plot);
    }
}

void paintColourBar(QPainter& painter, const FigureColourBar& bar, const QRectF& rect, const Colormap& sequential)
{
    const Colormap& map = bar.diverging ? Colormap::diverging() : sequential;
    QImage gradient(1, 256, QImage::Format_RGB32);
    for (int row = 0; row < 256; ++row) {
        gradient.setPixel(0, row, map.table()[static_cast<std::size_t>(255 - row)]);
    }
    painter.setRenderHint(QPainter::SmoothPixmapTransform, false);
    painter.drawImage(rect, gradient);
    painter.setPen(QPen(kFrame, 0.5));
    painter.setBrush(Qt::NoBrush);
    painter.drawRect(rect);
    painter.setFont(font(9));
    painter.setPen(kInk);
    painter.drawText(QRectF(rect.left() - kBarGap + 2.0, rect.top() - kPanelTitleHeight, kBarGap + rect.width() + kBarTickRoom,
                            kPanelTitleHeight - 2.0),
                     Qt::AlignLeft | Qt::AlignBottom, QString::fromStdString(bar.title));
    painter.setFont(font(7));
    for (const auto& [t, label] : bar.ticks) {
        const double y = rect.bottom() - t * rect.height();
        painter.drawLine(QPointF(rect.right(), y), QPointF(rect.right() + 3.0, y));
        painter.drawText(QRectF(rect.right() + 5.0, y - 6.0, kBarTickRoom - 5.0, 12.0), Qt::AlignLeft | Qt::AlignVCenter,
                         QString::fromStdString(label));
    }
}

} // namespace

void paintFigure(QPainter& painter, const FigureModel& figure, const FigureLayout& layout)
{
    painter.save();
    // Without this hint Qt's PDF engine stores images as JPEG, which smears colours across cells.
    painter.setRenderHint(QPainter::LosslessImageRendering, true);
    painter.fillRect(QRectF(QPointF(0.0, 0.0), layout.size), Qt::white);
    painter.setFont(font(12, true));
    painter.setPen(kInk);
    painter.drawText(layout.title, Qt::AlignHCenter | Qt::AlignVCenter, QString::fromStdString(figure.title));
    for (std::size_t index = 0; index < figure.panels.size() && index < layout.plots.size(); ++index) {
        paintPanel(painter, figure, layout, index);
    }
    for (std::size_t index = 0; index < figure.colourBars.size() && index < layout.barRects.size(); ++index) {
        paintColourBar(painter, figure.colourBars[index], layout.barRects[index],
                       Colormap::sequential(QString::fromStdString(figure.colormap)));
    }
    if (figure.caption && !layout.caption.isEmpty()) {
        painter.setFont(font(7));
        painter.setPen(kMutedInk);
        const QFontMetricsF metrics(painter.font());
        painter.drawText(layout.caption, Qt::AlignLeft | Qt::AlignVCenter,
                         metrics.elidedText(QString::fromStdString(figure.provenance.captionText()), Qt::ElideRight,
                                            layout.caption.width()));
    }
    painter.restore();
}

} // namespace attnscope::figure

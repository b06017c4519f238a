#include "figure_painter.h"

#include "figure_colormap.h"
#include "figure_painter_items.h"
#include "figure_style.h"

#include <QFontMetricsF>
#include <QPainter>
#include <QPainterPath>
#include <QPolygonF>

#include <algorithm>

namespace attnscope::figure {

using namespace style;

namespace {

const QColor kOutline(255, 120, 60);
const QColor kBlankCell(222, 222, 226);  // a cell without a value (the model does not allow the key)
const QColor kBar(255, 170, 90);         // the structure view's bar colour

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

/// The labels of a panel's rows (left, when it has row labels) and columns (below): its own names,
/// else the figure's tokens. Column names that fit a cell stand upright, longer ones turn 90°.
void paintAxisLabels(QPainter& painter, const FigureModel& figure, const FigureLayout& layout, const FigurePanel& panel,
                     const QRectF& plot)
{
    painter.setFont(font(layout.labelPixelSize));
    painter.setPen(kMutedInk);
    const QFontMetricsF metrics(painter.font());
    const double room = layout.labelRoom - 3.0;
    const std::vector<std::string>& rowNames = panel.rowNames.empty() ? figure.tokens : panel.rowNames;
    const std::vector<std::string>& columnNames = panel.columnNames.empty() ? figure.tokens : panel.columnNames;
    if (panel.rowLabels && static_cast<int>(rowNames.size()) == panel.n) {
        for (int i = 0; i < panel.n; ++i) {
            const QString label = metrics.elidedText(QString::fromStdString(rowNames[static_cast<std::size_t>(i)]),
                                                     Qt::ElideRight, room);
            painter.drawText(QRectF(plot.left() - layout.labelRoom, plot.top() + i * layout.cell, room, layout.cell),
                             Qt::AlignRight | Qt::AlignVCenter, label);
        }
    }
    if (static_cast<int>(columnNames.size()) != panel.width() || panel.drawnWidth() != panel.width()) {
        return;
    }
    bool upright = !panel.columnNames.empty();
    for (const std::string& name : columnNames) {
        upright = upright && metrics.horizontalAdvance(QString::fromStdString(name)) <= layout.cell;
    }
    for (int i = 0; i < panel.width(); ++i) {
        const QString label = metrics.elidedText(QString::fromStdString(columnNames[static_cast<std::size_t>(i)]),
                                                 Qt::ElideRight, room);
        if (upright) {
            painter.drawText(QRectF(plot.left() + i * layout.cell, plot.bottom() + 2.0, layout.cell, room),
                             Qt::AlignHCenter | Qt::AlignTop, label);
            continue;
        }
        painter.save();
        painter.translate(plot.left() + (i + 0.5) * layout.cell, plot.bottom() + 3.0);
        painter.rotate(90.0);
        painter.drawText(QRectF(0.0, -layout.cell / 2.0, room, layout.cell), Qt::AlignLeft | Qt::AlignVCenter, label);
        painter.restore();
    }
}

/// Each cell's number in ink that reads on its colour, when cells are large enough to hold it.
void paintCellText(QPainter& painter, const FigurePanel& panel, const FigureLayout& layout, const QRectF& plot,
                   const Colormap& sequential)
{
    const std::size_t cells = static_cast<std::size_t>(panel.n) * static_cast<std::size_t>(panel.width());
    if (panel.cellText.size() != cells || layout.cell < kMinCellTextCell || panel.drawnWidth() != panel.width()) {
        return;
    }
    painter.setFont(font(std::clamp(static_cast<int>(layout.cell / 3.2), 5, 12)));
    const Colormap& map = panel.diverging ? Colormap::diverging() : sequential;
    for (int row = 0; row < panel.n; ++row) {
        for (int column = 0; column < panel.width(); ++column) {
            const std::size_t index = static_cast<std::size_t>(row) * panel.width() + column;
            const float v = panel.values[index];
            const QColor colour = QColor::fromRgb(map.map(panel.diverging ? (v + 1.0f) * 0.5f : v));
            const double luma = 0.299 * colour.red() + 0.587 * colour.green() + 0.114 * colour.blue();
            painter.setPen(luma > 128.0 ? QColor(20, 20, 20) : QColor(235, 235, 235));
            painter.drawText(QRectF(plot.left() + column * layout.cell, plot.top() + row * layout.cell, layout.cell, layout.cell),
                             Qt::AlignCenter, QString::fromStdString(panel.cellText[index]));
        }
    }
}

/// A bar chart panel: one bar per row from the left edge, values[row] of the plot's width long.
void paintBars(QPainter& painter, const FigurePanel& panel, const FigureLayout& layout, const QRectF& plot)
{
    for (int row = 0; row < panel.n && row < static_cast<int>(panel.values.size()); ++row) {
        const double length = plot.width() * std::clamp(static_cast<double>(panel.values[static_cast<std::size_t>(row)]), 0.0, 1.0);
        painter.fillRect(QRectF(plot.left(), plot.top() + row * layout.cell, length, layout.cell * 0.85), kBar);
    }
    painter.setPen(QPen(kFrame, 0.5));
    painter.setBrush(Qt::NoBrush);
    painter.drawRect(plot);
}

void paintPanel(QPainter& painter, const FigureModel& figure, const FigureLayout& layout, std::size_t index)
{
    const FigurePanel& panel = figure.panels[index];
    const QRectF plot = layout.plots[index];
    const QRectF title = layout.panelTitles[index];
    painter.setFont(font(9));
    painter.setPen(kInk);
    const QFontMetricsF titleMetrics(painter.font());
    painter.drawText(title, Qt::AlignHCenter | Qt::AlignBottom,
                     titleMetrics.elidedText(QString::fromStdString(panel.title), Qt::ElideRight, title.width()));
    if (panel.bars) {
        paintBars(painter, panel, layout, plot);
        return;
    }
    // Nearest-neighbour scaling of a one-pixel-per-cell image: crisp cells at any size.
    painter.setRenderHint(QPainter::SmoothPixmapTransform, false);
    const Colormap& sequential = Colormap::sequential(QString::fromStdString(figure.colormap));
    QImage cells = colourImage(panel.values, panel.n, panel.width(), panel.diverging, sequential);
    if (!cells.isNull() && panel.valid.size() == panel.values.size()) {
        for (int row = 0; row < panel.n; ++row) {
            for (int column = 0; column < panel.width(); ++column) {
                if (panel.valid[static_cast<std::size_t>(row) * panel.width() + column] == 0) {
                    cells.setPixel(column, row, kBlankCell.rgb());
                }
            }
        }
    }
    painter.drawImage(plot, cells);
    paintCellText(painter, panel, layout, plot, sequential);
    painter.setRenderHint(QPainter::Antialiasing, true);
    if (panel.columns == 0 && panel.outline.size() == static_cast<std::size_t>(panel.n) * panel.n && layout.cell >= 3.0) {
        painter.setPen(QPen(kOutline, std::clamp(layout.cell * 0.08, 0.6, 1.5)));
        painter.setBrush(Qt::NoBrush);
        painter.drawPath(keptOutline(panel.outline, panel.n, plot, layout.cell));
    }
    painter.setPen(QPen(kFrame, 0.5));
    painter.setBrush(Qt::NoBrush);
    painter.drawRect(plot);
    painter.setRenderHint(QPainter::Antialiasing, false);
    if (layout.labels) {
        paintAxisLabels(painter, figure, layout, panel, plot);
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
                     Qt::AlignLeft | Qt::AlignBottom | Qt::TextDontClip, QString::fromStdString(bar.title));
    painter.setFont(font(7));
    for (const auto& [t, label] : bar.ticks) {
        const double y = rect.bottom() - t * rect.height();
        painter.drawLine(QPointF(rect.right(), y), QPointF(rect.right() + 3.0, y));
        painter.drawText(QRectF(rect.right() + 5.0, y - 6.0, kBarTickRoom - 5.0, 12.0), Qt::AlignLeft | Qt::AlignVCenter,
                         QString::fromStdString(label));
    }
}

/// Series colours: Okabe–Ito's colour-blind-safe palette, in order.
QColor seriesColour(std::size_t index)
{
    static const QColor kPalette[] = {QColor(0, 114, 178), QColor(230, 159, 0), QColor(0, 158, 115), QColor(204, 121, 167),
                                      QColor(86, 180, 233), QColor(213, 94, 0), QColor(240, 228, 66), QColor(0, 0, 0)};
    return kPalette[index % (sizeof kPalette / sizeof kPalette[0])];
}

void paintChart(QPainter& painter, const FigureChart& chart, const QRectF& plot, const QRectF& legend)
{
    const double xSpan = chart.xMax > chart.xMin ? chart.xMax - chart.xMin : 1.0;
    const double ySpan = chart.yMax > chart.yMin ? chart.yMax - chart.yMin : 1.0;
    auto toPoint = [&](double x, double y) {
        return QPointF(plot.left() + (x - chart.xMin) / xSpan * plot.width(), plot.bottom() - (y - chart.yMin) / ySpan * plot.height());
    };
    painter.setFont(font(9));
    painter.setPen(kInk);
    painter.drawText(QRectF(plot.left(), plot.top() - kPanelTitleHeight, plot.width(), kPanelTitleHeight - 2.0),
                     Qt::AlignHCenter | Qt::AlignBottom, QString::fromStdString(chart.title));
    // Grid lines at the ticks, then the frame, tick labels and axis titles.
    painter.setPen(QPen(QColor(225, 225, 230), 0.5));
    for (const auto& [x, label] : chart.xTicks) {
        painter.drawLine(toPoint(x, chart.yMin), toPoint(x, chart.yMax));
    }
    for (const auto& [y, label] : chart.yTicks) {
        painter.drawLine(toPoint(chart.xMin, y), toPoint(chart.xMax, y));
    }
    painter.setPen(QPen(kFrame, 0.5));
    painter.setBrush(Qt::NoBrush);
    painter.drawRect(plot);
    painter.setFont(font(7));
    painter.setPen(kInk);
    for (const auto& [x, label] : chart.xTicks) {
        const QPointF at = toPoint(x, chart.yMin);
        painter.drawText(QRectF(at.x() - 20.0, plot.bottom() + 2.0, 40.0, kChartTickRoom - 2.0), Qt::AlignHCenter | Qt::AlignTop,
                         QString::fromStdString(label));
    }
    for (const auto& [y, label] : chart.yTicks) {
        const QPointF at = toPoint(chart.xMin, y);
        painter.drawText(QRectF(plot.left() - 30.0, at.y() - 6.0, 27.0, 12.0), Qt::AlignRight | Qt::AlignVCenter,
                         QString::fromStdString(label));
    }
    paintAxisTitles(painter, plot, QRectF(plot.left(), plot.bottom() + kChartTickRoom, plot.width(), kChartTitleRoom),
                    plot.left() - kChartAxisRoom + 2.0, chart.xTitle, chart.yTitle);
    // The lines, clipped to the axes, with a marker at every point.
    painter.save();
    painter.setClipRect(plot.adjusted(-3.0, -3.0, 3.0, 3.0));
    painter.setRenderHint(QPainter::Antialiasing, true);
    for (std::size_t index = 0; index < chart.series.size(); ++index) {
        const FigureSeries& series = chart.series[index];
        QPolygonF line;
        for (const auto& [x, y] : series.points) {
            line << toPoint(x, y);
        }
        painter.setPen(QPen(seriesColour(index), 1.5));
        painter.setBrush(Qt::NoBrush);
        painter.drawPolyline(line);
        painter.setBrush(seriesColour(index));
        for (const QPointF& point : line) {
            painter.drawEllipse(point, 2.2, 2.2);
        }
    }
    painter.restore();
    painter.setFont(font(8));
    double y = legend.top();
    for (std::size_t index = 0; index < chart.series.size(); ++index, y += kLegendLine) {
        painter.fillRect(QRectF(legend.left(), y + kLegendLine / 2.0 - 1.0, 14.0, 2.0), seriesColour(index));
        painter.setPen(kInk);
        painter.drawText(QRectF(legend.left() + 18.0, y, legend.width() - 18.0, kLegendLine), Qt::AlignLeft | Qt::AlignVCenter,
                         QString::fromStdString(chart.series[index].name));
    }
    if (!chart.note.empty()) {
        painter.setPen(kMutedInk);
        painter.drawText(QRectF(legend.left(), y, legend.width(), kLegendLine), Qt::AlignLeft | Qt::AlignVCenter,
                         QString::fromStdString(chart.note));
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
    for (std::size_t index = 0; index < figure.charts.size() && index < layout.chartPlots.size(); ++index) {
        paintChart(painter, figure.charts[index], layout.chartPlots[index], layout.chartLegends[index]);
    }
    for (std::size_t index = 0; index < figure.tokenLines.size() && index < layout.tokenLines.size(); ++index) {
        paintTokenLines(painter, figure.tokenLines[index], layout.tokenLines[index]);
    }
    for (std::size_t index = 0; index < figure.graphs.size() && index < layout.graphPlots.size(); ++index) {
        paintGraph(painter, figure.graphs[index], layout.graphPlots[index],
                   Colormap::sequential(QString::fromStdString(figure.colormap)));
    }
    for (std::size_t index = 0; index < figure.scatters.size() && index < layout.scatters.size(); ++index) {
        paintScatter(painter, figure.scatters[index], layout.scatters[index],
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

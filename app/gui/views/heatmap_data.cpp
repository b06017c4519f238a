#include "heatmap_data.h"

#include "colormap.h"

#include <QFontMetricsF>
#include <QToolTip>
#include <QWidget>
#include <QPainterPath>

#include <algorithm>
#include <cmath>

namespace attnscope::gui {

namespace {

constexpr double kTitleHeight = 20.0;
constexpr double kLabelWidth = 64.0;   // room for token labels beside and below the matrix
constexpr double kMinLabelCell = 8.0;  // cells smaller than this get no labels
constexpr double kMargin = 6.0;

QFont labelFont(double cell)
{
    QFont font;
    font.setPixelSize(static_cast<int>(std::clamp(cell - 2.0, 8.0, 12.0)));
    return font;
}

} // namespace

HeatmapGeometry heatmapGeometry(const QSizeF& size, const HeatmapData& data)
{
    HeatmapGeometry geometry;
    if (data.n <= 0) {
        return geometry;
    }
    // Every map reserves the label column, so that the maps side by side share one cell size.
    const double left = kLabelWidth;
    auto fit = [&](double leftRoom, double bottomRoom) {
        return std::max(0.0, std::min(size.width() - leftRoom - kMargin, size.height() - kTitleHeight - bottomRoom - kMargin));
    };
    double side = fit(left, kLabelWidth);
    geometry.labels = side / data.n >= kMinLabelCell;
    if (!geometry.labels) {
        side = fit(kMargin, kMargin);
    }
    const double leftRoom = geometry.labels ? left : kMargin;
    const double x = leftRoom + std::max(0.0, (size.width() - leftRoom - kMargin - side) / 2.0);
    geometry.plot = QRectF(x, kTitleHeight, side, side);
    geometry.cell = side / data.n;
    return geometry;
}

void paintHeatmapDecorations(QPainter& painter, const HeatmapData& data, const HeatmapGeometry& geometry,
                             int hoveredToken)
{
    painter.save();
    painter.setRenderHint(QPainter::Antialiasing, false);
    QFont titleFont;
    titleFont.setPixelSize(13);
    titleFont.setBold(true);
    painter.setFont(titleFont);
    painter.setPen(QColor(220, 220, 225));
    if (data.n <= 0) {
        painter.restore();
        return;
    }
    painter.drawText(QRectF(geometry.plot.center().x() - 200.0, 0, 400.0, kTitleHeight - 2), Qt::AlignCenter, data.title);
    const QRectF plot = geometry.plot;
    const double cell = geometry.cell;
    const int n = data.n;
    if (!data.outline.empty() && cell >= 3.0) {
        // Edges between a kept and a dropped cell: the outline of the kept region.
        QPainterPath path;
        auto kept = [&](int r, int c) {
            return r >= 0 && c >= 0 && r < n && c < n && data.outline[static_cast<std::size_t>(r) * n + c] != 0;
        };
        for (int r = 0; r < n; ++r) {
            for (int c = 0; c < n; ++c) {
                if (!kept(r, c)) {
                    continue;
                }
                const double x0 = plot.left() + c * cell;
                const double y0 = plot.top() + r * cell;
                if (!kept(r - 1, c)) { path.moveTo(x0, y0); path.lineTo(x0 + cell, y0); }
                if (!kept(r + 1, c)) { path.moveTo(x0, y0 + cell); path.lineTo(x0 + cell, y0 + cell); }
                if (!kept(r, c - 1)) { path.moveTo(x0, y0); path.lineTo(x0, y0 + cell); }
                if (!kept(r, c + 1)) { path.moveTo(x0 + cell, y0); path.lineTo(x0 + cell, y0 + cell); }
            }
        }
        painter.setPen(QPen(QColor(255, 120, 60), cell >= 8.0 ? 1.5 : 1.0));
        painter.drawPath(path);
    }
    if (hoveredToken >= 0 && hoveredToken < n) {
        painter.setPen(QPen(QColor(255, 255, 255, 170), 1.0));
        painter.setBrush(Qt::NoBrush);
        painter.drawRect(QRectF(plot.left(), plot.top() + hoveredToken * cell, plot.width(), cell));
        painter.drawRect(QRectF(plot.left() + hoveredToken * cell, plot.top(), cell, plot.height()));
    }
    painter.setPen(QColor(80, 80, 88));
    painter.setBrush(Qt::NoBrush);
    painter.drawRect(plot.adjusted(-0.5, -0.5, 0.5, 0.5));
    if (geometry.labels && data.tokens.size() == n) {
        painter.setFont(labelFont(cell));
        const QFontMetricsF metrics(painter.font());
        for (int i = 0; i < n; ++i) {
            const QColor colour = i == hoveredToken ? QColor(255, 200, 80) : QColor(185, 185, 195);
            painter.setPen(colour);
            const QString label = metrics.elidedText(data.tokens[i], Qt::ElideRight, kLabelWidth - 8);
            if (data.rowLabels) {
                painter.drawText(QRectF(plot.left() - kLabelWidth, plot.top() + i * cell, kLabelWidth - 4, cell),
                                 Qt::AlignRight | Qt::AlignVCenter, label);
            }
            painter.save();
            painter.translate(plot.left() + (i + 0.5) * cell, plot.bottom() + 4);
            painter.rotate(90);
            painter.drawText(QRectF(0, -cell / 2, kLabelWidth - 4, cell), Qt::AlignLeft | Qt::AlignVCenter, label);
            painter.restore();
        }
    }
    painter.restore();
}

QImage heatmapImage(const HeatmapData& data)
{
    if (data.n <= 0) {
        return {};
    }
    const Colormap& map = data.diverging ? Colormap::diverging() : Colormap::viridis();
    QImage image(data.n, data.n, QImage::Format_RGB32);
    for (int r = 0; r < data.n; ++r) {
        auto* line = reinterpret_cast<QRgb*>(image.scanLine(r));
        for (int c = 0; c < data.n; ++c) {
            const float v = data.values[static_cast<std::size_t>(r) * data.n + c];
            line[c] = map.map(data.diverging ? (v + 1.0f) * 0.5f : v);
        }
    }
    return image;
}

std::pair<int, int> heatmapCellAt(const HeatmapGeometry& geometry, int n, const QPointF& position)
{
    if (n <= 0 || !geometry.plot.contains(position) || geometry.cell <= 0.0) {
        return {-1, -1};
    }
    const int row = std::min(n - 1, static_cast<int>((position.y() - geometry.plot.top()) / geometry.cell));
    const int column = std::min(n - 1, static_cast<int>((position.x() - geometry.plot.left()) / geometry.cell));
    return {row, column};
}

QString heatmapCellText(const HeatmapData& data, int row, int column)
{
    if (row < 0 || column < 0 || row >= data.n || column >= data.n) {
        return {};
    }
    const std::size_t index = static_cast<std::size_t>(row) * data.n + column;
    const QString query = row < data.tokens.size() ? data.tokens[row] : QString();
    const QString key = column < data.tokens.size() ? data.tokens[column] : QString();
    QString text = QStringLiteral("%1: q #%2 \"%3\" → k #%4 \"%5\" = %6")
                       .arg(data.title).arg(row).arg(query).arg(column).arg(key)
                       .arg(index < data.raw.size() ? data.raw[index] : 0.0f, 0, 'g', 4);
    if (!data.outline.empty()) {
        text += data.outline[index] ? QStringLiteral(" · kept") : QStringLiteral(" · dropped");
    }
    return text;
}

void reportHeatmapHover(QWidget* widget, const HeatmapData& data, const QPointF& position,
                        const QPoint& globalPosition, const std::function<void(int, int)>& hover)
{
    const auto [row, column] = heatmapCellAt(heatmapGeometry(widget->size(), data), data.n, position);
    if (row >= 0) {
        QToolTip::showText(globalPosition, heatmapCellText(data, row, column), widget);
    }
    if (hover) {
        hover(row, column);
    }
}

} // namespace attnscope::gui

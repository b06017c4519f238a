#include "heatmap_data.h"

#include "colormap.h"

#include "attnscope/figure_model.h"

#include <QFontMetricsF>
#include <QPalette>
#include <QPainterPath>

#include <algorithm>
#include <cmath>

namespace attnscope::gui {

namespace {

constexpr double kTitleHeight = 20.0;
constexpr double kLabelWidth = 64.0;   // room for token labels beside and below the matrix
constexpr double kMinLabelCell = 8.0;  // cells smaller than this get no labels
constexpr double kMinOutlineCell = 3.0;
constexpr double kMargin = 6.0;

QFont labelFont(double cell)
{
    QFont font;
    font.setPixelSize(static_cast<int>(std::clamp(cell - 2.0, 8.0, 12.0)));
    return font;
}

// The cells of `viewport` that are at least partly visible: [first, last).
std::pair<int, int> visibleRange(double origin, double span, int n)
{
    const int first = std::clamp(static_cast<int>(std::floor(origin)), 0, n);
    const int last = std::clamp(static_cast<int>(std::ceil(origin + span)), first, n);
    return {first, last};
}

} // namespace

// The views colour exactly as exported figures do: core's colour scales (figure_model.h), whose
// enum lists the same scales in the same order.
static_assert(static_cast<int>(ColorScale::Linear) == static_cast<int>(ColourScale::Linear) &&
              static_cast<int>(ColorScale::Sqrt) == static_cast<int>(ColourScale::Sqrt) &&
              static_cast<int>(ColorScale::Log) == static_cast<int>(ColourScale::Log));

float mapColorValue(float x, float vmax, ColorScale scale)
{
    return mapToColourScale(x, vmax, static_cast<ColourScale>(scale));
}

double unmapColorValue(double t, double vmax, ColorScale scale)
{
    return unmapColourScale(t, vmax, static_cast<ColourScale>(scale));
}

HeatmapViewport HeatmapViewport::clamped(int n) const
{
    if (n <= 0) {
        return {};
    }
    HeatmapViewport v = *this;
    if (v.span <= 0.0 || v.span > n) {
        v.span = n;
    }
    v.span = std::max(v.span, std::min(static_cast<double>(n), kMinViewportSpan));
    v.x0 = std::clamp(v.x0, 0.0, n - v.span);
    v.y0 = std::clamp(v.y0, 0.0, n - v.span);
    return v;
}

bool HeatmapViewport::isWhole(int n) const
{
    const HeatmapViewport v = clamped(n);
    return v.span >= n;
}

HeatmapGeometry heatmapGeometry(const QSizeF& size, const HeatmapData& data, const HeatmapViewport& viewport)
{
    HeatmapGeometry geometry;
    if (data.n <= 0) {
        return geometry;
    }
    const double span = viewport.clamped(data.n).span;
    // Every map reserves the label column, so that the maps side by side share one cell size.
    auto fit = [&](double leftRoom, double bottomRoom) {
        return std::max(0.0, std::min(size.width() - leftRoom - kMargin, size.height() - kTitleHeight - bottomRoom - kMargin));
    };
    double side = fit(kLabelWidth, kLabelWidth);
    geometry.labels = side / span >= kMinLabelCell;
    if (!geometry.labels) {
        side = fit(kMargin, kMargin);
    }
    const double leftRoom = geometry.labels ? kLabelWidth : kMargin;
    const double x = leftRoom + std::max(0.0, (size.width() - leftRoom - kMargin - side) / 2.0);
    geometry.plot = QRectF(x, kTitleHeight, side, side);
    geometry.cell = side / span;
    return geometry;
}

QRectF HeatmapTile::rect(const HeatmapGeometry& geometry, const HeatmapViewport& viewport) const
{
    return QRectF(geometry.plot.left() + (column0 - viewport.x0) * geometry.cell,
                  geometry.plot.top() + (row0 - viewport.y0) * geometry.cell, columns * block * geometry.cell,
                  rows * block * geometry.cell);
}

HeatmapTile heatmapTile(const HeatmapData& data, const HeatmapViewport& viewport, double pixels)
{
    HeatmapTile tile;
    if (!data.pyramid || data.n <= 0 || pixels <= 0.0) {
        return tile;
    }
    const HeatmapPyramid& pyramid = *data.pyramid;
    const HeatmapViewport v = viewport.clamped(data.n);
    tile.level = pyramid.levelFor(v.span / pixels);
    tile.block = HeatmapPyramid::blockSize(tile.level);
    const int side = pyramid.side(tile.level);
    const auto [rowFirst, rowLast] = visibleRange(v.y0, v.span, data.n);
    const auto [columnFirst, columnLast] = visibleRange(v.x0, v.span, data.n);
    const int blockRow0 = rowFirst / tile.block;
    const int blockColumn0 = columnFirst / tile.block;
    const int blockRow1 = std::min(side, (rowLast + tile.block - 1) / tile.block);
    const int blockColumn1 = std::min(side, (columnLast + tile.block - 1) / tile.block);
    tile.row0 = blockRow0 * tile.block;
    tile.column0 = blockColumn0 * tile.block;
    tile.rows = std::max(0, blockRow1 - blockRow0);
    tile.columns = std::max(0, blockColumn1 - blockColumn0);
    tile.values.resize(static_cast<std::size_t>(tile.rows) * tile.columns);
    // Sums are shown per query row of the block (sum / block): a block holding one full row of
    // mass reads as that row's probability would, so the colour scale stays the same at every level.
    const float sumScale = data.pooling == Pooling::Sum ? 1.0f / static_cast<float>(tile.block) : 1.0f;
    for (int r = 0; r < tile.rows; ++r) {
        for (int c = 0; c < tile.columns; ++c) {
            const float value = pyramid.at(tile.level, blockRow0 + r, blockColumn0 + c, data.pooling) * sumScale;
            tile.values[static_cast<std::size_t>(r) * tile.columns + c] = mapColorValue(value, data.vmax, data.scale);
        }
    }
    return tile;
}

QImage heatmapTileImage(const HeatmapData& data, const HeatmapTile& tile)
{
    // The same colouring as exported figures (app/figure).
    return figure::colourImage(tile.values, tile.rows, tile.columns, data.diverging,
                               data.colormap ? *data.colormap : Colormap::viridis());
}

void paintHeatmapDecorations(QPainter& painter, const QPalette& palette, const HeatmapData& data,
                             const HeatmapGeometry& geometry, const HeatmapViewport& viewport, int hoveredToken,
                             const QRectF& band)
{
    painter.save();
    painter.setRenderHint(QPainter::Antialiasing, false);
    QFont titleFont;
    titleFont.setPixelSize(13);
    titleFont.setBold(true);
    painter.setFont(titleFont);
    const QColor text = palette.color(QPalette::WindowText);
    painter.setPen(text);
    if (data.n <= 0) {
        painter.restore();
        return;
    }
    painter.drawText(QRectF(geometry.plot.center().x() - 200.0, 0, 400.0, kTitleHeight - 2), Qt::AlignCenter, data.title);
    const QRectF plot = geometry.plot;
    const double cell = geometry.cell;
    const int n = data.n;
    const HeatmapViewport v = viewport.clamped(n);
    const auto [rowFirst, rowLast] = visibleRange(v.y0, v.span, n);
    const auto [columnFirst, columnLast] = visibleRange(v.x0, v.span, n);
    auto cellX = [&](double column) { return plot.left() + (column - v.x0) * cell; };
    auto cellY = [&](double row) { return plot.top() + (row - v.y0) * cell; };
    painter.setClipRect(plot.adjusted(-1, -1, 1, 1));
    if (data.outline && data.outline->size() == static_cast<std::size_t>(n) * n && cell >= kMinOutlineCell) {
        // Edges between a kept and a dropped cell: the outline of the kept region (visible cells only).
        const std::vector<std::uint8_t>& mask = *data.outline;
        QPainterPath path;
        auto kept = [&](int r, int c) {
            return r >= 0 && c >= 0 && r < n && c < n && mask[static_cast<std::size_t>(r) * n + c] != 0;
        };
        for (int r = rowFirst; r < rowLast; ++r) {
            for (int c = columnFirst; c < columnLast; ++c) {
                if (!kept(r, c)) {
                    continue;
                }
                const double x0 = cellX(c);
                const double y0 = cellY(r);
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
        painter.drawRect(QRectF(plot.left(), cellY(hoveredToken), plot.width(), std::max(1.0, cell)));
        painter.drawRect(QRectF(cellX(hoveredToken), plot.top(), std::max(1.0, cell), plot.height()));
    }
    if (!band.isNull()) {
        painter.setPen(QPen(QColor(255, 255, 255, 220), 1.0, Qt::DashLine));
        painter.setBrush(QColor(255, 255, 255, 40));
        painter.drawRect(band.normalized());
    }
    painter.setClipping(false);
    painter.setPen(palette.color(QPalette::Mid));
    painter.setBrush(Qt::NoBrush);
    painter.drawRect(plot.adjusted(-0.5, -0.5, 0.5, 0.5));
    if (geometry.labels && data.tokens.size() == n) {
        painter.setFont(labelFont(cell));
        const QFontMetricsF metrics(painter.font());
        for (int i = std::min(rowFirst, columnFirst); i < std::max(rowLast, columnLast); ++i) {
            const QColor colour = i == hoveredToken ? palette.color(QPalette::Highlight) : text;
            painter.setPen(colour);
            const QString label = metrics.elidedText(data.tokens[i], Qt::ElideRight, kLabelWidth - 8);
            if (data.rowLabels && i >= rowFirst && i < rowLast) {
                painter.drawText(QRectF(plot.left() - kLabelWidth, cellY(i), kLabelWidth - 4, cell),
                                 Qt::AlignRight | Qt::AlignVCenter, label);
            }
            if (i >= columnFirst && i < columnLast) {
                painter.save();
                painter.translate(cellX(i + 0.5), plot.bottom() + 4);
                painter.rotate(90);
                painter.drawText(QRectF(0, -cell / 2, kLabelWidth - 4, cell), Qt::AlignLeft | Qt::AlignVCenter, label);
                painter.restore();
            }
        }
    }
    painter.restore();
}

std::pair<int, int> heatmapCellAt(const HeatmapGeometry& geometry, const HeatmapViewport& viewport, int n,
                                  const QPointF& position)
{
    if (n <= 0 || !geometry.plot.contains(position) || geometry.cell <= 0.0) {
        return {-1, -1};
    }
    const HeatmapViewport v = viewport.clamped(n);
    const int row = std::clamp(static_cast<int>(v.y0 + (position.y() - geometry.plot.top()) / geometry.cell), 0, n - 1);
    const int column = std::clamp(static_cast<int>(v.x0 + (position.x() - geometry.plot.left()) / geometry.cell), 0, n - 1);
    return {row, column};
}

QString heatmapCellText(const HeatmapData& data, int row, int column)
{
    if (row < 0 || column < 0 || row >= data.n || column >= data.n) {
        return {};
    }
    if (data.describe) {
        return data.describe(row, column);
    }
    const QString query = row < data.tokens.size() ? data.tokens[row] : QString();
    const QString key = column < data.tokens.size() ? data.tokens[column] : QString();
    return QStringLiteral("%1: q #%2 \"%3\" → k #%4 \"%5\" = %6")
        .arg(data.title).arg(row).arg(query).arg(column).arg(key).arg(data.cellValue(row, column), 0, 'g', 4);
}

} // namespace attnscope::gui

#pragma once
// What a heatmap view draws: one N×N matrix as a block-pooled pyramid (so long inputs draw at screen
// resolution), how its values map to colour (scale, maximum, pooling, colour map), an optional kept
// mask to outline, token labels and the hover read-out. Shared by the GL view, the QPainter fallback
// and the screenshot path, which all paint the same picture from it.

#include "colormap.h"
#include "views/heatmap_pyramid.h"

#include <QImage>
#include <QPainter>
#include <QRectF>
#include <QStringList>

class QPalette;
class QWidget;

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

namespace attnscope::gui {


/// How |value| / vmax becomes a colour position: linear, square root, or log over four decades.
enum class ColorScale { Linear, Sqrt, Log };

/// Maps x to [0, 1] (sign kept, so differences land in [-1, 1]) for a scale whose top is vmax.
float mapColorValue(float x, float vmax, ColorScale scale);
/// The value at colour position t in [0, 1] (the inverse of mapColorValue for x ≥ 0).
double unmapColorValue(double t, double vmax, ColorScale scale);

/// The square window of the matrix on screen, in cells: columns [x0, x0 + span), rows [y0, y0 + span).
struct HeatmapViewport {
    double x0 = 0.0;
    double y0 = 0.0;
    double span = 0.0;  ///< cells across; 0 = the whole matrix

    /// The whole n×n matrix.
    static HeatmapViewport whole(int n) { return {0.0, 0.0, static_cast<double>(n)}; }
    /// Span in [min(n, kMinSpan), n] and the origin kept inside the matrix.
    HeatmapViewport clamped(int n) const;
    bool isWhole(int n) const;
    bool operator==(const HeatmapViewport&) const = default;
};

/// Fewest cells across a zoomed view.
constexpr double kMinViewportSpan = 4.0;

struct HeatmapData {
    int n = 0;
    std::shared_ptr<const HeatmapPyramid> pyramid;  ///< the values to draw (raw or row-normalised)
    ColorScale scale = ColorScale::Sqrt;
    float vmax = 1.0f;                              ///< top of the colour scale (shared by every panel)
    Pooling pooling = Pooling::Peak;                ///< zoomed out: block peak, or block sum per row
    bool diverging = false;                         ///< signed values drawn with the diverging map
    const Colormap* colormap = nullptr;             ///< sequential map (null: viridis)
    std::shared_ptr<const std::vector<std::uint8_t>> outline;  ///< [n, n] cells to outline, or null
    QStringList tokens;                             ///< n labels
    QString title;
    bool rowLabels = true;                          ///< query labels on the left (first column only)
    /// The tooltip of cell (row, column): query, key, dense probability, variants, kept or not.
    std::function<QString(int row, int column)> describe;

    /// Level-0 value of a cell (what the pyramid holds there).
    float cellValue(int row, int column) const { return pyramid ? pyramid->cell(row, column) : 0.0f; }
};

/// Where the matrix goes in a widget of `size`, leaving room for the title and the labels.
struct HeatmapGeometry {
    QRectF plot;          ///< the viewport's cells on screen
    double cell = 0.0;    ///< pixels per cell
    bool labels = false;  ///< token labels fit
};

HeatmapGeometry heatmapGeometry(const QSizeF& size, const HeatmapData& data, const HeatmapViewport& viewport);

/// The visible part of the matrix at the level that gives about one block per pixel: `rows`×`columns`
/// blocks of `block` cells starting at cell (row0, column0), already mapped to colour positions.
struct HeatmapTile {
    int level = 0;
    int block = 1;
    int row0 = 0;
    int column0 = 0;
    int rows = 0;
    int columns = 0;
    std::vector<float> values;  ///< [rows, columns], mapped to [0, 1] (or [-1, 1] when diverging)

    /// Where the tile goes on screen (it covers the plot and may overhang it by a block).
    QRectF rect(const HeatmapGeometry& geometry, const HeatmapViewport& viewport) const;
};

/// The tile for `viewport` drawn `pixels` wide (device pixels across the plot).
HeatmapTile heatmapTile(const HeatmapData& data, const HeatmapViewport& viewport, double pixels);

/// The tile coloured on the CPU with the same LUT as the shader (fallback view and exports).
QImage heatmapTileImage(const HeatmapData& data, const HeatmapTile& tile);

/// Title, axis labels, kept-mask outline, hovered-token cross and the box-zoom band, on the matrix;
/// text and frame in the palette's colours (light or dark theme).
void paintHeatmapDecorations(QPainter& painter, const QPalette& palette, const HeatmapData& data,
                             const HeatmapGeometry& geometry, const HeatmapViewport& viewport, int hoveredToken,
                             const QRectF& band);

/// The cell under `position`, as (row, column), or (-1, -1).
std::pair<int, int> heatmapCellAt(const HeatmapGeometry& geometry, const HeatmapViewport& viewport, int n,
                                  const QPointF& position);

/// The tooltip text of a cell: data.describe, or the query/key tokens and the cell's value.
QString heatmapCellText(const HeatmapData& data, int row, int column);

} // namespace attnscope::gui

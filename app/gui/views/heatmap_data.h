#pragma once
// What a heatmap view draws: N×N values already mapped to [0, 1] (or [-1, 1] for a diverging map),
// an optional kept mask to outline, and the token labels. Shared by the GL view, the QPainter
// fallback and the screenshot path, which all paint the same picture from it.

#include <QImage>
#include <QPainter>
#include <QRectF>
#include <QStringList>

class QWidget;

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

namespace attnscope::gui {

struct HeatmapData {
    int n = 0;
    std::vector<float> values;           ///< [n, n] row-major (row = query), mapped to [0,1] or [-1,1]
    std::vector<float> raw;              ///< [n, n] the unmapped values, for hover read-outs
    bool diverging = false;              ///< values in [-1, 1] drawn with the diverging map
    std::vector<std::uint8_t> outline;   ///< [n, n] cells to outline (kept mask), or empty
    QStringList tokens;                  ///< n labels
    QString title;
    bool rowLabels = true;               ///< query labels on the left (only the first map shows them)
};

/// Where the matrix goes in a widget of `size`, leaving room for the title and the labels.
struct HeatmapGeometry {
    QRectF plot;
    double cell = 0.0;
    bool labels = false;  ///< token labels fit
};

HeatmapGeometry heatmapGeometry(const QSizeF& size, const HeatmapData& data);

/// Title, axis labels, kept-mask outline and hovered-token cross, on top of the matrix.
void paintHeatmapDecorations(QPainter& painter, const HeatmapData& data, const HeatmapGeometry& geometry,
                             int hoveredToken);

/// The matrix coloured on the CPU with the same LUT as the shader (fallback view and exports).
QImage heatmapImage(const HeatmapData& data);

/// The cell under `position`, as (row, column), or (-1, -1).
std::pair<int, int> heatmapCellAt(const HeatmapGeometry& geometry, int n, const QPointF& position);

/// One line describing a cell for the tooltip: query token, key token and value.
QString heatmapCellText(const HeatmapData& data, int row, int column);

/// Mouse move over a heatmap widget: shows the cell's tooltip and reports (row, column) to `hover`
/// ((-1, -1) outside the matrix). Shared by the GL view and the QPainter fallback.
void reportHeatmapHover(QWidget* widget, const HeatmapData& data, const QPointF& position,
                        const QPoint& globalPosition, const std::function<void(int, int)>& hover);

} // namespace attnscope::gui

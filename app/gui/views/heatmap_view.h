#pragma once
// A heatmap of one N×N matrix. Two implementations draw the same HeatmapData: a QOpenGLWidget
// (texture + LUT shader) and a QPainter widget for machines without GL (offscreen, no context;
// stack_notes §4: an offscreen QOpenGLWidget segfaults, so the choice is made before creating one).
// Both draw the visible window of the matrix (the viewport) from its block-pooled pyramid and
// navigate through HeatmapNavigation; the owner decides the viewport (compare panels share one).

#include "views/heatmap_data.h"

#include <functional>
#include <memory>

class QWidget;

namespace attnscope::gui {

class HeatmapView {
public:
    virtual ~HeatmapView() = default;
    virtual QWidget* widget() = 0;
    virtual void setData(std::shared_ptr<const HeatmapData> data) = 0;
    virtual std::shared_ptr<const HeatmapData> data() const = 0;
    virtual void setHoveredToken(int position) = 0;
    /// Called with the hovered cell (row, column), or (-1, -1) when the mouse leaves the matrix.
    virtual void setHoverCallback(std::function<void(int row, int column)> callback) = 0;
    /// The window of the matrix on screen (clamped to the data when drawn).
    virtual void setViewport(const HeatmapViewport& viewport) = 0;
    virtual HeatmapViewport viewport() const = 0;
    /// Called with the viewport the user asked for (wheel, drag, box, double-click).
    virtual void setViewportRequest(std::function<void(const HeatmapViewport&)> request) = 0;
    /// The tile last drawn (level, block and visible cells), for tests and the benchmark.
    virtual const HeatmapTile& tile() const = 0;
};

/// The GL view when useGl, else the QPainter view. The widget is owned by `parent`.
HeatmapView* createHeatmapView(bool useGl, QWidget* parent);

} // namespace attnscope::gui

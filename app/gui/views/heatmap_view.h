#pragma once
// A heatmap of one N×N matrix. Two implementations draw the same HeatmapData: a QOpenGLWidget
// (texture + LUT shader) and a QPainter widget for machines without GL (offscreen, no context;
// stack_notes §4: an offscreen QOpenGLWidget segfaults, so the choice is made before creating one).

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
};

/// The GL view when useGl, else the QPainter view. The widget is owned by `parent`.
HeatmapView* createHeatmapView(bool useGl, QWidget* parent);

} // namespace attnscope::gui

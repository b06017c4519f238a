#pragma once
// The QPainter heatmap: the GL-free fallback, pixel-for-pixel the same LUT as the shader.

#include "views/heatmap_view.h"

#include <QWidget>

namespace attnscope::gui {

class HeatmapPainterView : public QWidget, public HeatmapView {
    Q_OBJECT
public:
    explicit HeatmapPainterView(QWidget* parent = nullptr);

    QWidget* widget() override { return this; }
    void setData(std::shared_ptr<const HeatmapData> data) override;
    std::shared_ptr<const HeatmapData> data() const override { return m_data; }
    void setHoveredToken(int position) override;
    void setHoverCallback(std::function<void(int, int)> callback) override { m_hover = std::move(callback); }

protected:
    void paintEvent(QPaintEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void leaveEvent(QEvent* event) override;

private:
    std::shared_ptr<const HeatmapData> m_data;
    QImage m_image;
    int m_hoveredToken = -1;
    std::function<void(int, int)> m_hover;
};

} // namespace attnscope::gui

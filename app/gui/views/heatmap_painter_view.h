#pragma once
// The QPainter heatmap: the GL-free fallback, pixel-for-pixel the same LUT as the shader.

#include "views/heatmap_navigation.h"
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
    void setHoverCallback(std::function<void(int, int)> callback) override { m_navigation.setHover(std::move(callback)); }
    void setViewport(const HeatmapViewport& viewport) override;
    HeatmapViewport viewport() const override { return m_viewport; }
    void setViewportRequest(std::function<void(const HeatmapViewport&)> request) override
    {
        m_navigation.setViewportRequest(std::move(request));
    }
    const HeatmapTile& tile() const override { return m_tile; }

protected:
    void paintEvent(QPaintEvent* event) override;
    bool event(QEvent* event) override;  // mouse and wheel go to HeatmapNavigation

private:
    std::shared_ptr<const HeatmapData> m_data;
    HeatmapViewport m_viewport;
    HeatmapTile m_tile;
    QImage m_image;
    bool m_tileDirty = true;
    double m_tilePixels = 0.0;
    int m_hoveredToken = -1;
    HeatmapNavigation m_navigation;
};

} // namespace attnscope::gui

#pragma once
// The GL heatmap: the visible tile of the pyramid (values mapped to colour positions) in an R32F
// texture, the colour map as a 256×1 LUT texture, looked up in shaders/heatmap.frag; labels and outlines are painted with QPainter into an image (the raster
// engine: QPainter straight onto the core-profile context drew nothing under Mesa) and blended on top. Survives context
// re-creation (re-parenting, floating; stack_notes gotcha 8): GL objects are dropped in
// aboutToBeDestroyed and rebuilt in initializeGL.

#include "views/heatmap_navigation.h"
#include "views/heatmap_view.h"

#include <QOpenGLBuffer>
#include <QOpenGLExtraFunctions>
#include <QOpenGLShaderProgram>
#include <QOpenGLTexture>
#include <QOpenGLTextureBlitter>
#include <QOpenGLVertexArrayObject>
#include <QOpenGLWidget>

namespace attnscope::gui {

class HeatmapGlView : public QOpenGLWidget, public HeatmapView, protected QOpenGLExtraFunctions {
    Q_OBJECT
    static constexpr int kLutCount = 4;  // viridis, magma, cividis, diverging

public:
    explicit HeatmapGlView(QWidget* parent = nullptr);
    ~HeatmapGlView() override;

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

    /// How many times initializeGL ran (tests check context re-creation).
    int initializeCount() const { return m_initializeCount; }

protected:
    void initializeGL() override;
    void paintGL() override;
    bool event(QEvent* event) override;  // mouse and wheel go to HeatmapNavigation

private:
    void cleanupGL();
    void uploadTile();
    GLuint lutFor(const HeatmapData& data) const;
    void drawOverlay(const HeatmapGeometry& geometry);

    std::shared_ptr<const HeatmapData> m_data;
    HeatmapViewport m_viewport;
    HeatmapTile m_tile;
    bool m_tileDirty = true;
    double m_tilePixels = 0.0;
    int m_hoveredToken = -1;
    int m_initializeCount = 0;
    HeatmapNavigation m_navigation;
    std::unique_ptr<QOpenGLShaderProgram> m_program;
    QOpenGLBuffer m_quad;
    QOpenGLVertexArrayObject m_vao;
    // A fresh blitter per context: Qt 6.4's QOpenGLTextureBlitter crashes in create() after destroy().
    std::unique_ptr<QOpenGLTextureBlitter> m_blitter;
    std::unique_ptr<QOpenGLTexture> m_overlay;
    GLuint m_valueTexture = 0;
    GLuint m_lutTextures[kLutCount] = {};
};

} // namespace attnscope::gui

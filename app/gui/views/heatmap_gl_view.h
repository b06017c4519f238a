#pragma once
// The GL heatmap: raw values in an R32F texture, the colour map as a 256×1 LUT texture, mapped in
// shaders/heatmap.frag; labels and outlines are painted with QPainter into an image (the raster
// engine: QPainter straight onto the core-profile context drew nothing under Mesa) and blended on top. Survives context
// re-creation (re-parenting, floating; stack_notes gotcha 8): GL objects are dropped in
// aboutToBeDestroyed and rebuilt in initializeGL.

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
public:
    explicit HeatmapGlView(QWidget* parent = nullptr);
    ~HeatmapGlView() override;

    QWidget* widget() override { return this; }
    void setData(std::shared_ptr<const HeatmapData> data) override;
    std::shared_ptr<const HeatmapData> data() const override { return m_data; }
    void setHoveredToken(int position) override;
    void setHoverCallback(std::function<void(int, int)> callback) override { m_hover = std::move(callback); }

    /// How many times initializeGL ran (tests check context re-creation).
    int initializeCount() const { return m_initializeCount; }

protected:
    void initializeGL() override;
    void paintGL() override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void leaveEvent(QEvent* event) override;

private:
    void cleanupGL();
    void uploadValues();
    void drawOverlay(const HeatmapGeometry& geometry);

    std::shared_ptr<const HeatmapData> m_data;
    bool m_valuesDirty = true;
    int m_hoveredToken = -1;
    int m_initializeCount = 0;
    std::function<void(int, int)> m_hover;
    std::unique_ptr<QOpenGLShaderProgram> m_program;
    QOpenGLBuffer m_quad;
    QOpenGLVertexArrayObject m_vao;
    // A fresh blitter per context: Qt 6.4's QOpenGLTextureBlitter crashes in create() after destroy().
    std::unique_ptr<QOpenGLTextureBlitter> m_blitter;
    std::unique_ptr<QOpenGLTexture> m_overlay;
    GLuint m_valueTexture = 0;
    GLuint m_lutTextures[2] = {0, 0};
};

} // namespace attnscope::gui

#include "views/heatmap_gl_view.h"

#include "colormap.h"
#include "views/heatmap_painter_view.h"

#include <QOpenGLContext>
#include <QPainter>

#include <algorithm>
#include <cmath>
#include <iterator>

namespace attnscope::gui {

HeatmapView* createHeatmapView(bool useGl, QWidget* parent)
{
    if (useGl) {
        return new HeatmapGlView(parent);
    }
    return new HeatmapPainterView(parent);
}

HeatmapGlView::HeatmapGlView(QWidget* parent) : QOpenGLWidget(parent), m_quad(QOpenGLBuffer::VertexBuffer)
{
    setMouseTracking(true);
    setMinimumSize(120, 120);
}

HeatmapGlView::~HeatmapGlView()
{
    if (context()) {
        makeCurrent();
        cleanupGL();
        doneCurrent();
    }
}

void HeatmapGlView::setData(std::shared_ptr<const HeatmapData> data)
{
    m_data = std::move(data);
    m_tileDirty = true;
    update();
}

void HeatmapGlView::setViewport(const HeatmapViewport& viewport)
{
    if (viewport != m_viewport) {
        m_viewport = viewport;
        m_tileDirty = true;
        update();
    }
}

void HeatmapGlView::setHoveredToken(int position)
{
    if (position != m_hoveredToken) {
        m_hoveredToken = position;
        update();
    }
}

void HeatmapGlView::initializeGL()
{
    ++m_initializeCount;
    initializeOpenGLFunctions();
    // A new context (first show, or re-parenting) has none of our objects: rebuild them all.
    connect(context(), &QOpenGLContext::aboutToBeDestroyed, this, &HeatmapGlView::cleanupGL, Qt::UniqueConnection);
    m_program = std::make_unique<QOpenGLShaderProgram>();
    if (!m_program->addShaderFromSourceFile(QOpenGLShader::Vertex, QStringLiteral(":/shaders/heatmap.vert")) ||
        !m_program->addShaderFromSourceFile(QOpenGLShader::Fragment, QStringLiteral(":/shaders/heatmap.frag")) ||
        !m_program->link()) {
        qWarning("attnscope: heatmap shader failed: %s", qPrintable(m_program->log()));
        m_program.reset();
        return;
    }
    static const float kQuad[] = {0, 0, 1, 0, 0, 1, 1, 1};
    m_vao.create();
    m_vao.bind();
    m_quad.create();
    m_quad.bind();
    m_quad.allocate(kQuad, sizeof kQuad);
    m_program->bind();
    m_program->enableAttributeArray(0);
    m_program->setAttributeBuffer(0, GL_FLOAT, 0, 2);
    m_program->release();
    m_vao.release();
    m_quad.release();

    glGenTextures(kLutCount, m_lutTextures);
    const Colormap* maps[kLutCount] = {&Colormap::viridis(), &Colormap::magma(), &Colormap::cividis(),
                                       &Colormap::diverging()};
    for (int i = 0; i < kLutCount; ++i) {
        const QImage lut = maps[i]->lutImage();
        glBindTexture(GL_TEXTURE_2D, m_lutTextures[i]);
        glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
        glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
        glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
        glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
        glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, 256, 1, 0, GL_RGBA, GL_UNSIGNED_BYTE, lut.constBits());
    }
    glGenTextures(1, &m_valueTexture);
    glBindTexture(GL_TEXTURE_2D, m_valueTexture);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
    glBindTexture(GL_TEXTURE_2D, 0);
    m_blitter = std::make_unique<QOpenGLTextureBlitter>();
    if (!m_blitter->create()) {
        m_blitter.reset();
    }
    m_tileDirty = true;
}

GLuint HeatmapGlView::lutFor(const HeatmapData& data) const
{
    if (data.diverging) {
        return m_lutTextures[3];
    }
    if (data.colormap == &Colormap::magma()) {
        return m_lutTextures[1];
    }
    if (data.colormap == &Colormap::cividis()) {
        return m_lutTextures[2];
    }
    return m_lutTextures[0];
}

void HeatmapGlView::cleanupGL()
{
    if (!context() || !m_program) {
        return;
    }
    makeCurrent();
    glDeleteTextures(kLutCount, m_lutTextures);
    glDeleteTextures(1, &m_valueTexture);
    std::fill(std::begin(m_lutTextures), std::end(m_lutTextures), 0u);
    m_valueTexture = 0;
    m_quad.destroy();
    m_vao.destroy();
    m_program.reset();
    m_overlay.reset();
    if (m_blitter) {
        m_blitter->destroy();
        m_blitter.reset();
    }
    doneCurrent();
}

void HeatmapGlView::uploadTile()
{
    glBindTexture(GL_TEXTURE_2D, m_valueTexture);
    glPixelStorei(GL_UNPACK_ALIGNMENT, 4);
    glTexImage2D(GL_TEXTURE_2D, 0, GL_R32F, m_tile.columns, m_tile.rows, 0, GL_RED, GL_FLOAT, m_tile.values.data());
    glBindTexture(GL_TEXTURE_2D, 0);
}

void HeatmapGlView::paintGL()
{
    const QColor background = palette().color(QPalette::Window);
    glClearColor(background.redF(), background.greenF(), background.blueF(), 1.0f);
    glClear(GL_COLOR_BUFFER_BIT);
    if (!m_program || !m_data || m_data->n <= 0) {
        return;
    }
    const HeatmapGeometry geometry = heatmapGeometry(size(), *m_data, m_viewport);
    const qreal ratio = devicePixelRatioF();
    const double pixels = geometry.plot.width() * ratio;
    if (m_tileDirty || pixels != m_tilePixels) {
        m_tile = heatmapTile(*m_data, m_viewport, pixels);
        m_tilePixels = pixels;
        m_tileDirty = false;
        uploadTile();
    }
    if (geometry.plot.width() >= 1.0 && m_tile.rows > 0 && m_tile.columns > 0) {
        // The tile may overhang the plot by part of a block: draw it whole, clipped to the plot.
        const QRectF target = m_tile.rect(geometry, m_viewport.clamped(m_data->n));
        const QRectF plot = geometry.plot;
        glEnable(GL_SCISSOR_TEST);
        glScissor(static_cast<GLint>(std::lround(plot.left() * ratio)),
                  static_cast<GLint>(std::lround((height() - plot.bottom()) * ratio)),
                  static_cast<GLsizei>(std::lround(plot.width() * ratio)),
                  static_cast<GLsizei>(std::lround(plot.height() * ratio)));
        glViewport(static_cast<GLint>(std::lround(target.left() * ratio)),
                   static_cast<GLint>(std::lround((height() - target.bottom()) * ratio)),
                   static_cast<GLsizei>(std::lround(target.width() * ratio)),
                   static_cast<GLsizei>(std::lround(target.height() * ratio)));
        glDisable(GL_BLEND);
        glDisable(GL_DEPTH_TEST);
        m_program->bind();
        glActiveTexture(GL_TEXTURE0);
        glBindTexture(GL_TEXTURE_2D, m_valueTexture);
        glActiveTexture(GL_TEXTURE1);
        glBindTexture(GL_TEXTURE_2D, lutFor(*m_data));
        m_program->setUniformValue("values", 0);
        m_program->setUniformValue("lut", 1);
        m_program->setUniformValue("valueMin", m_data->diverging ? -1.0f : 0.0f);
        m_program->setUniformValue("valueMax", 1.0f);
        m_vao.bind();
        glDrawArrays(GL_TRIANGLE_STRIP, 0, 4);
        m_vao.release();
        m_program->release();
        glBindTexture(GL_TEXTURE_2D, 0);
        glActiveTexture(GL_TEXTURE0);
        glDisable(GL_SCISSOR_TEST);
    }
    glViewport(0, 0, static_cast<GLsizei>(std::lround(width() * ratio)), static_cast<GLsizei>(std::lround(height() * ratio)));
    drawOverlay(geometry);
}

void HeatmapGlView::drawOverlay(const HeatmapGeometry& geometry)
{
    if (!m_blitter) {
        return;
    }
    const qreal ratio = devicePixelRatioF();
    QImage overlay((QSizeF(size()) * ratio).toSize(), QImage::Format_ARGB32_Premultiplied);
    overlay.setDevicePixelRatio(ratio);
    overlay.fill(Qt::transparent);
    {
        QPainter painter(&overlay);
        paintHeatmapDecorations(painter, palette(), *m_data, geometry, m_viewport, m_hoveredToken, m_navigation.band());
    }
    m_overlay = std::make_unique<QOpenGLTexture>(overlay, QOpenGLTexture::DontGenerateMipMaps);
    m_overlay->setMinMagFilters(QOpenGLTexture::Nearest, QOpenGLTexture::Nearest);
    glEnable(GL_BLEND);
    glBlendFunc(GL_SRC_ALPHA, GL_ONE_MINUS_SRC_ALPHA);
    m_blitter->bind();
    const QRect viewport(QPoint(0, 0), overlay.size());
    m_blitter->blit(m_overlay->textureId(), QOpenGLTextureBlitter::targetTransform(QRectF(viewport), viewport),
                   QOpenGLTextureBlitter::OriginTopLeft);
    m_blitter->release();
    glDisable(GL_BLEND);
}

bool HeatmapGlView::event(QEvent* event)
{
    if (m_data && m_navigation.handle(this, *m_data, m_viewport, event)) {
        return true;
    }
    return QOpenGLWidget::event(event);
}

} // namespace attnscope::gui

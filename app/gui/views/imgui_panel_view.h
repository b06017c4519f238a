#pragma once
// The right column under GL: one QOpenGLWidget hosting its own ImGuiContext, drawing the variant
// knobs and the metrics. Context re-creation (stack_notes gotcha 8): the ImGui GL backend is shut
// down in aboutToBeDestroyed and initialised again in initializeGL; the ImGui context lives once.

#include "panels/metrics_panel.h"
#include "panels/variant_panel.h"

#include <QOpenGLFunctions>
#include <QOpenGLWidget>

#include <memory>

struct ImGuiContext;

namespace attnscope::gui {

class ImGuiQtBridge;

class ImGuiPanelView : public QOpenGLWidget, protected QOpenGLFunctions {
    Q_OBJECT
public:
    explicit ImGuiPanelView(QWidget* parent = nullptr);
    ~ImGuiPanelView() override;

    void setState(const PanelState& state);
    /// Light or dark ImGui colours, to match the window's theme.
    void setLightTheme(bool light);
    int framesDrawn() const { return m_frames; }

signals:
    /// What the user asked for in the panels (a knob, the variant list, the sweep button).
    void actionsRequested(const attnscope::gui::PanelActions& actions);

protected:
    void initializeGL() override;
    void paintGL() override;

private:
    void cleanupGL();

    ImGuiContext* m_context = nullptr;
    ImGuiQtBridge* m_bridge = nullptr;
    bool m_backendReady = false;
    PanelState m_state;
    VariantPanel m_variantPanel;
    MetricsPanel m_metricsPanel;
    int m_frames = 0;
    int m_settleFrames = 0;
};

/// Applies attnscope's ImGui style (dark unless `light`) and font to the current context (also used by tests).
void setupImGuiStyle(float devicePixelRatio, bool light = false);

/// Both panels in one full-size window (the body of a frame; also run headless by tests).
PanelActions drawPanels(VariantPanel& variants, MetricsPanel& metrics, const PanelState& state);

} // namespace attnscope::gui

#include "views/imgui_panel_view.h"

#include "imgui_qt/imgui_qt_bridge.h"

#include <imgui.h>
#include <imgui_impl_opengl3.h>

#include <QFile>
#include <QOpenGLContext>
#include <QTimer>

namespace attnscope::gui {

void setupImGuiStyle(float devicePixelRatio, bool light)
{
    if (light) {
        ImGui::StyleColorsLight();
    } else {
        ImGui::StyleColorsDark();
    }
    ImGuiStyle& style = ImGui::GetStyle();
    style.WindowRounding = 0.0f;
    style.FrameRounding = 3.0f;
    style.GrabRounding = 3.0f;
    style.ItemSpacing = ImVec2(8.0f, 6.0f);
    style.Colors[ImGuiCol_WindowBg] = light ? ImVec4(0.96f, 0.96f, 0.97f, 1.0f) : ImVec4(0.14f, 0.14f, 0.15f, 1.0f);
    ImGuiIO& io = ImGui::GetIO();
    io.IniFilename = nullptr;  // layout is ours, nothing to persist from ImGui
    // 1.86 has no DPI support: rasterise at the device pixel ratio and scale back (stack_notes §4).
    static const char* kFont = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
    if (io.Fonts->Fonts.empty()) {
        if (QFile::exists(QString::fromLatin1(kFont))) {
            io.Fonts->AddFontFromFileTTF(kFont, 14.0f * devicePixelRatio);
            io.FontGlobalScale = 1.0f / devicePixelRatio;
        } else {
            io.Fonts->AddFontDefault();
        }
    }
}

PanelActions drawPanels(VariantPanel& variants, MetricsPanel& metrics, const PanelState& state)
{
    const ImGuiIO& io = ImGui::GetIO();
    ImGui::SetNextWindowPos(ImVec2(0, 0));
    ImGui::SetNextWindowSize(io.DisplaySize);
    ImGui::Begin("panels", nullptr,
                 ImGuiWindowFlags_NoTitleBar | ImGuiWindowFlags_NoResize | ImGuiWindowFlags_NoMove |
                     ImGuiWindowFlags_NoCollapse | ImGuiWindowFlags_NoSavedSettings);
    ImGui::PushItemWidth(-90.0f);
    PanelActions actions = variants.draw(state);
    ImGui::Spacing();
    ImGui::Spacing();
    metrics.draw(state, actions);
    ImGui::PopItemWidth();
    if (!state.error.empty()) {
        ImGui::Spacing();
        ImGui::PushTextWrapPos(0.0f);
        ImGui::TextColored(ImVec4(1.0f, 0.45f, 0.4f, 1.0f), "%s", state.error.c_str());
        ImGui::PopTextWrapPos();
    }
    ImGui::End();
    return actions;
}

ImGuiPanelView::ImGuiPanelView(QWidget* parent) : QOpenGLWidget(parent)
{
    ImGuiContext* previous = ImGui::GetCurrentContext();
    m_context = ImGui::CreateContext();
    ImGui::SetCurrentContext(m_context);
    setupImGuiStyle(static_cast<float>(devicePixelRatioF()));
    ImGui::SetCurrentContext(previous);
    m_bridge = new ImGuiQtBridge(this, m_context);
    setMinimumWidth(300);
}

ImGuiPanelView::~ImGuiPanelView()
{
    if (context()) {
        cleanupGL();
    }
    ImGui::DestroyContext(m_context);
}

void ImGuiPanelView::setState(const PanelState& state)
{
    m_state = state;
    m_settleFrames = 2;
    update();
}

void ImGuiPanelView::setLightTheme(bool light)
{
    ImGuiContext* previous = ImGui::GetCurrentContext();
    ImGui::SetCurrentContext(m_context);
    setupImGuiStyle(static_cast<float>(devicePixelRatioF()), light);
    ImGui::SetCurrentContext(previous);
    update();
}

void ImGuiPanelView::initializeGL()
{
    initializeOpenGLFunctions();
    connect(context(), &QOpenGLContext::aboutToBeDestroyed, this, &ImGuiPanelView::cleanupGL, Qt::UniqueConnection);
    ImGui::SetCurrentContext(m_context);
    m_backendReady = ImGui_ImplOpenGL3_Init("#version 330 core");
    if (!m_backendReady) {
        qWarning("attnscope: the ImGui OpenGL 3 backend could not start");
    }
}

void ImGuiPanelView::cleanupGL()
{
    if (!m_backendReady) {
        return;
    }
    makeCurrent();
    ImGui::SetCurrentContext(m_context);
    ImGui_ImplOpenGL3_Shutdown();
    m_backendReady = false;
    doneCurrent();
}

void ImGuiPanelView::paintGL()
{
    glClearColor(0.14f, 0.14f, 0.15f, 1.0f);
    glClear(GL_COLOR_BUFFER_BIT);
    if (!m_backendReady) {
        return;
    }
    ImGui::SetCurrentContext(m_context);
    ImGui_ImplOpenGL3_NewFrame();
    m_bridge->newFrame();
    ImGui::NewFrame();
    const PanelActions actions = drawPanels(m_variantPanel, m_metricsPanel, m_state);
    ImGui::Render();
    ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
    ++m_frames;
    if (actions.variantSpec || actions.addVariant || actions.removeVariant || actions.activeVariant ||
        actions.computeCurves) {
        // Leave paintGL before the selection changes and views repaint.
        QTimer::singleShot(0, this, [this, actions] { emit actionsRequested(actions); });
    }
    // ImGui settles hover/active states one frame after the input that caused them.
    if (ImGui::IsAnyItemActive() || m_settleFrames > 0) {
        m_settleFrames = std::max(0, m_settleFrames - 1);
        update();
    }
}

} // namespace attnscope::gui

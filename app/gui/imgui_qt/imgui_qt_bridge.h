#pragma once
// Our Qt platform bridge for Dear ImGui 1.86 (Debian ships no Qt backend; stack_notes §2): an event
// filter that feeds mouse, wheel, keys, text and focus into one ImGuiContext, plus per-frame display
// size, framebuffer scale and delta time. 1.86 has the legacy input API (io.KeysDown/KeyMap).

#include <QElapsedTimer>
#include <QObject>

struct ImGuiContext;
class QWidget;

namespace attnscope::gui {

class ImGuiQtBridge : public QObject {
    Q_OBJECT
public:
    /// Installs itself on `widget`; `context` receives the input. Neither is owned.
    ImGuiQtBridge(QWidget* widget, ImGuiContext* context);

    /// Call with the context current, before ImGui::NewFrame().
    void newFrame();

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    QWidget* m_widget;
    ImGuiContext* m_context;
    QElapsedTimer m_clock;
    bool m_pressed[3] = {false, false, false};
};

} // namespace attnscope::gui

#include "imgui_qt/imgui_qt_bridge.h"

#include <imgui.h>

#include <QClipboard>
#include <QGuiApplication>
#include <QKeyEvent>
#include <QMouseEvent>
#include <QWheelEvent>
#include <QWidget>

namespace attnscope::gui {

namespace {

// Special keys live above 255 in io.KeysDown; letters use their ASCII codes (ImGui shortcuts).
constexpr int kSpecialBase = 256;
const std::pair<int, ImGuiKey> kSpecialKeys[] = {
    {Qt::Key_Tab, ImGuiKey_Tab},         {Qt::Key_Left, ImGuiKey_LeftArrow},  {Qt::Key_Right, ImGuiKey_RightArrow},
    {Qt::Key_Up, ImGuiKey_UpArrow},      {Qt::Key_Down, ImGuiKey_DownArrow},  {Qt::Key_PageUp, ImGuiKey_PageUp},
    {Qt::Key_PageDown, ImGuiKey_PageDown}, {Qt::Key_Home, ImGuiKey_Home},     {Qt::Key_End, ImGuiKey_End},
    {Qt::Key_Insert, ImGuiKey_Insert},   {Qt::Key_Delete, ImGuiKey_Delete},   {Qt::Key_Backspace, ImGuiKey_Backspace},
    {Qt::Key_Space, ImGuiKey_Space},     {Qt::Key_Return, ImGuiKey_Enter},    {Qt::Key_Enter, ImGuiKey_KeyPadEnter},
    {Qt::Key_Escape, ImGuiKey_Escape},
};
const ImGuiKey kLetterKeys[] = {ImGuiKey_A, ImGuiKey_C, ImGuiKey_V, ImGuiKey_X, ImGuiKey_Y, ImGuiKey_Z};

int keyIndex(int qtKey)
{
    for (std::size_t i = 0; i < std::size(kSpecialKeys); ++i) {
        if (kSpecialKeys[i].first == qtKey) {
            return kSpecialBase + static_cast<int>(i);
        }
    }
    if (qtKey >= Qt::Key_A && qtKey <= Qt::Key_Z) {
        return 'A' + (qtKey - Qt::Key_A);
    }
    return -1;
}

int buttonIndex(Qt::MouseButton button)
{
    switch (button) {
    case Qt::LeftButton: return 0;
    case Qt::RightButton: return 1;
    case Qt::MiddleButton: return 2;
    default: return -1;
    }
}

QByteArray g_clipboard;  // keeps the returned pointer valid until the next call, as ImGui expects

const char* getClipboard(void*)
{
    g_clipboard = QGuiApplication::clipboard()->text().toUtf8();
    return g_clipboard.constData();
}

void setClipboard(void*, const char* text)
{
    QGuiApplication::clipboard()->setText(QString::fromUtf8(text));
}

} // namespace

ImGuiQtBridge::ImGuiQtBridge(QWidget* widget, ImGuiContext* context) : QObject(widget), m_widget(widget), m_context(context)
{
    ImGuiContext* previous = ImGui::GetCurrentContext();
    ImGui::SetCurrentContext(m_context);
    ImGuiIO& io = ImGui::GetIO();
    io.BackendPlatformName = "attnscope_imgui_qt";
    for (std::size_t i = 0; i < std::size(kSpecialKeys); ++i) {
        io.KeyMap[kSpecialKeys[i].second] = kSpecialBase + static_cast<int>(i);
    }
    for (ImGuiKey key : kLetterKeys) {
        io.KeyMap[key] = 'A' + (key - ImGuiKey_A);
    }
    io.GetClipboardTextFn = getClipboard;
    io.SetClipboardTextFn = setClipboard;
    ImGui::SetCurrentContext(previous);
    m_widget->setMouseTracking(true);
    m_widget->setFocusPolicy(Qt::StrongFocus);
    m_widget->installEventFilter(this);
    m_clock.start();
}

void ImGuiQtBridge::newFrame()
{
    ImGuiIO& io = ImGui::GetIO();
    io.DisplaySize = ImVec2(static_cast<float>(m_widget->width()), static_cast<float>(m_widget->height()));
    const float ratio = static_cast<float>(m_widget->devicePixelRatioF());
    io.DisplayFramebufferScale = ImVec2(ratio, ratio);
    const qint64 nanoseconds = m_clock.nsecsElapsed();
    m_clock.restart();
    io.DeltaTime = nanoseconds > 0 ? static_cast<float>(nanoseconds * 1e-9) : 1.0f / 60.0f;
    // A release can happen outside the widget; latch presses and poll the real state.
    const Qt::MouseButtons buttons = QGuiApplication::mouseButtons();
    const Qt::MouseButton order[3] = {Qt::LeftButton, Qt::RightButton, Qt::MiddleButton};
    for (int i = 0; i < 3; ++i) {
        io.MouseDown[i] = m_pressed[i] || buttons.testFlag(order[i]);
        m_pressed[i] = false;
    }
    const Qt::KeyboardModifiers modifiers = QGuiApplication::keyboardModifiers();
    io.KeyCtrl = modifiers.testFlag(Qt::ControlModifier);
    io.KeyShift = modifiers.testFlag(Qt::ShiftModifier);
    io.KeyAlt = modifiers.testFlag(Qt::AltModifier);
    io.KeySuper = modifiers.testFlag(Qt::MetaModifier);
    switch (ImGui::GetMouseCursor()) {
    case ImGuiMouseCursor_TextInput: m_widget->setCursor(Qt::IBeamCursor); break;
    case ImGuiMouseCursor_ResizeEW: m_widget->setCursor(Qt::SizeHorCursor); break;
    case ImGuiMouseCursor_Hand: m_widget->setCursor(Qt::PointingHandCursor); break;
    default: m_widget->setCursor(Qt::ArrowCursor); break;
    }
}

bool ImGuiQtBridge::eventFilter(QObject* watched, QEvent* event)
{
    if (watched != m_widget) {
        return false;
    }
    ImGuiContext* previous = ImGui::GetCurrentContext();
    ImGui::SetCurrentContext(m_context);
    ImGuiIO& io = ImGui::GetIO();
    bool handled = false;
    switch (event->type()) {
    case QEvent::MouseMove:
    case QEvent::MouseButtonPress:
    case QEvent::MouseButtonRelease:
    case QEvent::MouseButtonDblClick: {
        auto* mouse = static_cast<QMouseEvent*>(event);
        io.MousePos = ImVec2(static_cast<float>(mouse->position().x()), static_cast<float>(mouse->position().y()));
        const int index = buttonIndex(mouse->button());
        if (index >= 0 && event->type() != QEvent::MouseButtonRelease) {
            m_pressed[index] = true;
        }
        handled = io.WantCaptureMouse;
        break;
    }
    case QEvent::Leave:
        io.MousePos = ImVec2(-FLT_MAX, -FLT_MAX);
        break;
    case QEvent::Wheel: {
        auto* wheel = static_cast<QWheelEvent*>(event);
        io.MouseWheel += static_cast<float>(wheel->angleDelta().y()) / 120.0f;
        io.MouseWheelH += static_cast<float>(wheel->angleDelta().x()) / 120.0f;
        handled = io.WantCaptureMouse;
        break;
    }
    case QEvent::KeyPress:
    case QEvent::KeyRelease: {
        auto* key = static_cast<QKeyEvent*>(event);
        const int index = keyIndex(key->key());
        if (index >= 0) {
            io.KeysDown[index] = event->type() == QEvent::KeyPress;
        }
        if (event->type() == QEvent::KeyPress && !key->text().isEmpty() && key->text().at(0).isPrint()) {
            io.AddInputCharactersUTF8(key->text().toUtf8().constData());
        }
        handled = io.WantCaptureKeyboard;
        break;
    }
    case QEvent::FocusIn:
    case QEvent::FocusOut:
        io.AddFocusEvent(event->type() == QEvent::FocusIn);
        break;
    default:
        ImGui::SetCurrentContext(previous);
        return false;
    }
    ImGui::SetCurrentContext(previous);
    m_widget->update();  // ImGui only reacts to input in the next frame
    return handled;
}

} // namespace attnscope::gui

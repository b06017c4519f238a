// The GL path under Xvfb + Mesa (label "gl", run through xvfb-run): the window with GL heatmaps and
// the ImGui panel renders a picture that is not blank, and a heatmap survives the context
// re-creation that re-parenting causes (stack_notes gotcha 8).

#include "main_window.h"
#include "selection_model.h"
#include "views/compare_view.h"
#include "views/heatmap_gl_view.h"
#include "views/imgui_panel_view.h"

#include <gtest/gtest.h>

#include <QApplication>
#include <QDir>
#include <QFile>
#include <QMouseEvent>
#include <QSurfaceFormat>

#include <set>

using namespace attnscope::gui;

namespace {

QApplication& application()
{
    static int argc = 1;
    static char name[] = "tst_gl_views";
    static char* argv[] = {name, nullptr};
    // Never destroyed: a static QApplication torn down by exit handlers crashes in Qt's own cleanup.
    static QApplication* app = [] {
        QSurfaceFormat format;
        format.setVersion(3, 3);
        format.setProfile(QSurfaceFormat::CoreProfile);
        QSurfaceFormat::setDefaultFormat(format);
        return new QApplication(argc, argv);
    }();
    return *app;
}

int distinctColours(const QImage& image)
{
    std::set<QRgb> colours;
    const QImage rgb = image.convertToFormat(QImage::Format_RGB32);
    for (int y = 0; y < rgb.height(); y += 2) {
        for (int x = 0; x < rgb.width(); x += 2) {
            colours.insert(rgb.pixel(x, y));
        }
    }
    return static_cast<int>(colours.size());
}

} // namespace

TEST(GlViews, WindowRendersNonBlankPicturesAndSurvivesContextRecreation)
{
    application();
    const QString model = QStringLiteral(ATTNSCOPE_SHARED_MODELS "/stories260K/hf");
    if (!QFile::exists(model + QStringLiteral("/config.json"))) {
        FAIL() << "stories260K not found (../shared/models must sit beside the repository)";
    }
    ASSERT_TRUE(openGlAvailable()) << "no GL context on platform " << QGuiApplication::platformName().toStdString()
                                   << " (run under xvfb-run with Mesa)";
    MainWindowOptions options;
    options.modelPath = model;
    options.text = QStringLiteral("Once upon a time there was a little cat. The little cat");
    options.useGl = true;
    MainWindow window(options);
    window.resize(1400, 900);
    window.show();
    ASSERT_TRUE(waitUntil([&] { return window.isIdle() || !window.errorText().isEmpty(); }, 60000));
    ASSERT_TRUE(window.errorText().isEmpty()) << window.errorText().toStdString();
    waitUntil([] { return false; }, 500);

    const QImage shot = window.grab().toImage();
    const QString dir = QStringLiteral(ATTNSCOPE_BINARY_DIR "/test-artifacts");
    QDir().mkpath(dir);
    ASSERT_TRUE(shot.save(dir + QStringLiteral("/gl_main_window.png")));
    EXPECT_GT(distinctColours(shot), 200) << "the window grab looks blank";

    auto* dense = dynamic_cast<HeatmapGlView*>(window.compareView()->heatmap(0));
    ASSERT_NE(dense, nullptr) << "GL was available but the compare view is not on GL";
    const QImage denseFrame = dense->grabFramebuffer();
    EXPECT_GT(distinctColours(denseFrame), 20) << "the dense heatmap framebuffer looks blank";
    auto* panel = window.findChild<ImGuiPanelView*>();
    ASSERT_NE(panel, nullptr);
    EXPECT_GT(panel->framesDrawn(), 0);
    EXPECT_GT(distinctColours(panel->grabFramebuffer()), 10) << "the ImGui panel looks blank";

    // Moving a GL widget to another top-level window gives it a new context.
    const int before = dense->initializeCount();
    QWidget floating;
    floating.resize(400, 400);
    dense->setParent(&floating);
    dense->resize(400, 400);
    floating.show();
    dense->show();
    waitUntil([] { return false; }, 300);
    const QImage again = dense->grabFramebuffer();
    EXPECT_GT(dense->initializeCount(), before);
    EXPECT_GT(distinctColours(again), 20) << "blank after context re-creation";
}

TEST(GlViews, MouseClicksReachImGuiKnobsThroughTheQtBridge)
{
    application();
    const QString model = QStringLiteral(ATTNSCOPE_SHARED_MODELS "/stories260K/hf");
    if (!QFile::exists(model + QStringLiteral("/config.json"))) {
        FAIL() << "stories260K not found (../shared/models must sit beside the repository)";
    }
    ASSERT_TRUE(openGlAvailable());
    MainWindowOptions options;
    options.modelPath = model;
    options.text = QStringLiteral("Once upon a time there was a little cat.");
    options.useGl = true;
    MainWindow window(options);
    window.resize(1400, 900);
    window.show();
    ASSERT_TRUE(waitUntil([&] { return window.isIdle() || !window.errorText().isEmpty(); }, 60000));
    auto* panel = window.findChild<ImGuiPanelView*>();
    ASSERT_NE(panel, nullptr);

    // Click down the knob column until a control takes the click (kind combo, k slider, ...): the
    // event reaches ImGui through the bridge, the panel emits an intent, the selection changes.
    const QString before = window.selection().variantSpec();
    auto send = [&](QEvent::Type type, QPointF position, Qt::MouseButtons buttons) {
        QMouseEvent event(type, position, panel->mapToGlobal(position), Qt::LeftButton, buttons, Qt::NoModifier);
        QApplication::sendEvent(panel, &event);
        waitUntil([] { return false; }, 40);
    };
    for (int y = 40; y < 220 && window.selection().variantSpec() == before; y += 8) {
        const QPointF position(panel->width() * 0.45, y);
        send(QEvent::MouseMove, position, Qt::NoButton);
        send(QEvent::MouseButtonPress, position, Qt::LeftButton);
        send(QEvent::MouseButtonRelease, position, Qt::NoButton);
    }
    EXPECT_NE(window.selection().variantSpec(), before) << "no ImGui control reacted to a click";
    EXPECT_TRUE(waitUntil([&] { return window.isIdle(); }, 60000));
    EXPECT_TRUE(window.errorText().isEmpty()) << window.errorText().toStdString();
}

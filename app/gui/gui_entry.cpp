#include "gui_entry.h"

#include "main_window.h"
#include "workbench_settings.h"

#include "attnscope/workspace.h"

#include <QApplication>
#include <QFile>
#include <QSurfaceFormat>

#include <cstdio>
#include <cstdlib>

namespace attnscope::gui {

namespace {

// Short enough that token labels fit on the axes, with a repeated phrase so induction heads show.
const char* const kBuiltInSample =
    "Once upon a time, there was a little girl named Lily. She loved her cat. One day, Lily and her cat went to the park.";

QString defaultText()
{
    const std::string demo = findDemoModel();
    if (!demo.empty()) {
        for (const char* name : {"short.txt", "induction.txt"}) {
            QFile file(QString::fromStdString(demo) + QStringLiteral("/../../samples/") + QLatin1String(name));
            if (file.open(QIODevice::ReadOnly | QIODevice::Text)) {
                const QString text = QString::fromUtf8(file.readAll()).trimmed();
                if (!text.isEmpty()) {
                    return text;
                }
            }
        }
    }
    return QString::fromLatin1(kBuiltInSample);
}

} // namespace

bool displayAvailable()
{
    return !qEnvironmentVariableIsEmpty("DISPLAY") || !qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY");
}

int runGui(const LaunchOptions& options)
{
    // Core 3.3 for our shaders and ImGui's GL3 backend; set before the first context exists.
    QSurfaceFormat format;
    format.setVersion(3, 3);
    format.setProfile(QSurfaceFormat::CoreProfile);
    QSurfaceFormat::setDefaultFormat(format);

    static int argc = 1;
    static char name[] = "attnscope";
    static char* argv[] = {name, nullptr};
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("attnscope"));
    applyTheme(options.screenshotPath.empty() ? WorkbenchSettings().theme() : Theme::Dark);

    MainWindowOptions windowOptions;
    windowOptions.modelPath = QString::fromStdString(options.modelPath.empty() ? std::string("demo") : options.modelPath);
    windowOptions.text = options.text.empty() ? defaultText() : QString::fromStdString(options.text);
    if (!options.variantSpec.empty()) {
        windowOptions.variantSpec = QString::fromStdString(options.variantSpec);
    }
    for (const std::string& spec : options.moreVariants) {
        windowOptions.moreVariants << QString::fromStdString(spec);
    }
    // A screenshot shows the defaults, not this user's saved layout.
    windowOptions.restoreLayout = options.screenshotPath.empty();
    windowOptions.layer = options.layer;
    windowOptions.head = options.head;
    windowOptions.useGl = openGlAvailable();
    if (!windowOptions.useGl) {
        std::fprintf(stderr, "attnscope: no OpenGL context on platform \"%s\"; drawing without GL\n",
                     qPrintable(QGuiApplication::platformName()));
    }
    MainWindow window(windowOptions);
    window.resize(options.width, options.height);
    window.show();

    if (!options.screenshotPath.empty()) {
        const bool ready = waitUntil([&] { return window.isIdle() || !window.errorText().isEmpty(); }, 120000);
        waitUntil([] { return false; }, 600);  // a few more frames for the GL views and ImGui
        const QString path = QString::fromStdString(options.screenshotPath);
        if (!window.grab().save(path)) {
            std::fprintf(stderr, "attnscope: error: could not write %s\n", options.screenshotPath.c_str());
            return 1;
        }
        if (!ready || !window.errorText().isEmpty()) {
            std::fprintf(stderr, "attnscope: error: %s\n",
                         ready ? qPrintable(window.errorText()) : "timed out waiting for the first results");
            return 1;
        }
        std::printf("%s\n", options.screenshotPath.c_str());
        return 0;
    }
    return QApplication::exec();
}

} // namespace attnscope::gui

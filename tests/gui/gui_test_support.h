#pragma once
// Shared by the offscreen GUI tests: one QApplication for the process (settings in a temporary
// folder) and the real model they open.

#include "main_window.h"

#include <gtest/gtest.h>

#include <QApplication>
#include <QFile>
#include <QSettings>
#include <QString>
#include <QTemporaryDir>

namespace attnscope::gui::test {

/// A folder for the tests' QSettings, alive for the whole process.
inline QString settingsFolder()
{
    static QTemporaryDir folder;
    return folder.path();
}

inline QApplication& application()
{
    static int argc = 1;
    static char name[] = "attnscope_gui_test";
    static char* argv[] = {name, nullptr};
    // Never destroyed: a static QApplication torn down by exit handlers crashes in Qt's own cleanup.
    static QApplication* app = new QApplication(argc, argv);
    // The workbench writes recent files and its layout to QSettings: keep tests off the user's file.
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, settingsFolder());
    return *app;
}

/// stories260K in the HF layout (5 layers × 8 heads), beside the repository.
inline QString modelPath()
{
    return QStringLiteral(ATTNSCOPE_SHARED_MODELS "/stories260K/hf");
}

/// A test on the real model: fails (never skips) when ../shared/models is missing.
class RealModelTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        application();
        if (!QFile::exists(modelPath() + QStringLiteral("/config.json"))) {
            FAIL() << "stories260K not found under " ATTNSCOPE_SHARED_MODELS;
        }
    }

    /// Results shown, or an error in the status area.
    static bool settled(const MainWindow& window) { return window.isIdle() || !window.errorText().isEmpty(); }
};

} // namespace attnscope::gui::test

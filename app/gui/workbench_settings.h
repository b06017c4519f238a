#pragma once
// What the workbench remembers between runs (QSettings, INI format): recent models, the window's
// geometry and dock/splitter layout, the theme and the compare view's colour options. One INI file,
// attnscope/workbench.ini under the user's config folder (QSettings::setPath moves it; tests point
// it at a temporary folder).

#include "views/compare_view.h"

#include <QByteArray>
#include <QList>
#include <QSettings>
#include <QStringList>

namespace attnscope::gui {

enum class Theme { Dark, Light };

class WorkbenchSettings {
public:
    WorkbenchSettings();

    /// Most recent first, at most kMaxRecent, no duplicates.
    static constexpr int kMaxRecent = 8;
    QStringList recentModels() const;
    void addRecentModel(const QString& path);

    Theme theme() const;
    void setTheme(Theme theme);

    CompareColorOptions colorOptions() const;
    void setColorOptions(const CompareColorOptions& options);

    /// QMainWindow::saveGeometry / saveState and QSplitter::saveState blobs ("" when never saved).
    QByteArray windowGeometry() const;
    QByteArray windowState() const;
    QList<QByteArray> splitterStates() const;
    void setWindowLayout(const QByteArray& geometry, const QByteArray& state, const QList<QByteArray>& splitters);

    /// Writes pending changes; true when the file is written.
    bool sync();
    QString fileName() const { return m_settings.fileName(); }

private:
    QSettings m_settings;
};

/// Applies the Fusion style with attnscope's dark or light palette to the whole application.
void applyTheme(Theme theme);

} // namespace attnscope::gui

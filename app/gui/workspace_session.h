#pragma once
// Saved workspaces in the window (issue #8): File → Save/Open workspace writes and reads the core's
// workspace JSON (attnscope/workspace_file.h) from the selection (model path, text, layer/head,
// variants) and the compare view's colour options; a recovery copy is written every minute while
// the state changes and removed on a clean close, so a crash loses at most a minute; the last
// workspaces are remembered. It edits only the selection and the view options; the window's usual
// signals then recompute, as for any other change.

#include "attnscope/workspace_file.h"

#include <QObject>
#include <QString>
#include <QStringList>
#include <QTimer>

class QMenu;
class QWidget;

namespace attnscope::gui {

class CompareView;
class ComputeService;
class SelectionModel;

class WorkspaceSession : public QObject {
    Q_OBJECT
public:
    static constexpr int kAutosaveMs = 60'000;
    static constexpr int kMaxRecent = 8;

    WorkspaceSession(SelectionModel& selection, CompareView& compare, ComputeService& compute, QWidget* window);

    /// What would be saved now.
    WorkspaceState currentState() const;
    /// Shows a state: opens its model if it differs from the current one (the layer and head are
    /// applied once that model's shape is known), then text, variants and view options.
    void applyState(const WorkspaceState& state);

    /// Save/open; return "" on success, else the message to show. Both remember the path.
    QString saveTo(const QString& path);
    QString openFrom(const QString& path);

    /// File menu entries: Save workspace, Save workspace as…, Open workspace…, Open recent workspace,
    /// Recover the last session (enabled when a recovery copy exists).
    void addMenuActions(QMenu* file);

    /// Where the recovery copy lives (the user's app-data folder; tests use QStandardPaths' test mode).
    static QString recoveryPath();
    /// Writes the recovery copy when the state changed since the last one; "" or the error.
    QString writeRecovery();
    /// Removes the recovery copy (a clean close).
    void discardRecovery();

    QStringList recentWorkspaces() const;
    QString currentPath() const { return m_path; }

signals:
    void errorOccurred(const QString& message);
    void statusMessage(const QString& message);

private:
    void rememberRecent(const QString& path);
    void rebuildRecentMenu();

    SelectionModel& m_selection;
    CompareView& m_compare;
    QWidget* m_window = nullptr;
    QString m_path;
    std::string m_lastRecovery;  // the text last written to the recovery copy
    QTimer m_autosave;
    QMenu* m_recentMenu = nullptr;
    int m_pendingLayer = -1;
    int m_pendingHead = -1;
};

} // namespace attnscope::gui

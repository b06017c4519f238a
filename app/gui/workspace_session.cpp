#include "workspace_session.h"

#include "compute_service.h"
#include "selection_model.h"
#include "views/compare_view.h"

#include "attnscope/figure_model.h"

#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QMenu>
#include <QSettings>
#include <QStandardPaths>

namespace attnscope::gui {

namespace {

constexpr const char* kRecentKey = "workspaces/recent";

// The compare view's ColorScale lists the same scales in the same order as core's ColourScale.
static_assert(static_cast<int>(ColorScale::Linear) == static_cast<int>(ColourScale::Linear) &&
              static_cast<int>(ColorScale::Sqrt) == static_cast<int>(ColourScale::Sqrt) &&
              static_cast<int>(ColorScale::Log) == static_cast<int>(ColourScale::Log));

const QString kFilter = QStringLiteral("attnscope workspace (*.attnscope.json *.json)");

/// attnscope/workspaces.ini beside the workbench's settings (QSettings::setPath moves both).
QSettings recentSettings()
{
    return QSettings(QSettings::IniFormat, QSettings::UserScope, QStringLiteral("attnscope"), QStringLiteral("workspaces"));
}

} // namespace

WorkspaceSession::WorkspaceSession(SelectionModel& selection, CompareView& compare, ComputeService& compute, QWidget* window)
    : QObject(window), m_selection(selection), m_compare(compare), m_window(window)
{
    // Queued: runs after the window's own (direct) handler has set the new model's shape.
    connect(&compute, &ComputeService::modelLoaded, this, [this] {
        if (m_pendingLayer >= 0) {
            m_selection.setHead(m_pendingLayer, m_pendingHead);
            m_pendingLayer = m_pendingHead = -1;
        }
    }, Qt::QueuedConnection);
    m_autosave.setInterval(kAutosaveMs);
    connect(&m_autosave, &QTimer::timeout, this, [this] {
        if (const QString error = writeRecovery(); !error.isEmpty()) {
            emit errorOccurred(error);
        }
    });
    m_autosave.start();
}

WorkspaceState WorkspaceSession::currentState() const
{
    WorkspaceState state;
    state.modelPath = m_selection.modelPath().toStdString();
    state.text = m_selection.text().toStdString();
    state.layer = m_pendingLayer >= 0 ? m_pendingLayer : m_selection.layer();
    state.head = m_pendingLayer >= 0 ? m_pendingHead : m_selection.head();
    for (const QString& spec : m_selection.variantSpecs()) {
        state.variants.push_back(spec.toStdString());
    }
    state.activeVariant = state.variants.empty() ? 0 : m_selection.activeVariant();
    const CompareColorOptions options = m_compare.colorOptions();
    state.view["colour_scale"] = colourScaleName(static_cast<ColourScale>(options.scale));
    state.view["colormap"] = options.colormap.toStdString();
    state.view["row_normalised"] = options.rowNormalised ? "true" : "false";
    state.view["pooling"] = options.pooling == Pooling::Sum ? "sum" : "peak";
    return state;
}

void WorkspaceSession::applyState(const WorkspaceState& state)
{
    CompareColorOptions options = m_compare.colorOptions();
    auto view = [&](const char* name) -> const std::string* {
        const auto found = state.view.find(name);
        return found == state.view.end() ? nullptr : &found->second;
    };
    if (const std::string* scale = view("colour_scale"); scale != nullptr && parseColourScale(*scale).ok()) {
        options.scale = static_cast<ColorScale>(parseColourScale(*scale).value());
    }
    if (const std::string* colormap = view("colormap")) {
        options.colormap = QString::fromStdString(*colormap);
    }
    if (const std::string* rows = view("row_normalised")) {
        options.rowNormalised = *rows == "true";
    }
    if (const std::string* pooling = view("pooling")) {
        options.pooling = *pooling == "sum" ? Pooling::Sum : Pooling::Peak;
    }
    m_compare.setColorOptions(options);
    QStringList specs;
    for (const std::string& spec : state.variants) {
        specs << QString::fromStdString(spec);
    }
    if (!specs.isEmpty()) {
        m_selection.setVariantSpecs(specs);
        m_selection.setActiveVariant(state.activeVariant);
    }
    m_selection.setText(QString::fromStdString(state.text));
    const QString model = QString::fromStdString(state.modelPath);
    if (model != m_selection.modelPath() || m_selection.layerCount() == 0) {
        m_pendingLayer = state.layer;
        m_pendingHead = state.head;
        m_selection.setModelPath(model);
    } else {
        m_selection.setHead(state.layer, state.head);
    }
}

QString WorkspaceSession::saveTo(const QString& path)
{
    const WorkspaceState state = currentState();
    if (auto saved = saveWorkspaceFile(path.toStdString(), state); !saved) {
        return QString::fromStdString(saved.error().describe());
    }
    m_path = path;
    rememberRecent(path);
    emit statusMessage(tr("saved workspace %1").arg(QFileInfo(path).fileName()));
    return {};
}

QString WorkspaceSession::openFrom(const QString& path)
{
    auto state = loadWorkspaceFile(path.toStdString());
    if (!state) {
        return QString::fromStdString(state.error().describe());
    }
    applyState(state.value());
    m_path = path;
    rememberRecent(path);
    emit statusMessage(tr("opened workspace %1").arg(QFileInfo(path).fileName()));
    return {};
}

void WorkspaceSession::addMenuActions(QMenu* file)
{
    auto report = [this](const QString& error) {
        if (!error.isEmpty()) {
            emit errorOccurred(error);
        }
    };
    auto saveAs = [this, report] {
        const QString path = QFileDialog::getSaveFileName(m_window, tr("Save workspace"), m_path, kFilter);
        if (!path.isEmpty()) {
            report(saveTo(path.endsWith(QLatin1String(".json")) ? path : path + QStringLiteral(".attnscope.json")));
        }
    };
    file->addAction(tr("&Save workspace"), QKeySequence::Save, this, [this, report, saveAs] {
        if (m_path.isEmpty()) {
            saveAs();
        } else {
            report(saveTo(m_path));
        }
    });
    file->addAction(tr("Save workspace &as…"), QKeySequence::SaveAs, this, saveAs);
    file->addAction(tr("Open &workspace…"), this, [this, report] {
        const QString path = QFileDialog::getOpenFileName(m_window, tr("Open workspace"), m_path, kFilter);
        if (!path.isEmpty()) {
            report(openFrom(path));
        }
    });
    m_recentMenu = file->addMenu(tr("Open recent wor&kspace"));
    connect(m_recentMenu, &QMenu::aboutToShow, this, &WorkspaceSession::rebuildRecentMenu);
    rebuildRecentMenu();
    QAction* recover = file->addAction(tr("Recover the last session"), this, [this, report] {
        auto state = loadWorkspaceFile(recoveryPath().toStdString());
        if (!state) {
            report(QString::fromStdString(state.error().describe()));
            return;
        }
        applyState(state.value());
        emit statusMessage(tr("recovered the last session"));
    });
    // A recovery copy at start-up means the previous session did not close cleanly.
    recover->setEnabled(QFile::exists(recoveryPath()));
}

QString WorkspaceSession::recoveryPath()
{
    return QStandardPaths::writableLocation(QStandardPaths::AppLocalDataLocation) + QStringLiteral("/recovery.attnscope.json");
}

QString WorkspaceSession::writeRecovery()
{
    const WorkspaceState state = currentState();
    const std::string text = serializeWorkspaceJson(state);
    if (text == m_lastRecovery) {
        return {};
    }
    const QString path = recoveryPath();
    if (!QDir().mkpath(QFileInfo(path).absolutePath())) {
        return tr("cannot create %1 for the recovery copy").arg(QFileInfo(path).absolutePath());
    }
    if (auto saved = saveWorkspaceFile(path.toStdString(), state); !saved) {
        return QString::fromStdString(saved.error().describe());
    }
    m_lastRecovery = text;
    return {};
}

void WorkspaceSession::discardRecovery()
{
    m_autosave.stop();
    QFile::remove(recoveryPath());
}

QStringList WorkspaceSession::recentWorkspaces() const
{
    return recentSettings().value(QLatin1String(kRecentKey)).toStringList();
}

void WorkspaceSession::rememberRecent(const QString& path)
{
    const QString absolute = QFileInfo(path).absoluteFilePath();
    QStringList recent = recentWorkspaces();
    recent.removeAll(absolute);
    recent.prepend(absolute);
    QSettings settings = recentSettings();
    settings.setValue(QLatin1String(kRecentKey), recent.mid(0, kMaxRecent));
}

void WorkspaceSession::rebuildRecentMenu()
{
    if (m_recentMenu == nullptr) {
        return;
    }
    m_recentMenu->clear();
    const QStringList recent = recentWorkspaces();
    for (const QString& path : recent) {
        m_recentMenu->addAction(QFileInfo(path).fileName(), this, [this, path] {
            if (const QString error = openFrom(path); !error.isEmpty()) {
                emit errorOccurred(error);
            }
        })->setToolTip(path);
    }
    m_recentMenu->setEnabled(!recent.isEmpty());
}

} // namespace attnscope::gui

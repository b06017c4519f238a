#include "figure_export_controller.h"

#include "main_window.h"
#include "model_fingerprints.h"
#include "views/rollout_view.h"

#include <QKeySequence>
#include <QMenu>

namespace attnscope::gui {

namespace {

/// Long enough for a model of tens of GB on a slow disk; the window keeps running meanwhile.
constexpr int kFingerprintWaitMs = 30 * 60 * 1000;

QString dialogTitle(ExportedView view)
{
    switch (view) {
    case ExportedView::Compare: return QObject::tr("Export the compare view");
    case ExportedView::HeadGrid: return QObject::tr("Export the head grid");
    case ExportedView::Rollout: return QObject::tr("Export the rollout");
    case ExportedView::Curves: return QObject::tr("Export the metric curves");
    case ExportedView::Structure: return QObject::tr("Export the structure panels");
    case ExportedView::TokenLines: return QObject::tr("Export the token lines");
    case ExportedView::Graph: return QObject::tr("Export the graph of kept edges");
    case ExportedView::Embedding: return QObject::tr("Export the Q/K embedding");
    }
    return {};
}

/// Why `view` has nothing to export yet, or "" when it has a result.
QString nothingYet(ExportedView view, const ExportableState& state)
{
    switch (view) {
    case ExportedView::Compare:
        return state.comparison ? QString() : QObject::tr("nothing to export yet: wait for the first result");
    case ExportedView::HeadGrid:
        return state.grid && !state.grid->scores.empty() ? QString() : QObject::tr("the head grid has no result yet: wait for it");
    case ExportedView::Rollout:
        return state.rollout ? QString() : QObject::tr("no rollout yet: show the Rollout tab and wait for its result");
    case ExportedView::Curves:
        return state.curves && !state.curves->curves.empty()
                   ? QString() : QObject::tr("no curves yet: run View → Sweep budgets + perplexity first");
    case ExportedView::Structure:
        return state.structure ? QString() : QObject::tr("no structure yet: show the Structure tab and wait for its result");
    case ExportedView::TokenLines:
        return state.lines ? QString() : QObject::tr("no token lines yet: show the Token lines tab and wait for its result");
    case ExportedView::Graph:
        return state.graph ? QString() : QObject::tr("no graph yet: show the Graph tab and wait for its result");
    case ExportedView::Embedding:
        return state.embedding ? QString()
                               : QObject::tr("no embedding yet: show the Q/K embedding tab and wait for its result");
    }
    return {};
}

} // namespace

FigureExportController::FigureExportController(std::function<ExportableState()> state, QWidget* window)
    : QObject(window), m_state(std::move(state)), m_window(window), m_fingerprints(new ModelFingerprints(this))
{
    connect(m_fingerprints, &ModelFingerprints::progress, this, [this](const QString& path, double fraction) {
        if (m_pending) {
            emit statusMessage(tr("hashing %1 for the figure's provenance: %2%").arg(path).arg(static_cast<int>(fraction * 100.0)));
        }
    });
    connect(m_fingerprints, &ModelFingerprints::finished, this, [this] { finishPending(); });
}

FigureExportController::~FigureExportController() = default;

void FigureExportController::modelOpened(const std::string& modelPath)
{
    m_fingerprints->request(modelPath);
}

void FigureExportController::addMenuActions(QMenu* file)
{
    QMenu* menu = file->addMenu(tr("&Export figure"));
    menu->addAction(tr("&Compare view…"), QKeySequence(Qt::CTRL | Qt::Key_E), this,
                    [this] { exportWithDialog(ExportedView::Compare); });
    menu->addAction(tr("&Head grid…"), this, [this] { exportWithDialog(ExportedView::HeadGrid); });
    menu->addAction(tr("&Rollout…"), this, [this] { exportWithDialog(ExportedView::Rollout); });
    menu->addAction(tr("Metric c&urves…"), this, [this] { exportWithDialog(ExportedView::Curves); });
    menu->addAction(tr("&Structure…"), this, [this] { exportWithDialog(ExportedView::Structure); });
    menu->addAction(tr("&Token lines…"), this, [this] { exportWithDialog(ExportedView::TokenLines); });
    menu->addAction(tr("&Graph…"), this, [this] { exportWithDialog(ExportedView::Graph); });
    menu->addAction(tr("Q/K &embedding…"), this, [this] { exportWithDialog(ExportedView::Embedding); });
}

QString FigureExportController::write(const PendingExport& pending, const std::string& modelHash) const
{
    const ExportableState& state = pending.state;
    FigureSource source = state.source;
    source.modelHash = modelHash;
    Result<void> written;
    switch (pending.view) {
    case ExportedView::Compare: {
        FigureScene scene;
        static_cast<FigureSource&>(scene) = source;
        if (state.ids != state.comparison->ids) {
            scene.pieces.clear();  // the text changed since: no labels rather than wrong ones
        }
        scene.dense = &state.comparison->dense;
        for (const VariantHead& variant : state.comparison->variants) {
            scene.variants.push_back(&variant.effective);
        }
        scene.activeVariant = state.activeVariant;
        written = exportSceneFigure(scene, pending.path, pending.options, false);
        break;
    }
    case ExportedView::HeadGrid:
        written = exportHeadGridFigure(*state.grid, state.gridMetric, source, pending.path, pending.options);
        break;
    case ExportedView::Rollout:
        if (state.ids.size() != static_cast<std::size_t>(state.rollout->dense.nTokens)) {
            source.pieces.clear();
        }
        written = exportRolloutFigure(state.rollout->dense, state.rollout->variant, source, pending.path, pending.options);
        break;
    case ExportedView::Curves:
        written = exportCurvesFigure(*state.curves, source, pending.path, pending.options);
        break;
    case ExportedView::Structure:
        if (state.ids.size() != static_cast<std::size_t>(state.structure->nTokens)) {
            source.pieces.clear();
        }
        written = exportStructureFigure(*state.structure, source, pending.path, pending.options);
        break;
    case ExportedView::TokenLines:
        if (state.ids.size() != static_cast<std::size_t>(state.lines->dense.nTokens)) {
            source.pieces.clear();
        }
        written = exportTokenLinesFigure(state.lines->dense, state.lines->effective, source, pending.path, pending.options);
        break;
    case ExportedView::Graph:
        if (state.ids.size() != static_cast<std::size_t>(state.graph->nTokens)) {
            source.pieces.clear();
        }
        written = exportGraphFigure(*state.graph, source, pending.path, pending.options);
        break;
    case ExportedView::Embedding:
        written = exportEmbeddingFigure(*state.embedding, state.embeddingStyle, source, pending.path, pending.options);
        break;
    }
    return written ? QString() : QString::fromStdString(written.error().describe());
}

QString FigureExportController::exportTo(ExportedView view, const QString& path)
{
    const ExportableState state = m_state();
    if (const QString missing = nothingYet(view, state); !missing.isEmpty()) {
        return missing;
    }
    auto options = windowFigureOptions(path.toStdString());
    if (!options) {
        return QString::fromStdString(options.error().describe());
    }
    m_fingerprints->request(state.source.modelPath);
    // The event loop keeps running while the hash finishes on its thread.
    waitUntil([&] { return m_fingerprints->result(state.source.modelPath).has_value(); }, kFingerprintWaitMs);
    const auto hash = m_fingerprints->result(state.source.modelPath);
    if (!hash) {
        return tr("the model's fingerprint took too long");
    }
    if (!hash->ok()) {
        return QString::fromStdString(hash->error().describe());
    }
    return write({view, state, path.toStdString(), options.value()}, hash->value());
}

void FigureExportController::exportWithDialog(ExportedView view)
{
    ExportableState state = m_state();
    if (const QString missing = nothingYet(view, state); !missing.isEmpty()) {
        emit errorOccurred(missing);
        return;
    }
    figure::FigureOutputOptions options;
    const QString path = askFigurePath(m_window, dialogTitle(view), options);
    if (path.isEmpty()) {
        return;
    }
    // A newer export replaces one still waiting: the user asked for the newer one last.
    m_pending = PendingExport{view, std::move(state), path.toStdString(), options};
    m_fingerprints->request(m_pending->state.source.modelPath);
    if (!m_fingerprints->result(m_pending->state.source.modelPath)) {
        emit statusMessage(tr("hashing the model for the figure's provenance…"));
        return;
    }
    finishPending();
}

void FigureExportController::finishPending()
{
    if (!m_pending) {
        return;
    }
    const auto hash = m_fingerprints->result(m_pending->state.source.modelPath);
    if (!hash) {
        return;  // another model's hash finished; this one is still running
    }
    const PendingExport pending = std::move(*m_pending);
    m_pending.reset();
    const QString error = hash->ok() ? write(pending, hash->value()) : QString::fromStdString(hash->error().describe());
    if (error.isEmpty()) {
        emit statusMessage(tr("exported %1").arg(QString::fromStdString(pending.path)));
    } else {
        emit errorOccurred(error);
    }
    emit exportFinished(error);
}

} // namespace attnscope::gui

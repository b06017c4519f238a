#pragma once
// The window's File → Export entries, one per view (issue #8: every view exports): the compare
// view, the head grid, the rollout, structure, token-lines, graph and Q/K embedding tabs and the metrics curves. Each writes what the view shows
// through figure_export_action (the code `attnscope export --view …` uses). The model fingerprint
// the provenance needs is hashed by ModelFingerprints on a background thread; an export asked for
// before it is known waits for it without blocking the window, with the progress in the status bar.

#include "compute_results.h"
#include "figure_export_action.h"

#include <QObject>
#include <QString>

#include <functional>
#include <memory>
#include <optional>

class QMenu;
class QWidget;

namespace attnscope::gui {

class ModelFingerprints;
struct RolloutPair;

/// The views that export a figure.
enum class ExportedView { Compare, HeadGrid, Rollout, Curves, Structure, TokenLines, Graph, Embedding };

/// The token-lines tab's two maps of one head, in core types.
struct TokenLinesMaps {
    HeadAttention dense;
    HeadAttention effective;
};

/// What the views show at the moment of an export, kept alive while the export waits.
struct ExportableState {
    FigureSource source;  ///< without the model hash (the controller adds it)
    std::vector<std::int32_t> ids;  ///< the token ids `source.pieces` belong to
    std::shared_ptr<const HeadComparison> comparison;
    int activeVariant = 0;
    std::shared_ptr<const HeadGrid> grid;
    HeadGridMetric gridMetric = HeadGridMetric::Recall;
    std::shared_ptr<const RolloutPair> rollout;
    std::shared_ptr<const VariantCurves> curves;
    std::shared_ptr<const HeadStructure> structure;  ///< the structure tab's result
    std::shared_ptr<const TokenLinesMaps> lines;     ///< the token-lines tab's maps
    std::shared_ptr<const AttentionGraph> graph;     ///< the graph tab's result
    std::shared_ptr<const EmbeddingScene> embedding; ///< the Q/K embedding tab's result
    EmbeddingStyle embeddingStyle;                   ///< and its colouring and kept-edges switches
};

class FigureExportController : public QObject {
    Q_OBJECT
public:
    /// `state` reads the views when an export starts; `window` parents the file dialogs.
    FigureExportController(std::function<ExportableState()> state, QWidget* window);
    ~FigureExportController() override;

    /// Starts hashing the open model (called once it is loaded).
    void modelOpened(const std::string& modelPath);
    /// Export entries for the File menu.
    void addMenuActions(QMenu* file);

    /// Writes `view` to `path` (.png at 300 dpi, .svg or .pdf), replacing a file. Waits for the
    /// model fingerprint while the event loop runs. Returns "" or the error.
    QString exportTo(ExportedView view, const QString& path);
    /// Asks for a path, then writes `view` there now or once the fingerprint is known.
    void exportWithDialog(ExportedView view);
    /// An export is waiting for the fingerprint.
    bool exportPending() const { return m_pending.has_value(); }

signals:
    void errorOccurred(const QString& message);
    void statusMessage(const QString& message);
    /// A dialog export finished: "" or the error.
    void exportFinished(const QString& error);

private:
    struct PendingExport {
        ExportedView view;
        ExportableState state;
        std::string path;
        figure::FigureOutputOptions options;
    };
    /// Writes with the hash known; returns "" or the error.
    QString write(const PendingExport& pending, const std::string& modelHash) const;
    void finishPending();

    std::function<ExportableState()> m_state;
    QWidget* m_window = nullptr;
    ModelFingerprints* m_fingerprints = nullptr;
    std::optional<PendingExport> m_pending;
};

} // namespace attnscope::gui

#pragma once
// The workbench window (DESIGN.md §1, design/main-window.svg): model and text on the left, the
// compare view over the head grid in the centre, variant knobs and metrics on the right, backend
// and timing in the status bar. It wires SelectionModel ↔ ComputeService ↔ views; it computes nothing.

#include <QMainWindow>
#include <QString>
#include <QStringList>
#include <QTimer>

#include <functional>
#include <memory>

class QAction;
class QLabel;
class QMenu;
class QMimeData;
class QSplitter;

namespace attnscope::gui {

class BackendStatus;
class AnalysisTabs;
class CompareView;
class ComputeService;
class FigureExportController;
class HeadGridView;
class ImGuiPanelView;
class ModelPanel;
class SelectionModel;
class WorkspaceSession;
struct ExportableState;
class TextPanelView;
struct HeadComparison;
struct HeadGrid;
struct PanelActions;
struct PanelState;
struct VariantCurves;

struct MainWindowOptions {
    QString modelPath = QStringLiteral("demo");
    QString text;
    bool useGl = false;  ///< decide with openGlAvailable() before constructing
    QString variantSpec = QStringLiteral("topk:k=8");
    QStringList moreVariants;  ///< compared beside variantSpec (at most 3 more)
    bool restoreLayout = true; ///< geometry, splitters, theme and colour options from the settings
    int layer = 0;  ///< selected once the model is open (clamped to its shape)
    int head = 0;
};

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(const MainWindowOptions& options, QWidget* parent = nullptr);
    ~MainWindow() override;

    SelectionModel& selection() { return *m_selection; }
    ComputeService& computeService() { return *m_compute; }
    CompareView* compareView() const { return m_compareView; }
    HeadGridView* headGridView() const { return m_headGrid; }
    bool usesGl() const { return m_useGl; }
    /// The last error shown in the status bar ("" when the last computations succeeded).
    QString errorText() const { return m_error; }
    /// Nothing queued or pending, and both the compare view and the head grid show a result.
    bool isIdle() const;
    /// File → Save/Open workspace, autosave and recovery (workspace_session.h).
    WorkspaceSession& workspaceSession() { return *m_workspace; }
    /// Writes the figure on screen (the selected head, dense and every compared variant, the
    /// compare view's scale and colour map) to `path`: .png (300 dpi), .svg or .pdf, through the
    /// code `attnscope export` uses. Replaces an existing file. Returns "" or the error.
    QString exportFigureTo(const QString& path);
    /// Export of one view (figure_export_controller.h: compare, head grid, rollout, curves).
    FigureExportController& figureExports() { return *m_exports; }
    AnalysisTabs* analysisTabs() const { return m_analysis; }
    /// The status bar's backend corner and the Compute → Backend choice.
    BackendStatus& backendStatus() { return *m_backendStatus; }
    /// The last sweep/perplexity result (null until requested and delivered).
    std::shared_ptr<const VariantCurves> curves() const { return m_curves; }
    /// Does what the knob panels asked for (also the no-GL panel and tests).
    void applyPanelActions(const PanelActions& actions);
    /// Opens a model and records it in the recent files.
    void openModel(const QString& path);
    /// The model a drop would open: one local folder, .gguf or .safetensors file; "" otherwise.
    static QString droppedModelPath(const QMimeData* mime);
    /// Writes geometry, splitters, theme and colour options to the settings.
    void saveLayout();

protected:
    void closeEvent(QCloseEvent* event) override;
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    void buildMenus();
    void rebuildRecentMenu();
    void restoreLayout();
    void setTheme(bool light);
    void openModelDialog(bool file);
    void requestTokens();
    void requestCompare();
    void requestGrid();
    void requestCurves();
    void showError(const QString& tag, const QString& message);
    void clearError(const QString& tag);
    void refreshPanels();
    PanelState panelState() const;

    bool m_useGl = false;
    SelectionModel* m_selection = nullptr;
    ComputeService* m_compute = nullptr;
    ModelPanel* m_modelPanel = nullptr;
    CompareView* m_compareView = nullptr;
    HeadGridView* m_headGrid = nullptr;
    ImGuiPanelView* m_imguiPanel = nullptr;
    TextPanelView* m_textPanel = nullptr;
    QSplitter* m_columns = nullptr;
    QSplitter* m_centre = nullptr;
    QMenu* m_recentMenu = nullptr;
    QAction* m_lightTheme = nullptr;
    BackendStatus* m_backendStatus = nullptr;
    QLabel* m_timeLabel = nullptr;
    QLabel* m_statusLabel = nullptr;
    QTimer m_textDebounce;
    QString m_error;
    QString m_errorTag;
    int m_initialLayer = 0;
    int m_initialHead = 0;
    bool m_firstModel = true;
    bool m_perplexityInSelectedLayer = false;  ///< the sweep's perplexity: the variant in the selected layer only
    std::shared_ptr<const HeadComparison> m_comparison;
    WorkspaceSession* m_workspace = nullptr;
    std::string m_loadedModelPath;  // ModelInfo::path of the open model, for figure provenance
    ExportableState exportableState() const;
    FigureExportController* m_exports = nullptr;
    AnalysisTabs* m_analysis = nullptr;
    std::shared_ptr<const HeadGrid> m_grid;
    std::shared_ptr<const VariantCurves> m_curves;
    QString m_lastCompareKey;  // what the last compare request was for (tokens, head, variants)
    QString m_lastGridKey;
};

/// True when a GL context can be created here (not offscreen/minimal, and a test context works).
/// ATTNSCOPE_NO_GL=1 forces the QPainter path.
bool openGlAvailable();

/// Spins the event loop until `condition` holds or `timeoutMs` passes; returns the condition.
bool waitUntil(const std::function<bool()>& condition, int timeoutMs);

} // namespace attnscope::gui

#include "main_window.h"

#include "backend_status.h"
#include "compute_service.h"
#include "figure_export_controller.h"
#include "workspace_session.h"
#include "panels/panel_state.h"
#include "selection_model.h"
#include "views/analysis_tabs.h"
#include "views/compare_view.h"
#include "views/embedding_view.h"
#include "views/head_grid_view.h"
#include "views/graph_view.h"
#include "views/rollout_view.h"
#include "views/structure_view.h"
#include "views/token_lines_view.h"
#include "views/imgui_panel_view.h"
#include "views/model_panel.h"
#include "views/text_panel_view.h"
#include "views/token_strip.h"
#include "workbench_settings.h"

#include "attnscope/backends.h"
#include "attnscope/variant_spec.h"

#include <QApplication>
#include <QCloseEvent>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QElapsedTimer>
#include <QFileDialog>
#include <QFileInfo>
#include <QMimeData>
#include <QUrl>
#include <QGuiApplication>
#include <QLabel>
#include <QMenuBar>
#include <QOffscreenSurface>
#include <QOpenGLContext>
#include <QSplitter>
#include <QStatusBar>

namespace attnscope::gui {

namespace {

// Identifies a token sequence in a request key.
QString idsKey(const std::vector<std::int32_t>& ids)
{
    return QStringLiteral("%1:%2").arg(ids.size()).arg(qHashBits(ids.data(), ids.size() * sizeof(std::int32_t)));
}

} // namespace

bool openGlAvailable()
{
    if (qEnvironmentVariableIntValue("ATTNSCOPE_NO_GL") != 0) {
        return false;
    }
    // Offscreen and minimal platforms report GL support they do not have; a QOpenGLWidget there
    // crashes (stack_notes §4), so ask the platform by name before trying a context.
    const QString platform = QGuiApplication::platformName();
    if (platform == QLatin1String("offscreen") || platform == QLatin1String("minimal")) {
        return false;
    }
    QOpenGLContext context;
    if (!context.create()) {
        return false;
    }
    QOffscreenSurface surface;
    surface.create();
    const bool ok = surface.isValid() && context.makeCurrent(&surface);
    if (ok) {
        context.doneCurrent();
    }
    return ok;
}

bool waitUntil(const std::function<bool()>& condition, int timeoutMs)
{
    QElapsedTimer clock;
    clock.start();
    while (!condition()) {
        if (clock.elapsed() > timeoutMs) {
            return false;
        }
        QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
        QCoreApplication::sendPostedEvents();
    }
    return true;
}

MainWindow::MainWindow(const MainWindowOptions& options, QWidget* parent)
    : QMainWindow(parent), m_useGl(options.useGl), m_initialLayer(options.layer), m_initialHead(options.head)
{
    setWindowTitle(tr("attnscope"));
    m_selection = new SelectionModel(this);
    m_compute = new ComputeService(this);

    m_modelPanel = new ModelPanel(this);
    m_compareView = new CompareView(m_useGl, this);
    m_headGrid = new HeadGridView(this);
    setAcceptDrops(true);
    auto* centre = new QSplitter(Qt::Vertical, this);
    centre->setObjectName(QStringLiteral("centreSplitter"));
    m_centre = centre;
    centre->addWidget(m_compareView);
    // Below the compare view: the head grid beside the analysis tabs (issue #6 views).
    auto* lower = new QSplitter(Qt::Horizontal, this);
    lower->addWidget(m_headGrid);
    auto* analysis = new AnalysisTabs(*m_selection, *m_compute, this);
    m_analysis = analysis;
    lower->addWidget(analysis);
    connect(analysis, &AnalysisTabs::resultArrived, this, &MainWindow::clearError);
    centre->addWidget(lower);
    centre->setStretchFactor(0, 3);
    centre->setStretchFactor(1, 2);
    auto* columns = new QSplitter(Qt::Horizontal, this);
    columns->setObjectName(QStringLiteral("columnsSplitter"));
    m_columns = columns;
    columns->addWidget(m_modelPanel);
    columns->addWidget(centre);
    if (m_useGl) {
        m_imguiPanel = new ImGuiPanelView(this);
        columns->addWidget(m_imguiPanel);
        connect(m_imguiPanel, &ImGuiPanelView::actionsRequested, this, &MainWindow::applyPanelActions);
    } else {
        m_textPanel = new TextPanelView(this);
        columns->addWidget(m_textPanel);
        connect(m_textPanel, &TextPanelView::actionsRequested, this, &MainWindow::applyPanelActions);
    }
    columns->setStretchFactor(0, 0);
    columns->setStretchFactor(1, 1);
    columns->setStretchFactor(2, 0);
    columns->setSizes({230, 1070, 300});
    centre->setSizes({440, 520});
    setCentralWidget(columns);

    m_backendStatus = new BackendStatus(this);
    m_timeLabel = new QLabel(this);
    m_statusLabel = new QLabel(tr("starting…"), this);
    m_statusLabel->setObjectName(QStringLiteral("statusMessage"));
    statusBar()->addWidget(m_statusLabel, 1);
    statusBar()->addPermanentWidget(m_timeLabel);
    statusBar()->addPermanentWidget(m_backendStatus->label());
    buildMenus();

    m_textDebounce.setSingleShot(true);
    m_textDebounce.setInterval(250);
    connect(&m_textDebounce, &QTimer::timeout, this, &MainWindow::requestTokens);

    // ---- Selection → requests ----
    connect(m_selection, &SelectionModel::modelPathChanged, this, [this] {
        m_statusLabel->setText(tr("opening %1…").arg(m_selection->modelPath()));
        m_compute->openModel(m_selection->modelPath());
    });
    connect(m_selection, &SelectionModel::textChanged, this, [this] {
        m_modelPanel->setText(m_selection->text());
        m_textDebounce.start();
    });
    connect(m_selection, &SelectionModel::tokensChanged, this, [this] {
        m_modelPanel->setTokens(m_selection->tokens());
        requestCompare();
        requestGrid();
    });
    connect(m_selection, &SelectionModel::headChanged, this, [this] {
        m_headGrid->setSelected(m_selection->layer(), m_selection->head());
        requestCompare();
    });
    connect(m_selection, &SelectionModel::variantSpecChanged, this, [this] {
        m_compareView->setActiveVariant(m_selection->activeVariant());
        requestCompare();
        requestGrid();
        refreshPanels();
    });
    connect(m_selection, &SelectionModel::hoveredTokenChanged, this, [this] {
        m_compareView->setHoveredToken(m_selection->hoveredToken());
        m_modelPanel->setHoveredToken(m_selection->hoveredToken());
    });

    // ---- Views → selection ----
    connect(m_modelPanel, &ModelPanel::textEdited, m_selection, &SelectionModel::setText);
    connect(m_modelPanel, &ModelPanel::tokenHovered, m_selection, &SelectionModel::setHoveredToken);
    connect(m_compareView, &CompareView::tokenHovered, m_selection, &SelectionModel::setHoveredToken);
    connect(m_headGrid, &HeadGridView::headClicked, m_selection, &SelectionModel::setHead);

    // ---- Results → views ----
    connect(m_compute, &ComputeService::modelLoaded, this, [this](std::shared_ptr<const ModelLoaded> model) {
        clearError(QStringLiteral("model"));
        m_modelPanel->setModel(*model);
        m_loadedModelPath = model->info.path;
        m_exports->modelOpened(m_loadedModelPath);  // hashed in the background, ready for the first export
        // Another model may tokenise the text to the same ids: nothing computed before still holds.
        m_lastCompareKey.clear();
        m_lastGridKey.clear();
        m_selection->setModelShape(model->info.nLayers, model->info.nHeads);
        if (m_firstModel) {
            m_firstModel = false;
            m_selection->setHead(m_initialLayer, m_initialHead);
        }
        m_backendStatus->setAvailable(model->backends);
        setWindowTitle(tr("attnscope · %1").arg(QString::fromStdString(model->info.name)));
        requestTokens();
    });
    connect(m_compute, &ComputeService::tokensReady, this, [this](std::shared_ptr<const TokenizedText> tokens) {
        clearError(QStringLiteral("tokens"));
        m_selection->setTokens(std::move(tokens));
    });
    connect(m_compute, &ComputeService::headCompared, this, [this](std::shared_ptr<const HeadComparison> comparison) {
        clearError(QStringLiteral("compare"));
        m_comparison = comparison;
        QStringList labels;
        if (const auto tokens = m_selection->tokens(); tokens && tokens->ids == comparison->ids) {
            for (const std::string& piece : tokens->tokens) {
                labels << TokenStrip::displayText(piece);
            }
        }
        m_compareView->setComparison(comparison, labels);
        m_timeLabel->setText(tr("last compute: %1 ms").arg(comparison->seconds * 1000.0, 0, 'f', 1));
        m_backendStatus->showComparison(*comparison);
        refreshPanels();
    });
    connect(m_compute, &ComputeService::gridReady, this, [this](std::shared_ptr<const HeadGrid> grid) {
        clearError(QStringLiteral("grid"));
        m_grid = grid;
        m_headGrid->setGrid(grid);
        m_headGrid->setSelected(m_selection->layer(), m_selection->head());
        refreshPanels();
    });
    connect(m_compute, &ComputeService::curvesReady, this, [this](std::shared_ptr<const VariantCurves> curves) {
        clearError(QStringLiteral("curves"));
        m_curves = curves;
        refreshPanels();
    });
    connect(m_compute, &ComputeService::failed, this, &MainWindow::showError);
    connect(m_compute, &ComputeService::busyChanged, this, [this](bool busy) {
        if (m_error.isEmpty()) {
            m_statusLabel->setText(busy ? tr("computing…") : tr("ready"));
        }
        refreshPanels();
    });
    connect(m_compute, &ComputeService::progress, this, [this](const QString& tag, double fraction, const QString& label) {
        if (m_error.isEmpty()) {
            m_statusLabel->setText(tr("%1: %2 (%3%)").arg(tag, label).arg(static_cast<int>(fraction * 100.0)));
        }
    });

    m_selection->setVariantSpecs(QStringList{options.variantSpec} + options.moreVariants);
    m_selection->setText(options.text);
    m_modelPanel->setText(options.text);
    m_textDebounce.stop();  // the first tokenisation follows the model load
    if (options.restoreLayout) {
        restoreLayout();
    }
    openModel(options.modelPath);
    refreshPanels();
}

MainWindow::~MainWindow() = default;

void MainWindow::buildMenus()
{
    QMenu* file = menuBar()->addMenu(tr("&File"));
    file->addAction(tr("Open model &folder…"), QKeySequence::Open, this, [this] { openModelDialog(false); });
    file->addAction(tr("Open model f&ile (.gguf, .safetensors)…"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O), this,
                    [this] { openModelDialog(true); });
    m_recentMenu = file->addMenu(tr("Open &recent"));
    connect(m_recentMenu, &QMenu::aboutToShow, this, &MainWindow::rebuildRecentMenu);
    rebuildRecentMenu();
    file->addAction(tr("Open the &demo model"), this, [this] { openModel(QStringLiteral("demo")); });
    file->addSeparator();
    m_workspace = new WorkspaceSession(*m_selection, *m_compareView, *m_compute, this);
    m_workspace->addMenuActions(file);
    connect(m_workspace, &WorkspaceSession::errorOccurred, this, [this](const QString& message) {
        showError(QStringLiteral("workspace"), message);
    });
    connect(m_workspace, &WorkspaceSession::statusMessage, m_statusLabel, &QLabel::setText);
    m_exports = new FigureExportController([this] { return exportableState(); }, this);
    m_exports->addMenuActions(file);
    connect(m_exports, &FigureExportController::errorOccurred, this, [this](const QString& message) {
        showError(QStringLiteral("export"), message);
    });
    connect(m_exports, &FigureExportController::statusMessage, m_statusLabel, &QLabel::setText);
    file->addSeparator();
    file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);

    QMenu* view = menuBar()->addMenu(tr("&View"));
    auto step = [this](int layers, int heads) {
        m_selection->setHead(m_selection->layer() + layers, m_selection->head() + heads);
    };
    view->addAction(tr("Previous layer"), QKeySequence(Qt::ALT | Qt::Key_Up), this, [step] { step(-1, 0); });
    view->addAction(tr("Next layer"), QKeySequence(Qt::ALT | Qt::Key_Down), this, [step] { step(1, 0); });
    view->addAction(tr("Previous head"), QKeySequence(Qt::ALT | Qt::Key_Left), this, [step] { step(0, -1); });
    view->addAction(tr("Next head"), QKeySequence(Qt::ALT | Qt::Key_Right), this, [step] { step(0, 1); });
    view->addSeparator();
    view->addAction(tr("Previous variant"), QKeySequence(Qt::ALT | Qt::Key_PageUp), this,
                    [this] { m_selection->setActiveVariant(m_selection->activeVariant() - 1); });
    view->addAction(tr("Next variant"), QKeySequence(Qt::ALT | Qt::Key_PageDown), this,
                    [this] { m_selection->setActiveVariant(m_selection->activeVariant() + 1); });
    view->addAction(tr("Add a variant"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_A), this,
                    [this] { m_selection->addVariant(m_selection->variantSpec()); });
    view->addAction(tr("Remove the active variant"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_D), this,
                    [this] { m_selection->removeVariant(m_selection->activeVariant()); });
    view->addSeparator();
    view->addAction(tr("Reset zoom"), QKeySequence(Qt::CTRL | Qt::Key_0), m_compareView, &CompareView::resetViewport);
    view->addAction(tr("Sweep budgets + perplexity"), QKeySequence(Qt::CTRL | Qt::Key_R), this, &MainWindow::requestCurves);
    m_lightTheme = view->addAction(tr("Light theme"));
    m_lightTheme->setCheckable(true);
    m_lightTheme->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_L));
    connect(m_lightTheme, &QAction::toggled, this, &MainWindow::setTheme);
    view->addSeparator();
    QMenu* compute = menuBar()->addMenu(tr("&Compute"));
    m_backendStatus->addMenuActions(compute);
    connect(m_backendStatus, &BackendStatus::backendChosen, this, [this](VariantBackend backend) {
        m_compute->setBackend(backend);
        // Same request keys, other numbers (within the parity tolerance): ask again.
        m_lastCompareKey.clear();
        m_lastGridKey.clear();
        requestCompare();
        requestGrid();
    });
    view->addAction(tr("Cancel computations"), QKeySequence(Qt::Key_Escape), this, [this] {
        m_compute->cancelAll();
        m_lastCompareKey.clear();
        m_lastGridKey.clear();
        m_statusLabel->setText(tr("cancelled"));
    });
}

void MainWindow::rebuildRecentMenu()
{
    m_recentMenu->clear();
    const QStringList recent = WorkbenchSettings().recentModels();
    for (const QString& path : recent) {
        m_recentMenu->addAction(path, this, [this, path] { openModel(path); });
    }
    m_recentMenu->setEnabled(!recent.isEmpty());
}

void MainWindow::openModel(const QString& path)
{
    if (path.isEmpty()) {
        return;
    }
    WorkbenchSettings settings;
    settings.addRecentModel(path);
    settings.sync();
    m_selection->setModelPath(path);
}

void MainWindow::openModelDialog(bool file)
{
    const QString path = file ? QFileDialog::getOpenFileName(this, tr("Open model"), QString(),
                                                             tr("Models (*.gguf *.safetensors)"))
                              : QFileDialog::getExistingDirectory(this, tr("Open model folder"));
    openModel(path);
}

QString MainWindow::droppedModelPath(const QMimeData* mime)
{
    if (!mime || !mime->hasUrls() || mime->urls().size() != 1 || !mime->urls().front().isLocalFile()) {
        return {};
    }
    const QFileInfo info(mime->urls().front().toLocalFile());
    const QString suffix = info.suffix().toLower();
    if (info.isDir() || (info.isFile() && (suffix == QLatin1String("gguf") || suffix == QLatin1String("safetensors")))) {
        return info.absoluteFilePath();
    }
    return {};
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event)
{
    if (!droppedModelPath(event->mimeData()).isEmpty()) {
        event->acceptProposedAction();
    }
}

void MainWindow::dropEvent(QDropEvent* event)
{
    const QString path = droppedModelPath(event->mimeData());
    if (!path.isEmpty()) {
        event->acceptProposedAction();
        openModel(path);
    }
}

void MainWindow::setTheme(bool light)
{
    applyTheme(light ? Theme::Light : Theme::Dark);
    if (m_imguiPanel) {
        m_imguiPanel->setLightTheme(light);
    }
}

void MainWindow::restoreLayout()
{
    WorkbenchSettings settings;
    restoreGeometry(settings.windowGeometry());
    restoreState(settings.windowState());
    const QList<QByteArray> splitters = settings.splitterStates();
    if (splitters.size() == 2) {
        m_columns->restoreState(splitters[0]);
        m_centre->restoreState(splitters[1]);
    }
    m_compareView->setColorOptions(settings.colorOptions());
    const bool light = settings.theme() == Theme::Light;
    if (light != m_lightTheme->isChecked()) {
        m_lightTheme->setChecked(light);  // applies it
    }
}

void MainWindow::saveLayout()
{
    WorkbenchSettings settings;
    settings.setWindowLayout(saveGeometry(), saveState(), {m_columns->saveState(), m_centre->saveState()});
    settings.setColorOptions(m_compareView->colorOptions());
    settings.setTheme(m_lightTheme->isChecked() ? Theme::Light : Theme::Dark);
    if (!settings.sync()) {
        showError(QStringLiteral("settings"), tr("could not write %1").arg(settings.fileName()));
    }
}

ExportableState MainWindow::exportableState() const
{
    ExportableState state;
    if (const auto tokens = m_selection->tokens()) {
        state.ids = tokens->ids;
        state.source.pieces = tokens->tokens;
    }
    const CompareColorOptions colours = m_compareView->colorOptions();
    state.source.scale = static_cast<ColourScale>(colours.scale);  // same scales, same order (workspace_session.cpp)
    state.source.colormap = colours.colormap.toStdString();
    state.source.modelPath = m_loadedModelPath;
    state.source.text = m_selection->text().toStdString();
    state.comparison = m_comparison;
    state.activeVariant = m_selection->activeVariant();
    state.grid = m_grid;
    state.gridMetric = m_headGrid->metric();
    state.rollout = m_analysis->rolloutView()->rollout();
    state.curves = m_curves;
    state.structure = m_analysis->structureView()->structure();
    state.graph = m_analysis->graphView()->graph();
    state.embedding = m_analysis->embeddingView()->data();
    state.embeddingStyle = m_analysis->embeddingView()->style();
    if (const TokenLinesData& lines = m_analysis->tokenLinesView()->data(); lines.n > 0) {
        auto maps = std::make_shared<TokenLinesMaps>();
        for (HeadAttention* map : {&maps->dense, &maps->effective}) {
            map->layer = lines.layer;
            map->head = lines.head;
            map->nTokens = lines.n;
        }
        maps->dense.variant = "dense";
        maps->dense.attention = lines.dense;
        maps->effective.variant = lines.variant.toStdString();
        maps->effective.attention = lines.effective;
        state.lines = std::move(maps);
    }
    return state;
}

QString MainWindow::exportFigureTo(const QString& path)
{
    return m_exports->exportTo(ExportedView::Compare, path);
}

void MainWindow::closeEvent(QCloseEvent* event)
{
    saveLayout();
    m_workspace->discardRecovery();  // a clean close: nothing to recover next time
    QMainWindow::closeEvent(event);
}

void MainWindow::applyPanelActions(const PanelActions& actions)
{
    if (actions.activeVariant) {
        m_selection->setActiveVariant(*actions.activeVariant);
    }
    if (actions.variantSpec) {
        m_selection->setVariantSpec(QString::fromStdString(*actions.variantSpec));
    }
    if (actions.removeVariant) {
        m_selection->removeVariant(*actions.removeVariant);
    }
    if (actions.addVariant) {
        m_selection->addVariant(QString::fromStdString(*actions.addVariant));
    }
    if (actions.perplexityInSelectedLayer) {
        m_perplexityInSelectedLayer = *actions.perplexityInSelectedLayer;
        refreshPanels();
    }
    if (actions.computeCurves) {
        requestCurves();
    }
}

void MainWindow::requestTokens()
{
    m_textDebounce.stop();
    if (m_selection->text().trimmed().isEmpty()) {
        showError(QStringLiteral("tokens"), tr("type some text to see its attention"));
        return;
    }
    m_compute->tokenize(m_selection->text());
}

void MainWindow::requestCompare()
{
    const auto tokens = m_selection->tokens();
    if (!tokens || tokens->ids.empty()) {
        return;
    }
    for (const QString& spec : m_selection->variantSpecs()) {
        if (auto parsed = parseVariantSpec(spec.toStdString()); !parsed) {
            showError(QStringLiteral("variant"), QString::fromStdString(parsed.error().describe()));
            return;
        }
    }
    clearError(QStringLiteral("variant"));
    // Switching the active variant changes nothing to compute: the last request (delivered or still
    // running; a failure clears the key) already covers it.
    const QString key = QStringLiteral("%1/%2/%3/%4").arg(idsKey(tokens->ids)).arg(m_selection->layer())
                            .arg(m_selection->head()).arg(m_selection->variantSpecs().join(QLatin1Char('|')));
    if (key == m_lastCompareKey) {
        return;
    }
    m_lastCompareKey = key;
    m_compute->compareHead(tokens->ids, m_selection->layer(), m_selection->head(), m_selection->variantSpecs());
}

void MainWindow::requestGrid()
{
    const auto tokens = m_selection->tokens();
    if (!tokens || tokens->ids.empty() || !parseVariantSpec(m_selection->variantSpec().toStdString())) {
        return;
    }
    const QString key = idsKey(tokens->ids) + QLatin1Char('/') + m_selection->variantSpec();
    if (key == m_lastGridKey) {
        return;
    }
    m_lastGridKey = key;
    m_compute->computeGrid(tokens->ids, m_selection->variantSpec());
}

void MainWindow::requestCurves()
{
    const auto tokens = m_selection->tokens();
    if (!tokens || tokens->ids.size() < 2) {
        return;
    }
    m_statusLabel->setText(tr("sweeping %1 variant(s) and running the model with each…").arg(m_selection->variantSpecs().size()));
    const std::vector<int> replaced =
        m_perplexityInSelectedLayer ? std::vector<int>{m_selection->layer()} : std::vector<int>{};
    m_compute->computeCurves(tokens->ids, m_selection->layer(), m_selection->head(), m_selection->variantSpecs(),
                             replaced);
}

void MainWindow::showError(const QString& tag, const QString& message)
{
    if (tag == QLatin1String("compare")) {
        m_lastCompareKey.clear();  // let the same request run again
    } else if (tag == QLatin1String("grid")) {
        m_lastGridKey.clear();
    }
    m_error = message;
    m_errorTag = tag;
    m_statusLabel->setText(message);
    m_statusLabel->setStyleSheet(QStringLiteral("color: #ff7a6e;"));
    refreshPanels();
}

void MainWindow::clearError(const QString& tag)
{
    if (m_error.isEmpty() || tag != m_errorTag) {
        return;
    }
    m_error.clear();
    m_errorTag.clear();
    m_statusLabel->setStyleSheet(QString());
    m_statusLabel->setText(m_compute->busy() ? tr("computing…") : tr("ready"));
}

bool MainWindow::isIdle() const
{
    return !m_compute->busy() && !m_textDebounce.isActive() && m_comparison && m_grid;
}

PanelState MainWindow::panelState() const
{
    PanelState state;
    state.variantSpec = m_selection->variantSpec().toStdString();
    for (const QString& spec : m_selection->variantSpecs()) {
        state.variantSpecs.push_back(spec.toStdString());
    }
    state.activeVariant = m_selection->activeVariant();
    state.maxVariants = SelectionModel::kMaxVariants;
    state.curves = m_curves;
    state.comparison = m_comparison;
    state.grid = m_grid;
    state.layer = m_selection->layer();
    state.head = m_selection->head();
    state.perplexityInSelectedLayer = m_perplexityInSelectedLayer;
    state.computing = m_compute->busy();
    state.error = m_error.toStdString();
    return state;
}

void MainWindow::refreshPanels()
{
    const PanelState state = panelState();
    if (m_imguiPanel) {
        m_imguiPanel->setState(state);
    }
    if (m_textPanel) {
        m_textPanel->setState(state);
    }
}

} // namespace attnscope::gui

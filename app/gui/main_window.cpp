#include "main_window.h"

#include "compute_service.h"
#include "panels/panel_state.h"
#include "selection_model.h"
#include "views/analysis_tabs.h"
#include "views/compare_view.h"
#include "views/head_grid_view.h"
#include "views/imgui_panel_view.h"
#include "views/model_panel.h"
#include "views/text_panel_view.h"
#include "views/token_strip.h"

#include "attnscope/backends.h"
#include "attnscope/variant_spec.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QFileDialog>
#include <QGuiApplication>
#include <QLabel>
#include <QMenuBar>
#include <QOffscreenSurface>
#include <QOpenGLContext>
#include <QSplitter>
#include <QStatusBar>

namespace attnscope::gui {

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
    auto* centre = new QSplitter(Qt::Vertical, this);
    centre->addWidget(m_compareView);
    // Below the compare view: the head grid beside the analysis tabs (issue #6 views).
    auto* lower = new QSplitter(Qt::Horizontal, this);
    lower->addWidget(m_headGrid);
    auto* analysis = new AnalysisTabs(*m_selection, *m_compute, this);
    lower->addWidget(analysis);
    connect(analysis, &AnalysisTabs::resultArrived, this, &MainWindow::clearError);
    centre->addWidget(lower);
    centre->setStretchFactor(0, 3);
    centre->setStretchFactor(1, 2);
    auto* columns = new QSplitter(Qt::Horizontal, this);
    columns->addWidget(m_modelPanel);
    columns->addWidget(centre);
    if (m_useGl) {
        m_imguiPanel = new ImGuiPanelView(this);
        columns->addWidget(m_imguiPanel);
        connect(m_imguiPanel, &ImGuiPanelView::variantSpecRequested, m_selection, &SelectionModel::setVariantSpec);
    } else {
        m_textPanel = new TextPanelView(this);
        columns->addWidget(m_textPanel);
        connect(m_textPanel, &TextPanelView::variantSpecRequested, m_selection, &SelectionModel::setVariantSpec);
    }
    columns->setStretchFactor(0, 0);
    columns->setStretchFactor(1, 1);
    columns->setStretchFactor(2, 0);
    columns->setSizes({230, 1070, 300});
    centre->setSizes({440, 520});
    setCentralWidget(columns);

    m_backendLabel = new QLabel(this);
    m_timeLabel = new QLabel(this);
    m_statusLabel = new QLabel(tr("starting…"), this);
    m_statusLabel->setObjectName(QStringLiteral("statusMessage"));
    statusBar()->addWidget(m_statusLabel, 1);
    statusBar()->addPermanentWidget(m_timeLabel);
    statusBar()->addPermanentWidget(m_backendLabel);
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
        m_selection->setModelShape(model->info.nLayers, model->info.nHeads);
        if (m_firstModel) {
            m_firstModel = false;
            m_selection->setHead(m_initialLayer, m_initialHead);
        }
        QStringList backends;
        for (const BackendInfo& backend : model->backends) {
            backends << QString::fromStdString(backend.name) + (backend.available ? QString() : tr(" (unavailable)"));
        }
        m_backendLabel->setText(tr("backend: %1").arg(backends.join(QStringLiteral(", "))));
        m_backendLabel->setToolTip(backends.join(QLatin1Char('\n')));
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
        refreshPanels();
    });
    connect(m_compute, &ComputeService::gridReady, this, [this](std::shared_ptr<const HeadGrid> grid) {
        clearError(QStringLiteral("grid"));
        m_grid = grid;
        m_headGrid->setGrid(grid);
        m_headGrid->setSelected(m_selection->layer(), m_selection->head());
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

    m_selection->setVariantSpec(options.variantSpec);
    m_selection->setText(options.text);
    m_modelPanel->setText(options.text);
    m_textDebounce.stop();  // the first tokenisation follows the model load
    m_selection->setModelPath(options.modelPath);
    refreshPanels();
}

MainWindow::~MainWindow() = default;

void MainWindow::buildMenus()
{
    QMenu* file = menuBar()->addMenu(tr("&File"));
    file->addAction(tr("Open model &folder…"), this, [this] { openModelDialog(false); });
    file->addAction(tr("Open model f&ile (.gguf, .safetensors)…"), this, [this] { openModelDialog(true); });
    file->addAction(tr("Open the &demo model"), this, [this] { m_selection->setModelPath(QStringLiteral("demo")); });
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
    view->addAction(tr("Cancel computations"), QKeySequence(Qt::Key_Escape), this, [this] {
        m_compute->cancelAll();
        m_statusLabel->setText(tr("cancelled"));
    });
}

void MainWindow::openModelDialog(bool file)
{
    const QString path = file ? QFileDialog::getOpenFileName(this, tr("Open model"), QString(),
                                                             tr("Models (*.gguf *.safetensors)"))
                              : QFileDialog::getExistingDirectory(this, tr("Open model folder"));
    if (!path.isEmpty()) {
        m_selection->setModelPath(path);
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
    if (auto parsed = parseVariantSpec(m_selection->variantSpec().toStdString()); !parsed) {
        showError(QStringLiteral("variant"), QString::fromStdString(parsed.error().describe()));
        return;
    }
    clearError(QStringLiteral("variant"));
    m_compute->compareHead(tokens->ids, m_selection->layer(), m_selection->head(), m_selection->variantSpec());
}

void MainWindow::requestGrid()
{
    const auto tokens = m_selection->tokens();
    if (!tokens || tokens->ids.empty() || !parseVariantSpec(m_selection->variantSpec().toStdString())) {
        return;
    }
    m_compute->computeGrid(tokens->ids, m_selection->variantSpec());
}

void MainWindow::showError(const QString& tag, const QString& message)
{
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
    state.comparison = m_comparison;
    state.grid = m_grid;
    state.layer = m_selection->layer();
    state.head = m_selection->head();
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

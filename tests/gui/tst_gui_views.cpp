// The analysis tabs of issue #6 on the demo model, without GL (QT_QPA_PLATFORM=offscreen, label
// "gui"): every view gets its result through ComputeService and paints a non-blank picture; token
// lines isolate a hovered token; the graph has one node per token; the structure view shows what
// sbm exposes; the embedding has a query and a key per token; rollout has dense and variant maps.

#include "compute_service.h"
#include "main_window.h"
#include "selection_model.h"
#include "views/analysis_tabs.h"
#include "views/elided_label.h"
#include "views/embedding_view.h"
#include "views/graph_view.h"
#include "views/head_grid_view.h"
#include "views/rollout_view.h"
#include "views/structure_view.h"
#include "views/token_lines_view.h"

#include <gtest/gtest.h>

#include <QApplication>
#include <QDir>
#include <QFile>
#include <QMouseEvent>
#include <QSet>

using namespace attnscope;
using namespace attnscope::gui;

namespace {

constexpr int kTimeoutMs = 60000;
const char* const kText = "In the beginning God created the heaven and the earth. And the earth was without form";

QApplication& application()
{
    static int argc = 1;
    static char name[] = "tst_gui_views";
    static char* argv[] = {name, nullptr};
    static QApplication* app = new QApplication(argc, argv);  // never destroyed (see tst_gui_smoke)
    return *app;
}

QString demoModel()
{
    return QStringLiteral(ATTNSCOPE_SOURCE_DIR "/assets/models/demo");
}

// Distinct colours in a grab: a blank view (background and one line of text) has a handful.
int distinctColours(QWidget* widget)
{
    const QImage image = widget->grab().toImage();
    QSet<QRgb> colours;
    for (int y = 0; y < image.height(); y += 2) {
        for (int x = 0; x < image.width(); x += 2) {
            colours.insert(image.pixel(x, y));
        }
    }
    return static_cast<int>(colours.size());
}

void saveArtifact(QWidget* widget, const QString& name)
{
    const QString folder = QStringLiteral(ATTNSCOPE_BINARY_DIR "/test-artifacts");
    QDir().mkpath(folder);
    widget->grab().save(folder + QLatin1Char('/') + name);
}

void sendMove(QWidget* widget, const QPointF& position)
{
    QMouseEvent event(QEvent::MouseMove, position, widget->mapToGlobal(position), Qt::NoButton, Qt::NoButton,
                      Qt::NoModifier);
    QApplication::sendEvent(widget, &event);
}

class GuiViews : public ::testing::Test {
protected:
    void SetUp() override
    {
        application();
        ASSERT_TRUE(QFile::exists(demoModel() + QStringLiteral("/config.json"))) << "demo model missing";
        MainWindowOptions options;
        options.modelPath = demoModel();
        options.text = QString::fromLatin1(kText);
        options.useGl = false;
        options.variantSpec = QStringLiteral("topk:k=4");
        options.layer = 1;
        options.head = 2;
        window = std::make_unique<MainWindow>(options);
        window->resize(1500, 1000);
        window->show();
        tabs = window->findChild<AnalysisTabs*>();
        ASSERT_NE(tabs, nullptr) << "MainWindow hosts the analysis tabs";
        ASSERT_TRUE(waitUntil([&] { return window->isIdle() || !window->errorText().isEmpty(); }, kTimeoutMs));
        ASSERT_TRUE(window->errorText().isEmpty()) << window->errorText().toStdString();
        n = static_cast<int>(window->selection().tokens()->ids.size());
        ASSERT_GT(n, 8);
    }

    // Shows `tab` and waits for its result for the current selection.
    void showTab(AnalysisTabs::Tab tab)
    {
        tabs->setCurrentIndex(tab);
        ASSERT_TRUE(waitUntil([&] { return tabs->currentTabIsUpToDate() || !window->errorText().isEmpty(); }, kTimeoutMs))
            << "tab " << tab << " got no result";
        ASSERT_TRUE(window->errorText().isEmpty()) << window->errorText().toStdString();
    }

    std::unique_ptr<MainWindow> window;
    AnalysisTabs* tabs = nullptr;
    int n = 0;
};

} // namespace

TEST_F(GuiViews, TokenLinesDrawDenseAndVariantAndIsolateAHoveredToken)
{
    showTab(AnalysisTabs::TokenLines);
    TokenLinesView* lines = tabs->tokenLinesView();
    ASSERT_TRUE(lines->hasData());
    EXPECT_EQ(lines->data().n, n);
    EXPECT_EQ(lines->data().layer, 1);
    EXPECT_EQ(lines->data().head, 2);
    EXPECT_EQ(lines->data().tokens.size(), n);
    EXPECT_GT(distinctColours(lines), 20);
    saveArtifact(lines, QStringLiteral("gui_token_lines.png"));
    const int allLines = lines->drawnLineCount();
    // Every row has a dense key and a kept key of weight ≥ 1/(row + 1), far above the 1% cut.
    EXPECT_GE(allLines, 2 * n);

    // Hover query token n-1 on the left: only its lines remain, and the selection follows.
    const QPointF query = lines->tokenAnchor(n - 1, false) - QPointF(10.0, 0.0);
    sendMove(lines, query);
    EXPECT_EQ(lines->isolatedToken(), n - 1);
    EXPECT_EQ(window->selection().hoveredToken(), n - 1);
    lines->grab();  // paints
    EXPECT_GT(lines->drawnLineCount(), 0);
    EXPECT_LE(lines->drawnLineCount(), n + 4);  // its dense keys plus at most 4 kept ones
    EXPECT_LT(lines->drawnLineCount(), allLines);

    // Clicking the legend hides a set: only the variant's lines of query n-1 remain (at most 4).
    QMouseEvent press(QEvent::MouseButtonPress, lines->legendRect(false).center(),
                      lines->mapToGlobal(lines->legendRect(false).center()), Qt::LeftButton, Qt::LeftButton,
                      Qt::NoModifier);
    QApplication::sendEvent(lines, &press);
    EXPECT_FALSE(lines->denseShown());
    lines->grab();
    EXPECT_GT(lines->drawnLineCount(), 0);
    EXPECT_LE(lines->drawnLineCount(), 4);
    lines->setLinesShown(true, true);

    // A hover elsewhere (the selection) isolates the same way; leaving clears it.
    window->selection().setHoveredToken(3);
    EXPECT_EQ(lines->isolatedToken(), 3);
    QEvent leave(QEvent::Leave);
    QApplication::sendEvent(lines, &leave);
    EXPECT_EQ(lines->isolatedToken(), -1);
    EXPECT_EQ(window->selection().hoveredToken(), -1);
}

TEST_F(GuiViews, GraphHasOneNodePerTokenInEveryLayout)
{
    showTab(AnalysisTabs::Graph);
    GraphView* graph = tabs->graphView();
    ASSERT_TRUE(graph->graph());
    EXPECT_EQ(graph->nodeCount(), n);
    EXPECT_FALSE(graph->graph()->edges.empty());
    EXPECT_GT(distinctColours(graph->canvas()), 20);
    saveArtifact(graph, QStringLiteral("gui_graph.png"));
    for (GraphLayoutKind kind : {GraphLayoutKind::KamadaKawai, GraphLayoutKind::Circle, GraphLayoutKind::ByPosition}) {
        if (!forceLayoutsAvailable() && kind == GraphLayoutKind::KamadaKawai) {
            continue;
        }
        graph->setLayoutKind(kind);
        ASSERT_TRUE(waitUntil([&] { return tabs->currentTabIsUpToDate(); }, kTimeoutMs)) << graphLayoutName(kind);
        EXPECT_EQ(graph->graph()->layout, kind);
        EXPECT_EQ(graph->nodeCount(), n);
        EXPECT_GT(distinctColours(graph->canvas()), 20) << graphLayoutName(kind);
    }
}

TEST_F(GuiViews, SbmStructureShowsMembershipsBlockMatrixAndReorderedAttention)
{
    window->selection().setVariantSpec(QStringLiteral("sbm:clusters=3,seed=1"));
    showTab(AnalysisTabs::Structure);
    StructureView* structure = tabs->structureView();
    ASSERT_TRUE(structure->structure());
    EXPECT_EQ(structure->structure()->kind, "sbm");
    QStringList titles;
    for (const StructurePanel& panel : structure->panels()) {
        titles << panel.title;
    }
    const QString joined = titles.join(QLatin1Char('|'));
    EXPECT_TRUE(joined.contains(QStringLiteral("query memberships"))) << joined.toStdString();
    EXPECT_TRUE(joined.contains(QStringLiteral("block matrix (3 × 3)"))) << joined.toStdString();
    EXPECT_TRUE(joined.contains(QStringLiteral("reordered by cluster"))) << joined.toStdString();
    EXPECT_GT(distinctColours(structure), 20);
    saveArtifact(structure, QStringLiteral("gui_structure_sbm.png"));
    // Hovering row 2 of a token × token panel (the first: dense attention) reports token 2.
    ASSERT_TRUE(structure->panels().front().tokenRows);
    const QRectF plot = structure->panelPlot(0);
    sendMove(structure, QPointF(plot.center().x(), plot.top() + plot.height() * 2.5 / n));
    EXPECT_EQ(window->selection().hoveredToken(), 2);

    // DSA: predicted scores next to the true scores.
    window->selection().setVariantSpec(QStringLiteral("dsa:rank=4,k=4"));
    ASSERT_TRUE(waitUntil([&] { return tabs->currentTabIsUpToDate() || !window->errorText().isEmpty(); }, kTimeoutMs));
    ASSERT_TRUE(window->errorText().isEmpty()) << window->errorText().toStdString();
    titles.clear();
    for (const StructurePanel& panel : structure->panels()) {
        titles << panel.title;
    }
    EXPECT_TRUE(titles.contains(QStringLiteral("DSA predicted scores"))) << titles.join('|').toStdString();
    EXPECT_TRUE(titles.contains(QStringLiteral("true scores (scale·q·k)"))) << titles.join('|').toStdString();
}

TEST_F(GuiViews, EmbeddingHasAQueryAndAKeyPerTokenAndHoverReachesTheSelection)
{
    showTab(AnalysisTabs::Embedding);
    EmbeddingView* embedding = tabs->embeddingView();
    ASSERT_TRUE(embedding->data());
    EXPECT_EQ(embedding->data()->embedding.nTokens, n);
    embedding->setShowEdges(true);
    EXPECT_GT(distinctColours(embedding->canvas()), 20);
    saveArtifact(embedding, QStringLiteral("gui_embedding.png"));
    EXPECT_EQ(embedding->drawnPointCount(), 2 * n);
    EXPECT_GT(embedding->drawnEdgeCount(), n);  // every query keeps at least one key
    window->selection().setHoveredToken(5);
    embedding->grab();
    EXPECT_LE(embedding->drawnEdgeCount(), 4) << "hovering isolates one query's kept keys (top-4)";
}

TEST_F(GuiViews, RolloutShowsDenseVariantAndDifferenceThroughTheSelectedLayer)
{
    showTab(AnalysisTabs::Rollout);
    RolloutView* rollout = tabs->rolloutView();
    ASSERT_TRUE(rollout->rollout());
    EXPECT_EQ(rollout->rollout()->dense.throughLayer, 1);
    EXPECT_EQ(rollout->rollout()->variant.variant, "topk:k=4");
    ASSERT_EQ(rollout->panels().size(), 3u);
    EXPECT_EQ(rollout->panels()[0].rows, n);
    EXPECT_TRUE(rollout->panels()[2].diverging) << "the difference is signed";
    EXPECT_GT(distinctColours(rollout), 20);
    saveArtifact(rollout, QStringLiteral("gui_rollout.png"));
    window->selection().setHead(3, 0);
    ASSERT_TRUE(waitUntil([&] { return tabs->currentTabIsUpToDate(); }, kTimeoutMs));
    EXPECT_EQ(rollout->rollout()->dense.throughLayer, 3);
}

TEST_F(GuiViews, ACancelledRequestIsSentAgainWhenTheTabIsShownAgain)
{
    tabs->setCurrentIndex(AnalysisTabs::Rollout);
    window->computeService().cancelAll();  // Esc: the queued or running rollout request is dropped
    ASSERT_TRUE(waitUntil([&] { return !window->computeService().busy(); }, kTimeoutMs));
    tabs->setCurrentIndex(AnalysisTabs::TokenLines);
    showTab(AnalysisTabs::Rollout);
    ASSERT_TRUE(tabs->rolloutView()->rollout());
    EXPECT_EQ(tabs->rolloutView()->rollout()->dense.nTokens, n);
}

TEST(ElidedLabel, EndsInAnEllipsisWhenNarrowAndKeepsTheWholeTextAsTooltip)
{
    application();
    const QString text = QStringLiteral("Layer 1 · head 0 · 51 tokens · sea:k=6: kept 21.9% recall 0.544 · 5.4 ms");
    ElidedLabel label(text);
    label.show();  // a hidden widget gets its resize events only when shown
    label.resize(label.fontMetrics().horizontalAdvance(text) + 20, 24);
    EXPECT_EQ(label.text(), text) << "wide enough: the whole text";
    label.resize(label.fontMetrics().horizontalAdvance(QStringLiteral("Layer 1 · head 0")) + 10, 24);
    EXPECT_TRUE(label.text().endsWith(QChar(0x2026))) << label.text().toStdString();
    EXPECT_TRUE(text.startsWith(label.text().chopped(1))) << label.text().toStdString();
    EXPECT_LE(label.fontMetrics().horizontalAdvance(label.text()), label.contentsRect().width());
    EXPECT_EQ(label.toolTip(), text);
    EXPECT_EQ(label.fullText(), text);
    label.setFullText(QStringLiteral("short"));
    EXPECT_EQ(label.text(), QStringLiteral("short"));
}

TEST(HeadGridCells, ADeepGridWithFewHeadsWidensItsCellsAndClicksFollowThem)
{
    // Gemma 3's shape: 18 layers × 4 heads. Cells are as tall as the rows allow and up to three
    // times as wide (they used to stay square: 22 px here, too small for their numbers), and a click
    // lands on the cell drawn there.
    application();
    auto grid = std::make_shared<HeadGrid>();
    grid->variant = "topk:k=8";
    grid->scores.assign(18, std::vector<HeadScores>(4));
    grid->metrics.assign(18, std::vector<VariantMetrics>(4));
    HeadGridView view;
    view.resize(640, 460);
    view.show();
    view.setGrid(grid);
    auto* cells = view.findChild<QWidget*>(QStringLiteral("headGridCells"));
    ASSERT_NE(cells, nullptr);
    QApplication::processEvents();
    const double rowHeight = std::clamp((cells->height() - 18.0 - 4.0) / 18.0, 6.0, 96.0);
    const double cellWidth = std::min((cells->width() - 34.0 - 4.0) / 4.0, std::min(3.0 * rowHeight, 96.0));
    ASSERT_GT(cellWidth, 1.5 * rowHeight) << "the panel is wide enough for wide cells";
    std::vector<std::pair<int, int>> clicked;
    QObject::connect(&view, &HeadGridView::headClicked, [&](int layer, int head) { clicked.emplace_back(layer, head); });
    const QPointF lastCell(34.0 + 3.5 * cellWidth, 18.0 + 17.5 * rowHeight);
    QMouseEvent press(QEvent::MouseButtonPress, lastCell, cells->mapToGlobal(lastCell), Qt::LeftButton, Qt::LeftButton,
                      Qt::NoModifier);
    QApplication::sendEvent(cells, &press);
    ASSERT_EQ(clicked.size(), 1u);
    EXPECT_EQ(clicked[0], std::make_pair(17, 3));
    const QPointF pastTheGrid(34.0 + 4.2 * cellWidth, 18.0 + 0.5 * rowHeight);
    QMouseEvent outside(QEvent::MouseButtonPress, pastTheGrid, cells->mapToGlobal(pastTheGrid), Qt::LeftButton,
                        Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(cells, &outside);
    EXPECT_EQ(clicked.size(), 1u) << "right of the last head is no head";
}

// The workbench around the compare view (label "gui", offscreen): several variants at once on one
// colour scale, per-row normalisation, navigation shared by the panels, block-pooled pyramids
// against a naive reference, the variant list, sweeps and perplexities through ComputeService,
// drag and drop, and the QSettings round-trip.

#include "gui/gui_test_support.h"

#include "compute_service.h"
#include "main_window.h"
#include "panels/panel_state.h"
#include "selection_model.h"
#include "views/compare_view.h"
#include "views/heatmap_pyramid.h"
#include "views/heatmap_view.h"
#include "workbench_settings.h"

#include <gtest/gtest.h>

#include <QDir>
#include <QFile>
#include <QMimeData>
#include <QMouseEvent>
#include <QTemporaryDir>
#include <QUrl>
#include <QWheelEvent>

#include <cmath>
#include <random>

using namespace attnscope;
using namespace attnscope::gui;
using attnscope::gui::test::application;
using attnscope::gui::test::modelPath;

namespace {

constexpr int kTimeoutMs = 60000;
const char* const kText = "Once upon a time there was a little cat. The little cat saw a dog and the dog saw the cat";

class Workbench : public test::RealModelTest {
protected:
    std::unique_ptr<MainWindow> openWindow(const QString& variant, const QStringList& more = {})
    {
        MainWindowOptions options;
        options.modelPath = modelPath();
        options.text = QString::fromLatin1(kText);
        options.useGl = false;
        options.variantSpec = variant;
        options.moreVariants = more;
        options.restoreLayout = false;
        options.layer = 2;
        options.head = 1;
        auto window = std::make_unique<MainWindow>(options);
        window->resize(1500, 950);
        window->show();
        return window;
    }

    static void waitSettled(const MainWindow& window)
    {
        ASSERT_TRUE(waitUntil([&] { return settled(window); }, kTimeoutMs));
        ASSERT_TRUE(window.errorText().isEmpty()) << window.errorText().toStdString();
    }
};

// Peak and sum of block (blockRow, blockColumn) of size `block` in an n×n matrix, in double.
std::pair<double, double> naiveBlock(const std::vector<float>& values, int n, int block, int blockRow, int blockColumn)
{
    double peak = 0.0;
    double sum = 0.0;
    for (int r = blockRow * block; r < std::min(n, (blockRow + 1) * block); ++r) {
        for (int c = blockColumn * block; c < std::min(n, (blockColumn + 1) * block); ++c) {
            const double v = values[static_cast<std::size_t>(r) * n + c];
            if (std::abs(v) > std::abs(peak)) {
                peak = v;
            }
            sum += v;
        }
    }
    return {peak, sum};
}

QPointF plotCentre(const HeatmapView& view)
{
    const HeatmapGeometry geometry = heatmapGeometry(const_cast<HeatmapView&>(view).widget()->size(), *view.data(), view.viewport());
    return geometry.plot.center();
}

} // namespace

TEST_F(Workbench, TwoVariantsShareOneScaleAndDifferWhereTheirMasksDiffer)
{
    auto window = openWindow(QStringLiteral("topk:k=2"), {QStringLiteral("window:w=3")});
    waitSettled(*window);
    const auto comparison = window->compareView()->comparison();
    ASSERT_TRUE(comparison);
    ASSERT_EQ(comparison->variants.size(), 2u);
    EXPECT_EQ(comparison->variants[0].variant, "topk:k=2");
    EXPECT_EQ(comparison->variants[1].variant, "window:w=3");
    CompareView& view = *window->compareView();
    ASSERT_EQ(view.panelCount(), 5);  // dense, 2 variants, 2 differences
    const int n = comparison->dense.nTokens;
    const auto dense = view.heatmap(0)->data();
    const auto first = view.heatmap(1)->data();
    const auto second = view.heatmap(2)->data();
    const auto firstDifference = view.heatmap(3)->data();
    ASSERT_TRUE(dense && first && second && firstDifference);
    for (int panel = 0; panel < view.panelCount(); ++panel) {
        const auto data = view.heatmap(panel)->data();
        ASSERT_TRUE(data);
        EXPECT_EQ(data->vmax, dense->vmax) << "one colour scale: panel " << panel;
        EXPECT_EQ(data->scale, dense->scale);
        EXPECT_EQ(data->diverging, panel >= 3);
        EXPECT_TRUE(view.heatmap(panel)->widget()->isVisible()) << panel;
    }
    const auto& maskFirst = comparison->variants[0].effective.mask;
    const auto& maskSecond = comparison->variants[1].effective.mask;
    int differingMasks = 0;
    for (int row = 0; row < n; ++row) {
        for (int column = 0; column < n; ++column) {
            const std::size_t index = static_cast<std::size_t>(row) * n + column;
            const float a = first->cellValue(row, column);
            const float b = second->cellValue(row, column);
            EXPECT_EQ(a, comparison->variants[0].effective.attention[index]);
            EXPECT_EQ(b, comparison->variants[1].effective.attention[index]);
            EXPECT_FLOAT_EQ(firstDifference->cellValue(row, column), a - dense->cellValue(row, column));
            if (maskFirst[index] != maskSecond[index]) {
                ++differingMasks;
                EXPECT_NE(a, b) << "row " << row << " column " << column;
                EXPECT_GT(maskFirst[index] ? a : b, 0.0f);
                EXPECT_EQ(maskFirst[index] ? b : a, 0.0f);
            } else if (!maskFirst[index]) {
                EXPECT_EQ(a, 0.0f);
                EXPECT_EQ(b, 0.0f);
            }
        }
    }
    // Rows with 3+ keys keep 2 keys in one and 3 in the other: at least one differing cell each.
    EXPECT_GE(differingMasks, n - 2);

    // The variant list: removing one returns to dense | variant | difference.
    PanelActions remove;
    remove.removeVariant = 0;
    window->applyPanelActions(remove);
    EXPECT_EQ(window->selection().variantSpecs(), QStringList{QStringLiteral("window:w=3")});
    ASSERT_TRUE(waitUntil([&] { return window->isIdle() && view.comparison()->variants.size() == 1; }, kTimeoutMs));
    EXPECT_EQ(view.panelCount(), 3);
    EXPECT_FALSE(view.heatmap(3)->widget()->isVisible());
}

TEST_F(Workbench, RowNormalisationScalesEachRowToItsMaximumOverThePanels)
{
    auto window = openWindow(QStringLiteral("topk:k=3"));
    waitSettled(*window);
    CompareView& view = *window->compareView();
    CompareColorOptions options = view.colorOptions();
    options.rowNormalised = true;
    options.colormap = QStringLiteral("cividis");
    view.setColorOptions(options);
    EXPECT_EQ(view.colorOptions(), options);
    const auto comparison = view.comparison();
    const int n = comparison->dense.nTokens;
    const auto dense = view.heatmap(0)->data();
    const auto variant = view.heatmap(1)->data();
    EXPECT_FLOAT_EQ(dense->vmax, 1.0f);
    for (int row = 0; row < n; ++row) {
        double rowMax = 0.0;
        for (int column = 0; column < n; ++column) {
            const std::size_t index = static_cast<std::size_t>(row) * n + column;
            rowMax = std::max({rowMax, static_cast<double>(comparison->dense.attention[index]),
                               static_cast<double>(comparison->variants[0].effective.attention[index])});
        }
        ASSERT_GT(rowMax, 0.0);
        double shownMax = 0.0;
        for (int column = 0; column < n; ++column) {
            const std::size_t index = static_cast<std::size_t>(row) * n + column;
            EXPECT_NEAR(dense->cellValue(row, column), comparison->dense.attention[index] / rowMax, 1e-6);
            shownMax = std::max({shownMax, static_cast<double>(dense->cellValue(row, column)),
                                 static_cast<double>(variant->cellValue(row, column))});
        }
        EXPECT_NEAR(shownMax, 1.0, 1e-6) << "row " << row;
    }
}

TEST_F(Workbench, ZoomPanAndBoxChangeTheSharedVisibleRangeAndResetRestoresIt)
{
    auto window = openWindow(QStringLiteral("topk:k=4"));
    waitSettled(*window);
    CompareView& view = *window->compareView();
    const int n = view.matrixSize();
    ASSERT_GT(n, 16);
    HeatmapView& variant = *view.heatmap(1);
    variant.widget()->grab();  // paints: computes the tile
    EXPECT_EQ(variant.tile().columns, n);
    EXPECT_TRUE(view.viewport().isWhole(n));

    // Wheel up over the centre of the variant map: zoom in around the cursor, so the middle stays.
    for (int notch = 0; notch < 4; ++notch) {
        const QPointF centre = plotCentre(variant);  // labels appear as cells grow: the plot moves
        QWheelEvent wheel(centre, variant.widget()->mapToGlobal(centre), QPoint(), QPoint(0, 120), Qt::NoButton,
                          Qt::NoModifier, Qt::NoScrollPhase, false);
        QCoreApplication::sendEvent(variant.widget(), &wheel);
    }
    const HeatmapViewport zoomed = view.viewport();
    EXPECT_NEAR(zoomed.span, n / std::pow(1.25, 4), 1e-6);
    EXPECT_NEAR(zoomed.x0 + zoomed.span / 2.0, n / 2.0, 1e-6) << "zoomed around the cursor";
    EXPECT_NEAR(zoomed.y0 + zoomed.span / 2.0, n / 2.0, 1e-6);
    for (int panel = 0; panel < view.panelCount(); ++panel) {
        EXPECT_EQ(view.heatmap(panel)->viewport(), zoomed) << "panels share one transform: " << panel;
    }
    view.heatmap(0)->widget()->grab();
    EXPECT_LT(view.heatmap(0)->tile().columns, n);
    EXPECT_LE(view.heatmap(0)->tile().columns, static_cast<int>(std::ceil(zoomed.span)) + 1);

    // Drag pans (one panel drives all).
    const QPointF centre = plotCentre(variant);
    const HeatmapGeometry geometry = heatmapGeometry(variant.widget()->size(), *variant.data(), variant.viewport());
    auto mouse = [&](QEvent::Type type, const QPointF& at, Qt::MouseButton button, Qt::KeyboardModifiers modifiers) {
        QMouseEvent event(type, at, variant.widget()->mapToGlobal(at), button,
                          type == QEvent::MouseMove ? Qt::MouseButtons(Qt::LeftButton) : Qt::MouseButtons(button), modifiers);
        QCoreApplication::sendEvent(variant.widget(), &event);
    };
    mouse(QEvent::MouseButtonPress, centre, Qt::LeftButton, Qt::NoModifier);
    mouse(QEvent::MouseMove, centre + QPointF(2.0 * geometry.cell, 0.0), Qt::NoButton, Qt::NoModifier);
    mouse(QEvent::MouseButtonRelease, centre + QPointF(2.0 * geometry.cell, 0.0), Qt::LeftButton, Qt::NoModifier);
    EXPECT_NEAR(view.viewport().x0, zoomed.x0 - 2.0, 1e-6);
    EXPECT_NEAR(view.viewport().y0, zoomed.y0, 1e-6);
    EXPECT_EQ(view.heatmap(2)->viewport(), view.viewport());

    // Shift-drag: a box of 4 cells becomes the view.
    const HeatmapViewport beforeBox = view.viewport();
    const QPointF corner = geometry.plot.topLeft() + QPointF(geometry.cell, geometry.cell);
    mouse(QEvent::MouseButtonPress, corner, Qt::LeftButton, Qt::ShiftModifier);
    mouse(QEvent::MouseMove, corner + QPointF(4.0 * geometry.cell, 3.0 * geometry.cell), Qt::NoButton, Qt::ShiftModifier);
    mouse(QEvent::MouseButtonRelease, corner + QPointF(4.0 * geometry.cell, 3.0 * geometry.cell), Qt::LeftButton,
          Qt::ShiftModifier);
    EXPECT_NEAR(view.viewport().span, 4.0, 1e-6);
    EXPECT_NEAR(view.viewport().x0, beforeBox.x0 + 1.0, 1e-6);
    EXPECT_NEAR(view.viewport().y0, beforeBox.y0 + 1.0, 1e-6);

    // Double-click resets every panel to the whole matrix.
    mouse(QEvent::MouseButtonDblClick, centre, Qt::LeftButton, Qt::NoModifier);
    EXPECT_EQ(view.viewport(), HeatmapViewport::whole(n));
    view.heatmap(2)->widget()->grab();
    EXPECT_EQ(view.heatmap(2)->tile().columns, n);
    EXPECT_EQ(view.heatmap(2)->viewport(), HeatmapViewport::whole(n));
}

TEST(HeatmapPyramid, PoolingMatchesANaiveReferenceAtEveryLevel)
{
    std::mt19937 random(7);
    std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
    for (const int n : {1, 37, 64}) {
        std::vector<float> values(static_cast<std::size_t>(n) * n);
        for (float& value : values) {
            value = uniform(random);
        }
        values[static_cast<std::size_t>(n / 2) * n + n / 3] = -3.0f;  // a lone extreme keeps its sign
        const HeatmapPyramid pyramid(values, n);
        EXPECT_EQ(pyramid.levels(), 1 + static_cast<int>(std::ceil(std::log2(std::max(1, n)))));
        for (int level = 0; level < pyramid.levels(); ++level) {
            const int block = HeatmapPyramid::blockSize(level);
            ASSERT_EQ(pyramid.side(level), (n + block - 1) / block);
            for (int r = 0; r < pyramid.side(level); ++r) {
                for (int c = 0; c < pyramid.side(level); ++c) {
                    const auto [peak, sum] = naiveBlock(values, n, block, r, c);
                    ASSERT_EQ(pyramid.at(level, r, c, Pooling::Peak), static_cast<float>(peak))
                        << "n " << n << " level " << level << " block " << r << "," << c;
                    ASSERT_NEAR(pyramid.at(level, r, c, Pooling::Sum), sum, 1e-5 * (1.0 + std::abs(sum)))
                        << "n " << n << " level " << level << " block " << r << "," << c;
                }
            }
        }
        if (n > 1) {
            EXPECT_EQ(pyramid.at(pyramid.levels() - 1, 0, 0, Pooling::Peak), -3.0f);
        }
    }
    const HeatmapPyramid pyramid(std::vector<float>(64 * 64, 0.5f), 64);
    EXPECT_EQ(pyramid.levelFor(0.5), 0);
    EXPECT_EQ(pyramid.levelFor(1.0), 0);
    EXPECT_EQ(pyramid.levelFor(3.9), 1);
    EXPECT_EQ(pyramid.levelFor(4.0), 2);
    EXPECT_EQ(pyramid.levelFor(1000.0), pyramid.levels() - 1);
}

TEST(HeatmapPyramid, ZoomedOutTilesShowPooledBlocksOnTheSharedScale)
{
    // A one-cell-wide diagonal line: max pooling keeps it at full value when 4×4 cells share a
    // pixel; sum pooling shows the block's mass per row (4 cells of 1 over 4 rows = 1 on the diagonal).
    const int n = 64;
    std::vector<float> values(static_cast<std::size_t>(n) * n, 0.0f);
    for (int i = 0; i < n; ++i) {
        values[static_cast<std::size_t>(i) * n + i] = 1.0f;
    }
    values[5] = 0.25f;  // row 0, column 5: one off-diagonal cell in block (0, 1)
    HeatmapData data;
    data.n = n;
    data.pyramid = std::make_shared<const HeatmapPyramid>(values, n);
    data.scale = ColorScale::Linear;
    data.vmax = 1.0f;
    const HeatmapTile peak = heatmapTile(data, HeatmapViewport::whole(n), n / 4.0);
    EXPECT_EQ(peak.level, 2);
    EXPECT_EQ(peak.block, 4);
    ASSERT_EQ(peak.rows, n / 4);
    ASSERT_EQ(peak.columns, n / 4);
    EXPECT_FLOAT_EQ(peak.values[0], 1.0f);
    EXPECT_FLOAT_EQ(peak.values[1], 0.25f);
    EXPECT_FLOAT_EQ(peak.values[2], 0.0f);
    data.pooling = Pooling::Sum;
    const HeatmapTile sum = heatmapTile(data, HeatmapViewport::whole(n), n / 4.0);
    EXPECT_FLOAT_EQ(sum.values[0], 1.0f);
    EXPECT_FLOAT_EQ(sum.values[1], 0.25f / 4.0f);
    // Zoomed in on 8 cells over 80 pixels: exact cells, only the visible ones.
    const HeatmapTile exact = heatmapTile(data, HeatmapViewport{16.0, 16.0, 8.0}, 80.0);
    EXPECT_EQ(exact.level, 0);
    EXPECT_EQ(exact.row0, 16);
    EXPECT_EQ(exact.columns, 8);
    EXPECT_FLOAT_EQ(exact.values[0], 1.0f);
    EXPECT_FLOAT_EQ(exact.values[1], 0.0f);
}

TEST(SelectionModel, TheVariantListKeepsOneToFourAndFollowsTheActiveOne)
{
    SelectionModel selection;
    int changes = 0;
    QObject::connect(&selection, &SelectionModel::variantSpecChanged, [&] { ++changes; });
    selection.setVariantSpecs({QStringLiteral("topk:k=8")});
    EXPECT_EQ(selection.variantSpec(), QStringLiteral("topk:k=8"));
    EXPECT_TRUE(selection.addVariant(QStringLiteral("window:w=4")));
    EXPECT_EQ(selection.activeVariant(), 1);
    selection.setVariantSpec(QStringLiteral("window:w=8"));
    EXPECT_EQ(selection.variantSpecs(), (QStringList{QStringLiteral("topk:k=8"), QStringLiteral("window:w=8")}));
    EXPECT_TRUE(selection.addVariant(QStringLiteral("sea")));
    EXPECT_TRUE(selection.addVariant(QStringLiteral("sbm")));
    EXPECT_FALSE(selection.addVariant(QStringLiteral("dsa"))) << "at most four";
    EXPECT_EQ(selection.variantSpecs().size(), SelectionModel::kMaxVariants);
    selection.setActiveVariant(2);
    selection.removeVariant(0);
    EXPECT_EQ(selection.activeVariant(), 1);
    EXPECT_EQ(selection.variantSpec(), QStringLiteral("sea"));
    selection.removeVariant(1);
    selection.removeVariant(0);
    selection.removeVariant(0);
    EXPECT_EQ(selection.variantSpecs(), QStringList{QStringLiteral("sbm")}) << "the last one stays";
    EXPECT_EQ(changes, 9);
}

TEST_F(Workbench, SweepsAndPerplexitiesArriveForEveryVariant)
{
    auto window = openWindow(QStringLiteral("topk:k=4"), {QStringLiteral("fast")});
    waitSettled(*window);
    PanelActions actions;
    actions.computeCurves = true;
    window->applyPanelActions(actions);
    ASSERT_TRUE(waitUntil([&] { return window->curves() || !window->errorText().isEmpty(); }, kTimeoutMs));
    ASSERT_TRUE(window->errorText().isEmpty()) << window->errorText().toStdString();
    const auto curves = window->curves();
    EXPECT_EQ(curves->layer, 2);
    EXPECT_EQ(curves->head, 1);
    ASSERT_EQ(curves->curves.size(), 2u);
    EXPECT_GT(curves->densePerplexity, 1.0);
    const auto& topk = curves->curves[0];
    EXPECT_EQ(topk.sweep.param, "k");
    ASSERT_GE(topk.sweep.points.size(), 3u);
    EXPECT_NEAR(topk.sweep.points.back().mean.recall, 1.0, 1e-5);  // k = N keeps everything
    EXPECT_LT(topk.sweep.points.front().mean.density, topk.sweep.points.back().mean.density);
    EXPECT_GE(topk.perplexity, curves->densePerplexity * 0.5);
    const auto& fast = curves->curves[1];
    EXPECT_FALSE(fast.sweepError.empty()) << "fast keeps every key: no budget to sweep";
    EXPECT_TRUE(fast.sweep.points.empty());
    EXPECT_GT(fast.perplexity, 1.0);
}

TEST_F(Workbench, PerplexityCanPutTheVariantInTheSelectedLayerOnly)
{
    auto window = openWindow(QStringLiteral("window:w=2"));
    waitSettled(*window);
    PanelActions everywhere;
    everywhere.computeCurves = true;
    window->applyPanelActions(everywhere);
    ASSERT_TRUE(waitUntil([&] { return window->curves() || !window->errorText().isEmpty(); }, kTimeoutMs));
    ASSERT_TRUE(window->errorText().isEmpty()) << window->errorText().toStdString();
    const auto all = window->curves();
    EXPECT_TRUE(all->replacedLayers.empty());
    ASSERT_EQ(all->curves.size(), 1u);

    PanelActions layerOnly;
    layerOnly.perplexityInSelectedLayer = true;
    layerOnly.computeCurves = true;
    window->applyPanelActions(layerOnly);
    ASSERT_TRUE(waitUntil([&] { return window->curves() != all || !window->errorText().isEmpty(); }, kTimeoutMs));
    ASSERT_TRUE(window->errorText().isEmpty()) << window->errorText().toStdString();
    const auto selected = window->curves();
    EXPECT_EQ(selected->replacedLayers, std::vector<int>{2}) << "the window opens on layer 2";
    ASSERT_EQ(selected->curves.size(), 1u);
    // The same number the core gives for that layer, and not the every-layer one.
    auto workspace = Workspace::open(OpenOptions{modelPath().toStdString()});
    ASSERT_TRUE(workspace.ok()) << workspace.error().describe();
    auto tokens = (*workspace)->tokenize(kText);
    ASSERT_TRUE(tokens.ok());
    auto expected = (*workspace)->evaluate(tokens->ids, "window:w=2", {}, {2});
    ASSERT_TRUE(expected.ok()) << expected.error().describe();
    EXPECT_NEAR(selected->curves[0].perplexity, expected->perplexity, 1e-9 * expected->perplexity);
    EXPECT_NE(selected->curves[0].perplexity, all->curves[0].perplexity);
}

TEST_F(Workbench, TheCompareJobRunsBeforeQueuedGridWork)
{
    ComputeService service;
    std::shared_ptr<const TokenizedText> tokens;
    QObject::connect(&service, &ComputeService::tokensReady, [&](auto result) { tokens = result; });
    service.openModel(modelPath());
    service.tokenize(QString::fromLatin1(kText));
    ASSERT_TRUE(waitUntil([&] { return !service.busy(); }, kTimeoutMs));
    ASSERT_TRUE(tokens);
    QStringList order;
    QObject::connect(&service, &ComputeService::gridReady, [&](auto) { order << QStringLiteral("grid"); });
    QObject::connect(&service, &ComputeService::headCompared, [&](auto) { order << QStringLiteral("compare"); });
    QObject::connect(&service, &ComputeService::curvesReady, [&](auto) { order << QStringLiteral("curves"); });
    // The grid may already be running (or not yet picked up); the compare request overtakes the
    // curves job, which is surely still queued behind it.
    service.computeGrid(tokens->ids, QStringLiteral("topk:k=4"));
    service.computeCurves(tokens->ids, 0, 0, {QStringLiteral("topk:k=4")});
    service.compareHead(tokens->ids, 0, 0, {QStringLiteral("topk:k=4")});
    ASSERT_TRUE(waitUntil([&] { return !service.busy(); }, kTimeoutMs));
    ASSERT_EQ(order.size(), 3) << order.join(QLatin1Char(',')).toStdString();
    EXPECT_LT(order.indexOf(QStringLiteral("compare")), order.indexOf(QStringLiteral("curves")))
        << order.join(QLatin1Char(',')).toStdString();
}

TEST_F(Workbench, OpeningAnotherModelRecomputesEvenWhenTheTokensMatch)
{
    auto window = openWindow(QStringLiteral("topk:k=4"));
    waitSettled(*window);
    const auto first = window->compareView()->comparison();
    ASSERT_TRUE(first);
    // The same model as GGUF: same tokenizer, so the same ids, but a new Workspace.
    window->openModel(QStringLiteral(ATTNSCOPE_SHARED_MODELS "/stories260K/stories260K.gguf"));
    ASSERT_TRUE(waitUntil([&] {
        const auto current = window->compareView()->comparison();
        return (current && current != first && window->isIdle()) || !window->errorText().isEmpty();
    }, kTimeoutMs)) << "the compare view kept the previous model's result";
    ASSERT_TRUE(window->errorText().isEmpty()) << window->errorText().toStdString();
    EXPECT_EQ(window->selection().tokens()->ids, first->ids) << "the case needs matching ids";
    EXPECT_EQ(window->compareView()->comparison()->ids, first->ids);
}

TEST(DragAndDrop, OnlyOneFolderOrModelFileIsAccepted)
{
    application();
    QTemporaryDir dir;
    ASSERT_TRUE(dir.isValid());
    QFile gguf(dir.filePath(QStringLiteral("model.gguf")));
    ASSERT_TRUE(gguf.open(QIODevice::WriteOnly));
    gguf.close();
    QFile text(dir.filePath(QStringLiteral("notes.txt")));
    ASSERT_TRUE(text.open(QIODevice::WriteOnly));
    text.close();
    auto dropped = [](const QList<QUrl>& urls) {
        QMimeData mime;
        mime.setUrls(urls);
        return MainWindow::droppedModelPath(&mime);
    };
    EXPECT_EQ(dropped({QUrl::fromLocalFile(dir.path())}), QDir(dir.path()).absolutePath());
    EXPECT_EQ(dropped({QUrl::fromLocalFile(gguf.fileName())}), gguf.fileName());
    EXPECT_EQ(dropped({QUrl::fromLocalFile(text.fileName())}), QString());
    EXPECT_EQ(dropped({QUrl::fromLocalFile(gguf.fileName()), QUrl::fromLocalFile(dir.path())}), QString());
    EXPECT_EQ(dropped({QUrl(QStringLiteral("https://example.org/model.gguf"))}), QString());
}

TEST_F(Workbench, SettingsRoundTripThroughATemporaryFile)
{
    QTemporaryDir dir;
    ASSERT_TRUE(dir.isValid());
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, dir.path());
    CompareColorOptions colors;
    colors.scale = ColorScale::Log;
    colors.colormap = QStringLiteral("magma");
    colors.rowNormalised = true;
    colors.pooling = Pooling::Sum;
    {
        WorkbenchSettings settings;
        EXPECT_TRUE(settings.fileName().startsWith(dir.path()));
        for (int i = 0; i < WorkbenchSettings::kMaxRecent + 2; ++i) {
            settings.addRecentModel(QStringLiteral("/models/m%1").arg(i));
        }
        settings.addRecentModel(QStringLiteral("/models/m3"));  // reopened: moves to the front
        settings.setTheme(Theme::Light);
        settings.setColorOptions(colors);
        settings.setWindowLayout(QByteArray("geometry"), QByteArray("state"), {QByteArray("a"), QByteArray("b")});
        ASSERT_TRUE(settings.sync());
    }
    ASSERT_TRUE(QFile::exists(dir.filePath(QStringLiteral("attnscope/workbench.ini"))));
    {
        const WorkbenchSettings settings;
        const QStringList recent = settings.recentModels();
        ASSERT_EQ(recent.size(), WorkbenchSettings::kMaxRecent);
        EXPECT_EQ(recent.front(), QStringLiteral("/models/m3"));
        EXPECT_EQ(recent[1], QStringLiteral("/models/m9"));
        EXPECT_EQ(recent.count(QStringLiteral("/models/m3")), 1);
        EXPECT_EQ(settings.theme(), Theme::Light);
        EXPECT_EQ(settings.colorOptions(), colors);
        EXPECT_EQ(settings.windowGeometry(), QByteArray("geometry"));
        EXPECT_EQ(settings.splitterStates(), (QList<QByteArray>{QByteArray("a"), QByteArray("b")}));
    }

    // A window saves its size and colour options; the next one restores them.
    CompareColorOptions windowColors;
    QSize savedSize;
    windowColors.colormap = QStringLiteral("cividis");
    windowColors.rowNormalised = true;
    {
        auto window = openWindow(QStringLiteral("topk:k=4"));
        window->resize(1234, 777);
        window->compareView()->setColorOptions(windowColors);
        savedSize = window->size();  // the width may be held at the layout's minimum
        window->saveLayout();
        EXPECT_TRUE(WorkbenchSettings().recentModels().contains(modelPath())) << "opening records a recent model";
    }
    MainWindowOptions options;
    options.modelPath = modelPath();
    options.text = QString::fromLatin1(kText);
    MainWindow restored(options);
    EXPECT_EQ(savedSize.height(), 777);
    EXPECT_EQ(restored.size(), savedSize);
    EXPECT_EQ(restored.compareView()->colorOptions(), windowColors);
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, test::settingsFolder());
}

// The workbench without GL (QT_QPA_PLATFORM=offscreen, label "gui"): the main window on a real
// model drives computations through ComputeService, the compare view gets N×N maps, the head grid
// layers × heads, errors stay in the status area; the ImGui panels run headless on a bare context.

#include "gui/gui_test_support.h"

#include "backend_status.h"
#include "compute_service.h"
#include "main_window.h"
#include "panels/metrics_panel.h"
#include "panels/variant_panel.h"
#include "selection_model.h"
#include "views/compare_view.h"
#include "views/head_grid_view.h"
#include "views/heatmap_view.h"
#include "views/imgui_panel_view.h"

#include "attnscope/variant_spec.h"

#include <gtest/gtest.h>
#include <imgui.h>

#include <QApplication>
#include <QFile>
#include <QLabel>

#include <cmath>

using namespace attnscope;
using namespace attnscope::gui;
using attnscope::gui::test::application;
using attnscope::gui::test::modelPath;

namespace {

constexpr int kTimeoutMs = 60000;
const char* const kText = "Once upon a time there was a little cat. The little cat";

class GuiSmoke : public test::RealModelTest {
protected:
    std::unique_ptr<MainWindow> openWindow()
    {
        MainWindowOptions options;
        options.modelPath = modelPath();
        options.text = QString::fromLatin1(kText);
        options.useGl = openGlAvailable();
        auto window = std::make_unique<MainWindow>(options);
        window->resize(1400, 900);
        window->show();
        return window;
    }
};

} // namespace

TEST_F(GuiSmoke, OffscreenHasNoGlAndFallsBack)
{
    EXPECT_FALSE(openGlAvailable()) << "platform " << QGuiApplication::platformName().toStdString();
}

TEST_F(GuiSmoke, MainWindowShowsDenseVariantAndDifferenceOfOneHead)
{
    auto window = openWindow();
    ASSERT_TRUE(waitUntil([&] { return settled(*window); }, kTimeoutMs)) << "no result in time";
    ASSERT_TRUE(window->errorText().isEmpty()) << window->errorText().toStdString();

    const auto tokens = window->selection().tokens();
    ASSERT_TRUE(tokens);
    const int n = static_cast<int>(tokens->ids.size());
    ASSERT_GT(n, 8);
    const auto comparison = window->compareView()->comparison();
    ASSERT_TRUE(comparison);
    EXPECT_EQ(window->compareView()->matrixSize(), n);
    EXPECT_EQ(comparison->dense.nTokens, n);
    EXPECT_EQ(comparison->dense.attention.size(), static_cast<std::size_t>(n) * n);
    ASSERT_EQ(comparison->variants.size(), 1u);
    const VariantHead& variant = comparison->variants.front();
    EXPECT_EQ(variant.effective.attention.size(), static_cast<std::size_t>(n) * n);
    EXPECT_EQ(variant.effective.mask.size(), static_cast<std::size_t>(n) * n);
    ASSERT_EQ(window->compareView()->panelCount(), 3);
    for (int i = 0; i < 3; ++i) {
        const auto data = window->compareView()->heatmap(i)->data();
        ASSERT_TRUE(data) << "map " << i;
        EXPECT_EQ(data->n, n);
        ASSERT_TRUE(data->pyramid) << "map " << i;
        EXPECT_EQ(data->pyramid->n(), n);
    }
    // Non-trivial: dense rows are distributions, and top-8 keeps fewer keys than dense on row n-1.
    double lastRow = 0.0;
    for (int j = 0; j < n; ++j) {
        lastRow += comparison->dense.attention[static_cast<std::size_t>(n - 1) * n + j];
    }
    EXPECT_NEAR(lastRow, 1.0, 1e-4);
    EXPECT_GT(variant.metrics.density, 0.0);
    EXPECT_LT(variant.metrics.density, 1.0);
    EXPECT_GT(variant.metrics.recall, 0.0);

    const auto grid = window->headGridView()->grid();
    ASSERT_TRUE(grid);
    ASSERT_EQ(grid->scores.size(), 5u);  // stories260K: 5 layers × 8 heads
    EXPECT_EQ(grid->scores.front().size(), 8u);
    EXPECT_EQ(grid->metrics.size(), 5u);
}

TEST_F(GuiSmoke, SelectingAHeadAndAVariantRecomputes)
{
    auto window = openWindow();
    ASSERT_TRUE(waitUntil([&] { return settled(*window); }, kTimeoutMs));
    window->selection().setHead(3, 5);
    window->selection().setVariantSpec(QStringLiteral("window:w=4"));
    ASSERT_TRUE(waitUntil([&] {
        const auto c = window->compareView()->comparison();
        return settled(*window) && c && c->layer == 3 && c->head == 5 && c->variants.size() == 1 &&
               c->variants.front().variant == "window:w=4";
    }, kTimeoutMs));
    EXPECT_TRUE(window->errorText().isEmpty()) << window->errorText().toStdString();
    EXPECT_EQ(window->headGridView()->grid()->variant, "window:w=4");
}

// Compute → Backend reaches the variants, and the status bar says where the last comparison ran.
TEST_F(GuiSmoke, TheBackendChoiceRecomputesAndTheStatusBarSaysWhereAttentionRan)
{
    auto window = openWindow();
    ASSERT_TRUE(waitUntil([&] { return settled(*window); }, kTimeoutMs));
    const auto first = window->compareView()->comparison();
    ASSERT_TRUE(first);
    const std::string ranFirst = first->variants.front().stats.attentionBackend;
    ASSERT_TRUE(ranFirst == "cpu" || ranFirst == "cuda") << ranFirst;
    const QString label = window->backendStatus().label()->text();
    EXPECT_TRUE(label.contains(QStringLiteral("attention: ") + QString::fromStdString(ranFirst)))
        << label.toStdString();
    EXPECT_TRUE(label.contains(QStringLiteral("auto"))) << label.toStdString();
    if (ranFirst == "cpu") {
        // Auto tried CUDA: the tooltip names why it was not used.
        EXPECT_FALSE(first->variants.front().stats.backendFallbackReason.empty());
        EXPECT_TRUE(window->backendStatus().label()->toolTip().contains(QStringLiteral("CUDA not used")))
            << window->backendStatus().label()->toolTip().toStdString();
    }

    window->backendStatus().choose(VariantBackend::Cpu);
    EXPECT_EQ(window->computeService().backend(), VariantBackend::Cpu);
    ASSERT_TRUE(waitUntil([&] {
        const auto c = window->compareView()->comparison();
        return settled(*window) && c && c != first;
    }, kTimeoutMs)) << "choosing a backend must recompute the comparison";
    const auto onCpu = window->compareView()->comparison();
    EXPECT_EQ(onCpu->variants.front().stats.attentionBackend, "cpu");
    EXPECT_TRUE(onCpu->variants.front().stats.backendFallbackReason.empty());
    EXPECT_TRUE(window->backendStatus().label()->text().contains(QStringLiteral("CPU only")))
        << window->backendStatus().label()->text().toStdString();
    EXPECT_FALSE(window->backendStatus().label()->toolTip().contains(QStringLiteral("CUDA not used")));
    if (ranFirst == "cpu") {
        EXPECT_EQ(onCpu->variants.front().effective.attention, first->variants.front().effective.attention);
    }
}

TEST_F(GuiSmoke, BadInputIsReportedInTheStatusAreaNotAborted)
{
    auto window = openWindow();
    ASSERT_TRUE(waitUntil([&] { return settled(*window); }, kTimeoutMs));
    window->selection().setVariantSpec(QStringLiteral("topk:k=0"));
    EXPECT_FALSE(window->errorText().isEmpty());
    window->selection().setVariantSpec(QStringLiteral("topk:k=4"));
    ASSERT_TRUE(waitUntil([&] { return settled(*window) && window->errorText().isEmpty(); }, kTimeoutMs))
        << window->errorText().toStdString();
}

TEST_F(GuiSmoke, NewerRequestsWithTheSameTagReplaceOlderOnes)
{
    ComputeService service;
    std::shared_ptr<const TokenizedText> tokens;
    QObject::connect(&service, &ComputeService::tokensReady, [&](auto result) { tokens = result; });
    QString error;
    QObject::connect(&service, &ComputeService::failed, [&](const QString&, const QString& message) { error = message; });
    service.openModel(modelPath());
    service.tokenize(QString::fromLatin1(kText));
    ASSERT_TRUE(waitUntil([&] { return !service.busy(); }, kTimeoutMs));
    ASSERT_TRUE(tokens) << error.toStdString();

    std::vector<std::shared_ptr<const HeadComparison>> delivered;
    QObject::connect(&service, &ComputeService::headCompared, [&](auto result) { delivered.push_back(result); });
    for (int head = 0; head < 8; ++head) {
        service.compareHead(tokens->ids, 1, head, {QStringLiteral("topk:k=4")});
    }
    ASSERT_TRUE(waitUntil([&] { return !service.busy(); }, kTimeoutMs));
    ASSERT_EQ(delivered.size(), 1u) << "superseded requests must be dropped";
    EXPECT_EQ(delivered.front()->head, 7);
    EXPECT_TRUE(error.isEmpty()) << error.toStdString();
}

TEST(ImGuiPanels, DrawHeadlessForAFewFrames)
{
    ImGuiContext* context = ImGui::CreateContext();
    ImGui::SetCurrentContext(context);
    setupImGuiStyle(1.0f);
    ImGuiIO& io = ImGui::GetIO();
    io.DisplaySize = ImVec2(330.0f, 700.0f);
    io.DeltaTime = 1.0f / 60.0f;
    unsigned char* pixels = nullptr;
    int width = 0;
    int height = 0;
    io.Fonts->GetTexDataAsRGBA32(&pixels, &width, &height);  // no renderer: build the atlas ourselves
    ASSERT_GT(width, 0);

    auto comparison = std::make_shared<HeadComparison>();
    comparison->layer = 1;
    comparison->head = 2;
    comparison->dense.nTokens = 16;
    for (const char* spec : {"sea:k=8", "topk:k=4"}) {
        VariantHead variant;
        variant.variant = spec;
        variant.metrics.density = 0.25;
        variant.metrics.recall = 0.9;
        comparison->variants.push_back(variant);
    }
    auto curves = std::make_shared<VariantCurves>();
    curves->layer = 1;
    curves->head = 2;
    curves->densePerplexity = 10.0;
    VariantCurves::Curve curve;
    curve.variant = "sea:k=8";
    curve.perplexity = 11.0;
    for (int k : {1, 4, 16}) {
        SweepPoint point;
        point.value = k;
        point.mean.density = k / 16.0;
        point.mean.recall = std::sqrt(k / 16.0);
        curve.sweep.points.push_back(point);
    }
    curves->curves = {curve};
    PanelState state;
    state.variantSpec = "sea:k=8";
    state.variantSpecs = {"sea:k=8", "topk:k=4"};
    state.curves = curves;
    state.comparison = comparison;
    VariantPanel variants;
    MetricsPanel metrics;
    for (int frame = 0; frame < 3; ++frame) {
        ImGui::NewFrame();
        const PanelActions actions = drawPanels(variants, metrics, state);
        ImGui::Render();
        EXPECT_FALSE(actions.variantSpec.has_value()) << "no input, no intent";
        EXPECT_FALSE(actions.addVariant || actions.removeVariant || actions.activeVariant || actions.computeCurves);
    }
    EXPECT_GT(ImGui::GetDrawData()->TotalVtxCount, 100);
    // Every registered kind draws its generated controls without tripping an ImGui assert.
    for (const VariantKindInfo& kind : variantRegistry()) {
        state.variantSpec = kind.name;
        state.variantSpecs = {kind.name};
        ImGui::NewFrame();
        drawPanels(variants, metrics, state);
        ImGui::Render();
    }
    ImGui::DestroyContext(context);
}

TEST(ImGuiPanels, KnobEditsBecomeShortCanonicalSpecs)
{
    EXPECT_EQ(specWithParam("topk:k=8", "k", "16"), "topk:k=16");
    EXPECT_EQ(specWithParam("topk:k=8", "k", "32"), "topk");  // the default is not written
    EXPECT_EQ(specWithParam("topk:k=8", "k", "-3"), "topk:k=8");  // invalid edits are refused
    EXPECT_EQ(specForKind("topk:k=8", "sea"), "sea:k=8");  // shared parameters carry over
    EXPECT_EQ(specForKind("topk:k=8", "window"), "window");
}

// The GUI's Export action and `attnscope export` write the same file for the same scene: the GUI
// side is the real window (MainWindow::exportFigureTo on what it computed and shows) and, below it,
// gui::exportSceneFigure on Workspace::headAttention results; the CLI side runs the real binary.

#include "gui/gui_test_support.h"

#include "compute_service.h"
#include "figure_export_action.h"
#include "figure_export_controller.h"
#include "main_window.h"
#include "model_fingerprints.h"
#include "panels/panel_state.h"
#include "selection_model.h"
#include "views/analysis_tabs.h"
#include "views/head_grid_view.h"
#include "views/rollout_view.h"

#include "attnscope/workspace.h"
#include "test_support/cli_runner.h"
#include "test_support/read_file.h"
#include "test_support/temp_dir.h"

#include <QGuiApplication>
#include <QImage>

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace attnscope {
namespace {

const std::string kText = "In the beginning God created the heaven and the earth. And the earth was without form.";

/// The window on the demo model and kText with `variants` (the first active) at (layer, head).
gui::MainWindowOptions windowOptions(const QStringList& variants, int layer, int head)
{
    gui::MainWindowOptions options;
    options.modelPath = QStringLiteral("demo");
    options.text = QString::fromStdString(kText);
    options.variantSpec = variants.front();
    options.moreVariants = variants.mid(1);
    options.layer = layer;
    options.head = head;
    options.restoreLayout = false;
    return options;
}

class GuiFigureExport : public ::testing::Test {
protected:
    static void SetUpTestSuite() { gui::test::application(); }

    /// The GUI path: the window's results for (layer, head, variant), exported as the action does.
    std::string exportFromGui(int layer, int head, const std::string& variant, const std::string& path,
                              figure::FigureFormat format)
    {
        auto workspace = Workspace::open({"demo"});
        EXPECT_TRUE(workspace.ok()) << workspace.error().describe();
        auto tokens = workspace.value()->tokenize(kText);
        EXPECT_TRUE(tokens.ok());
        auto dense = workspace.value()->headAttention(tokens->ids, layer, head, "dense", {});
        auto effective = workspace.value()->headAttention(tokens->ids, layer, head, variant, {});
        EXPECT_TRUE(dense.ok() && effective.ok());
        gui::FigureScene scene;
        scene.dense = &dense.value();
        scene.variants = {&effective.value()};
        scene.pieces = tokens->tokens;
        scene.scale = ColourScale::Sqrt;
        scene.modelPath = workspace.value()->info().path;
        scene.modelHash = modelFingerprint(scene.modelPath).value();
        scene.text = kText;
        const auto written = gui::exportSceneFigure(scene, path, {format, 150, false}, false);
        EXPECT_TRUE(written.ok()) << written.error().describe();
        return readFileBytes(path);
    }

    std::string exportFromCli(int layer, int head, const std::string& variant, const std::string& path)
    {
        const CliRun run = runCli({"export", "demo", "--text", kText, "--layer", std::to_string(layer), "--head",
                                   std::to_string(head), "--variant", variant, "--dpi", "150", "--out", path});
        EXPECT_EQ(run.exitCode, 0) << run.err;
        return readFileBytes(path);
    }

    TempDir m_dir;
};

TEST_F(GuiFigureExport, PngFromTheWindowAndFromTheCommandLineAreIdentical)
{
    for (const auto& [layer, head, variant] : {std::tuple{1, 3, std::string("topk:k=4")},
                                               std::tuple{3, 0, std::string("sbm:clusters=4,density=0.3,seed=5")}}) {
        const std::string stem = m_dir.path() + "/L" + std::to_string(layer) + "H" + std::to_string(head);
        const std::string gui = exportFromGui(layer, head, variant, stem + "-gui.png", figure::FigureFormat::Png);
        const std::string cli = exportFromCli(layer, head, variant, stem + "-cli.png");
        ASSERT_GT(gui.size(), 1000u);
        EXPECT_TRUE(gui == cli) << "layer " << layer << " head " << head << " " << variant << ": " << gui.size()
                                << " vs " << cli.size() << " bytes";
        QImage image;
        ASSERT_TRUE(image.loadFromData(reinterpret_cast<const uchar*>(gui.data()), static_cast<int>(gui.size()), "PNG"));
        EXPECT_EQ(image.text(QStringLiteral("variant")).toStdString(), variant);
        EXPECT_EQ(image.text(QStringLiteral("seed")).toStdString(), variant.find("seed=5") != std::string::npos ? "5" : "");
    }
}

TEST_F(GuiFigureExport, SvgFromTheWindowAndFromTheCommandLineAreIdentical)
{
    const std::string gui = exportFromGui(2, 1, "window:w=3", m_dir.path() + "/gui.svg", figure::FigureFormat::Svg);
    const std::string cli = exportFromCli(2, 1, "window:w=3", m_dir.path() + "/cli.svg");
    ASSERT_GT(gui.size(), 1000u);
    EXPECT_TRUE(gui == cli) << gui.size() << " vs " << cli.size() << " bytes";
}

TEST_F(GuiFigureExport, TheWindowsExportIsTheCommandLinesFigure)
{
    gui::MainWindow window(windowOptions({QStringLiteral("topk:k=4"), QStringLiteral("window:w=3")}, 2, 5));
    window.resize(1400, 900);
    window.show();
    EXPECT_NE(window.exportFigureTo(QString::fromStdString(m_dir.path() + "/early.png")), QString());
    ASSERT_TRUE(gui::waitUntil([&] { return window.isIdle() || !window.errorText().isEmpty(); }, 120000));
    ASSERT_EQ(window.errorText(), QString());
    ASSERT_EQ(window.selection().layer(), 2);
    const std::string fromWindow = m_dir.path() + "/window.png";
    ASSERT_EQ(window.exportFigureTo(QString::fromStdString(fromWindow)), QString());
    const CliRun run = runCli({"export", "demo", "--text", kText, "--layer", "2", "--head", "5", "--variant", "topk:k=4",
                               "--variant", "window:w=3", "--together", "--dpi", "300", "--out", m_dir.path() + "/cli.png"});
    ASSERT_EQ(run.exitCode, 0) << run.err;
    const std::string gui = readFileBytes(fromWindow);
    ASSERT_GT(gui.size(), 1000u);
    EXPECT_TRUE(gui == readFileBytes(m_dir.path() + "/cli.png")) << "the window's figure differs from the CLI's";
}

TEST_F(GuiFigureExport, TheWindowsHeadGridRolloutAndCurvesAreTheCommandLinesFigures)
{
    gui::MainWindow window(windowOptions({QStringLiteral("topk:k=4")}, 1, 2));
    window.resize(1400, 900);
    window.show();
    gui::FigureExportController& exports = window.figureExports();
    EXPECT_NE(exports.exportTo(gui::ExportedView::Curves, QString::fromStdString(m_dir.path() + "/early.png")), QString())
        << "no curves before a sweep";
    ASSERT_TRUE(gui::waitUntil([&] { return window.isIdle() || !window.errorText().isEmpty(); }, 120000));
    ASSERT_EQ(window.errorText(), QString());
    // The rollout tab computes when shown; the curves when asked for.
    window.analysisTabs()->setCurrentIndex(gui::AnalysisTabs::Rollout);
    gui::PanelActions sweep;
    sweep.computeCurves = true;
    window.applyPanelActions(sweep);
    ASSERT_TRUE(gui::waitUntil([&] { return (window.analysisTabs()->rolloutView()->rollout() && window.curves() &&
                                             !window.computeService().busy()) || !window.errorText().isEmpty(); },
                               240000));
    ASSERT_EQ(window.errorText(), QString());
    window.headGridView()->setMetric(HeadGridMetric::Induction);
    struct Case {
        gui::ExportedView view;
        std::string name;
        std::vector<std::string> cli;
    };
    const std::vector<Case> cases = {
        {gui::ExportedView::HeadGrid, "grid.png", {"--view", "grid", "--metric", "induction"}},
        {gui::ExportedView::Rollout, "rollout.svg", {"--view", "rollout", "--layer", "1"}},
        {gui::ExportedView::Curves, "curves.svg", {"--view", "curves", "--layer", "1", "--head", "2"}},
    };
    for (const Case& test : cases) {
        const std::string fromWindow = m_dir.path() + "/window-" + test.name;
        ASSERT_EQ(exports.exportTo(test.view, QString::fromStdString(fromWindow)), QString()) << test.name;
        std::vector<std::string> arguments{"export", "demo", "--text", kText, "--variant", "topk:k=4", "--dpi", "300"};
        arguments.insert(arguments.end(), test.cli.begin(), test.cli.end());
        arguments.insert(arguments.end(), {"--out", m_dir.path() + "/cli-" + test.name});
        const CliRun run = runCli(arguments);
        ASSERT_EQ(run.exitCode, 0) << run.err;
        const std::string gui = readFileBytes(fromWindow);
        ASSERT_GT(gui.size(), 1000u) << test.name;
        EXPECT_TRUE(gui == readFileBytes(m_dir.path() + "/cli-" + test.name)) << test.name << " differs from the CLI's";
    }
}

TEST_F(GuiFigureExport, TheModelIsHashedOffTheUiThread)
{
    // A model-sized file: request() returns at once and the result arrives through the event
    // loop, equal to the fingerprint computed here directly.
    const std::string path = m_dir.path() + "/big.gguf";
    {
        std::ofstream stream(path, std::ios::binary);
        std::string block(1 << 20, '\0');
        for (int mib = 0; mib < 48; ++mib) {
            block[0] = static_cast<char>(mib);
            stream << block;
        }
    }
    gui::ModelFingerprints fingerprints;
    int progressReports = 0;
    QObject::connect(&fingerprints, &gui::ModelFingerprints::progress, [&](const QString&, double) { ++progressReports; });
    fingerprints.request(path);
    EXPECT_FALSE(fingerprints.result(path).has_value()) << "the request must not hash on the calling thread";
    ASSERT_TRUE(gui::waitUntil([&] { return fingerprints.result(path).has_value(); }, 120000));
    const auto hash = fingerprints.result(path);
    ASSERT_TRUE(hash->ok()) << hash->error().describe();
    EXPECT_EQ(hash->value(), modelFingerprint(path).value());
    EXPECT_GT(progressReports, 1) << "progress while hashing 48 MiB";
    fingerprints.request("/nonexistent/model.gguf");
    ASSERT_TRUE(gui::waitUntil([&] { return fingerprints.result("/nonexistent/model.gguf").has_value(); }, 10000));
    EXPECT_EQ(fingerprints.result("/nonexistent/model.gguf")->error().code, ErrorCode::FileNotFound);
}

TEST_F(GuiFigureExport, NothingOnScreenIsAnErrorNotACrash)
{
    gui::FigureScene empty;
    const auto written = gui::exportSceneFigure(empty, m_dir.path() + "/none.png", {}, false);
    ASSERT_FALSE(written.ok());
    EXPECT_EQ(written.error().code, ErrorCode::InvalidArgument);
}

} // namespace
} // namespace attnscope

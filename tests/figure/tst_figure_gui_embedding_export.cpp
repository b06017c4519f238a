// The Q/K embedding tab's File → Export and `attnscope export --view embedding` write the same
// file: below the window, gui::exportEmbeddingFigure on core results with both switches; then the
// real window (the tab computed and shown, its colouring and kept-edges switches set, File →
// Export through the controller); the CLI side runs the real binary. The tab draws core's points:
// its point count is the figure's.

#include "figure_gui_test_support.h"
#include "gui/gui_test_support.h"

#include "figure_export_action.h"
#include "figure_export_controller.h"
#include "main_window.h"
#include "views/analysis_tabs.h"
#include "views/embedding_view.h"

#include "attnscope/analysis.h"
#include "attnscope/figure_embedding.h"
#include "attnscope/workspace.h"
#include "test_support/read_file.h"
#include "test_support/temp_dir.h"

#include <gtest/gtest.h>

namespace attnscope {
namespace {

const std::string kText = "In the beginning God created the heaven and the earth. And the earth was without form.";

class GuiEmbeddingExport : public ::testing::Test {
protected:
    static void SetUpTestSuite() { gui::test::application(); }

    /// `attnscope export --view embedding` with `options`.
    std::string fromCli(const std::vector<std::string>& options, int dpi, const std::string& path) const
    {
        std::vector<std::string> view{"--view", "embedding"};
        view.insert(view.end(), options.begin(), options.end());
        return testing::cliFigureBytes(kText, view, dpi, path);
    }

    TempDir m_dir;
};

TEST_F(GuiEmbeddingExport, TheBuilderWritesTheCommandLinesPng)
{
    auto workspace = Workspace::open({"demo"});
    ASSERT_TRUE(workspace.ok()) << workspace.error().describe();
    auto tokens = workspace.value()->tokenize(kText);
    ASSERT_TRUE(tokens.ok());
    const gui::FigureSource source = testing::windowFigureSource(*workspace.value(), kText, tokens->tokens);
    // What the tab's compute job hands over: the projection and the variant's kept mask.
    auto embedding = qkEmbedding(*workspace.value(), tokens->ids, 2, 1, {});
    auto effective = workspace.value()->headAttention(tokens->ids, 2, 1, "window:w=3", {});
    ASSERT_TRUE(embedding.ok() && effective.ok());
    EmbeddingScene scene;
    scene.embedding = embedding.value();
    scene.variant = effective->variant;
    scene.kept = effective->mask;
    scene.ids = tokens->ids;
    const figure::FigureOutputOptions png{figure::FigureFormat::Png, 150, false};
    for (const EmbeddingStyle& style : {EmbeddingStyle{}, EmbeddingStyle{EmbeddingColouring::Token, true}}) {
        const std::string name = style.keptEdges ? "token-edges" : "position";
        const std::string fromGui = m_dir.path() + "/gui-" + name + ".png";
        const auto written = gui::exportEmbeddingFigure(scene, style, source, fromGui, png);
        ASSERT_TRUE(written.ok()) << written.error().describe();
        const std::string gui = readFileBytes(fromGui);
        ASSERT_GT(gui.size(), 1000u);
        std::vector<std::string> cli{"--layer", "2", "--head", "1", "--variant", "window:w=3"};
        if (style.keptEdges) {
            cli.insert(cli.end(), {"--kept-edges", "--colour-by", "token"});
        }
        EXPECT_TRUE(gui == fromCli(cli, 150, m_dir.path() + "/cli-" + name + ".png")) << name << " differs from the CLI's";
    }
}

TEST_F(GuiEmbeddingExport, TheWindowsEmbeddingIsTheCommandLinesFigure)
{
    gui::MainWindow window(testing::demoWindowOptions(kText, "topk:k=3", 1, 2));
    window.resize(1400, 900);
    window.show();
    gui::FigureExportController& exports = window.figureExports();
    ASSERT_TRUE(gui::waitUntil([&] { return window.isIdle() || !window.errorText().isEmpty(); }, 120000));
    ASSERT_EQ(window.errorText(), QString());
    EXPECT_NE(exports.exportTo(gui::ExportedView::Embedding, QString::fromStdString(m_dir.path() + "/early.png")), QString())
        << "no embedding before the tab has a result";
    gui::AnalysisTabs* tabs = window.analysisTabs();
    tabs->setCurrentIndex(gui::AnalysisTabs::Embedding);
    ASSERT_TRUE(gui::waitUntil([&] { return tabs->currentTabIsUpToDate() || !window.errorText().isEmpty(); }, 120000));
    ASSERT_EQ(window.errorText(), QString());
    gui::EmbeddingView* view = tabs->embeddingView();
    const std::vector<std::string> cli{"--layer", "1", "--head", "2", "--variant", "topk:k=3"};

    const std::string plain = m_dir.path() + "/window-plain.png";
    ASSERT_EQ(exports.exportTo(gui::ExportedView::Embedding, QString::fromStdString(plain)), QString());
    const std::string gui = readFileBytes(plain);
    ASSERT_GT(gui.size(), 1000u);
    EXPECT_TRUE(gui == fromCli(cli, 300, m_dir.path() + "/cli-plain.png")) << "the tab's defaults differ from the CLI's";

    view->setColourByToken(true);
    view->setShowEdges(true);
    view->grab();
    auto scatter = embeddingScatter(*view->data(), view->style());
    ASSERT_TRUE(scatter.ok());
    EXPECT_EQ(view->drawnPointCount(), static_cast<int>(scatter->points.size()));
    EXPECT_EQ(view->drawnEdgeCount(), static_cast<int>(scatter->edges.size()));
    const std::string switched = m_dir.path() + "/window-switched.svg";
    ASSERT_EQ(exports.exportTo(gui::ExportedView::Embedding, QString::fromStdString(switched)), QString());
    std::vector<std::string> withSwitches = cli;
    withSwitches.insert(withSwitches.end(), {"--colour-by", "token", "--kept-edges"});
    const std::string svg = readFileBytes(switched);
    ASSERT_GT(svg.size(), 1000u);
    EXPECT_TRUE(svg == fromCli(withSwitches, 300, m_dir.path() + "/cli-switched.svg")) << "the switched tab differs from the CLI's";
}

} // namespace
} // namespace attnscope

// The Structure, Token lines and Graph tabs' Export actions and `attnscope export --view
// structure|lines|graph` write the same file: below the window, gui::exportStructureFigure / exportTokenLinesFigure on
// core results; then the real window (its tabs computed and shown, File → Export through the
// controller); the CLI side runs the real binary.

#include "figure_gui_test_support.h"
#include "gui/gui_test_support.h"

#include "figure_export_action.h"
#include "figure_export_controller.h"
#include "main_window.h"
#include "views/analysis_tabs.h"
#include "views/structure_view.h"
#include "views/token_lines_view.h"

#include "attnscope/analysis.h"
#include "attnscope/figure_graph.h"
#include "attnscope/figure_structure.h"
#include "attnscope/workspace.h"
#include "test_support/cli_runner.h"
#include "test_support/read_file.h"
#include "test_support/temp_dir.h"

#include <QImage>

#include <gtest/gtest.h>

namespace attnscope {
namespace {

const std::string kText = "In the beginning God created the heaven and the earth. And the earth was without form.";

class GuiStructureExport : public ::testing::Test {
protected:
    static void SetUpTestSuite() { gui::test::application(); }

    gui::FigureSource source(Workspace& workspace, const std::vector<std::string>& pieces) const
    {
        return testing::windowFigureSource(workspace, kText, pieces);
    }

    std::string fromCli(const std::vector<std::string>& view, int dpi, const std::string& path) const
    {
        return testing::cliFigureBytes(kText, view, dpi, path);
    }

    TempDir m_dir;
};

TEST_F(GuiStructureExport, BuildersWriteTheCommandLinesPng)
{
    auto workspace = Workspace::open({"demo"});
    ASSERT_TRUE(workspace.ok()) << workspace.error().describe();
    auto tokens = workspace.value()->tokenize(kText);
    ASSERT_TRUE(tokens.ok());
    const gui::FigureSource figureSource = source(*workspace.value(), tokens->tokens);
    const figure::FigureOutputOptions png{figure::FigureFormat::Png, 150, false};

    const std::string spec = "sbm:clusters=4,density=0.3,seed=5";
    auto structure = headStructure(*workspace.value(), tokens->ids, 3, 0, spec, {});
    ASSERT_TRUE(structure.ok()) << structure.error().describe();
    const std::string structureGui = m_dir.path() + "/structure-gui.png";
    const auto structureWritten = gui::exportStructureFigure(structure.value(), figureSource, structureGui, png);
    ASSERT_TRUE(structureWritten.ok()) << structureWritten.error().describe();
    const std::string gui = readFileBytes(structureGui);
    ASSERT_GT(gui.size(), 1000u);
    EXPECT_TRUE(gui == fromCli({"--view", "structure", "--layer", "3", "--head", "0", "--variant", spec}, 150,
                               m_dir.path() + "/structure-cli.png"))
        << "the structure figure differs from the CLI's";
    QImage image;
    ASSERT_TRUE(image.loadFromData(reinterpret_cast<const uchar*>(gui.data()), static_cast<int>(gui.size()), "PNG"));
    EXPECT_EQ(image.text(QStringLiteral("variant")).toStdString(), spec);
    EXPECT_EQ(image.text(QStringLiteral("seed")).toStdString(), "5");

    auto dense = workspace.value()->headAttention(tokens->ids, 2, 1, "dense", {});
    auto effective = workspace.value()->headAttention(tokens->ids, 2, 1, "window:w=3", {});
    ASSERT_TRUE(dense.ok() && effective.ok());
    const std::string linesGui = m_dir.path() + "/lines-gui.png";
    const auto linesWritten = gui::exportTokenLinesFigure(dense.value(), effective.value(), figureSource, linesGui, png);
    ASSERT_TRUE(linesWritten.ok()) << linesWritten.error().describe();
    const std::string lines = readFileBytes(linesGui);
    ASSERT_GT(lines.size(), 1000u);
    EXPECT_TRUE(lines == fromCli({"--view", "lines", "--layer", "2", "--head", "1", "--variant", "window:w=3"}, 150,
                                 m_dir.path() + "/lines-cli.png"))
        << "the token-lines figure differs from the CLI's";

    auto graph = attentionGraph(*workspace.value(), tokens->ids, 1, 2, "topk:k=2", GraphLayoutKind::Circle, kGraphLayoutSeed, {});
    ASSERT_TRUE(graph.ok()) << graph.error().describe();
    const std::string graphGui = m_dir.path() + "/graph-gui.png";
    const auto graphWritten = gui::exportGraphFigure(graph.value(), figureSource, graphGui, png);
    ASSERT_TRUE(graphWritten.ok()) << graphWritten.error().describe();
    const std::string graphBytes = readFileBytes(graphGui);
    ASSERT_GT(graphBytes.size(), 1000u);
    EXPECT_TRUE(graphBytes == fromCli({"--view", "graph", "--layout", "circle", "--layer", "1", "--head", "2", "--variant",
                                       "topk:k=2"},
                                      150, m_dir.path() + "/graph-cli.png"))
        << "the graph figure differs from the CLI's";
}

TEST_F(GuiStructureExport, TheWindowsStructureAndTokenLinesAreTheCommandLinesFigures)
{
    gui::MainWindow window(testing::demoWindowOptions(kText, "sbm:clusters=3,seed=1", 1, 2));
    window.resize(1400, 900);
    window.show();
    gui::FigureExportController& exports = window.figureExports();
    EXPECT_NE(exports.exportTo(gui::ExportedView::Structure, QString::fromStdString(m_dir.path() + "/early.png")), QString())
        << "no structure before the tab has a result";
    ASSERT_TRUE(gui::waitUntil([&] { return window.isIdle() || !window.errorText().isEmpty(); }, 120000));
    ASSERT_EQ(window.errorText(), QString());
    gui::AnalysisTabs* tabs = window.analysisTabs();
    const std::vector<std::string> cli{"--layer", "1", "--head", "2", "--variant", "sbm:clusters=3,seed=1"};
    struct Case {
        gui::AnalysisTabs::Tab tab;
        gui::ExportedView view;
        std::string name;
        std::string cliView;
    };
    for (const Case& test : {Case{gui::AnalysisTabs::Structure, gui::ExportedView::Structure, "structure.png", "structure"},
                             Case{gui::AnalysisTabs::TokenLines, gui::ExportedView::TokenLines, "lines.svg", "lines"},
                             Case{gui::AnalysisTabs::Graph, gui::ExportedView::Graph, "graph.png", "graph"}}) {
        tabs->setCurrentIndex(test.tab);
        ASSERT_TRUE(gui::waitUntil([&] { return tabs->currentTabIsUpToDate() || !window.errorText().isEmpty(); }, 120000))
            << test.name;
        ASSERT_EQ(window.errorText(), QString());
        const std::string fromWindow = m_dir.path() + "/window-" + test.name;
        ASSERT_EQ(exports.exportTo(test.view, QString::fromStdString(fromWindow)), QString()) << test.name;
        std::vector<std::string> view{"--view", test.cliView};
        view.insert(view.end(), cli.begin(), cli.end());
        const std::string gui = readFileBytes(fromWindow);
        ASSERT_GT(gui.size(), 1000u) << test.name;
        EXPECT_TRUE(gui == fromCli(view, 300, m_dir.path() + "/cli-" + test.name)) << test.name << " differs from the CLI's";
    }
    // The structure tab draws core's panel list, the list the figure was built from.
    const auto shown = tabs->structureView()->structure();
    ASSERT_TRUE(shown);
    const std::vector<StructurePanelData> panels = headStructurePanels(*shown);
    ASSERT_EQ(tabs->structureView()->panels().size(), panels.size());
    for (std::size_t index = 0; index < panels.size(); ++index) {
        EXPECT_EQ(tabs->structureView()->panels()[index].title.toStdString(), panels[index].title);
    }
}

} // namespace
} // namespace attnscope

// The graph tab's figure (issue #8: every view exports): core's layout positions, edges by the
// tab's rule, nodes by position on the colour map or by sbm cluster, painted by app/figure.
// Checked by decoding the PNG (each node's fill against the LUT entry of its position, each edge's
// colour against its alpha blend over white computed here, the arc apex of a by-position edge)
// and parsing the SVG (one stroked line per edge, the labels); `attnscope export --view graph`
// end to end and its option checks.

#include "figure_test_support.h"

#include "attnscope/figure_graph.h"
#include "figure_export.h"
#include "figure_layout.h"
#include "test_support/cli_runner.h"
#include "test_support/temp_dir.h"

#include <QGuiApplication>
#include <QImage>

#include <gtest/gtest.h>

#include <filesystem>

namespace attnscope {
namespace {

using testing::colourDistance;
using testing::lutEntry;
using testing::matchesEntry;
using testing::parseSvg;
using testing::readLut;
using testing::renderPng;
using testing::SvgContents;

/// Five nodes on the unit circle's axes and its centre; edge 0–1 at the largest weight, 2–3 at a
/// quarter of it.
AttentionGraph syntheticGraph(GraphLayoutKind layout)
{
    AttentionGraph graph;
    graph.layer = 2;
    graph.head = 1;
    graph.nTokens = 5;
    graph.variant = "topk:k=2";
    graph.layout = layout;
    graph.positions = {{1.0, 0.0}, {0.0, 1.0}, {-1.0, 0.0}, {0.0, -1.0}, {0.0, 0.0}};
    graph.edges = {{0, 1, 0.8f}, {2, 3, 0.2f}};
    return graph;
}

class FigureGraphTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() { s_app = figure::ensureGuiApplication().release(); }
    static QGuiApplication* s_app;
};

QGuiApplication* FigureGraphTest::s_app = nullptr;

/// `colour` at opacity `alpha` over white, per channel, against what was drawn.
int distanceOverWhite(QRgb seen, FigureColour colour, double alpha)
{
    const double expected[] = {alpha * colour.red + (1 - alpha) * 255.0, alpha * colour.green + (1 - alpha) * 255.0,
                               alpha * colour.blue + (1 - alpha) * 255.0};
    return static_cast<int>(std::ceil(std::max({std::abs(qRed(seen) - expected[0]), std::abs(qGreen(seen) - expected[1]),
                                                std::abs(qBlue(seen) - expected[2])})));
}

TEST_F(FigureGraphTest, NodesTakeTheirColoursAndEdgesTheirWeightsOpacity)
{
    const auto viridis = readLut("viridis.txt");
    const AttentionGraph graph = syntheticGraph(GraphLayoutKind::Circle);
    auto figure = buildGraphFigure(graph, {"a", "b", "c", "d", "e"});
    ASSERT_TRUE(figure.ok()) << figure.error().describe();
    ASSERT_EQ(figure->graphs.size(), 1u);
    const FigureGraph& block = figure->graphs[0];
    const figure::FigureLayout layout = figure::layoutFigure(figure.value());
    const QRectF plot = layout.graphPlots[0];
    const int dpi = 288;
    const double scale = dpi / 72.0;
    const QImage image = renderPng(figure.value(), dpi);
    ASSERT_FALSE(image.isNull());
    auto pixel = [&](const QPointF& at) { return image.pixel(static_cast<int>(at.x() * scale), static_cast<int>(at.y() * scale)); };
    // Node i is filled with the map's colour at i / 4 (position order), placed where core put it.
    const double half = plot.width() / 2.0 - 28.0;
    for (int node = 0; node < 5; ++node) {
        const Point2 position = graph.positions[static_cast<std::size_t>(node)];
        const QPointF centre(plot.center().x() + position.x * half, plot.center().y() - position.y * half);
        EXPECT_TRUE(matchesEntry(pixel(centre), viridis, lutEntry(node / 4.0, 0.0, 1.0), 1)) << "node " << node;
    }
    // Edge midpoints: opacity 0.15 + 0.85 · weight / largest, over white.
    const FigureColour orange{255, 170, 90};
    const QPointF middle01(plot.center().x() + 0.5 * half, plot.center().y() - 0.5 * half);
    const QPointF middle23(plot.center().x() - 0.5 * half, plot.center().y() + 0.5 * half);
    EXPECT_LE(distanceOverWhite(pixel(middle01), orange, 0.15 + 0.85 * 1.0), 3);
    EXPECT_LE(distanceOverWhite(pixel(middle23), orange, 0.15 + 0.85 * 0.25), 3);
    EXPECT_FLOAT_EQ(block.edges[1].width, static_cast<float>(0.5 + 3.5 * 0.25));
    // Clusters colour the nodes instead: sbm's palette, cluster 1 orange.
    AttentionGraph clustered = graph;
    clustered.clusters = {0, 1, 2, 0, 1};
    clustered.clusterCount = 3;
    auto coloured = buildGraphFigure(clustered, {});
    ASSERT_TRUE(coloured.ok());
    const QImage clusterImage = renderPng(coloured.value(), dpi);
    const QRectF clusterPlot = figure::layoutFigure(coloured.value()).graphPlots[0];
    const QPointF node1(clusterPlot.center().x(), clusterPlot.center().y() - (clusterPlot.width() / 2.0 - 28.0));
    EXPECT_LE(colourDistance(clusterImage.pixel(static_cast<int>(node1.x() * scale), static_cast<int>(node1.y() * scale)),
                             qRgb(255, 127, 14)),
              1);
}

TEST_F(FigureGraphTest, ByPositionEdgesAreArcsOverTheBaseline)
{
    AttentionGraph graph = syntheticGraph(GraphLayoutKind::ByPosition);
    graph.positions = {{-1.0, 0.0}, {-0.5, 0.0}, {0.0, 0.0}, {0.5, 0.0}, {1.0, 0.0}};
    graph.edges = {{0, 4, 1.0f}};
    auto figure = buildGraphFigure(graph, {});
    ASSERT_TRUE(figure.ok());
    const QRectF plot = figure::layoutFigure(figure.value()).graphPlots[0];
    const double scale = 4.0;
    const QImage image = renderPng(figure.value(), 288);
    // The quadratic arc from x = −1 to 1 rises min(h − 50, |dx| / 2) at its control point: its apex
    // is half that above the baseline, over the middle.
    const double baseline = plot.bottom() - 28.0;
    const double rise = std::min(plot.height() - 50.0, (plot.width() - 56.0) * 0.5);
    const QRgb apex = image.pixel(static_cast<int>(plot.center().x() * scale), static_cast<int>((baseline - rise / 2.0) * scale));
    EXPECT_LE(distanceOverWhite(apex, {255, 170, 90}, 1.0), 3);
    const QRgb under = image.pixel(static_cast<int>(plot.center().x() * scale), static_cast<int>((baseline - rise / 4.0) * scale));
    EXPECT_LE(colourDistance(under, qRgb(255, 255, 255)), 1) << "nothing under the arc";
}

TEST_F(FigureGraphTest, SvgHasOneStrokedLinePerEdgeAndTheLabels)
{
    auto figure = buildGraphFigure(syntheticGraph(GraphLayoutKind::Circle), {"a", "b", "c", "d", "e"});
    ASSERT_TRUE(figure.ok());
    auto bytes = figure::renderFigure(figure.value(), {figure::FigureFormat::Svg, 150, false});
    ASSERT_TRUE(bytes.ok());
    SvgContents svg = parseSvg(bytes.value());
    ASSERT_TRUE(svg.wellFormed);
    EXPECT_EQ(svg.strokedLines["#ffaa5a"], 2);
    for (const char* label : {"a", "e"}) {
        EXPECT_EQ(svg.texts.count(label), 1u) << label;
    }
    // What the nodes' colours mean is in the block's title (here: position, no clusters).
    EXPECT_EQ(svg.texts.count("kept edges \xC2\xB7 circle layout \xC2\xB7 coloured by position"), 1u);
    EXPECT_EQ(svg.provenance.at("layer"), "2");
    AttentionGraph bad = syntheticGraph(GraphLayoutKind::Circle);
    bad.edges.push_back({0, 5, 0.1f});
    EXPECT_EQ(buildGraphFigure(bad, {}).error().code, ErrorCode::ShapeMismatch);
    EXPECT_EQ(parseGraphLayout("circle").value(), GraphLayoutKind::Circle);
    EXPECT_EQ(parseGraphLayout("spring").error().code, ErrorCode::InvalidArgument);
}

const std::string kText = "In the beginning God created the heaven and the earth. And the earth was without form.";

TEST_F(FigureGraphTest, CliWritesTheGraphAndChecksLayout)
{
    TempDir dir;
    const CliRun run = runCli({"export", "demo", "--text", kText, "--view", "graph", "--layout", "circle", "--layer", "1",
                               "--heads", "0-1", "--variant", "topk:k=2", "--out", dir.path()});
    ASSERT_EQ(run.exitCode, 0) << run.err;
    for (const char* name : {"graph_L1_H0_topk_k2.png", "graph_L1_H1_topk_k2.png"}) {
        QImage image;
        ASSERT_TRUE(image.load(QString::fromStdString(dir.path() + "/" + name))) << name;
        EXPECT_EQ(image.text(QStringLiteral("variant")), QStringLiteral("topk:k=2"));
    }
    const CliRun layoutWithoutGraph = runCli({"export", "demo", "--text", kText, "--layout", "circle", "--out", dir.path() + "/x"});
    EXPECT_EQ(layoutWithoutGraph.exitCode, 2);
    EXPECT_NE(layoutWithoutGraph.err.find("--view graph"), std::string::npos) << layoutWithoutGraph.err;
    const CliRun badLayout = runCli({"export", "demo", "--text", kText, "--view", "graph", "--layout", "spring", "--out",
                                     dir.path() + "/x"});
    EXPECT_EQ(badLayout.exitCode, 2);
    EXPECT_FALSE(std::filesystem::exists(dir.path() + "/x"));
}

} // namespace
} // namespace attnscope

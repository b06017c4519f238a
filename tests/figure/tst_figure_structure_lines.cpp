// The structure and token-lines figures (issue #8: every view exports), built by core and painted
// by app/figure. Checked by decoding what was written: PNG decoded with each structure cell's colour
// against the LUT entry of its value on its panel's own min → max (computed here in double), blank
// cells grey, bars as long as their value; each token line's colour against its alpha blend over
// white computed here; SVG parsed as XML (titles, embedded maps, one stroked line per drawn weight);
// and end to end through `attnscope export --view structure|lines`.

#include "figure_test_support.h"

#include "attnscope/figure_structure.h"
#include "attnscope/figure_token_lines.h"
#include "figure_export.h"
#include "figure_layout.h"
#include "test_support/cli_runner.h"
#include "test_support/read_file.h"
#include "test_support/temp_dir.h"

#include <QGuiApplication>
#include <QImage>

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <set>

namespace attnscope {
namespace {

using testing::colourDistance;
using testing::lutEntry;
using testing::matchesEntry;
using testing::parseSvg;
using testing::readLut;
using testing::renderPng;
using testing::SvgContents;

constexpr int kN = 6;
constexpr int kClusters = 2;

/// A causal 6-token sbm head with every part the structure view shows: dense attention and scores,
/// the variant's kept keys and weights, memberships, a block matrix, the cluster orders, degrees.
HeadStructure syntheticSbm()
{
    HeadStructure s;
    s.layer = 1;
    s.head = 2;
    s.nTokens = kN;
    s.variant = "sbm:clusters=2,seed=3";
    s.kind = "sbm";
    const std::size_t cells = kN * kN;
    s.denseAttention.assign(cells, 0.0f);
    s.allowed.assign(cells, 0);
    s.effective.assign(cells, 0.0f);
    s.kept.assign(cells, 0);
    s.result.estimate.assign(cells, 0.0f);
    s.result.estimateKind = "edge_probabilities";
    for (int q = 0; q < kN; ++q) {
        for (int k = 0; k <= q; ++k) {
            const std::size_t i = static_cast<std::size_t>(q) * kN + k;
            s.allowed[i] = 1;
            s.denseAttention[i] = static_cast<float>((1.0 + k + 0.37 * q) / ((q + 1) * (1.0 + 0.37 * q) + q * (q + 1) / 2.0));
            s.result.estimate[i] = 0.05f + 0.031f * static_cast<float>(i % 17);
            if ((q + k) % 2 == 0) {
                s.kept[i] = 1;
                s.effective[i] = 0.1f + 0.07f * static_cast<float>(k);
            }
        }
    }
    s.result.clusters = kClusters;
    for (int position = 0; position < kN; ++position) {
        const float a = 0.15f + 0.13f * static_cast<float>(position);
        s.result.queryMemberships.insert(s.result.queryMemberships.end(), {a, 1.0f - a});
        s.result.keyMemberships.insert(s.result.keyMemberships.end(), {1.0f - a * 0.5f, a * 0.5f});
    }
    s.result.blockMatrix = {0.4f, 0.1f, 0.2f, 0.3f};
    s.queryOrder = {3, 4, 5, 0, 1, 2};
    s.keyOrder = {0, 2, 4, 1, 3, 5};
    s.result.stats.keptPerRow = {1, 1, 2, 2, 3, 3};
    return s;
}

class FigureStructureLines : public ::testing::Test {
protected:
    static void SetUpTestSuite() { s_app = figure::ensureGuiApplication().release(); }
    static QGuiApplication* s_app;
};

QGuiApplication* FigureStructureLines::s_app = nullptr;

// ---- Structure ----

TEST_F(FigureStructureLines, SbmPanelsComeInTheViewsOrderWithReorderedMaps)
{
    const HeadStructure s = syntheticSbm();
    const std::vector<StructurePanelData> panels = headStructurePanels(s);
    std::vector<std::string> titles;
    for (const StructurePanelData& panel : panels) {
        titles.push_back(panel.title);
    }
    const std::vector<std::string> expected = {"dense attention", "kept keys, applied weights", "SBM edge probabilities",
                                               "query memberships (N \xC3\x97 2)", "key memberships (N \xC3\x97 2)",
                                               "block matrix (2 \xC3\x97 2)", "dense attention, reordered by cluster",
                                               "sampled graph, reordered by cluster", "kept keys per query (edge degree)"};
    ASSERT_EQ(titles, expected);
    // The reordered map: out[r][c] = dense[queryOrder[r]][keyOrder[c]], the allowed mask with it.
    const StructurePanelData& reordered = panels[6];
    for (int r = 0; r < kN; ++r) {
        for (int c = 0; c < kN; ++c) {
            const std::size_t from = static_cast<std::size_t>(s.queryOrder[r]) * kN + s.keyOrder[c];
            EXPECT_EQ(reordered.values[static_cast<std::size_t>(r) * kN + c], s.denseAttention[from]);
            EXPECT_EQ(reordered.valid[static_cast<std::size_t>(r) * kN + c], s.allowed[from]);
        }
    }
    EXPECT_FALSE(reordered.tokenRows) << "reordered rows are not positions";
    EXPECT_EQ(reordered.rowTokens, s.queryOrder);
    EXPECT_TRUE(panels[0].tokenRows);
    EXPECT_TRUE(panels[8].bars);
    EXPECT_EQ(panels[3].cols, kClusters);
    EXPECT_TRUE(panels[5].clusterColumns && panels[5].clusterRows);
    // Another kind: dsa shows its predicted scores next to the true scores.
    HeadStructure dsa = s;
    dsa.kind = "dsa";
    dsa.result.estimateKind = "scores";
    dsa.result.clusters = 0;
    dsa.denseScores.assign(kN * kN, 0.5f);
    titles.clear();
    for (const StructurePanelData& panel : headStructurePanels(dsa)) {
        titles.push_back(panel.title);
    }
    EXPECT_EQ(titles, (std::vector<std::string>{"dense attention", "kept keys, applied weights", "DSA predicted scores",
                                                 "true scores (scale\xC2\xB7q\xC2\xB7k)", "kept keys per query (edge degree)"}));
}

TEST_F(FigureStructureLines, StructurePngColoursEachCellOnItsPanelsOwnRange)
{
    const auto viridis = readLut("viridis.txt");
    ASSERT_GT(colourDistance(viridis[255], viridis[0]), 60) << "assets/colormaps/viridis.txt was not read";
    const HeadStructure s = syntheticSbm();
    const std::vector<StructurePanelData> panels = headStructurePanels(s);
    std::vector<std::string> pieces{"<s>", " In", " the", " begin", "ning", "\n"};
    auto figure = buildStructureFigure(s, pieces);
    ASSERT_TRUE(figure.ok()) << figure.error().describe();
    ASSERT_EQ(figure->panels.size(), panels.size());
    const figure::FigureLayout layout = figure::layoutFigure(figure.value());
    const int dpi = 144;
    const double scale = dpi / 72.0;
    const QImage image = renderPng(figure.value(), dpi);
    ASSERT_FALSE(image.isNull());
    EXPECT_EQ(image.width(), static_cast<int>(std::ceil(layout.size.width() * scale)));
    const QRgb blank = qRgb(222, 222, 226);
    int checked = 0;
    for (std::size_t index = 0; index < panels.size(); ++index) {
        const StructurePanelData& data = panels[index];
        if (data.bars) {
            continue;
        }
        // The panel's own range over its valid cells, in double.
        double low = 1e300;
        double high = -1e300;
        for (std::size_t i = 0; i < data.values.size(); ++i) {
            if (data.valid.empty() || data.valid[i]) {
                low = std::min(low, static_cast<double>(data.values[i]));
                high = std::max(high, static_cast<double>(data.values[i]));
            }
        }
        ASSERT_LT(low, high) << data.title << ": a non-trivial range";
        for (int r = 0; r < data.rows; ++r) {
            for (int c = 0; c < data.cols; ++c) {
                const std::size_t i = static_cast<std::size_t>(r) * data.cols + c;
                const QRgb seen = image.pixel(testing::cellCentre(layout, static_cast<int>(index), r, c, scale));
                if (!data.valid.empty() && !data.valid[i]) {
                    EXPECT_LE(colourDistance(seen, blank), 1) << data.title << " (" << r << ", " << c << ") is blank";
                } else {
                    EXPECT_TRUE(matchesEntry(seen, viridis, lutEntry(data.values[i], low, high), 1))
                        << data.title << " (" << r << ", " << c << ") value " << data.values[i];
                }
                ++checked;
            }
        }
    }
    EXPECT_EQ(checked, 5 * kN * kN + 2 * kN * kClusters + kClusters * kClusters);
    // The degrees: each row's bar ends at degree / max of the plot's width (max 3).
    const std::size_t bars = panels.size() - 1;
    const QRectF plot = layout.plots[bars];
    const QRgb orange = qRgb(255, 170, 90);
    for (int row = 0; row < kN; ++row) {
        const double fraction = s.result.stats.keptPerRow[static_cast<std::size_t>(row)] / 3.0;
        const double y = (plot.top() + (row + 0.4) * layout.cell) * scale;
        const QRgb inside = image.pixel(static_cast<int>((plot.left() + (fraction - 0.08) * plot.width()) * scale), static_cast<int>(y));
        EXPECT_LE(colourDistance(inside, orange), 1) << "bar " << row;
        if (fraction < 0.9) {
            const QRgb past = image.pixel(static_cast<int>((plot.left() + (fraction + 0.08) * plot.width()) * scale), static_cast<int>(y));
            EXPECT_LE(colourDistance(past, qRgb(255, 255, 255)), 1) << "bar " << row << " ends at " << fraction;
        }
    }
}

TEST_F(FigureStructureLines, StructureSvgHasEveryTitleAndOneImageAPanel)
{
    const HeadStructure s = syntheticSbm();
    auto figure = buildStructureFigure(s, {});
    ASSERT_TRUE(figure.ok()) << figure.error().describe();
    auto bytes = figure::renderFigure(figure.value(), {figure::FigureFormat::Svg, 150, false});
    ASSERT_TRUE(bytes.ok()) << bytes.error().describe();
    const SvgContents svg = parseSvg(bytes.value());
    ASSERT_TRUE(svg.wellFormed);
    for (const StructurePanelData& panel : headStructurePanels(s)) {
        const std::string title = panel.bars ? panel.title + " \xC2\xB7 max 3" : panel.title;
        EXPECT_EQ(svg.texts.count(title), 1u) << title;
    }
    // One map per non-bar panel at one pixel per cell, one colour bar each; C0/C1 on cluster axes.
    std::multiset<std::pair<int, int>> sizes;
    int colourBars = 0;
    for (const QImage& image : svg.images) {
        if (image.width() == 1 && image.height() == 256) {
            ++colourBars;
        } else {
            sizes.insert({image.height(), image.width()});
        }
    }
    const std::multiset<std::pair<int, int>> expected = {{kN, kN}, {kN, kN}, {kN, kN}, {kN, kClusters}, {kN, kClusters},
                                                         {kClusters, kClusters}, {kN, kN}, {kN, kN}};
    EXPECT_EQ(sizes, expected);
    EXPECT_EQ(colourBars, 8);
    EXPECT_EQ(svg.texts.count("C1"), 1u) << "a cluster label";
    EXPECT_EQ(svg.provenance.at("variant"), s.variant);
}

TEST_F(FigureStructureLines, WideCompressedPanelsAreSqueezedToSquares)
{
    // sea: an N × 24 compressed estimate beside N × N maps keeps the maps' cell size and is drawn
    // as a square, each bin 1/24 of its width, coloured by its value.
    const auto viridis = readLut("viridis.txt");
    HeadStructure sea = syntheticSbm();
    sea.kind = "sea";
    sea.variant = "sea:k=2";
    sea.result.clusters = 0;
    const int bins = 24;
    sea.result.compressedWidth = bins;
    for (int i = 0; i < kN * bins; ++i) {
        sea.result.compressedEstimate.push_back(static_cast<float>((i * 37) % 101) / 100.0f);
    }
    auto figure = buildStructureFigure(sea, {});
    ASSERT_TRUE(figure.ok()) << figure.error().describe();
    const figure::FigureLayout layout = figure::layoutFigure(figure.value());
    std::size_t compressed = figure->panels.size();
    for (std::size_t index = 0; index < figure->panels.size(); ++index) {
        if (figure->panels[index].title.rfind("compressed estimate", 0) == 0) {
            compressed = index;
        }
    }
    ASSERT_LT(compressed, figure->panels.size());
    const QRectF plot = layout.plots[compressed];
    EXPECT_DOUBLE_EQ(plot.width(), plot.height());
    EXPECT_DOUBLE_EQ(layout.plots[0].width(), kN * layout.cell) << "the token maps keep their cells";
    EXPECT_DOUBLE_EQ(layout.cell, 160.0 / kN);
    const double scale = 2.0;
    const QImage image = renderPng(figure.value(), 144);
    ASSERT_FALSE(image.isNull());
    for (int row = 0; row < kN; ++row) {
        for (int bin = 0; bin < bins; ++bin) {
            const double value = sea.result.compressedEstimate[static_cast<std::size_t>(row) * bins + bin];
            const QPoint pixel(static_cast<int>((plot.left() + (bin + 0.5) * plot.width() / bins) * scale),
                               static_cast<int>((plot.top() + (row + 0.5) * layout.cell) * scale));
            EXPECT_TRUE(matchesEntry(image.pixel(pixel), viridis, lutEntry(value, 0.0, 1.0), 1)) << "row " << row << " bin " << bin;
        }
    }
}

TEST_F(FigureStructureLines, StructureErrorsNameTheProblem)
{
    HeadStructure s = syntheticSbm();
    EXPECT_EQ(buildStructureFigure(s, {"a", "b"}).error().code, ErrorCode::ShapeMismatch);
    HeadStructure empty;
    empty.variant = "topk:k=2";
    empty.nTokens = 3;
    const auto none = buildStructureFigure(empty, {});
    ASSERT_FALSE(none.ok());
    EXPECT_EQ(none.error().code, ErrorCode::InvalidArgument);
    EXPECT_NE(none.error().message.find("topk:k=2"), std::string::npos) << none.error().message;
}

// ---- Token lines ----

/// 4 tokens: dense keeps each token's own key at 0.9, 0.6, 0.3 and 0.005 (under the 1% cut); the
/// variant adds 0.5 on token 1's own key and 1.0 from query 0 to key 3 (crossing the middle).
struct LinesScene {
    HeadAttention dense;
    HeadAttention effective;
};

LinesScene linesScene()
{
    LinesScene scene;
    for (HeadAttention* map : {&scene.dense, &scene.effective}) {
        map->layer = 0;
        map->head = 3;
        map->nTokens = 4;
        map->attention.assign(16, 0.0f);
    }
    scene.dense.variant = "dense";
    scene.effective.variant = "topk:k=1";
    const float diagonal[] = {0.9f, 0.6f, 0.3f, 0.005f};
    for (int token = 0; token < 4; ++token) {
        scene.dense.attention[static_cast<std::size_t>(token) * 4 + token] = diagonal[token];
    }
    scene.effective.attention[1 * 4 + 1] = 0.5f;
    scene.effective.attention[0 * 4 + 3] = 1.0f;
    return scene;
}

/// `colour` at opacity `alpha` over `under`, per channel, in double.
std::array<double, 3> over(const std::array<double, 3>& colour, double alpha, const std::array<double, 3>& under)
{
    return {alpha * colour[0] + (1 - alpha) * under[0], alpha * colour[1] + (1 - alpha) * under[1],
            alpha * colour[2] + (1 - alpha) * under[2]};
}

int distance(QRgb seen, const std::array<double, 3>& expected)
{
    return static_cast<int>(std::ceil(std::max({std::abs(qRed(seen) - expected[0]), std::abs(qGreen(seen) - expected[1]),
                                                std::abs(qBlue(seen) - expected[2])})));
}

TEST_F(FigureStructureLines, TokenLinesPngBlendsEachLineOverWhiteByItsWeight)
{
    const LinesScene scene = linesScene();
    auto figure = buildTokenLinesFigure(scene.dense, scene.effective, {"a", "b", "c", "d"});
    ASSERT_TRUE(figure.ok()) << figure.error().describe();
    ASSERT_EQ(figure->tokenLines.size(), 1u);
    EXPECT_EQ(figure->tokenLines[0].lines.size(), 5u) << "three dense lines over the cut, two variant lines";
    const figure::FigureLayout layout = figure::layoutFigure(figure.value());
    ASSERT_EQ(layout.tokenLines.size(), 1u);
    const QRectF box = layout.tokenLines[0].box;
    const double row = figure->tokenLines[0].rowHeight;
    EXPECT_DOUBLE_EQ(row, 14.0) << "clamp(320 / 4, 2, 14)";
    const int dpi = 144;
    const double scale = dpi / 72.0;
    const QImage image = renderPng(figure.value(), dpi);
    ASSERT_FALSE(image.isNull());
    const std::array<double, 3> white{255, 255, 255};
    const std::array<double, 3> blue{86, 156, 255};
    const std::array<double, 3> orange{255, 140, 60};
    // Horizontal lines (query t → key t) seen at the box's middle, where the crossing line is not.
    auto middleOfRow = [&](double rowCentre) {
        return image.pixel(static_cast<int>(box.center().x() * scale), static_cast<int>((box.top() + rowCentre * row) * scale));
    };
    EXPECT_LE(distance(middleOfRow(0.5), over(blue, 0.9, white)), 3);
    EXPECT_LE(distance(middleOfRow(1.5), over(orange, 0.5, over(blue, 0.6, white))), 3) << "the variant's line on top";
    EXPECT_LE(distance(middleOfRow(2.5), over(blue, 0.3, white)), 3);
    EXPECT_LE(distance(middleOfRow(3.5), white), 1) << "0.005 is under the 1% cut";
    EXPECT_LE(distance(middleOfRow(2.0), orange), 3) << "query 0 → key 3 at weight 1 crosses the middle";
    // Token labels on both sides.
    auto svg = figure::renderFigure(figure.value(), {figure::FigureFormat::Svg, dpi, false});
    ASSERT_TRUE(svg.ok());
    SvgContents contents = parseSvg(svg.value());
    ASSERT_TRUE(contents.wellFormed);
    EXPECT_EQ(contents.strokedLines["#569cff"], 3) << "one line per dense weight over the cut";
    EXPECT_EQ(contents.strokedLines["#ff8c3c"], 2);
    EXPECT_EQ(contents.texts.count("topk:k=1"), 1u) << "the legend";
    EXPECT_EQ(contents.texts.count("b"), 1u) << "labels (the same text on both sides counts once)";
    EXPECT_EQ(contents.provenance.at("head"), "3");
}

TEST_F(FigureStructureLines, TokenLinesVariantIsANarrowCoreInsideTheDenseBand)
{
    // Row 1: dense 0.6 (3.6 pt wide at maxWidth 6), the variant 0.5 on top (max(0.5, 0.5 · 6 / 2) =
    // 1.5 pt). At 288 dpi the bands' half-widths are 7.2 and 3 px: 5 px off the line's centre only
    // dense's blue shows, so a pair both keep no longer hides dense's line.
    const LinesScene scene = linesScene();
    auto figure = buildTokenLinesFigure(scene.dense, scene.effective, {"a", "b", "c", "d"});
    ASSERT_TRUE(figure.ok()) << figure.error().describe();
    const figure::FigureLayout layout = figure::layoutFigure(figure.value());
    ASSERT_EQ(layout.tokenLines.size(), 1u);
    const QRectF box = layout.tokenLines[0].box;
    const double row = figure->tokenLines[0].rowHeight;
    const double scale = 288 / 72.0;
    const QImage image = renderPng(figure.value(), 288);
    ASSERT_FALSE(image.isNull());
    const double centre = (box.top() + 1.5 * row) * scale;
    const int x = static_cast<int>(box.center().x() * scale);
    const std::array<double, 3> white{255, 255, 255};
    const std::array<double, 3> blue{86, 156, 255};
    const std::array<double, 3> orange{255, 140, 60};
    EXPECT_LE(distance(image.pixel(x, static_cast<int>(centre)), over(orange, 0.5, over(blue, 0.6, white))), 3)
        << "the variant's core";
    EXPECT_LE(distance(image.pixel(x, static_cast<int>(centre + 5)), over(blue, 0.6, white)), 3) << "dense's band below it";
    EXPECT_LE(distance(image.pixel(x, static_cast<int>(centre - 5)), over(blue, 0.6, white)), 3) << "and above it";
    EXPECT_LE(distance(image.pixel(x, static_cast<int>(centre + 10)), white), 1) << "outside both";
    // The legend's swatches follow the rule at weight 1/2: 3 pt for dense, 1.5 pt for the variant.
    ASSERT_EQ(figure->tokenLines[0].sets.size(), 2u);
    EXPECT_FLOAT_EQ(figure->tokenLines[0].sets[0].legendWidth, 3.0f);
    EXPECT_FLOAT_EQ(figure->tokenLines[0].sets[1].legendWidth, 1.5f);
}

TEST_F(FigureStructureLines, TokenLineRuleMatchesTheViewsRule)
{
    // weight < 1% not drawn; opacity min(1, w); width max(0.5, w · maxWidth) (the variant's: w ·
    // maxWidth / 2), maxWidth = clamp(0.8 · row, 1, 6).
    EXPECT_FALSE(tokenLineStyle(0.0099, 6.0).drawn);
    EXPECT_FALSE(tokenLineStyle(std::nan(""), 6.0).drawn);
    const TokenLineStyle faint = tokenLineStyle(0.05, 6.0);
    EXPECT_TRUE(faint.drawn);
    EXPECT_FLOAT_EQ(faint.alpha, 0.05f);
    EXPECT_FLOAT_EQ(faint.width, 0.5f);
    EXPECT_FLOAT_EQ(tokenLineStyle(1.3, 6.0).alpha, 1.0f);
    EXPECT_FLOAT_EQ(tokenLineStyle(0.5, 6.0).width, 3.0f);
    EXPECT_FLOAT_EQ(tokenLineStyle(0.5, 6.0, TokenLineSet::Variant).width, 1.5f) << "half of dense's width";
    EXPECT_FLOAT_EQ(tokenLineStyle(0.5, 6.0, TokenLineSet::Variant).alpha, 0.5f);
    EXPECT_FLOAT_EQ(tokenLineStyle(0.1, 6.0, TokenLineSet::Variant).width, 0.5f) << "the same 0.5 floor";
    EXPECT_DOUBLE_EQ(tokenLineMaxWidth(14.0), 6.0);
    EXPECT_DOUBLE_EQ(tokenLineMaxWidth(5.0), 4.0);
    EXPECT_DOUBLE_EQ(tokenLineMaxWidth(0.5), 1.0);
    LinesScene scene = linesScene();
    scene.effective.nTokens = 3;
    EXPECT_EQ(buildTokenLinesFigure(scene.dense, scene.effective, {}).error().code, ErrorCode::ShapeMismatch);
}

// ---- End to end ----

const std::string kText = "In the beginning God created the heaven and the earth. And the earth was without form.";

TEST_F(FigureStructureLines, CliWritesStructureAndLinesFigures)
{
    TempDir dir;
    const CliRun structure = runCli({"export", "demo", "--text", kText, "--view", "structure", "--layer", "1", "--head", "2",
                                     "--variant", "sbm:clusters=3,seed=1", "--format", "svg", "--out", dir.path() + "/s"});
    ASSERT_EQ(structure.exitCode, 0) << structure.err;
    const std::string svg = readFileBytes(dir.path() + "/s/structure_L1_H2_sbm_clusters3_seed1.svg");
    const SvgContents contents = parseSvg(QByteArray::fromStdString(svg));
    ASSERT_TRUE(contents.wellFormed);
    EXPECT_EQ(contents.texts.count("block matrix (3 \xC3\x97 3)"), 1u);
    EXPECT_EQ(contents.texts.count("dense attention, reordered by cluster"), 1u);
    EXPECT_EQ(contents.provenance.at("variant"), "sbm:clusters=3,seed=1");
    EXPECT_EQ(contents.provenance.at("layer"), "1");
    const CliRun lines = runCli({"export", "demo", "--text", kText, "--view", "lines", "--layers", "0-1", "--head", "0",
                                 "--variant", "topk:k=4", "--out", dir.path() + "/l"});
    ASSERT_EQ(lines.exitCode, 0) << lines.err;
    for (const char* name : {"lines_L0_H0_topk_k4.png", "lines_L1_H0_topk_k4.png"}) {
        QImage image;
        ASSERT_TRUE(image.load(QString::fromStdString(dir.path() + "/l/" + name))) << name;
        EXPECT_EQ(image.text(QStringLiteral("variant")), QStringLiteral("topk:k=4")) << name;
    }
    // A capture has no model to compute the structure with: refused before any work.
    const CliRun capture = runCli({"export", "demo", "--text", kText, "--capture", "--no-figures", "--out", dir.path() + "/c"});
    ASSERT_EQ(capture.exitCode, 0) << capture.err;
    const CliRun fromCapture = runCli({"export", dir.path() + "/c/capture.safetensors", "--view", "structure", "--out",
                                       dir.path() + "/x"});
    EXPECT_EQ(fromCapture.exitCode, 2) << fromCapture.err;
    EXPECT_NE(fromCapture.err.find("structure"), std::string::npos) << fromCapture.err;
}

} // namespace
} // namespace attnscope

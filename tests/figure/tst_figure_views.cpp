// The figures of the window's other views (issue #8: every view exports): the head grid, the
// rollout and the metric curves, built by core and painted by app/figure. Checked by decoding what
// was written: SVG parsed as XML (cells, labels, bars, embedded maps coloured by the colour map of
// each value computed here), PNG decoded at the size the DPI asks for with the right colour at
// each cell and curve point; and end to end through `attnscope export --view grid|rollout|curves`
// against the numbers `attnscope compare --json` prints.

#include "figure_test_support.h"

#include "attnscope/figure_views.h"
#include "attnscope/head_grid.h"
#include "figure_export.h"
#include "figure_layout.h"
#include "test_support/cli_runner.h"
#include "test_support/read_file.h"
#include "test_support/temp_dir.h"

#include <QGuiApplication>
#include <QImage>
#include <QXmlStreamReader>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>

namespace attnscope {
namespace {

using testing::colourDistance;
using testing::ExpectedEntry;
using testing::lutEntry;
using testing::matchesEntry;
using testing::parseSvg;
using testing::readLut;
using testing::SvgContents;


/// A 3-layer × 5-head grid whose recall and induction differ in every cell.
HeadGridValues syntheticGrid()
{
    HeadGridValues grid;
    grid.variant = "topk:k=4";
    grid.scores.assign(3, std::vector<HeadScores>(5));
    grid.metrics.assign(3, std::vector<VariantMetrics>(5));
    for (int layer = 0; layer < 3; ++layer) {
        for (int head = 0; head < 5; ++head) {
            const int cell = layer * 5 + head;
            grid.metrics[layer][head].recall = 0.62 + 0.023 * ((cell * 7) % 15);
            grid.scores[layer][head].induction = 0.011 * cell * cell;
        }
    }
    return grid;
}


class FigureViews : public ::testing::Test {
protected:
    static void SetUpTestSuite() { s_app = figure::ensureGuiApplication().release(); }
    static QGuiApplication* s_app;
};

QGuiApplication* FigureViews::s_app = nullptr;

TEST_F(FigureViews, HeadGridSvgHasOneCellPerHeadColouredByItsMetric)
{
    const auto viridis = readLut("viridis.txt");
    ASSERT_GT(colourDistance(viridis[255], viridis[0]), 60) << "assets/colormaps/viridis.txt was not read";
    const HeadGridValues grid = syntheticGrid();
    for (const HeadGridMetric metric : {HeadGridMetric::Recall, HeadGridMetric::Induction}) {
        auto figure = buildHeadGridFigure(grid, metric);
        ASSERT_TRUE(figure.ok()) << figure.error().describe();
        auto bytes = figure::renderFigure(figure.value(), {figure::FigureFormat::Svg, 150, false});
        ASSERT_TRUE(bytes.ok()) << bytes.error().describe();
        const SvgContents svg = parseSvg(bytes.value());
        ASSERT_TRUE(svg.wellFormed);
        // The cells: one embedded image of heads × layers pixels, one pixel per head.
        double low = 1e9;
        double high = -1e9;
        for (int layer = 0; layer < 3; ++layer) {
            for (int head = 0; head < 5; ++head) {
                const double value = metric == HeadGridMetric::Recall ? grid.metrics[layer][head].recall
                                                                      : grid.scores[layer][head].induction;
                low = std::min(low, value);
                high = std::max(high, value);
            }
        }
        int grids = 0;
        int bars = 0;
        for (const QImage& image : svg.images) {
            if (image.width() == 1 && image.height() == 256) {
                ++bars;
                continue;
            }
            ASSERT_EQ(image.width(), 5) << "one column per head";
            ASSERT_EQ(image.height(), 3) << "one row per layer";
            ++grids;
            for (int layer = 0; layer < 3; ++layer) {
                for (int head = 0; head < 5; ++head) {
                    const double value = metric == HeadGridMetric::Recall ? grid.metrics[layer][head].recall
                                                                          : grid.scores[layer][head].induction;
                    EXPECT_TRUE(matchesEntry(image.pixel(head, layer), viridis, lutEntry(value, low, high), 0))
                        << "layer " << layer << " head " << head << " value " << value;
                }
            }
        }
        EXPECT_EQ(grids, 1);
        EXPECT_EQ(bars, 1) << "the metric's colour bar";
        // Labels: L0–L2, H0–H4, the numbers in the cells and the bar's ends in absolute values.
        for (const char* label : {"L0", "L1", "L2", "H0", "H4"}) {
            EXPECT_EQ(svg.texts.count(label), 1u) << label;
        }
        char number[16];
        std::snprintf(number, sizeof number, "%.2f", metric == HeadGridMetric::Recall ? grid.metrics[1][2].recall
                                                                                       : grid.scores[1][2].induction);
        EXPECT_EQ(svg.texts.count(number), 1u) << number << " printed in cell (1, 2)";
        std::snprintf(number, sizeof number, "%.3g", high);
        EXPECT_EQ(svg.texts.count(number), 1u) << "the bar's top tick " << number;
        EXPECT_EQ(svg.texts.count(headGridMetricInfo(metric).label), 1u) << "the bar's title";
    }
}

TEST_F(FigureViews, HeadGridPngHasTheDpisSizeAndEachCellsColour)
{
    const auto viridis = readLut("viridis.txt");
    const HeadGridValues grid = syntheticGrid();
    auto figure = buildHeadGridFigure(grid, HeadGridMetric::Recall);
    ASSERT_TRUE(figure.ok());
    const figure::FigureLayout layout = figure::layoutFigure(figure.value());
    ASSERT_EQ(layout.plots.size(), 1u);
    EXPECT_NEAR(layout.plots[0].width() / layout.plots[0].height(), 5.0 / 3.0, 1e-9) << "square cells";
    for (const int dpi : {72, 200}) {
        auto bytes = figure::renderFigure(figure.value(), {figure::FigureFormat::Png, dpi, false});
        ASSERT_TRUE(bytes.ok());
        QImage image;
        ASSERT_TRUE(image.loadFromData(bytes.value(), "PNG"));
        const double scale = dpi / 72.0;
        EXPECT_EQ(image.width(), static_cast<int>(std::ceil(layout.size.width() * scale)));
        EXPECT_EQ(image.height(), static_cast<int>(std::ceil(layout.size.height() * scale)));
        double low = 1e9;
        double high = -1e9;
        for (const auto& row : grid.metrics) {
            for (const VariantMetrics& metrics : row) {
                low = std::min(low, metrics.recall);
                high = std::max(high, metrics.recall);
            }
        }
        for (int layer = 0; layer < 3; ++layer) {
            for (int head = 0; head < 5; ++head) {
                // Near the cell's corner: its number is printed in the middle.
                const QRectF plot = layout.plots[0];
                const QPoint pixel(static_cast<int>((plot.left() + (head + 0.15) * layout.cell) * scale),
                                   static_cast<int>((plot.top() + (layer + 0.15) * layout.cell) * scale));
                EXPECT_TRUE(matchesEntry(image.pixel(pixel), viridis, lutEntry(grid.metrics[layer][head].recall, low, high), 2))
                    << "dpi " << dpi << " layer " << layer << " head " << head;
            }
        }
    }
}

TEST_F(FigureViews, EmptyOrRaggedGridsAreErrors)
{
    EXPECT_EQ(buildHeadGridFigure({}, HeadGridMetric::Recall).error().code, ErrorCode::InvalidArgument);
    HeadGridValues ragged = syntheticGrid();
    ragged.scores[1].pop_back();
    EXPECT_EQ(buildHeadGridFigure(ragged, HeadGridMetric::Recall).error().code, ErrorCode::InvalidArgument);
    EXPECT_EQ(parseHeadGridMetric("entropy").error().code, ErrorCode::InvalidArgument);
    EXPECT_EQ(parseHeadGridMetric("previous_token").value(), HeadGridMetric::PreviousToken);
}

TEST_F(FigureViews, RolloutPanelsShareOneScaleAndShowTheDifference)
{
    AttentionRollout dense;
    AttentionRollout variant;
    const int n = 4;
    for (AttentionRollout* rollout : {&dense, &variant}) {
        rollout->nTokens = n;
        rollout->throughLayer = 2;
        rollout->rollout.resize(n * n);
    }
    dense.variant = "dense";
    variant.variant = "topk:k=2";
    for (int i = 0; i < n * n; ++i) {
        dense.rollout[i] = 0.05f + 0.04f * i;
        variant.rollout[i] = 0.9f - 0.05f * i;
    }
    auto figure = buildRolloutFigure(dense, variant, {"a", "b", "c", "d"}, ColourScale::Linear);
    ASSERT_TRUE(figure.ok()) << figure.error().describe();
    ASSERT_EQ(figure->panels.size(), 3u);
    const double vmax = 0.9;  // the largest value of either map
    for (int i = 0; i < n * n; ++i) {
        EXPECT_NEAR(figure->panels[0].values[i], dense.rollout[i] / vmax, 1e-6);
        EXPECT_NEAR(figure->panels[1].values[i], variant.rollout[i] / vmax, 1e-6);
        EXPECT_NEAR(figure->panels[2].values[i], (variant.rollout[i] - dense.rollout[i]) / vmax, 1e-6);
    }
    EXPECT_TRUE(figure->panels[2].diverging);
    EXPECT_EQ(figure->panels[0].title, "dense rollout");
    EXPECT_EQ(figure->panels[1].title, "topk:k=2 rollout");
    EXPECT_EQ(figure->provenance.layer, 2);
    EXPECT_EQ(figure->provenance.head, -1) << "a rollout averages the heads";
    variant.nTokens = 3;
    EXPECT_FALSE(buildRolloutFigure(dense, variant, {}, ColourScale::Linear).ok());
}

TEST_F(FigureViews, CurvesDrawEachSweepPointInItsSeriesColour)
{
    VariantCurveSet curves;
    curves.layer = 1;
    curves.head = 3;
    curves.densePerplexity = 10.0;
    const std::vector<std::vector<std::pair<double, double>>> points = {{{0.1, 0.55}, {0.3, 0.8}, {0.7, 0.97}},
                                                                        {{0.15, 0.3}, {0.45, 0.6}, {0.9, 0.9}}};
    for (std::size_t c = 0; c < points.size(); ++c) {
        VariantCurve curve;
        curve.variant = c == 0 ? "topk:k=4" : "window:w=3";
        curve.perplexity = c == 0 ? 12.5 : 11.0;
        for (const auto& [density, recall] : points[c]) {
            SweepPoint point;
            point.mean.density = density;
            point.mean.recall = recall;
            curve.sweep.points.push_back(point);
        }
        curves.curves.push_back(curve);
    }
    VariantCurve noSweep;
    noSweep.variant = "performer:features=16";
    noSweep.sweepError = "no budget";
    curves.curves.push_back(noSweep);
    auto figure = buildCurvesFigure(curves);
    ASSERT_TRUE(figure.ok()) << figure.error().describe();
    ASSERT_EQ(figure->charts.size(), 1u);
    const figure::FigureLayout layout = figure::layoutFigure(figure.value());
    ASSERT_EQ(layout.chartPlots.size(), 1u);
    const QRectF plot = layout.chartPlots[0];
    const int dpi = 150;
    const double scale = dpi / 72.0;
    auto png = figure::renderFigure(figure.value(), {figure::FigureFormat::Png, dpi, false});
    ASSERT_TRUE(png.ok()) << png.error().describe();
    QImage image;
    ASSERT_TRUE(image.loadFromData(png.value(), "PNG"));
    EXPECT_EQ(image.width(), static_cast<int>(std::ceil(layout.size.width() * scale)));
    // Okabe–Ito blue and orange, the palette's first two colours.
    const QRgb colours[] = {qRgb(0, 114, 178), qRgb(230, 159, 0)};
    for (std::size_t c = 0; c < points.size(); ++c) {
        for (const auto& [density, recall] : points[c]) {
            const double x = plot.left() + density * plot.width();
            const double y = plot.bottom() - recall * plot.height();
            const QRgb seen = image.pixel(static_cast<int>(x * scale), static_cast<int>(y * scale));
            EXPECT_LE(colourDistance(seen, colours[c]), 40) << "series " << c << " point " << density << ", " << recall;
        }
    }
    auto svg = figure::renderFigure(figure.value(), {figure::FigureFormat::Svg, dpi, false});
    ASSERT_TRUE(svg.ok());
    const SvgContents contents = parseSvg(svg.value());
    ASSERT_TRUE(contents.wellFormed);
    EXPECT_EQ(contents.texts.count("topk:k=4 \xC2\xB7 perplexity 12.500 (+25.0%)"), 1u);
    EXPECT_EQ(contents.texts.count("window:w=3 \xC2\xB7 perplexity 11.000 (+10.0%)"), 1u);
    EXPECT_EQ(contents.texts.count("performer:features=16 \xC2\xB7 no sweep"), 1u);
    EXPECT_EQ(contents.texts.count("dense perplexity 10.000; each variant in every layer"), 1u);
    EXPECT_EQ(buildCurvesFigure({}).error().code, ErrorCode::InvalidArgument);
}

// ---- End to end: the CLI against `compare --json` ----

const std::string kText = "In the beginning God created the heaven and the earth. And the earth was without form.";

TEST_F(FigureViews, CliGridColoursEachHeadByTheRecallCompareReports)
{
    TempDir dir;
    const CliRun compare = runCli({"compare", "demo", "--text", kText, "--variant", "topk:k=4", "--layers", "all", "--heads",
                                   "all", "--no-perplexity", "--json"});
    ASSERT_EQ(compare.exitCode, 0) << compare.err;
    const auto json = nlohmann::json::parse(compare.out);
    HeadGridValues grid;  // from compare's numbers, to locate the cells and know the shape
    grid.variant = "topk:k=4";
    double low = 1e9;
    double high = -1e9;
    for (const auto& layer : json["variants"][0]["layers"]) {
        grid.scores.emplace_back(layer["heads"].size());
        grid.metrics.emplace_back();
        for (const auto& head : layer["heads"]) {
            VariantMetrics metrics;
            metrics.recall = head["recall"].get<double>();
            grid.metrics.back().push_back(metrics);
            low = std::min(low, metrics.recall);
            high = std::max(high, metrics.recall);
        }
    }
    ASSERT_GE(grid.scores.size(), 2u);
    const CliRun run = runCli({"export", "demo", "--text", kText, "--view", "grid", "--metric", "all", "--variant", "topk:k=4",
                               "--dpi", "100", "--out", dir.path(), "--json"});
    ASSERT_EQ(run.exitCode, 0) << run.err;
    // A figure per variant metric and variant, one per head score; --json adds each one's provenance.
    std::set<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
        names.insert(entry.path().filename().string());
    }
    std::set<std::string> expected;
    for (const char* stem : {"grid_recall_topk_k4", "grid_kl_topk_k4", "grid_output_error_topk_k4", "grid_density_topk_k4",
                             "grid_previous_token", "grid_first_token", "grid_induction", "grid_normalised_entropy"}) {
        expected.insert(std::string(stem) + ".png");
        expected.insert(std::string(stem) + ".json");
    }
    EXPECT_EQ(names, expected);
    const auto listing = nlohmann::json::parse(run.out);
    ASSERT_EQ(listing["files"].size(), 16u);
    EXPECT_EQ(listing["files"][0]["kind"], "figure");
    EXPECT_EQ(listing["files"][0]["metric"], "recall");
    EXPECT_EQ(listing["files"][0]["variant"], "topk:k=4");
    const auto sidecar = nlohmann::json::parse(readFileBytes(dir.path() + "/grid_induction.json"));
    EXPECT_EQ(sidecar["file"], "grid_induction.png");
    EXPECT_FALSE(sidecar.contains("variant")) << "a head score does not depend on the variant";
    EXPECT_FALSE(sidecar.contains("layer"));
    QImage image;
    ASSERT_TRUE(image.load(QString::fromStdString(dir.path() + "/grid_recall_topk_k4.png")));
    EXPECT_EQ(image.text(QStringLiteral("variant")), QStringLiteral("topk:k=4"));
    auto figure = buildHeadGridFigure(grid, HeadGridMetric::Recall);
    ASSERT_TRUE(figure.ok());
    const figure::FigureLayout layout = figure::layoutFigure(figure.value());
    const double scale = 100.0 / 72.0;
    EXPECT_EQ(image.height(), static_cast<int>(std::ceil(layout.size.height() * scale)));
    const auto viridis = readLut("viridis.txt");
    for (std::size_t layer = 0; layer < grid.metrics.size(); ++layer) {
        for (std::size_t head = 0; head < grid.metrics[layer].size(); ++head) {
            const QPoint pixel(static_cast<int>((layout.plots[0].left() + (head + 0.15) * layout.cell) * scale),
                               static_cast<int>((layout.plots[0].top() + (layer + 0.15) * layout.cell) * scale));
            // compare --json prints 6 significant digits: allow the neighbouring LUT entry.
            const ExpectedEntry entry = lutEntry(grid.metrics[layer][head].recall, low, high);
            const QRgb seen = image.pixel(pixel);
            bool near = false;
            for (std::size_t index = entry.index == 0 ? 0 : entry.index - 1; index <= std::min<std::size_t>(255, entry.index + 1); ++index) {
                near = near || colourDistance(seen, viridis[index]) <= 2;
            }
            EXPECT_TRUE(near) << "layer " << layer << " head " << head;
        }
    }
}

TEST_F(FigureViews, CliRolloutAndCurvesWriteTheirFigures)
{
    TempDir dir;
    const CliRun rollout = runCli({"export", "demo", "--text", kText, "--view", "rollout", "--layers", "0-1", "--variant",
                                   "topk:k=4", "--format", "svg", "--out", dir.path() + "/rollout"});
    ASSERT_EQ(rollout.exitCode, 0) << rollout.err;
    for (const char* name : {"rollout_L0_topk_k4.svg", "rollout_L1_topk_k4.svg"}) {
        const std::string svg = readFileBytes(dir.path() + "/rollout/" + name);
        const SvgContents contents = parseSvg(QByteArray::fromStdString(svg));
        EXPECT_TRUE(contents.wellFormed) << name;
        EXPECT_EQ(contents.texts.count("dense rollout"), 1u) << name;
        EXPECT_EQ(contents.provenance.at("variant"), "topk:k=4");
    }
    const std::string curvesPath = dir.path() + "/curves.png";
    const CliRun curves = runCli({"export", "demo", "--text", kText, "--view", "curves", "--layer", "1", "--head", "2",
                                  "--variant", "topk:k=4", "--variant", "window:w=3", "--out", curvesPath});
    ASSERT_EQ(curves.exitCode, 0) << curves.err;
    QImage image;
    ASSERT_TRUE(image.load(QString::fromStdString(curvesPath)));
    EXPECT_EQ(image.text(QStringLiteral("variant")), QStringLiteral("topk:k=4; window:w=3"));
    EXPECT_EQ(image.text(QStringLiteral("layer")), QStringLiteral("1"));
    EXPECT_EQ(image.text(QStringLiteral("head")), QStringLiteral("2"));
    // --replace-layers: the perplexities of the variants in layer 1 only, and the note says so.
    const std::string layerOnlyPath = dir.path() + "/curves_layer1.svg";
    const CliRun layerOnly = runCli({"export", "demo", "--text", kText, "--view", "curves", "--layer", "1", "--head",
                                     "2", "--variant", "window:w=3", "--replace-layers", "1", "--out", layerOnlyPath});
    ASSERT_EQ(layerOnly.exitCode, 0) << layerOnly.err;
    const CliRun evaluated = runCli({"eval", "demo", "--text", kText, "--variant", "window:w=3", "--replace-layers", "1",
                                     "--json"});
    ASSERT_EQ(evaluated.exitCode, 0) << evaluated.err;
    char perplexity[64];
    std::snprintf(perplexity, sizeof perplexity, "window:w=3 \xC2\xB7 perplexity %.3f",
                  nlohmann::json::parse(evaluated.out)["perplexity"].get<double>());
    const SvgContents layerOnlySvg = parseSvg(QByteArray::fromStdString(readFileBytes(layerOnlyPath)));
    ASSERT_TRUE(layerOnlySvg.wellFormed);
    bool found = false;
    for (const std::string& text : layerOnlySvg.texts) {
        found = found || text.rfind(perplexity, 0) == 0;
    }
    EXPECT_TRUE(found) << perplexity;
    bool noted = false;
    for (const std::string& text : layerOnlySvg.texts) {
        noted = noted || text.find("each variant in layer 1") != std::string::npos;
    }
    EXPECT_TRUE(noted);
}

TEST_F(FigureViews, CliViewOptionsAreCheckedBeforeAnyWork)
{
    TempDir dir;
    const CliRun metricWithoutGrid = runCli({"export", "demo", "--text", kText, "--metric", "kl", "--out", dir.path()});
    EXPECT_EQ(metricWithoutGrid.exitCode, 2);
    EXPECT_NE(metricWithoutGrid.err.find("--view grid"), std::string::npos) << metricWithoutGrid.err;
    const CliRun badMetric = runCli({"export", "demo", "--text", kText, "--view", "grid", "--metric", "entropy", "--out", dir.path()});
    EXPECT_EQ(badMetric.exitCode, 2);
    const CliRun badView = runCli({"export", "demo", "--text", kText, "--view", "tabs", "--out", dir.path()});
    EXPECT_EQ(badView.exitCode, 2);
    const CliRun twoFigures = runCli({"export", "demo", "--text", kText, "--view", "grid", "--metric", "all", "--out",
                                      dir.path() + "/one.png"});
    EXPECT_EQ(twoFigures.exitCode, 2) << "eight figures do not fit one file name";
    EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

} // namespace
} // namespace attnscope

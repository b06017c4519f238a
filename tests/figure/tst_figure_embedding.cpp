// The Q/K embedding tab's figure (issue #8: every view exports): core's PCA of the joint query/key
// set checked against a power iteration in double on a tiny input, then the figure built from it:
// the PNG decoded (each point's fill against the LUT entry of its position or the HSV colour of its
// token computed here, circles for queries and squares for keys, a kept edge's blend over white),
// the SVG parsed (one ellipse per query and one filled square per key at the place computed here,
// the axis titles with the explained variance), and `attnscope export --view embedding` end to end
// with its option checks.

#include "figure_test_support.h"

#include "attnscope/figure_embedding.h"
#include "attnscope/workspace.h"
#include "figure_export.h"
#include "figure_layout.h"
#include "test_support/cli_runner.h"
#include "test_support/read_file.h"
#include "test_support/temp_dir.h"

#include <QGuiApplication>
#include <QImage>
#include <QXmlStreamReader>

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>

namespace attnscope {
namespace {

using testing::colourDistance;
using testing::lutEntry;
using testing::matchesEntry;
using testing::parseSvg;
using testing::readLut;
using testing::renderPng;

constexpr int kN = 4;
constexpr int kDim = 3;
// Queries then keys (exact in float), spread so that no two points overlap in the figure.
const double kQueries[kN][kDim] = {{2.0, 0.0, 0.5}, {1.0, 1.0, 0.0}, {-1.0, 2.0, 0.25}, {0.0, -1.0, 1.0}};
const double kKeys[kN][kDim] = {{-2.0, 0.0, -0.5}, {0.5, -2.0, 0.0}, {1.5, 1.5, -1.0}, {-1.0, -1.0, 0.75}};

/// PCA to 2-D computed here: covariance (1/N) of the 2N centred rows, its top eigenvector by power
/// iteration, the second by power iteration after deflation, each signed so that its largest
/// coefficient is positive.
struct ReferencePca {
    std::array<std::array<double, 2>, 2 * kN> points{};
    double explained[2] = {0, 0};
};

ReferencePca referencePca()
{
    std::array<std::array<double, kDim>, 2 * kN> rows{};
    for (int i = 0; i < kN; ++i) {
        for (int c = 0; c < kDim; ++c) {
            rows[i][c] = kQueries[i][c];
            rows[kN + i][c] = kKeys[i][c];
        }
    }
    std::array<double, kDim> mean{};
    for (const auto& row : rows) {
        for (int c = 0; c < kDim; ++c) {
            mean[c] += row[c] / (2 * kN);
        }
    }
    double covariance[kDim][kDim] = {};
    for (auto& row : rows) {
        for (int c = 0; c < kDim; ++c) {
            row[c] -= mean[c];
        }
        for (int a = 0; a < kDim; ++a) {
            for (int b = 0; b < kDim; ++b) {
                covariance[a][b] += row[a] * row[b] / (2 * kN);
            }
        }
    }
    const double total = covariance[0][0] + covariance[1][1] + covariance[2][2];
    ReferencePca reference;
    std::array<std::array<double, kDim>, 2> axes{};
    for (int axis = 0; axis < 2; ++axis) {
        std::array<double, kDim> v{1.0, 0.7, 0.3};
        double eigenvalue = 0.0;
        for (int step = 0; step < 5000; ++step) {
            std::array<double, kDim> next{};
            for (int a = 0; a < kDim; ++a) {
                for (int b = 0; b < kDim; ++b) {
                    next[a] += covariance[a][b] * v[b];
                }
            }
            const double norm = std::sqrt(next[0] * next[0] + next[1] * next[1] + next[2] * next[2]);
            for (int c = 0; c < kDim; ++c) {
                v[c] = next[c] / norm;
            }
            eigenvalue = norm;
        }
        int largest = 0;
        for (int c = 1; c < kDim; ++c) {
            largest = std::abs(v[c]) > std::abs(v[largest]) ? c : largest;
        }
        if (v[largest] < 0) {
            for (double& x : v) {
                x = -x;
            }
        }
        axes[axis] = v;
        reference.explained[axis] = eigenvalue / total;
        for (int a = 0; a < kDim; ++a) {
            for (int b = 0; b < kDim; ++b) {
                covariance[a][b] -= eigenvalue * v[a] * v[b];
            }
        }
    }
    for (int i = 0; i < 2 * kN; ++i) {
        for (int axis = 0; axis < 2; ++axis) {
            for (int c = 0; c < kDim; ++c) {
                reference.points[i][axis] += rows[i][c] * axes[axis][c];
            }
        }
    }
    return reference;
}

/// The scene of the tiny input through core's projection (the code the tab and the CLI run).
EmbeddingScene tinyScene()
{
    std::vector<float> joint;
    for (const auto* set : {kQueries, kKeys}) {
        for (int i = 0; i < kN; ++i) {
            for (int c = 0; c < kDim; ++c) {
                joint.push_back(static_cast<float>(set[i][c]));
            }
        }
    }
    const Projection2d projection = projectPca2d(joint, 2 * kN, kDim).value();
    EmbeddingScene scene;
    scene.embedding.layer = 1;
    scene.embedding.head = 3;
    scene.embedding.nTokens = kN;
    scene.embedding.queries.assign(projection.points.begin(), projection.points.begin() + kN);
    scene.embedding.keys.assign(projection.points.begin() + kN, projection.points.end());
    scene.embedding.explained[0] = projection.explained[0];
    scene.embedding.explained[1] = projection.explained[1];
    scene.variant = "topk:k=1";
    scene.ids = {7, 3, 7, 11};
    scene.kept.assign(kN * kN, 0);
    return scene;
}

/// Point i (queries 0..N−1, keys N..2N−1) of the reference in figure points: the largest
/// coordinate of all at the edge of the plot's square, 12 pt in.
QPointF expectedPlace(const ReferencePca& reference, int index, const QRectF& plot)
{
    double extent = 0.0;
    for (const auto& point : reference.points) {
        extent = std::max({extent, std::abs(point[0]), std::abs(point[1])});
    }
    const double half = plot.width() / 2.0 - 12.0;
    return {plot.center().x() + reference.points[index][0] / extent * half,
            plot.center().y() - reference.points[index][1] / extent * half};
}

/// The HSV colour of token `id` computed here with Qt's conversion (hue from Knuth's hash).
QRgb tokenRgb(std::int32_t id)
{
    const std::uint32_t hue = (static_cast<std::uint32_t>(id) * 2654435761u) % 360u;
    return QColor::fromHsvF(hue / 360.0f, 170.0f / 255.0f, 235.0f / 255.0f).rgb();
}

class FigureEmbeddingTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() { s_app = figure::ensureGuiApplication().release(); }
    static QGuiApplication* s_app;
};

QGuiApplication* FigureEmbeddingTest::s_app = nullptr;

TEST_F(FigureEmbeddingTest, ProjectionMatchesAPowerIterationInDouble)
{
    const ReferencePca reference = referencePca();
    const EmbeddingScene scene = tinyScene();
    EXPECT_NEAR(scene.embedding.explained[0], reference.explained[0], 1e-6);
    EXPECT_NEAR(scene.embedding.explained[1], reference.explained[1], 1e-6);
    for (int i = 0; i < kN; ++i) {
        EXPECT_NEAR(scene.embedding.queries[i].x, reference.points[i][0], 1e-6) << "query " << i;
        EXPECT_NEAR(scene.embedding.queries[i].y, reference.points[i][1], 1e-6) << "query " << i;
        EXPECT_NEAR(scene.embedding.keys[i].x, reference.points[kN + i][0], 1e-6) << "key " << i;
        EXPECT_NEAR(scene.embedding.keys[i].y, reference.points[kN + i][1], 1e-6) << "key " << i;
    }
    // The figure's points: query i then key i, each coordinate over the largest of all.
    auto scatter = embeddingScatter(scene, {});
    ASSERT_TRUE(scatter.ok()) << scatter.error().describe();
    ASSERT_EQ(scatter->points.size(), static_cast<std::size_t>(2 * kN));
    double extent = 0.0;
    for (const auto& point : reference.points) {
        extent = std::max({extent, std::abs(point[0]), std::abs(point[1])});
    }
    for (int i = 0; i < kN; ++i) {
        const FigureScatterPoint& query = scatter->points[static_cast<std::size_t>(2 * i)];
        const FigureScatterPoint& key = scatter->points[static_cast<std::size_t>(2 * i + 1)];
        EXPECT_EQ(query.mark, FigureMark::Circle);
        EXPECT_EQ(key.mark, FigureMark::Square);
        EXPECT_EQ(query.position, i);
        EXPECT_NEAR(query.x, reference.points[i][0] / extent, 1e-6);
        EXPECT_NEAR(key.y, reference.points[kN + i][1] / extent, 1e-6);
    }
    EXPECT_DOUBLE_EQ(scatter->pointRadius, 6.0);  // clamp(90 / sqrt(4), 2.5, 6)
    EXPECT_DOUBLE_EQ(embeddingPointRadius(400), 4.5);
    EXPECT_DOUBLE_EQ(embeddingPointRadius(4000), 2.5);
}

TEST_F(FigureEmbeddingTest, PngPointsTakeTheirPlaceMarkAndColour)
{
    const auto viridis = readLut("viridis.txt");
    const ReferencePca reference = referencePca();
    auto figure = buildEmbeddingFigure(tinyScene(), {});
    ASSERT_TRUE(figure.ok()) << figure.error().describe();
    const QRectF plot = figure::layoutFigure(figure.value()).scatters.at(0).plot;
    const int dpi = 288;
    const double scale = dpi / 72.0;
    const QImage image = renderPng(figure.value(), dpi);
    ASSERT_FALSE(image.isNull());
    auto pixel = [&](const QPointF& at) { return image.pixel(static_cast<int>(at.x() * scale), static_cast<int>(at.y() * scale)); };
    const double radius = 6.0;
    for (int i = 0; i < 2 * kN; ++i) {
        for (int j = 0; j < i; ++j) {
            const QPointF gap = expectedPlace(reference, i, plot) - expectedPlace(reference, j, plot);
            ASSERT_GT(std::hypot(gap.x(), gap.y()), 3.0 * radius) << "the input keeps points " << i << " and " << j << " apart";
        }
    }
    const QRgb white = qRgb(255, 255, 255);
    for (int i = 0; i < 2 * kN; ++i) {
        const int position = i % kN;
        const QPointF centre = expectedPlace(reference, i, plot);
        EXPECT_TRUE(matchesEntry(pixel(centre), viridis, lutEntry(position / 3.0, 0.0, 1.0), 1)) << "point " << i;
        // 0.8 r along the diagonal: inside a key's square, outside a query's circle.
        const QRgb corner = pixel(centre + QPointF(0.8 * radius, 0.8 * radius));
        if (i < kN) {
            EXPECT_LE(colourDistance(corner, white), 1) << "query " << i << " is a circle";
        } else {
            EXPECT_TRUE(matchesEntry(corner, viridis, lutEntry(position / 3.0, 0.0, 1.0), 1)) << "key " << i << " is a square";
        }
    }
    // By token: one hue per id, repeated ids (positions 0 and 2) share it.
    auto byToken = buildEmbeddingFigure(tinyScene(), {EmbeddingColouring::Token, false});
    ASSERT_TRUE(byToken.ok());
    const QImage tokenImage = renderPng(byToken.value(), dpi);
    const std::int32_t ids[kN] = {7, 3, 7, 11};
    for (int i = 0; i < 2 * kN; ++i) {
        const QPointF centre = expectedPlace(reference, i, plot);
        const QRgb seen = tokenImage.pixel(static_cast<int>(centre.x() * scale), static_cast<int>(centre.y() * scale));
        EXPECT_LE(colourDistance(seen, tokenRgb(ids[i % kN])), 1) << "point " << i;
    }
}

TEST_F(FigureEmbeddingTest, KeptEdgesJoinAQueryToItsKeysInTheEdgeColour)
{
    const ReferencePca reference = referencePca();
    EmbeddingScene scene = tinyScene();
    scene.kept[0 * kN + 1] = 1;  // query 0 keeps key 1
    auto figure = buildEmbeddingFigure(scene, {EmbeddingColouring::Position, true});
    ASSERT_TRUE(figure.ok()) << figure.error().describe();
    ASSERT_EQ(figure->scatters.at(0).edges.size(), 1u);
    const QRectF plot = figure::layoutFigure(figure.value()).scatters.at(0).plot;
    const QPointF middle = (expectedPlace(reference, 0, plot) + expectedPlace(reference, kN + 1, plot)) / 2.0;
    for (int i = 0; i < 2 * kN; ++i) {
        const QPointF gap = middle - expectedPlace(reference, i, plot);
        ASSERT_GT(std::hypot(gap.x(), gap.y()), 8.0) << "the edge's middle is clear of point " << i;
    }
    const QImage image = renderPng(figure.value(), 288);
    const QRgb seen = image.pixel(static_cast<int>(middle.x() * 4.0), static_cast<int>(middle.y() * 4.0));
    const double alpha = 60.0 / 255.0;
    const double expected[] = {alpha * 255 + (1 - alpha) * 255, alpha * 170 + (1 - alpha) * 255, alpha * 90 + (1 - alpha) * 255};
    EXPECT_LE(std::abs(qRed(seen) - expected[0]), 3);
    EXPECT_LE(std::abs(qGreen(seen) - expected[1]), 3);
    EXPECT_LE(std::abs(qBlue(seen) - expected[2]), 3);
    // A mask of another size, or ids missing when colouring by token, are errors.
    scene.kept.resize(3);
    EXPECT_EQ(buildEmbeddingFigure(scene, {EmbeddingColouring::Position, true}).error().code, ErrorCode::ShapeMismatch);
    scene.ids.clear();
    EXPECT_EQ(buildEmbeddingFigure(scene, {EmbeddingColouring::Token, false}).error().code, ErrorCode::ShapeMismatch);
    EXPECT_TRUE(buildEmbeddingFigure(scene, {}).ok()) << "neither is needed by position without edges";
    EXPECT_EQ(parseEmbeddingColouring("token").value(), EmbeddingColouring::Token);
    EXPECT_EQ(parseEmbeddingColouring("hue").error().code, ErrorCode::InvalidArgument);
}

/// The marks of an SVG: circles (or ellipses) and filled rectangles with their centre and their
/// group's fill.
struct SvgMark {
    bool ellipse = false;
    QPointF centre;
    QString fill;
};

std::vector<SvgMark> svgMarks(const QByteArray& bytes)
{
    std::vector<SvgMark> marks;
    QXmlStreamReader xml(bytes);
    std::vector<QString> fills{QString()};
    while (!xml.atEnd()) {
        xml.readNext();
        if (xml.isEndElement() && xml.name() == QLatin1String("g")) {
            fills.pop_back();
        }
        if (!xml.isStartElement()) {
            continue;
        }
        const QXmlStreamAttributes attributes = xml.attributes();
        auto number = [&](const char* name) { return attributes.value(QLatin1String(name)).toDouble(); };
        if (xml.name() == QLatin1String("g")) {
            const QString fill = attributes.value(QLatin1String("fill")).toString();
            fills.push_back(fill.isEmpty() ? fills.back() : fill);
        } else if (xml.name() == QLatin1String("ellipse") || xml.name() == QLatin1String("circle")) {
            marks.push_back({true, QPointF(number("cx"), number("cy")), fills.back()});
        } else if (xml.name() == QLatin1String("rect") && fills.back() != QLatin1String("none")) {
            marks.push_back({false, QPointF(number("x") + number("width") / 2.0, number("y") + number("height") / 2.0), fills.back()});
        }
    }
    EXPECT_FALSE(xml.hasError()) << xml.errorString().toStdString();
    return marks;
}

TEST_F(FigureEmbeddingTest, SvgHasOneMarkPerPointWhereItBelongs)
{
    const ReferencePca reference = referencePca();
    auto figure = buildEmbeddingFigure(tinyScene(), {EmbeddingColouring::Token, false});
    ASSERT_TRUE(figure.ok());
    const QRectF plot = figure::layoutFigure(figure.value()).scatters.at(0).plot;
    auto bytes = figure::renderFigure(figure.value(), {figure::FigureFormat::Svg, 150, false});
    ASSERT_TRUE(bytes.ok());
    const std::int32_t ids[kN] = {7, 3, 7, 11};
    std::vector<SvgMark> marks;
    for (const SvgMark& mark : svgMarks(bytes.value())) {
        if (mark.fill != QLatin1String("#ffffff")) {  // the page
            marks.push_back(mark);
        }
    }
    ASSERT_EQ(marks.size(), static_cast<std::size_t>(2 * kN));
    for (int i = 0; i < kN; ++i) {
        for (int key = 0; key < 2; ++key) {
            const SvgMark& mark = marks[static_cast<std::size_t>(2 * i + key)];
            const QPointF expected = expectedPlace(reference, key * kN + i, plot);
            EXPECT_EQ(mark.ellipse, key == 0) << "point " << i;
            EXPECT_NEAR(mark.centre.x(), expected.x(), 0.02) << "point " << i;
            EXPECT_NEAR(mark.centre.y(), expected.y(), 0.02) << "point " << i;
            EXPECT_LE(colourDistance(QColor(mark.fill).rgb(), tokenRgb(ids[i])), 1) << "point " << i;
        }
    }
    const testing::SvgContents svg = parseSvg(bytes.value());
    char xTitle[64];
    std::snprintf(xTitle, sizeof xTitle, "PC1 \xC2\xB7 %.1f%% of the variance", reference.explained[0] * 100.0);
    EXPECT_EQ(svg.texts.count(xTitle), 1u) << xTitle;
    EXPECT_EQ(svg.provenance.at("variant"), "topk:k=1");
}

const std::string kText = "In the beginning God created the heaven and the earth. And the earth was without form.";

TEST_F(FigureEmbeddingTest, CliWritesTheEmbeddingAndChecksItsOptions)
{
    TempDir dir;
    const CliRun run = runCli({"export", "demo", "--text", kText, "--view", "embedding", "--layer", "1", "--heads", "0-1",
                               "--variant", "topk:k=2", "--out", dir.path()});
    ASSERT_EQ(run.exitCode, 0) << run.err;
    for (const char* name : {"embedding_L1_H0_topk_k2.png", "embedding_L1_H1_topk_k2.png"}) {
        QImage image;
        ASSERT_TRUE(image.load(QString::fromStdString(dir.path() + "/" + name))) << name;
        EXPECT_EQ(image.text(QStringLiteral("variant")), QStringLiteral("topk:k=2"));
    }
    // An SVG with the kept edges: one ellipse per token and one orange line per kept pair of the
    // variant's mask.
    const std::string svgPath = dir.path() + "/edges.svg";
    const CliRun edges = runCli({"export", "demo", "--text", kText, "--view", "embedding", "--layer", "1", "--head", "0",
                                 "--variant", "topk:k=2", "--kept-edges", "--colour-by", "token", "--out", svgPath});
    ASSERT_EQ(edges.exitCode, 0) << edges.err;
    auto workspace = Workspace::open({"demo"});
    ASSERT_TRUE(workspace.ok());
    const auto tokens = workspace.value()->tokenize(kText).value();
    const auto kept = workspace.value()->headAttention(tokens.ids, 1, 0, "topk:k=2", {}).value().mask;
    int keptPairs = 0;
    for (const std::uint8_t cell : kept) {
        keptPairs += cell != 0 ? 1 : 0;
    }
    const QByteArray svgBytes = QByteArray::fromStdString(readFileBytes(svgPath));
    int ellipses = 0;
    for (const SvgMark& mark : svgMarks(svgBytes)) {
        ellipses += mark.ellipse ? 1 : 0;
    }
    EXPECT_EQ(ellipses, static_cast<int>(tokens.ids.size()));
    EXPECT_EQ(parseSvg(svgBytes).strokedLines["#ffaa5a"], keptPairs);
    for (const std::vector<std::string>& bad : std::vector<std::vector<std::string>>{
             {"--colour-by", "token"}, {"--view", "graph", "--kept-edges"}, {"--view", "embedding", "--colour-by", "hue"}}) {
        std::vector<std::string> arguments{"export", "demo", "--text", kText, "--out", dir.path() + "/x"};
        arguments.insert(arguments.end(), bad.begin(), bad.end());
        const CliRun refused = runCli(arguments);
        EXPECT_EQ(refused.exitCode, 2) << bad.back();
        EXPECT_NE(refused.err.find(bad.back() == "hue" ? "position, token" : "--view embedding"), std::string::npos) << refused.err;
    }
    EXPECT_FALSE(std::filesystem::exists(dir.path() + "/x"));
}

} // namespace
} // namespace attnscope

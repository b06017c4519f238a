// Exported figures, checked by decoding them: PNG pixels at known cells equal the colour map at the
// cell's value (the LUT read from assets/ here, the value mapped with the closed form), the colour
// bars exist, SVG is well-formed XML with the provenance and a full-resolution embedded map, PDF
// renders through poppler's pdftoppm to the same colours, and writes are atomic.

#include "figure_test_support.h"

#include "attnscope/figure_model.h"
#include "figure_export.h"
#include "figure_layout.h"
#include "test_support/temp_dir.h"

#include <QBuffer>
#include <QGuiApplication>
#include <QImage>
#include <QXmlStreamReader>

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace attnscope {
namespace {

using testing::cellCentre;
using testing::colourDistance;
using testing::makeSyntheticScene;
using testing::readLut;

/// The expected colour of a value on the sqrt scale, by the closed form t = sqrt(|x| / vmax).
QRgb expectedColour(double value, double vmax, bool diverging)
{
    static const auto viridis = readLut("viridis.txt");
    static const auto divergingLut = readLut("diverging.txt");
    const double t = std::sqrt(std::min(1.0, std::abs(value) / vmax));
    if (!diverging) {
        return viridis[static_cast<std::size_t>(std::lround(t * 255.0))];
    }
    const double signedT = value < 0 ? -t : t;
    return divergingLut[static_cast<std::size_t>(std::lround((signedT + 1.0) * 0.5 * 255.0))];
}

class FigureExport : public ::testing::Test {
protected:
    static void SetUpTestSuite() { s_app = figure::ensureGuiApplication().release(); }

    FigureModel compareFigure() const
    {
        auto figure = buildCompareFigure(m_scene.dense, m_scene.effective, m_scene.pieces, ColourScale::Sqrt);
        EXPECT_TRUE(figure.ok()) << (figure.ok() ? "" : figure.error().describe());
        figure->provenance.modelPath = "/models/x";
        figure->provenance.modelHash = std::string(64, 'a');
        figure->provenance.textHash = sha256Hex("In the beginning");
        return figure.value();
    }

    /// Checks every cell of the three panels of a rendering at `pixelsPerPoint` against the closed form.
    void expectCellColours(const QImage& image, const FigureModel& figure, double pixelsPerPoint, int tolerance) const
    {
        const figure::FigureLayout layout = figure::layoutFigure(figure);
        const int n = m_scene.dense.nTokens;
        const double vmax = 1.0;  // row 0 has one allowed key: weight 1 in both maps
        int checked = 0;
        for (int row = 0; row < n; ++row) {
            for (int column = 0; column < n; ++column) {
                const std::size_t index = static_cast<std::size_t>(row) * n + column;
                const double dense = m_scene.dense.attention[index];
                const double effective = m_scene.effective.attention[index];
                const std::array<std::pair<double, bool>, 3> panels{{{dense, false}, {effective, false}, {effective - dense, true}}};
                for (int panel = 0; panel < 3; ++panel) {
                    const QPoint pixel = cellCentre(layout, panel, row, column, pixelsPerPoint);
                    const QRgb expected = expectedColour(panels[static_cast<std::size_t>(panel)].first, vmax,
                                                         panels[static_cast<std::size_t>(panel)].second);
                    ASSERT_LE(colourDistance(image.pixel(pixel), expected), tolerance)
                        << "panel " << panel << " cell (" << row << ", " << column << ") at " << pixel.x() << "," << pixel.y();
                    ++checked;
                }
            }
        }
        EXPECT_EQ(checked, 3 * n * n);
    }

    /// The two colour bars: their top is the map's last entry and their bottom its first.
    void expectColourBars(const QImage& image, const FigureModel& figure, double pixelsPerPoint, int tolerance,
                          const std::string& sequential = "viridis.txt") const
    {
        const figure::FigureLayout layout = figure::layoutFigure(figure);
        ASSERT_EQ(layout.barRects.size(), 2u);
        for (std::size_t bar = 0; bar < 2; ++bar) {
            const auto lut = readLut(bar == 0 ? sequential : "diverging.txt");
            const QRectF rect = layout.barRects[bar];
            const int x = static_cast<int>((rect.center().x()) * pixelsPerPoint);
            // The bar is the 256 entries top (last) to bottom (first); sample the middle of a few
            // rows and accept the row or a neighbour (a row may be under one device pixel).
            for (const int row : {6, 64, 128, 200, 249}) {
                const double y = rect.top() + (row + 0.5) * rect.height() / 256.0;
                const QRgb seen = image.pixel(x, static_cast<int>(y * pixelsPerPoint));
                int best = 255;
                for (int neighbour = row - 1; neighbour <= row + 1; ++neighbour) {
                    best = std::min(best, colourDistance(seen, lut[static_cast<std::size_t>(255 - neighbour)]));
                }
                EXPECT_LE(best, tolerance) << "bar " << bar << " row " << row;
            }
            EXPECT_GT(colourDistance(lut[255], lut[0]), 60);
        }
    }

    static QGuiApplication* s_app;
    testing::SyntheticScene m_scene = makeSyntheticScene();
};

QGuiApplication* FigureExport::s_app = nullptr;

TEST_F(FigureExport, PngCellsMatchTheColourMapAtEachValue)
{
    const FigureModel figure = compareFigure();
    for (const int dpi : {72, 150, 300}) {
        auto bytes = figure::renderFigure(figure, {figure::FigureFormat::Png, dpi, false});
        ASSERT_TRUE(bytes.ok()) << bytes.error().describe();
        QImage image;
        ASSERT_TRUE(image.loadFromData(bytes.value(), "PNG"));
        const figure::FigureLayout layout = figure::layoutFigure(figure);
        EXPECT_EQ(image.width(), static_cast<int>(std::ceil(layout.size.width() * dpi / 72.0)));
        EXPECT_NEAR(image.dotsPerMeterX() * 0.0254, dpi, 0.5);
        expectCellColours(image, figure, dpi / 72.0, 0);
        expectColourBars(image, figure, dpi / 72.0, 0);
    }
}

TEST_F(FigureExport, TheChosenSequentialMapColoursMapsAndBarDifferencesStayDiverging)
{
    FigureModel figure = compareFigure();
    figure.colormap = "magma";
    auto bytes = figure::renderFigure(figure, {figure::FigureFormat::Png, 144, false});
    ASSERT_TRUE(bytes.ok());
    QImage image;
    ASSERT_TRUE(image.loadFromData(bytes.value(), "PNG"));
    const auto magma = readLut("magma.txt");
    const figure::FigureLayout layout = figure::layoutFigure(figure);
    const int n = m_scene.dense.nTokens;
    for (int row = 0; row < n; ++row) {
        for (int column = 0; column <= row; ++column) {
            const double dense = m_scene.dense.attention[static_cast<std::size_t>(row) * n + column];
            const double effective = m_scene.effective.attention[static_cast<std::size_t>(row) * n + column];
            EXPECT_EQ(image.pixel(cellCentre(layout, 0, row, column, 2.0)),
                      magma[static_cast<std::size_t>(std::lround(std::sqrt(dense) * 255.0))]);
            EXPECT_EQ(image.pixel(cellCentre(layout, 2, row, column, 2.0)), expectedColour(effective - dense, 1.0, true));
        }
    }
    expectColourBars(image, figure, 2.0, 0, "magma.txt");
}

TEST_F(FigureExport, PngCarriesTheProvenanceAsText)
{
    const FigureModel figure = compareFigure();
    auto bytes = figure::renderFigure(figure, {figure::FigureFormat::Png, 96, false});
    ASSERT_TRUE(bytes.ok());
    QImage image;
    ASSERT_TRUE(image.loadFromData(bytes.value(), "PNG"));
    EXPECT_EQ(image.text(QStringLiteral("model_sha256")).toStdString(), std::string(64, 'a'));
    EXPECT_EQ(image.text(QStringLiteral("text_sha256")).toStdString(), sha256Hex("In the beginning"));
    EXPECT_EQ(image.text(QStringLiteral("layer")), QStringLiteral("1"));
    EXPECT_EQ(image.text(QStringLiteral("head")), QStringLiteral("2"));
    EXPECT_EQ(image.text(QStringLiteral("variant")), QStringLiteral("topk:k=2"));
    EXPECT_EQ(image.text(QStringLiteral("attnscope_version")).toStdString(), versionString());
}

TEST_F(FigureExport, CaptionAddsALineOfProvenanceUnderTheFigure)
{
    FigureModel figure = compareFigure();
    const figure::FigureLayout plain = figure::layoutFigure(figure);
    figure.caption = true;
    const figure::FigureLayout captioned = figure::layoutFigure(figure);
    EXPECT_GT(captioned.size.height(), plain.size.height());
    auto bytes = figure::renderFigure(figure, {figure::FigureFormat::Png, 144, false});
    ASSERT_TRUE(bytes.ok());
    QImage image;
    ASSERT_TRUE(image.loadFromData(bytes.value(), "PNG"));
    // Some ink in the caption band (the background is white).
    const QRectF band = captioned.caption;
    int inked = 0;
    for (int y = static_cast<int>(band.top() * 2); y < static_cast<int>(band.bottom() * 2); ++y) {
        for (int x = static_cast<int>(band.left() * 2); x < static_cast<int>(band.right() * 2); ++x) {
            inked += image.pixel(x, y) != qRgb(255, 255, 255) ? 1 : 0;
        }
    }
    EXPECT_GT(inked, 50);
    EXPECT_NE(figure.provenance.captionText().find("topk:k=2"), std::string::npos);
}

TEST_F(FigureExport, SvgIsWellFormedWithProvenanceAndFullResolutionMaps)
{
    const FigureModel figure = compareFigure();
    auto bytes = figure::renderFigure(figure, {figure::FigureFormat::Svg, 150, false});
    ASSERT_TRUE(bytes.ok()) << bytes.error().describe();
    QXmlStreamReader xml(bytes.value());
    int images = 0;
    int texts = 0;
    bool provenance = false;
    bool title = false;
    std::vector<QImage> embedded;
    while (!xml.atEnd()) {
        xml.readNext();
        if (!xml.isStartElement()) {
            continue;
        }
        if (xml.name() == QLatin1String("provenance")) {
            provenance = true;
            EXPECT_EQ(xml.namespaceUri(), QLatin1String("urn:attnscope:provenance:1"));
            EXPECT_EQ(xml.attributes().value(QLatin1String("model_sha256")).toString().toStdString(), std::string(64, 'a'));
            EXPECT_EQ(xml.attributes().value(QLatin1String("variant")), QLatin1String("topk:k=2"));
        } else if (xml.name() == QLatin1String("image")) {
            ++images;
            const QString href = xml.attributes().value(QLatin1String("http://www.w3.org/1999/xlink"), QLatin1String("href")).toString();
            const int comma = href.indexOf(QLatin1Char(','));
            ASSERT_GT(comma, 0);
            QImage image;
            ASSERT_TRUE(image.loadFromData(QByteArray::fromBase64(href.mid(comma + 1).toLatin1())));
            embedded.push_back(image);
        } else if (xml.name() == QLatin1String("text")) {
            ++texts;
        } else if (xml.name() == QLatin1String("title")) {
            title = true;
        }
    }
    ASSERT_FALSE(xml.hasError()) << xml.errorString().toStdString() << " at line " << xml.lineNumber();
    EXPECT_TRUE(provenance);
    EXPECT_TRUE(title);
    EXPECT_GT(texts, 10);  // titles, ticks and labels stay vector text
    ASSERT_GE(images, 3);  // three maps (+ two colour-bar gradients)
    // The maps are embedded at one pixel per cell, coloured by the closed form.
    const int n = m_scene.dense.nTokens;
    int maps = 0;
    for (const QImage& image : embedded) {
        if (image.width() != n || image.height() != n) {
            continue;
        }
        const bool diverging = maps == 2;
        for (int row = 0; row < n; ++row) {
            for (int column = 0; column < n; ++column) {
                const std::size_t index = static_cast<std::size_t>(row) * n + column;
                const double value = maps == 0   ? m_scene.dense.attention[index]
                                     : maps == 1 ? m_scene.effective.attention[index]
                                                 : m_scene.effective.attention[index] - m_scene.dense.attention[index];
                ASSERT_EQ(image.pixel(column, row) | 0xff000000u, expectedColour(value, 1.0, diverging) | 0xff000000u)
                    << "map " << maps << " cell " << row << "," << column;
            }
        }
        ++maps;
    }
    EXPECT_EQ(maps, 3);
    EXPECT_TRUE(bytes->contains("image-rendering:pixelated"));
}

TEST_F(FigureExport, PdfRendersThroughPopplerToTheSameColours)
{
    TempDir dir;
    const std::string pdf = dir.path() + "/figure.pdf";
    const FigureModel figure = compareFigure();
    ASSERT_TRUE(figure::writeFigure(figure, pdf, {figure::FigureFormat::Pdf, 150, false}).ok());
    std::ifstream stream(pdf, std::ios::binary);
    const std::string contents((std::istreambuf_iterator<char>(stream)), std::istreambuf_iterator<char>());
    EXPECT_EQ(contents.rfind("%PDF-", 0), 0u);
    EXPECT_NE(contents.find(std::string(64, 'a')), std::string::npos) << "model hash in the XMP metadata";
    EXPECT_NE(contents.find("urn:attnscope:provenance:1"), std::string::npos);
    if (std::system("command -v pdftoppm >/dev/null 2>&1") != 0) {
        GTEST_SKIP() << "pdftoppm (poppler-utils) is not installed: the PDF was written but not rendered";
    }
    // 144 dpi: cells of >= 4 device pixels per PDF image pixel, where poppler does not interpolate.
    const std::string command = "pdftoppm -r 144 -png -singlefile '" + pdf + "' '" + dir.path() + "/page'";
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
    QImage page;
    ASSERT_TRUE(page.load(QString::fromStdString(dir.path() + "/page.png")));
    const figure::FigureLayout layout = figure::layoutFigure(figure);
    EXPECT_NEAR(page.width(), layout.size.width() * 2.0, 2.0);
    expectCellColours(page, figure, 2.0, 2);
    expectColourBars(page, figure, 2.0, 2);
}

TEST_F(FigureExport, ExistingFileIsKeptWithoutOverwrite)
{
    TempDir dir;
    const std::string path = dir.write("figure.png", "precious");
    const auto result = figure::writeFigure(compareFigure(), path, {figure::FigureFormat::Png, 72, false});
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().code, ErrorCode::FileIo);
    EXPECT_NE(result.error().describe().find(path), std::string::npos);
    std::ifstream stream(path);
    std::string contents;
    std::getline(stream, contents);
    EXPECT_EQ(contents, "precious");
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), std::filesystem::directory_iterator()), 1);
    ASSERT_TRUE(figure::writeFigure(compareFigure(), path, {figure::FigureFormat::Png, 72, true}).ok());
    QImage image;
    EXPECT_TRUE(image.load(QString::fromStdString(path)));
}

TEST_F(FigureExport, UnwritableDirectoryFailsCleanlyLeavingNothing)
{
    TempDir dir;
    // A path under a regular file cannot be created even by root (ENOTDIR), unlike a read-only mode.
    const std::string blocker = dir.write("not-a-directory", "x");
    const auto result = figure::writeFigure(compareFigure(), blocker + "/figure.svg", {figure::FigureFormat::Svg, 72, false});
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().code, ErrorCode::FileIo);
    EXPECT_NE(result.error().describe().find("not-a-directory/figure.svg"), std::string::npos);
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), std::filesystem::directory_iterator()), 1);
}

TEST_F(FigureExport, BadRequestsAreErrorsNotCrashes)
{
    EXPECT_FALSE(figure::renderFigure(compareFigure(), {figure::FigureFormat::Png, 5, false}).ok());
    EXPECT_FALSE(figure::renderFigure(FigureModel{}, {figure::FigureFormat::Png, 150, false}).ok());
    EXPECT_FALSE(figure::figureFormatForPath("figure").ok());
    EXPECT_FALSE(figure::figureFormatForPath("figure.jpeg").ok());
    EXPECT_EQ(figure::figureFormatForPath("dir.v2/figure.PDF").value(), figure::FigureFormat::Pdf);
    HeadAttention broken = m_scene.dense;
    broken.attention.pop_back();
    EXPECT_EQ(buildCompareFigure(broken, m_scene.effective, m_scene.pieces, ColourScale::Sqrt).error().code,
              ErrorCode::ShapeMismatch);
    EXPECT_EQ(buildCompareFigure(m_scene.dense, m_scene.effective, {"a"}, ColourScale::Sqrt).error().code,
              ErrorCode::ShapeMismatch);
}

TEST_F(FigureExport, SeveralVariantsShareOneScaleWithDifferencesUnderTheirVariants)
{
    // A second variant: the first key of each row only (the largest values stay in the first).
    HeadAttention first = m_scene.effective;
    first.variant = "sink:k=1";
    const int n = m_scene.dense.nTokens;
    std::fill(first.attention.begin(), first.attention.end(), 0.0f);
    std::fill(first.mask.begin(), first.mask.end(), 0);
    for (int row = 0; row < n; ++row) {
        first.attention[static_cast<std::size_t>(row) * n] = 1.0f;
        first.mask[static_cast<std::size_t>(row) * n] = 1;
    }
    auto figure = buildCompareFigure(m_scene.dense, {&m_scene.effective, &first}, m_scene.pieces, ColourScale::Sqrt, 1);
    ASSERT_TRUE(figure.ok()) << figure.error().describe();
    ASSERT_EQ(figure->panels.size(), 5u);
    EXPECT_EQ(figure->panels[0].outline, first.mask) << "the outlined variant's mask";
    EXPECT_EQ(figure->provenance.variant, "topk:k=2; sink:k=1");
    const figure::FigureLayout layout = figure::layoutFigure(figure.value());
    // Variants on the top row beside dense, each difference right under its variant.
    EXPECT_EQ(layout.plots[1].top(), layout.plots[0].top());
    EXPECT_EQ(layout.plots[3].top(), layout.plots[0].top());
    EXPECT_EQ(layout.plots[2].left(), layout.plots[1].left());
    EXPECT_EQ(layout.plots[4].left(), layout.plots[3].left());
    EXPECT_GT(layout.plots[2].top(), layout.plots[1].bottom());
    auto bytes = figure::renderFigure(figure.value(), {figure::FigureFormat::Png, 144, false});
    ASSERT_TRUE(bytes.ok());
    QImage image;
    ASSERT_TRUE(image.loadFromData(bytes.value(), "PNG"));
    const std::array<const HeadAttention*, 2> variants{&m_scene.effective, &first};
    for (int row = 0; row < n; ++row) {
        for (int column = 0; column < n; ++column) {
            const std::size_t index = static_cast<std::size_t>(row) * n + column;
            for (std::size_t v = 0; v < 2; ++v) {
                const double value = variants[v]->attention[index];
                const double difference = value - m_scene.dense.attention[index];
                EXPECT_EQ(image.pixel(cellCentre(layout, static_cast<int>(1 + 2 * v), row, column, 2.0)),
                          expectedColour(value, 1.0, false)) << "variant " << v << " cell " << row << "," << column;
                EXPECT_EQ(image.pixel(cellCentre(layout, static_cast<int>(2 + 2 * v), row, column, 2.0)),
                          expectedColour(difference, 1.0, true)) << "difference " << v << " cell " << row << "," << column;
            }
        }
    }
    EXPECT_FALSE(buildCompareFigure(m_scene.dense, std::vector<const HeadAttention*>{}, m_scene.pieces, ColourScale::Sqrt).ok());
}

TEST_F(FigureExport, LargeMapsDropLabelsButKeepEveryCell)
{
    const testing::SyntheticScene big = makeSyntheticScene(200);
    auto figure = buildHeatmapFigure(big.dense, big.pieces, ColourScale::Linear);
    ASSERT_TRUE(figure.ok());
    const figure::FigureLayout layout = figure::layoutFigure(figure.value());
    EXPECT_FALSE(layout.labels);
    // At 600 dpi one cell is several pixels: check a diagonal of cells against the linear closed form.
    auto bytes = figure::renderFigure(figure.value(), {figure::FigureFormat::Png, 600, false});
    ASSERT_TRUE(bytes.ok());
    QImage image;
    ASSERT_TRUE(image.loadFromData(bytes.value(), "PNG"));
    const auto viridis = readLut("viridis.txt");
    for (int row = 0; row < 200; row += 7) {
        const QPoint pixel = cellCentre(layout, 0, row, row, 600.0 / 72.0);
        const double value = big.dense.attention[static_cast<std::size_t>(row) * 200 + row];
        EXPECT_EQ(image.pixel(pixel), viridis[static_cast<std::size_t>(std::lround(std::min(1.0, value) * 255.0))])
            << "diagonal cell " << row;
    }
}

} // namespace
} // namespace attnscope

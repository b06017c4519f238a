// Every view's PDF, rendered by an independent renderer (poppler's pdftoppm), shows the same
// picture as the PNG the same command writes at the same resolution: the same page size, and the
// pixels agree except along antialiased text and line edges, where two rasterisers legitimately
// differ by a few levels. A PDF with a missing or misplaced image, a wrong page size or a view
// painted in other colours fails. Measured on the demo model (2026-12-02): 97.2 % (the head grid,
// dense with printed numbers) to 99.6 % of 4x4 blocks agree, mean difference 0.4-1.3 levels; the
// test asks for 95 % and 3 levels. (The pixel colours of each view against the colour
// maps are checked on the PNGs by the tests in tests/figure/.)

#include "test_support/cli_runner.h"
#include "test_support/temp_dir.h"

#include <QImage>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace attnscope {
namespace {

const std::string kText = "In the beginning God created the heaven and the earth. In the beginning God created";
constexpr int kDpi = 144;  // PDF images at >= 2 device pixels per image pixel: poppler does not smooth them

struct Agreement {
    double close = 0.0;           ///< fraction of blocks whose mean channels all differ by <= kCloseLevels
    double meanDifference = 0.0;  ///< mean over blocks of the largest mean-channel difference (0..255)
};

// Compared in blocks of kBlock x kBlock pixels (channel means): glyph and line edges, where the two
// rasterisers differ pixel by pixel, average out; a missing, shifted or recoloured area does not.
constexpr int kBlock = 4;
constexpr int kCloseLevels = 16;

Agreement compareImages(const QImage& a, const QImage& b)
{
    const int width = std::min(a.width(), b.width()) / kBlock;
    const int height = std::min(a.height(), b.height()) / kBlock;
    long long close = 0;
    double sum = 0.0;
    for (int by = 0; by < height; ++by) {
        for (int bx = 0; bx < width; ++bx) {
            int difference = 0;
            for (int channel = 0; channel < 3; ++channel) {
                int meanA = 0;
                int meanB = 0;
                for (int y = by * kBlock; y < (by + 1) * kBlock; ++y) {
                    for (int x = bx * kBlock; x < (bx + 1) * kBlock; ++x) {
                        const QRgb p = a.pixel(x, y);
                        const QRgb q = b.pixel(x, y);
                        meanA += channel == 0 ? qRed(p) : channel == 1 ? qGreen(p) : qBlue(p);
                        meanB += channel == 0 ? qRed(q) : channel == 1 ? qGreen(q) : qBlue(q);
                    }
                }
                difference = std::max(difference, std::abs(meanA - meanB) / (kBlock * kBlock));
            }
            close += difference <= kCloseLevels ? 1 : 0;
            sum += difference;
        }
    }
    const double blocks = static_cast<double>(width) * height;
    return {close / blocks, sum / blocks};
}

class FigurePdf : public testing::TestWithParam<const char*> {};

TEST_P(FigurePdf, RendersLikeThePngOfTheSameCommand)
{
    if (std::system("command -v pdftoppm >/dev/null 2>&1") != 0) {
        GTEST_SKIP() << "pdftoppm (poppler-utils, installed by scripts/setup) is missing: PDFs cannot be rendered";
    }
    const std::string view = GetParam();
    TempDir dir;
    const std::vector<std::string> common = {"export", "demo", "--text", kText, "--view", view, "--variant",
                                             "sbm:density=0.3", "--layer", "1", "--head", "0"};
    auto withOutput = [&](std::vector<std::string> extra) {
        std::vector<std::string> arguments = common;
        arguments.insert(arguments.end(), extra.begin(), extra.end());
        return runCli(arguments);
    };
    // Into two folders, so that views writing several files (heatmap: one per map) are covered too.
    const std::string pngDir = dir.path() + "/png";
    const std::string pdfDir = dir.path() + "/pdf";
    const CliRun pngRun = withOutput({"--format", "png", "--dpi", std::to_string(kDpi), "--out", pngDir});
    ASSERT_EQ(pngRun.exitCode, 0) << pngRun.err;
    const CliRun pdfRun = withOutput({"--format", "pdf", "--out", pdfDir});
    ASSERT_EQ(pdfRun.exitCode, 0) << pdfRun.err;

    int compared = 0;
    for (const auto& entry : std::filesystem::directory_iterator(pngDir)) {
        const std::filesystem::path png = entry.path();
        if (png.extension() != ".png") {
            continue;
        }
        const std::filesystem::path pdf = std::filesystem::path(pdfDir) / png.filename().replace_extension(".pdf");
        ASSERT_TRUE(std::filesystem::exists(pdf)) << "no PDF beside " << png;
        const std::string page = dir.path() + "/page";
        const std::string command = "pdftoppm -r " + std::to_string(kDpi) + " -png -singlefile " +
                                    shellQuoted(pdf.string()) + " " + shellQuoted(page);
        ASSERT_EQ(std::system(command.c_str()), 0) << command;

        QImage fromPng;
        QImage fromPdf;
        ASSERT_TRUE(fromPng.load(QString::fromStdString(png.string()))) << png;
        ASSERT_TRUE(fromPdf.load(QString::fromStdString(page + ".png")));
        fromPng = fromPng.convertToFormat(QImage::Format_RGB32);
        fromPdf = fromPdf.convertToFormat(QImage::Format_RGB32);
        // Page sizes are in points; rounding to whole pixels may differ by one on each side.
        EXPECT_NEAR(fromPdf.width(), fromPng.width(), 2) << png;
        EXPECT_NEAR(fromPdf.height(), fromPng.height(), 2) << png;

        const Agreement agreement = compareImages(fromPng, fromPdf);
        std::printf("%s: %dx%d, %.4f of %dx%d blocks within %d levels, mean difference %.2f\n", png.filename().c_str(),
                    fromPng.width(), fromPng.height(), agreement.close, kBlock, kBlock, kCloseLevels, agreement.meanDifference);
        EXPECT_GE(agreement.close, 0.95) << png << ": mean largest-channel difference " << agreement.meanDifference;
        EXPECT_LE(agreement.meanDifference, 3.0) << png;
        // The comparison can fail: the same PNG against a copy with a quarter of its rows blanked does.
        QImage damaged = fromPng.copy();
        for (int y = 0; y < damaged.height() / 4; ++y) {
            for (int x = 0; x < damaged.width(); ++x) {
                damaged.setPixel(x, damaged.height() / 3 + y, qRgb(255, 0, 255));
            }
        }
        EXPECT_LT(compareImages(fromPng, damaged).close, 0.95);
        ++compared;
    }
    EXPECT_GE(compared, 1) << "the export wrote no PNG";
}

INSTANTIATE_TEST_SUITE_P(EveryView, FigurePdf,
                         testing::Values("compare", "heatmap", "lines", "grid", "rollout", "curves", "structure", "graph", "embedding"),
                         [](const testing::TestParamInfo<const char*>& info) { return std::string(info.param); });

} // namespace
} // namespace attnscope

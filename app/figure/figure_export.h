#pragma once
// A FigureModel to a file: PNG at a chosen DPI, SVG or PDF, painted by paintFigure, with the
// figure's provenance in the file's metadata (PNG text chunks, SVG <metadata> and <desc>, PDF
// Info and XMP). The bytes are rendered in memory and written atomically (temporary file, then
// rename), so a failed or interrupted export never leaves a partial file and never replaces an
// existing one without `overwrite`. Needs a QGuiApplication (ensureGuiApplication); call from the
// thread that owns it.

#include "attnscope/figure_model.h"
#include "attnscope/status.h"

#include <QByteArray>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

class QGuiApplication;

namespace attnscope::figure {

enum class FigureFormat { Png, Svg, Pdf };

/// "png", "svg", "pdf".
const char* figureFormatName(FigureFormat format);
/// Parses a format name. Errors: InvalidArgument.
Result<FigureFormat> parseFigureFormat(std::string_view name);
/// The format a file name asks for (its extension). Errors: InvalidArgument.
Result<FigureFormat> figureFormatForPath(const std::string& path);

struct FigureOutputOptions {
    FigureFormat format = FigureFormat::Png;
    int dpi = 150;           ///< PNG only: pixels per inch (the figure is laid out in points)
    bool overwrite = false;  ///< replace an existing file
};

constexpr int kMinFigureDpi = 36;
constexpr int kMaxFigureDpi = 2400;

/// The file's bytes. Errors: InvalidArgument (dpi out of range, empty figure), Internal (Qt failed).
Result<QByteArray> renderFigure(const FigureModel& figure, const FigureOutputOptions& options);

/// Renders and writes atomically. Errors: as renderFigure, FileIo naming the path (unwritable
/// directory, existing file without overwrite, full disk).
Result<void> writeFigure(const FigureModel& figure, const std::string& path, const FigureOutputOptions& options);

/// Any view's figure with what every export carries (provenance, caption, colour map), written.
/// The GUI's Export action and `attnscope export` both end here. Errors: as writeFigure.
Result<void> exportFigureModel(FigureModel figure, const FigureProvenance& provenance, const std::string& colormap,
                               bool caption, const std::string& path, const FigureOutputOptions& options);

/// One head's figure as the GUI shows it and `attnscope export` writes it: both build it here.
struct HeadFigure {
    const HeadAttention* attention = nullptr;     ///< dense (compare), or the one map of a heatmap figure
    std::vector<const HeadAttention*> variants;   ///< 1–4 effective attentions; empty: a heatmap figure
    int outlined = 0;                             ///< the variant whose kept mask is outlined on dense
    std::vector<std::string> pieces;           ///< token pieces (labels), or empty
    ColourScale scale = ColourScale::Sqrt;
    std::string colormap = "viridis";  ///< Colormap::sequentialNames()
    FigureProvenance provenance;
    bool caption = false;
};

/// The FigureModel of a head figure. Errors: InvalidArgument (no attention), ShapeMismatch.
Result<FigureModel> headFigureModel(const HeadFigure& head);

/// headFigureModel, then writeFigure. Errors: as both.
Result<void> exportHeadFigure(const HeadFigure& head, const std::string& path, const FigureOutputOptions& options);

/// A QGuiApplication for rendering when none exists (the CLI): the offscreen platform unless
/// QT_QPA_PLATFORM says otherwise, so exports run without a display. Returns null when an
/// application already exists. Keep the returned object alive while exporting.
std::unique_ptr<QGuiApplication> ensureGuiApplication();

} // namespace attnscope::figure

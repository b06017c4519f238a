#pragma once
// What a published figure shows, as pure data (DESIGN.md §7.11): core builds a FigureModel from
// attention results, app/figure paints it with QPainter into PNG, SVG or PDF. The GUI's Export
// action and `attnscope export` build it with the same functions, so both produce the same figure.
// Values are already mapped to the colour scale; the painter only looks colours up.

#include "attnscope/status.h"
#include "attnscope/workspace.h"

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace attnscope {

/// How attention values map to colour: t = u, sqrt(u) or a 4-decade log of u = |x| / vmax.
enum class ColourScale { Linear, Sqrt, Log };

/// Decades a Log scale spans below vmax (values under vmax·10^-4 get the lowest colour).
constexpr double kLogScaleDecades = 4.0;

/// "linear", "sqrt", "log".
const char* colourScaleName(ColourScale scale);
/// Parses a colour scale name. Errors: InvalidArgument naming the accepted names.
Result<ColourScale> parseColourScale(std::string_view name);

/// Maps x to [-1, 1] on `scale`: |x| / vmax clamped to [0, 1], scaled, sign kept (differences).
float mapToColourScale(float x, float vmax, ColourScale scale);
/// The inverse for t in [0, 1]: the value a colour-bar position stands for.
double unmapColourScale(double t, double vmax, ColourScale scale);

/// A token piece as figures and views label it: spaces as '·', newlines as '↵', empty as '∅'.
std::string tokenDisplayText(std::string_view piece);

/// Where a figure came from, written into the file's metadata (PNG tEXt, SVG <metadata>, PDF XMP)
/// and optionally as a caption. Empty strings and negative indices are omitted.
struct FigureProvenance {
    std::string version;    ///< attnscope version
    std::string modelPath;
    std::string modelHash;  ///< modelFingerprint() of modelPath
    std::string textHash;   ///< sha256 of the UTF-8 text (or of the ids when given as ids)
    int layer = -1;
    int head = -1;
    std::string variant;    ///< canonical spec
    std::string seed;       ///< the variant's seed parameter, when it has one

    /// Ordered key/value pairs ("attnscope_version", ...), the form every backend writes.
    std::vector<std::pair<std::string, std::string>> entries() const;
    /// One line for a caption under the figure.
    std::string captionText() const;
};

/// The provenance of one head's figure: this attnscope's version, the variant's seed parameter
/// (when it has one) and the given identifiers. Shared by the CLI and the GUI. Several variants are
/// written "spec; spec" and their seeds "seed; seed" ("-" for a variant without one).
FigureProvenance headProvenance(const std::string& modelPath, const std::string& modelHash, const std::string& textHash,
                                int layer, int head, const std::string& variant);

/// One heatmap of a figure: n × n cells, row = query, column = key; or, with `columns` set, an
/// n × columns matrix with its own row and column names (the head grid: layers × heads).
struct FigurePanel {
    std::string title;
    int n = 0;                          ///< rows (and columns when `columns` is 0)
    int columns = 0;                    ///< 0: square; otherwise the number of columns
    std::vector<float> values;          ///< [n, width()] mapped to [0, 1] (viridis) or [-1, 1] (diverging)
    bool diverging = false;
    std::vector<std::uint8_t> outline;  ///< [n, width()] kept cells to outline, or empty
    bool rowLabels = false;             ///< row labels on the left (first column only)
    std::vector<std::string> rowNames;     ///< this panel's row labels ("L0", ...); empty: the tokens
    std::vector<std::string> columnNames;  ///< this panel's column labels ("H0", ...); empty: the tokens
    std::vector<std::string> cellText;     ///< [n, width()] printed in the cells when they fit, or empty
    std::vector<std::uint8_t> valid;    ///< [n, width()] 0 = no value there (painted grey), or empty: all valid
    bool bars = false;                  ///< values [n] in [0, 1]: one horizontal bar per row, `columns` cells long
    int drawnColumns = 0;               ///< > 0: drawn this many cells wide, its columns squeezed to fit (no column labels)
    int row = 0;                        ///< grid position: panels share one cell size
    int column = 0;

    int width() const { return columns > 0 ? columns : n; }
    int drawnWidth() const { return drawnColumns > 0 ? drawnColumns : width(); }  ///< in cells
};

/// One line of a chart: a name for the legend and its points in data coordinates, in order.
struct FigureSeries {
    std::string name;
    std::vector<std::pair<double, double>> points;
};

/// A line chart (the metrics panel's curves): axes with titles and ticks at data values, one
/// line with markers per series, a legend under the plot. Series i takes colour i of the
/// figure's categorical palette.
struct FigureChart {
    std::string title;
    std::string xTitle;
    std::string yTitle;
    double xMin = 0.0;
    double xMax = 1.0;
    double yMin = 0.0;
    double yMax = 1.0;
    std::vector<std::pair<double, std::string>> xTicks;
    std::vector<std::pair<double, std::string>> yTicks;
    std::vector<FigureSeries> series;
    std::string note;  ///< a line under the legend ("" for none)
};

/// A vertical colour bar: its map, a title and tick labels at positions t in [0, 1] (bottom = 0).
struct FigureColourBar {
    std::string title;
    bool diverging = false;
    std::vector<std::pair<double, std::string>> ticks;
    int row = 0;          ///< beside the panels of this grid row
    int afterColumn = 0;  ///< right of this grid column
};

/// An sRGB colour given by the figure's data (token-line sets), 0–255 per channel.
struct FigureColour {
    std::uint8_t red = 0;
    std::uint8_t green = 0;
    std::uint8_t blue = 0;
};

/// One line of a token-lines block: query row (left column) to key row (right column), drawn in
/// its set's colour at `alpha` in [0, 1], `width` points wide, round caps.
struct FigureLine {
    int query = 0;
    int key = 0;
    int set = 0;  ///< index into FigureTokenLines::sets
    float alpha = 1.0f;
    float width = 1.0f;
};

/// A line set of a token-lines block: its legend name and colour.
struct FigureLineSet {
    std::string name;
    FigureColour colour;
    float legendWidth = 3.0f;  ///< the legend swatch's height in points (the set's line width at weight 1/2)
};

/// Token lines (the BertViz head view): the n tokens down a query column and a key column,
/// `rowHeight` points apart, lines between them in the order given (later ones on top), a legend
/// line per set under them. Token labels are drawn when a row is at least 6 pt.
struct FigureTokenLines {
    std::string title;
    int n = 0;
    double rowHeight = 12.0;
    std::vector<std::string> tokens;  ///< n display labels, or empty
    std::vector<FigureLineSet> sets;
    std::vector<FigureLine> lines;
};

/// A node of a graph block: its position in the unit disc (x right, y up; by-position layouts
/// use x only) and its fill: position t in [0, 1] on the figure's sequential map, or `colour`
/// when t < 0 (sbm clusters).
struct FigureGraphNode {
    double x = 0.0;
    double y = 0.0;
    float t = 0.0f;
    FigureColour colour;
};

/// An edge of a graph block between two nodes, in the block's edge colour at `alpha`, `width` pt.
struct FigureGraphEdge {
    int source = 0;
    int target = 0;
    float alpha = 1.0f;
    float width = 1.0f;
};

/// A laid-out graph (the kept edges of one head): edges as straight lines, or as arcs above a
/// baseline when `arcs` (nodes on one line by position), nodes as discs of `nodeRadius` points
/// with a label each when `labels` is not empty.
struct FigureGraph {
    std::string title;
    bool arcs = false;
    double nodeRadius = 4.0;
    FigureColour edgeColour;
    std::vector<FigureGraphNode> nodes;
    std::vector<FigureGraphEdge> edges;
    std::vector<std::string> labels;  ///< one per node, or empty
};

/// The mark of a scatter point.
enum class FigureMark { Circle, Square };

/// A point of a scatter block: its position in [-1, 1]² (x right, y up, both axes on one scale),
/// its mark, the token position it stands for, and its fill: t in [0, 1] on the figure's
/// sequential map, or `colour` when t < 0.
struct FigureScatterPoint {
    double x = 0.0;
    double y = 0.0;
    FigureMark mark = FigureMark::Circle;
    int position = 0;
    float t = 0.0f;
    FigureColour colour;
};

/// An edge of a scatter block: a straight line between two of its points (indices into points).
struct FigureScatterEdge {
    int from = 0;
    int to = 0;
};

/// A scatter plot (the Q/K embedding): a square plot, the edges first in one colour, then the
/// points in order as marks `pointRadius` points in radius (a circle's radius, a square's half
/// side) with a rim, the axis titles under and left of the plot, legend lines under the x title.
struct FigureScatter {
    std::string title;
    std::string xTitle;
    std::string yTitle;
    double pointRadius = 4.0;
    FigureColour rimColour;
    double rimWidth = 0.8;
    FigureColour edgeColour;
    float edgeAlpha = 1.0f;
    float edgeWidth = 1.0f;
    std::vector<FigureScatterPoint> points;
    std::vector<FigureScatterEdge> edges;
    std::vector<std::string> legend;
};

/// A whole figure: title, panels on a grid with one cell size, colour bars, token labels.
struct FigureModel {
    std::string title;
    std::vector<std::string> tokens;  ///< n display labels (tokenDisplayText), shared by the panels
    std::vector<FigurePanel> panels;
    std::vector<FigureColourBar> colourBars;
    std::vector<FigureChart> charts;  ///< laid out left to right under the panels
    std::vector<FigureTokenLines> tokenLines;  ///< laid out left to right under the charts
    std::vector<FigureGraph> graphs;           ///< laid out left to right under the token lines
    std::vector<FigureScatter> scatters;       ///< laid out left to right under the graphs
    FigureProvenance provenance;
    bool caption = false;  ///< print the provenance under the figure
    std::string colormap = "viridis";  ///< sequential map of the attention panels: viridis, magma, cividis
};

/// Dense | variant | difference of one head on one shared scale (vmax = the largest value of any
/// map), the variant's kept mask outlined on the dense map, one bar for attention and one
/// (diverging) for the difference. `pieces` are the raw token pieces (labelled with
/// tokenDisplayText). Errors: ShapeMismatch (the matrices or the tokens disagree in size).
Result<FigureModel> buildCompareFigure(const HeadAttention& dense, const HeadAttention& effective,
                                       const std::vector<std::string>& pieces, ColourScale scale);

/// The same with 1–4 variants, laid out as the GUI's compare view: one row for one variant;
/// otherwise dense and the variants on the top row and each difference under its variant. The
/// mask of variants[outlined] is outlined on the dense map. Errors: InvalidArgument (no variant or
/// more than 4), ShapeMismatch.
Result<FigureModel> buildCompareFigure(const HeadAttention& dense, const std::vector<const HeadAttention*>& variants,
                                       const std::vector<std::string>& pieces, ColourScale scale, int outlined = 0);

/// A single heatmap of one head (dense or a variant's effective attention) with its colour bar.
/// Errors: ShapeMismatch.
Result<FigureModel> buildHeatmapFigure(const HeadAttention& attention, const std::vector<std::string>& pieces,
                                       ColourScale scale);

/// Hex SHA-256 of a byte string.
std::string sha256Hex(std::string_view bytes);

/// Hex SHA-256 identifying a model: of the file itself, or for a folder, of the sha256sum-style
/// listing ("<hash>  <name>\n", sorted by name) of its config, tokenizer, safetensors and gguf
/// files. Errors: FileNotFound, FileIo naming the file.
Result<std::string> modelFingerprint(const std::string& path);

/// Told the bytes hashed so far and the total while a fingerprint is computed (every MiB); returns
/// false to stop. Called on the hashing thread.
using FingerprintProgress = std::function<bool(std::uint64_t done, std::uint64_t total)>;

/// modelFingerprint with progress (the GUI hashes on a background thread and shows it). Errors: as
/// modelFingerprint, Cancelled when `progress` returned false.
Result<std::string> modelFingerprint(const std::string& path, const FingerprintProgress& progress);

} // namespace attnscope

#include "attnscope/figure_structure.h"

#include "export/figure_labels.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>

namespace attnscope {

namespace {

// ---- The panels ----

std::vector<int> inOrder(int n)
{
    std::vector<int> positions(static_cast<std::size_t>(n));
    std::iota(positions.begin(), positions.end(), 0);
    return positions;
}

/// A token × token panel (rows and columns in position order, hover reports its rows).
StructurePanelData tokenSquare(std::string title, int n, std::vector<float> values, std::vector<std::uint8_t> valid)
{
    StructurePanelData panel;
    panel.title = std::move(title);
    panel.rows = n;
    panel.cols = n;
    panel.values = std::move(values);
    panel.valid = std::move(valid);
    panel.tokenRows = true;
    panel.rowTokens = inOrder(n);
    panel.columnTokens = panel.rowTokens;
    return panel;
}

/// Token rows against `cols` columns that are not tokens (memberships, compressed bins).
StructurePanelData tokenRowsPanel(std::string title, int n, int cols, std::vector<float> values, bool clusterColumns)
{
    StructurePanelData panel;
    panel.title = std::move(title);
    panel.rows = n;
    panel.cols = cols;
    panel.values = std::move(values);
    panel.tokenRows = true;
    panel.rowTokens = inOrder(n);
    panel.clusterColumns = clusterColumns;
    return panel;
}

std::vector<float> toFloat(const std::vector<std::uint8_t>& mask)
{
    return std::vector<float>(mask.begin(), mask.end());
}

std::vector<std::uint8_t> reorderMask(const std::vector<std::uint8_t>& mask, int n, const std::vector<int>& rows,
                                      const std::vector<int>& cols)
{
    const std::vector<float> reordered = reorderMatrix(toFloat(mask), n, rows, cols);
    return std::vector<std::uint8_t>(reordered.begin(), reordered.end());
}

std::string upper(std::string text)
{
    for (char& character : text) {
        character = static_cast<char>(std::toupper(static_cast<unsigned char>(character)));
    }
    return text;
}

std::string estimateTitle(const std::string& kind, const std::string& estimateKind)
{
    if (kind == "sea") {
        return "SEA estimated attention";
    }
    if (kind == "sbm") {
        return "SBM edge probabilities";
    }
    if (estimateKind == "scores") {
        return upper(kind) + " predicted scores";
    }
    return upper(kind) + " implied attention";
}

// ---- The figure ----

std::string formatNumber(double value)
{
    char text[32];
    std::snprintf(text, sizeof text, "%.3g", value);
    return text;
}

/// Labels of one axis: C0… for clusters, the tokens it names when reordered, else none (an axis
/// of tokens in position order takes the figure's tokens, drawn like every other figure's).
std::vector<std::string> axisNames(const std::vector<int>& tokens, bool clusters, int count,
                                   const std::vector<std::string>& labels)
{
    std::vector<std::string> names;
    if (clusters) {
        for (int cluster = 0; cluster < count; ++cluster) {
            names.push_back("C" + std::to_string(cluster));
        }
    } else if (!labels.empty() && static_cast<int>(tokens.size()) == count && tokens != inOrder(count)) {
        for (const int position : tokens) {
            names.push_back(labels[static_cast<std::size_t>(position)]);
        }
    }
    return names;
}

} // namespace

std::vector<StructurePanelData> headStructurePanels(const HeadStructure& s)
{
    std::vector<StructurePanelData> panels;
    const int n = s.nTokens;
    const auto cells = static_cast<std::size_t>(n) * static_cast<std::size_t>(n);
    const HeadVariantResult& r = s.result;
    if (s.denseAttention.size() == cells) {
        panels.push_back(tokenSquare("dense attention", n, s.denseAttention, s.allowed));
    }
    if (s.effective.size() == cells) {
        panels.push_back(tokenSquare("kept keys, applied weights", n, s.effective, s.allowed));
    }
    if (r.estimate.size() == cells) {
        panels.push_back(tokenSquare(estimateTitle(s.kind, r.estimateKind), n, r.estimate, s.allowed));
        if (r.estimateKind == "scores" && s.denseScores.size() == cells) {
            panels.push_back(tokenSquare("true scores (scale\xC2\xB7q\xC2\xB7k)", n, s.denseScores, s.allowed));
        }
    }
    const int width = r.compressedWidth;
    if (width > 0 && r.compressedEstimate.size() == static_cast<std::size_t>(n) * width) {
        panels.push_back(tokenRowsPanel("compressed estimate (N \xC3\x97 " + std::to_string(width) + ")", n, width,
                                        r.compressedEstimate, false));
        if (r.compressedMask.size() == r.compressedEstimate.size()) {
            panels.push_back(tokenRowsPanel("compressed top-k mask", n, width, toFloat(r.compressedMask), false));
        }
    }
    const int clusters = r.clusters;
    if (clusters > 0) {
        const std::string k = std::to_string(clusters);
        const auto membershipSize = static_cast<std::size_t>(n) * clusters;
        if (r.queryMemberships.size() == membershipSize) {
            panels.push_back(tokenRowsPanel("query memberships (N \xC3\x97 " + k + ")", n, clusters, r.queryMemberships, true));
        }
        if (r.keyMemberships.size() == membershipSize) {
            panels.push_back(tokenRowsPanel("key memberships (N \xC3\x97 " + k + ")", n, clusters, r.keyMemberships, true));
        }
        if (r.blockMatrix.size() == static_cast<std::size_t>(clusters) * clusters) {
            StructurePanelData block;
            block.title = "block matrix (" + k + " \xC3\x97 " + k + ")";
            block.rows = clusters;
            block.cols = clusters;
            block.values = r.blockMatrix;
            block.clusterRows = true;
            block.clusterColumns = true;
            panels.push_back(std::move(block));
        }
        if (s.queryOrder.size() == static_cast<std::size_t>(n) && s.keyOrder.size() == static_cast<std::size_t>(n) &&
            s.denseAttention.size() == cells) {
            // Rows and columns follow the clusters, not the positions: hover does not report them,
            // the labels name the reordered tokens.
            auto reordered = [&](std::string title, const std::vector<float>& matrix) {
                StructurePanelData panel;
                panel.title = std::move(title);
                panel.rows = n;
                panel.cols = n;
                panel.values = reorderMatrix(matrix, n, s.queryOrder, s.keyOrder);
                panel.valid = reorderMask(s.allowed, n, s.queryOrder, s.keyOrder);
                panel.rowTokens = s.queryOrder;
                panel.columnTokens = s.keyOrder;
                return panel;
            };
            panels.push_back(reordered("dense attention, reordered by cluster", s.denseAttention));
            if (s.kept.size() == cells) {
                panels.push_back(reordered("sampled graph, reordered by cluster", toFloat(s.kept)));
            }
        }
    }
    if (r.stats.keptPerRow.size() == static_cast<std::size_t>(n)) {
        StructurePanelData degrees = tokenRowsPanel("kept keys per query (edge degree)", n, 1,
                                                    std::vector<float>(r.stats.keptPerRow.begin(), r.stats.keptPerRow.end()),
                                                    false);
        degrees.bars = true;
        panels.push_back(std::move(degrees));
    }
    return panels;
}

StructureRange structureRange(const std::vector<float>& values, const std::vector<std::uint8_t>& valid, bool diverging,
                              bool bars)
{
    if (bars) {
        float high = 1e-6f;
        for (const float value : values) {
            high = std::max(high, value);
        }
        return {0.0f, high};
    }
    float low = std::numeric_limits<float>::max();
    float high = std::numeric_limits<float>::lowest();
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (valid.size() != values.size() || valid[i] != 0) {
            low = std::min(low, values[i]);
            high = std::max(high, values[i]);
        }
    }
    if (low > high) {
        return {0.0f, 1.0f};  // no valid cell
    }
    if (diverging) {
        high = std::max({std::abs(low), std::abs(high), 1e-12f});
        low = -high;
    }
    return {low, high};
}

float structureColourPosition(float value, const StructureRange& range)
{
    return range.high > range.low ? (value - range.low) / (range.high - range.low) : 0.0f;
}

Result<FigureModel> buildStructureFigure(const HeadStructure& structure, const std::vector<std::string>& pieces)
{
    auto labels = displayLabels(pieces, structure.nTokens);
    if (!labels) {
        return labels.error();
    }
    const std::vector<StructurePanelData> panels = headStructurePanels(structure);
    if (panels.empty()) {
        return makeError(ErrorCode::InvalidArgument, structure.variant + " exposes no structure for layer " +
                                                         std::to_string(structure.layer) + " head " + std::to_string(structure.head));
    }
    FigureModel figure;
    figure.title = "layer " + std::to_string(structure.layer) + " \xC2\xB7 head " + std::to_string(structure.head) +
                   " \xC2\xB7 " + structure.variant + " \xC2\xB7 structure (each panel on its own min \xE2\x86\x92 max)";
    // As square a grid as the panel count allows, filled row by row.
    const int count = static_cast<int>(panels.size());
    const int columns = static_cast<int>(std::ceil(std::sqrt(static_cast<double>(count))));
    for (int index = 0; index < count; ++index) {
        const StructurePanelData& data = panels[static_cast<std::size_t>(index)];
        const StructureRange range = structureRange(data.values, data.valid, data.diverging, data.bars);
        FigurePanel panel;
        panel.title = data.title;
        panel.n = data.rows;
        panel.row = index / columns;
        panel.column = index % columns;
        panel.diverging = data.diverging;
        panel.values.resize(data.values.size());
        for (std::size_t i = 0; i < data.values.size(); ++i) {
            const float t = structureColourPosition(data.values[i], range);
            panel.values[i] = data.diverging ? t * 2.0f - 1.0f : t;
        }
        if (data.bars) {
            // As long as a square panel is wide, in half the cells: the bars keep room for their
            // differences without widening the grid's column.
            panel.bars = true;
            panel.columns = std::max(1, (data.rows + 1) / 2);
            panel.title += " \xC2\xB7 max " + formatNumber(range.high);
        } else {
            panel.columns = data.cols == data.rows ? 0 : data.cols;
            // Wider than tall (sea's compressed bins): squeezed to a square, as the view fits it
            // to its panel, so that its columns do not shrink every other panel's cells.
            panel.drawnColumns = data.cols > data.rows ? data.rows : 0;
            panel.valid = data.valid;
            panel.rowLabels = panel.column == 0 && (!data.rowTokens.empty() || data.clusterRows);  // room only there
            panel.rowNames = axisNames(data.rowTokens, data.clusterRows, data.rows, labels.value());
            panel.columnNames = axisNames(data.columnTokens, data.clusterColumns, data.cols, labels.value());
            const double middle = data.diverging ? 0.0 : (static_cast<double>(range.low) + range.high) / 2.0;
            figure.colourBars.push_back({"", data.diverging,
                                         {{0.0, formatNumber(range.low)}, {0.5, formatNumber(middle)}, {1.0, formatNumber(range.high)}},
                                         panel.row, panel.column});
        }
        figure.panels.push_back(std::move(panel));
    }
    figure.tokens = std::move(labels.value());
    figure.provenance = headProvenance({}, {}, {}, structure.layer, structure.head, structure.variant);
    return figure;
}

} // namespace attnscope

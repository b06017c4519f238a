#pragma once
// The graph tab (the variant's kept edges of one head, laid out by core) as a figure (issue #8).
// The tab draws its edges and nodes with these rules and colours; its Export action and
// `attnscope export --view graph` write buildGraphFigure, so the look is decided once.

#include "attnscope/analysis.h"
#include "attnscope/figure_model.h"
#include "attnscope/status.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace attnscope {

/// The edges' colour (orange).
constexpr FigureColour kGraphEdgeColour{255, 170, 90};
/// The seed of the force layouts in the window and in `export --view graph`: fixed, so that the
/// same head always looks the same, on screen and in the file.
constexpr std::uint32_t kGraphLayoutSeed = 1;

/// The layout the window's graph tab starts with: the first of graphLayoutKinds() this build has.
GraphLayoutKind defaultGraphLayout();

/// How an edge is drawn at strength s = weight / the graph's largest weight: opacity 0.15 + 0.85 s,
/// width 0.5 + 3.5 s (pixels on screen, points in a figure).
struct GraphEdgeStyle {
    float alpha = 0.0f;
    float width = 0.0f;
};

/// The style of an edge of `strength` in [0, 1].
GraphEdgeStyle graphEdgeStyle(double strength);

/// The largest edge weight of a graph (at least 1e-6), the denominator of an edge's strength.
float graphMaxWeight(const AttentionGraph& graph);

/// Node radius for n nodes: clamp(120 / sqrt(n), 2.5, 9).
double graphNodeRadius(int nodes);

/// The colour of sbm cluster `cluster`: a qualitative palette of ten, cycled.
FigureColour graphClusterColour(int cluster);

/// Parses a layout name (graphLayoutName). Errors: InvalidArgument naming the accepted names.
Result<GraphLayoutKind> parseGraphLayout(std::string_view name);

/// The graph figure of one head: core's layout positions, edges by graphEdgeStyle, nodes coloured
/// by position on the sequential map (or by sbm cluster), token labels up to 80 nodes. `pieces`
/// are the raw token pieces or empty. Errors: ShapeMismatch (positions, clusters or pieces of
/// another length, an edge out of range).
Result<FigureModel> buildGraphFigure(const AttentionGraph& graph, const std::vector<std::string>& pieces);

} // namespace attnscope

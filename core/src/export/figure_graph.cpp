#include "attnscope/figure_graph.h"

#include "export/figure_labels.h"

#include <algorithm>
#include <cmath>

namespace attnscope {

GraphEdgeStyle graphEdgeStyle(double strength)
{
    return {static_cast<float>(0.15 + 0.85 * strength), static_cast<float>(0.5 + 3.5 * strength)};
}

float graphMaxWeight(const AttentionGraph& graph)
{
    float largest = 1e-6f;
    for (const GraphEdge& edge : graph.edges) {
        largest = std::max(largest, edge.weight);
    }
    return largest;
}

double graphNodeRadius(int nodes)
{
    return std::clamp(120.0 / std::sqrt(std::max(1, nodes)), 2.5, 9.0);
}

FigureColour graphClusterColour(int cluster)
{
    static constexpr FigureColour kPalette[] = {{31, 119, 180}, {255, 127, 14}, {44, 160, 44},   {214, 39, 40},  {148, 103, 189},
                                                {140, 86, 75},  {227, 119, 194}, {127, 127, 127}, {188, 189, 34}, {23, 190, 207}};
    constexpr int kCount = static_cast<int>(sizeof kPalette / sizeof kPalette[0]);
    return kPalette[((cluster % kCount) + kCount) % kCount];
}

GraphLayoutKind defaultGraphLayout()
{
    for (const GraphLayoutKind kind : graphLayoutKinds()) {
        const bool force = kind == GraphLayoutKind::FruchtermanReingold || kind == GraphLayoutKind::KamadaKawai;
        if (!force || forceLayoutsAvailable()) {
            return kind;
        }
    }
    return GraphLayoutKind::Circle;
}

Result<GraphLayoutKind> parseGraphLayout(std::string_view name)
{
    std::string names;
    for (const GraphLayoutKind kind : graphLayoutKinds()) {
        if (name == graphLayoutName(kind)) {
            return kind;
        }
        names += (names.empty() ? "" : ", ") + std::string(graphLayoutName(kind));
    }
    return makeError(ErrorCode::InvalidArgument, "unknown graph layout \"" + std::string(name) + "\" (" + names + ")");
}

Result<FigureModel> buildGraphFigure(const AttentionGraph& graph, const std::vector<std::string>& pieces)
{
    const int n = static_cast<int>(graph.positions.size());
    if (n == 0 || n != graph.nTokens || (!graph.clusters.empty() && static_cast<int>(graph.clusters.size()) != n)) {
        return makeError(ErrorCode::ShapeMismatch, "the graph of " + graph.variant + " has " + std::to_string(n) +
                                                       " positions and " + std::to_string(graph.clusters.size()) +
                                                       " clusters for " + std::to_string(graph.nTokens) + " tokens");
    }
    auto labels = displayLabels(pieces, n);
    if (!labels) {
        return labels.error();
    }
    FigureGraph block;
    block.title = std::string("kept edges \xC2\xB7 ") + graphLayoutName(graph.layout) + " layout" +
                  (graph.clusterCount > 0 ? " \xC2\xB7 coloured by cluster (" + std::to_string(graph.clusterCount) + ")"
                                          : std::string(" \xC2\xB7 coloured by position"));
    block.arcs = graph.layout == GraphLayoutKind::ByPosition;
    block.nodeRadius = graphNodeRadius(n);
    block.edgeColour = kGraphEdgeColour;
    const float largest = graphMaxWeight(graph);
    for (const GraphEdge& edge : graph.edges) {
        if (edge.source < 0 || edge.target < 0 || edge.source >= n || edge.target >= n) {
            return makeError(ErrorCode::ShapeMismatch, "an edge of " + graph.variant + " joins " + std::to_string(edge.source) +
                                                           " and " + std::to_string(edge.target) + " of " + std::to_string(n) +
                                                           " nodes");
        }
        const GraphEdgeStyle style = graphEdgeStyle(edge.weight / largest);
        block.edges.push_back({edge.source, edge.target, style.alpha, style.width});
    }
    for (int node = 0; node < n; ++node) {
        FigureGraphNode figureNode;
        figureNode.x = graph.positions[static_cast<std::size_t>(node)].x;
        figureNode.y = graph.positions[static_cast<std::size_t>(node)].y;
        if (graph.clusters.empty()) {
            figureNode.t = n > 1 ? static_cast<float>(node) / static_cast<float>(n - 1) : 0.0f;
        } else {
            figureNode.t = -1.0f;
            figureNode.colour = graphClusterColour(graph.clusters[static_cast<std::size_t>(node)]);
        }
        block.nodes.push_back(figureNode);
    }
    if (n <= 80) {
        block.labels = std::move(labels.value());
    }
    FigureModel figure;
    figure.title = "layer " + std::to_string(graph.layer) + " \xC2\xB7 head " + std::to_string(graph.head) + " \xC2\xB7 " +
                   graph.variant + " \xC2\xB7 " + std::to_string(n) + " nodes \xC2\xB7 " + std::to_string(graph.edges.size()) +
                   " edges";
    figure.graphs.push_back(std::move(block));
    figure.provenance = headProvenance({}, {}, {}, graph.layer, graph.head, graph.variant);
    return figure;
}

} // namespace attnscope

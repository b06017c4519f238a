// Graph layouts of a head's kept edges (issue #6, DESIGN.md §7.11: layout in core, never in a view).
// The force layouts are Boost.Graph's; Boost is optional in core (DESIGN.md §6), so without it only
// the closed-form layouts (circle, by position) exist.

#include "attnscope/analysis.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numbers>
#include <utility>

#if defined(ATTNSCOPE_HAVE_BOOST_GRAPH)
// GCC 12 reports -Wmaybe-uninitialized inside Boost's Johnson all-pairs shortest paths (which
// Kamada-Kawai calls) on edge iterators it default-constructs; the warning is Boost-internal.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/circle_layout.hpp>
#include <boost/graph/connected_components.hpp>
#include <boost/graph/fruchterman_reingold.hpp>
#include <boost/graph/kamada_kawai_spring_layout.hpp>
#include <boost/graph/random_layout.hpp>
#include <boost/graph/topology.hpp>
#include <boost/random/linear_congruential.hpp>
#endif

namespace attnscope {

namespace {

// Centre on the mean and scale so the farthest node sits at distance 1 (a single node stays at 0).
void normalise(std::vector<Point2>& points)
{
    if (points.empty()) {
        return;
    }
    Point2 mean;
    for (const Point2& point : points) {
        mean.x += point.x;
        mean.y += point.y;
    }
    mean.x /= static_cast<double>(points.size());
    mean.y /= static_cast<double>(points.size());
    double radius = 0.0;
    for (Point2& point : points) {
        point.x -= mean.x;
        point.y -= mean.y;
        radius = std::max(radius, std::hypot(point.x, point.y));
    }
    if (radius > 0.0) {
        for (Point2& point : points) {
            point.x /= radius;
            point.y /= radius;
        }
    }
}

std::vector<Point2> circleLayout(int nNodes)
{
    // The same regular polygon as boost::circle_graph_layout (vertex i at angle 2πi/n), written
    // out so that it exists without Boost too.
    std::vector<Point2> points(static_cast<std::size_t>(nNodes));
    const double step = 2.0 * std::numbers::pi / nNodes;
    for (int i = 0; i < nNodes; ++i) {
        points[static_cast<std::size_t>(i)] = {std::cos(i * step), std::sin(i * step)};
    }
    return points;
}

std::vector<Point2> positionLayout(int nNodes)
{
    std::vector<Point2> points(static_cast<std::size_t>(nNodes));
    for (int i = 0; i < nNodes; ++i) {
        points[static_cast<std::size_t>(i)] = {nNodes > 1 ? -1.0 + 2.0 * i / (nNodes - 1) : 0.0, 0.0};
    }
    return points;
}

#if defined(ATTNSCOPE_HAVE_BOOST_GRAPH)

using Topology = boost::rectangle_topology<boost::minstd_rand>;
using TopologyPoint = Topology::point_type;
using UndirectedGraph = boost::adjacency_list<boost::vecS, boost::vecS, boost::undirectedS, boost::no_property,
                                             boost::property<boost::edge_weight_t, double>>;

UndirectedGraph buildGraph(int nNodes, const std::vector<GraphEdge>& edges)
{
    UndirectedGraph graph(static_cast<std::size_t>(nNodes));
    for (const GraphEdge& edge : edges) {
        boost::add_edge(static_cast<std::size_t>(edge.source), static_cast<std::size_t>(edge.target), 1.0, graph);
    }
    return graph;
}

std::vector<Point2> toPoints(const std::vector<TopologyPoint>& positions)
{
    std::vector<Point2> points(positions.size());
    for (std::size_t i = 0; i < positions.size(); ++i) {
        points[i] = {positions[i][0], positions[i][1]};
    }
    return points;
}

// The repulsion pairs of Fruchterman & Reingold's grid variant: nodes repel only within 2k of each
// other (k = √(area / n), the ideal edge length), found through a grid of 2k cells. Boost's own
// grid_force_pairs sizes its cells 2·area/√n, wider than the whole area for any n, so it compares
// every pair every iteration (O(n²); 5 s of CPU for 1024 nodes).
class CellForcePairs {
public:
    CellForcePairs(const std::vector<TopologyPoint>& positions, double half, int nNodes)
        : m_positions(positions), m_half(half), m_cell(2.0 * std::sqrt(4.0 * half * half / nNodes))
    {
        m_columns = std::max<std::size_t>(1, static_cast<std::size_t>(2.0 * half / m_cell) + 1);
    }

    template <typename Graph, typename ApplyForce>
    void operator()(const Graph&, ApplyForce applyForce) const
    {
        std::vector<std::vector<std::size_t>> cells(m_columns * m_columns);
        auto cellOf = [&](double coordinate) {
            return std::min(m_columns - 1, static_cast<std::size_t>(std::max(0.0, (coordinate + m_half) / m_cell)));
        };
        for (std::size_t node = 0; node < m_positions.size(); ++node) {
            cells[cellOf(m_positions[node][1]) * m_columns + cellOf(m_positions[node][0])].push_back(node);
        }
        for (std::size_t row = 0; row < m_columns; ++row) {
            for (std::size_t column = 0; column < m_columns; ++column) {
                const std::vector<std::size_t>& cell = cells[row * m_columns + column];
                for (std::size_t a = 0; a < cell.size(); ++a) {
                    for (std::size_t b = a + 1; b < cell.size(); ++b) {
                        applyForce(cell[a], cell[b]);
                        applyForce(cell[b], cell[a]);
                    }
                    // Each neighbouring cell is visited from both sides, so one direction here.
                    for (std::size_t otherRow = row == 0 ? 0 : row - 1; otherRow <= std::min(row + 1, m_columns - 1); ++otherRow) {
                        for (std::size_t otherColumn = column == 0 ? 0 : column - 1;
                             otherColumn <= std::min(column + 1, m_columns - 1); ++otherColumn) {
                            if (otherRow == row && otherColumn == column) {
                                continue;
                            }
                            for (const std::size_t other : cells[otherRow * m_columns + otherColumn]) {
                                const double dx = m_positions[cell[a]][0] - m_positions[other][0];
                                const double dy = m_positions[cell[a]][1] - m_positions[other][1];
                                if (dx * dx + dy * dy < m_cell * m_cell) {
                                    applyForce(cell[a], other);
                                }
                            }
                        }
                    }
                }
            }
        }
    }

private:
    const std::vector<TopologyPoint>& m_positions;
    double m_half;
    double m_cell;
    std::size_t m_columns = 1;
};

std::vector<Point2> fruchtermanReingold(int nNodes, const std::vector<GraphEdge>& edges, std::uint32_t seed)
{
    const UndirectedGraph graph = buildGraph(nNodes, edges);
    // The side grows with √n so the ideal edge length √(area / n) stays the same for any n.
    const double half = std::sqrt(static_cast<double>(nNodes));
    boost::minstd_rand generator(seed == 0 ? 1u : seed);  // minstd rejects 0 as a seed
    Topology topology(generator, -half, -half, half, half);
    std::vector<TopologyPoint> positions(static_cast<std::size_t>(nNodes));
    auto positionMap = boost::make_iterator_property_map(positions.begin(), boost::get(boost::vertex_index, graph));
    boost::random_graph_layout(graph, positionMap, topology);
    boost::fruchterman_reingold_force_directed_layout(
        graph, positionMap, topology,
        boost::cooling(boost::linear_cooling<double>(100)).force_pairs(CellForcePairs(positions, half, nNodes)));
    return toPoints(positions);
}

// Stops Kamada-Kawai at its tolerance or after a bounded number of steps: its inner loop is O(n) per
// step and the default tolerance may take O(n²) steps on large graphs.
struct BoundedTolerance {
    boost::layout_tolerance<double> tolerance{1e-4};
    std::size_t steps = 0;
    std::size_t maxSteps = 0;

    template <typename Graph>
    bool operator()(double deltaP, typename boost::graph_traits<Graph>::vertex_descriptor vertex, const Graph& graph,
                    bool global)
    {
        if (++steps >= maxSteps) {
            return true;
        }
        return tolerance(deltaP, vertex, graph, global);
    }
};

std::vector<Point2> kamadaKawai(int nNodes, std::vector<GraphEdge> edges)
{
    UndirectedGraph graph = buildGraph(nNodes, edges);
    // Hop distances are infinite between components: chain them with one unit edge each so the
    // spring model is defined (the components then sit next to each other).
    std::vector<int> component(static_cast<std::size_t>(nNodes));
    const int components = boost::connected_components(graph, component.data());
    if (components > 1) {
        std::vector<int> first(static_cast<std::size_t>(components), -1);
        for (int node = 0; node < nNodes; ++node) {
            int& slot = first[static_cast<std::size_t>(component[static_cast<std::size_t>(node)])];
            if (slot < 0) {
                slot = node;
            }
        }
        for (int c = 1; c < components; ++c) {
            boost::add_edge(static_cast<std::size_t>(first[static_cast<std::size_t>(c - 1)]),
                            static_cast<std::size_t>(first[static_cast<std::size_t>(c)]), 1.0, graph);
        }
    }
    std::vector<boost::convex_topology<2>::point> positions(static_cast<std::size_t>(nNodes));
    auto positionMap = boost::make_iterator_property_map(positions.begin(), boost::get(boost::vertex_index, graph));
    boost::circle_graph_layout(graph, positionMap, std::max(1.0, nNodes / (2.0 * std::numbers::pi)));
    BoundedTolerance done;
    done.maxSteps = static_cast<std::size_t>(std::max(1000, 200 * nNodes));
    boost::kamada_kawai_spring_layout(graph, positionMap, boost::get(boost::edge_weight, graph),
                                      boost::square_topology<>(), boost::edge_length(1.0), done);
    std::vector<Point2> points(positions.size());
    for (std::size_t i = 0; i < positions.size(); ++i) {
        points[i] = {positions[i][0], positions[i][1]};
    }
    return points;
}

#endif

} // namespace

const char* graphLayoutName(GraphLayoutKind kind)
{
    switch (kind) {
    case GraphLayoutKind::FruchtermanReingold: return "fruchterman-reingold";
    case GraphLayoutKind::KamadaKawai: return "kamada-kawai";
    case GraphLayoutKind::Circle: return "circle";
    case GraphLayoutKind::ByPosition: return "position";
    }
    return "?";
}

std::vector<GraphLayoutKind> graphLayoutKinds()
{
    return {GraphLayoutKind::FruchtermanReingold, GraphLayoutKind::KamadaKawai, GraphLayoutKind::Circle,
            GraphLayoutKind::ByPosition};
}

bool forceLayoutsAvailable()
{
#if defined(ATTNSCOPE_HAVE_BOOST_GRAPH)
    return true;
#else
    return false;
#endif
}

std::vector<GraphEdge> keptEdges(const CsrAttention& attention)
{
    std::map<std::pair<int, int>, float> strongest;
    const std::size_t rows = attention.rowPtr.empty() ? 0 : attention.rowPtr.size() - 1;
    for (std::size_t row = 0; row < rows; ++row) {
        for (std::int64_t entry = attention.rowPtr[row]; entry < attention.rowPtr[row + 1]; ++entry) {
            const int column = attention.cols[static_cast<std::size_t>(entry)];
            const int query = static_cast<int>(row);
            if (column == query) {
                continue;
            }
            const auto key = std::minmax(query, column);
            float& weight = strongest.try_emplace({key.first, key.second}, 0.0f).first->second;
            weight = std::max(weight, attention.weights[static_cast<std::size_t>(entry)]);
        }
    }
    std::vector<GraphEdge> edges;
    edges.reserve(strongest.size());
    for (const auto& [pair, weight] : strongest) {
        edges.push_back({pair.first, pair.second, weight});
    }
    return edges;
}

Result<std::vector<Point2>> layoutGraph(int nNodes, const std::vector<GraphEdge>& edges, GraphLayoutKind kind,
                                        std::uint32_t seed)
{
    if (nNodes < 1) {
        return makeError(ErrorCode::InvalidArgument, "a graph layout needs at least one node");
    }
    for (const GraphEdge& edge : edges) {
        if (edge.source < 0 || edge.source >= nNodes || edge.target < 0 || edge.target >= nNodes) {
            return makeError(ErrorCode::InvalidArgument,
                             "edge " + std::to_string(edge.source) + "-" + std::to_string(edge.target) +
                                 " is outside the graph's " + std::to_string(nNodes) + " nodes");
        }
    }
    if (kind == GraphLayoutKind::KamadaKawai && nNodes > kMaxKamadaKawaiNodes) {
        return makeError(ErrorCode::InvalidArgument,
                         "the kamada-kawai layout is limited to " + std::to_string(kMaxKamadaKawaiNodes) +
                             " tokens (it keeps two n × n matrices); this graph has " + std::to_string(nNodes) +
                             ": use fruchterman-reingold, circle or position");
    }
    std::vector<Point2> points;
    switch (kind) {
    case GraphLayoutKind::Circle:
        points = circleLayout(nNodes);
        break;
    case GraphLayoutKind::ByPosition:
        points = positionLayout(nNodes);
        break;
    case GraphLayoutKind::FruchtermanReingold:
    case GraphLayoutKind::KamadaKawai:
#if defined(ATTNSCOPE_HAVE_BOOST_GRAPH)
        if (nNodes == 1) {
            points = {Point2{}};
        } else if (kind == GraphLayoutKind::FruchtermanReingold) {
            points = fruchtermanReingold(nNodes, edges, seed);
        } else {
            points = kamadaKawai(nNodes, edges);
        }
        break;
#else
        (void)seed;
        return makeError(ErrorCode::Unsupported,
                         std::string("the ") + graphLayoutName(kind) +
                             " layout needs Boost.Graph, which this build was made without");
#endif
    }
    normalise(points);
    return points;
}

std::vector<int> dominantClusters(const std::vector<float>& memberships, int n, int clusters)
{
    if (memberships.empty() || clusters < 1 || memberships.size() != static_cast<std::size_t>(n) * clusters) {
        return {};
    }
    std::vector<int> dominant(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
        const float* row = memberships.data() + static_cast<std::size_t>(i) * clusters;
        dominant[static_cast<std::size_t>(i)] = static_cast<int>(std::max_element(row, row + clusters) - row);
    }
    return dominant;
}

} // namespace attnscope

#if defined(ATTNSCOPE_HAVE_BOOST_GRAPH)
#pragma GCC diagnostic pop
#endif

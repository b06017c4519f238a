// A head's kept attention as GraphML and DOT through Boost.Graph's writers (header-only parts;
// the readers, which need the compiled library, are not used).

#include "attnscope/data_export.h"

#include <sstream>

#ifdef ATTNSCOPE_HAVE_BOOST_GRAPH
#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/graphml.hpp>
#include <boost/graph/graphviz.hpp>
#include <boost/property_map/dynamic_property_map.hpp>
#endif

namespace attnscope {

#ifdef ATTNSCOPE_HAVE_BOOST_GRAPH

namespace {

struct TokenNode {
    int position = 0;
    std::string token;
};

struct AttentionEdge {
    double weight = 0.0;
};

using AttentionGraph = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS, TokenNode, AttentionEdge>;

Result<AttentionGraph> buildGraph(const HeadAttention& attention, const std::vector<std::string>& pieces)
{
    const int n = attention.nTokens;
    const std::size_t cells = static_cast<std::size_t>(n) * static_cast<std::size_t>(n);
    if (n <= 0 || attention.attention.size() != cells || (!attention.mask.empty() && attention.mask.size() != cells) ||
        (!pieces.empty() && static_cast<int>(pieces.size()) != n)) {
        return makeError(ErrorCode::ShapeMismatch, "attention, mask and tokens of " + attention.variant + " disagree in size");
    }
    AttentionGraph graph(static_cast<std::size_t>(n));
    for (int position = 0; position < n; ++position) {
        graph[static_cast<std::size_t>(position)].position = position;
        graph[static_cast<std::size_t>(position)].token = pieces.empty() ? std::string() : pieces[static_cast<std::size_t>(position)];
    }
    for (int query = 0; query < n; ++query) {
        for (int key = 0; key < n; ++key) {
            const std::size_t index = static_cast<std::size_t>(query) * n + key;
            // Without a mask (dense attention) every pair the model could attend to is kept.
            const bool kept = attention.mask.empty() ? attention.attention[index] != 0.0f : attention.mask[index] != 0;
            if (kept) {
                boost::add_edge(static_cast<std::size_t>(query), static_cast<std::size_t>(key),
                                AttentionEdge{attention.attention[index]}, graph);
            }
        }
    }
    return graph;
}

boost::dynamic_properties graphProperties(AttentionGraph& graph, bool withNodeId)
{
    boost::dynamic_properties properties(boost::ignore_other_properties);
    properties.property("position", boost::get(&TokenNode::position, graph));
    properties.property("token", boost::get(&TokenNode::token, graph));
    properties.property("weight", boost::get(&AttentionEdge::weight, graph));
    if (withNodeId) {
        properties.property("node_id", boost::get(boost::vertex_index, graph));
    }
    return properties;
}

} // namespace

Result<std::string> attentionGraphml(const HeadAttention& attention, const std::vector<std::string>& pieces)
{
    auto graph = buildGraph(attention, pieces);
    if (!graph) {
        return graph.error();
    }
    std::ostringstream stream;
    stream.precision(9);
    boost::write_graphml(stream, graph.value(), graphProperties(graph.value(), false), true);
    return stream.str();
}

Result<std::string> attentionDot(const HeadAttention& attention, const std::vector<std::string>& pieces)
{
    auto graph = buildGraph(attention, pieces);
    if (!graph) {
        return graph.error();
    }
    std::ostringstream stream;
    stream.precision(9);
    boost::write_graphviz_dp(stream, graph.value(), graphProperties(graph.value(), true));
    return stream.str();
}

#else

Result<std::string> attentionGraphml(const HeadAttention&, const std::vector<std::string>&)
{
    return makeError(ErrorCode::Unsupported, "this attnscope was built without Boost.Graph: no GraphML export");
}

Result<std::string> attentionDot(const HeadAttention&, const std::vector<std::string>&)
{
    return makeError(ErrorCode::Unsupported, "this attnscope was built without Boost.Graph: no DOT export");
}

#endif

} // namespace attnscope

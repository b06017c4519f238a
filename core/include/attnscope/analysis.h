#pragma once
// Analyses the workbench's views draw (issue #6): the variant's kept edges as a laid-out graph
// (Boost.Graph layouts), a head's structure as the variant exposes it, a head's queries and keys
// projected jointly to 2-D (PCA), and attention rollout across layers (Abnar & Zuidema 2020). The
// views only paint these results; everything numeric happens here, so the CLI and tests share it.
// Shapes are row-major [N queries, N keys] like HeadAttention.

#include "attnscope/status.h"
#include "attnscope/variant_result.h"
#include "attnscope/workspace.h"

#include <cstdint>
#include <string>
#include <vector>

namespace attnscope {

struct Point2 {
    double x = 0.0;
    double y = 0.0;
};

// ---- Graph of kept edges -------------------------------------------------------------------

enum class GraphLayoutKind {
    FruchtermanReingold,  ///< force-directed, seeded random start
    KamadaKawai,          ///< spring model on hop distances, started on the circle
    Circle,               ///< regular polygon in position order
    ByPosition,           ///< tokens left to right on one line (arc diagram)
};

/// "fruchterman-reingold", "kamada-kawai", "circle", "position".
const char* graphLayoutName(GraphLayoutKind kind);
/// All kinds, in menu order.
std::vector<GraphLayoutKind> graphLayoutKinds();
/// False when core was built without Boost.Graph: only Circle and ByPosition are then available.
bool forceLayoutsAvailable();

/// An undirected edge between token positions (source < target) with the attention it carries.
struct GraphEdge {
    int source = 0;
    int target = 0;
    float weight = 0.0f;
};

/// The undirected edges of an effective attention (CSR): one edge per unordered pair {i, j}, i != j,
/// that either direction kept; weight = the larger applied weight of the two directions. Self
/// attention (the diagonal) is not an edge.
std::vector<GraphEdge> keptEdges(const CsrAttention& attention);

/// Kamada-Kawai keeps two n × n matrices (hop distances, spring strengths): larger graphs are refused.
constexpr int kMaxKamadaKawaiNodes = 2048;
/// The structure, graph and rollout analyses hold several N × N matrices: longer texts are refused.
constexpr int kMaxAnalysisTokens = 4096;

/// Node positions for a graph of nNodes tokens, centred on their mean and scaled so the farthest
/// node is at distance 1. Deterministic for a seed (only Fruchterman-Reingold uses it). Kamada-Kawai
/// lays out disconnected graphs by chaining the components with one extra unit edge each.
/// Errors: InvalidArgument (nNodes < 1, an edge out of range, Kamada-Kawai past kMaxKamadaKawaiNodes),
/// Unsupported (a force layout without Boost.Graph).
Result<std::vector<Point2>> layoutGraph(int nNodes, const std::vector<GraphEdge>& edges, GraphLayoutKind kind,
                                        std::uint32_t seed);

/// The cluster of each position: argmax of its membership row ([n, clusters]); ties go to the lower
/// cluster. Empty when memberships is empty.
std::vector<int> dominantClusters(const std::vector<float>& memberships, int n, int clusters);

/// One head's kept edges, laid out; clusters per node for sbm (else empty).
struct AttentionGraph {
    int layer = 0;
    int head = 0;
    int nTokens = 0;
    std::string variant;  ///< canonical spec
    GraphLayoutKind layout = GraphLayoutKind::FruchtermanReingold;
    std::vector<GraphEdge> edges;
    std::vector<Point2> positions;  ///< [nTokens]
    std::vector<int> clusters;      ///< [nTokens] sbm query clusters, or empty
    int clusterCount = 0;
};

/// Runs the variant on one head of the text and lays out its kept edges. For sbm the circle layout
/// goes round the clusters in turn (each cluster one arc). Errors: those of headStructure and
/// layoutGraph.
Result<AttentionGraph> attentionGraph(Workspace& workspace, const std::vector<std::int32_t>& ids, int layer,
                                      int head, const std::string& variantSpec, GraphLayoutKind layout,
                                      std::uint32_t seed, const RunOptions& options);

// ---- Structure of a variant ----------------------------------------------------------------

/// What the variant exposes for one head (memberships, block matrix, estimate, compressed estimate,
/// kept per row; see HeadVariantResult), next to dense attention and the true scores on the same Q/K.
struct HeadStructure {
    int layer = 0;
    int head = 0;
    int nTokens = 0;
    std::string variant;                  ///< canonical spec
    std::string kind;                     ///< the variant's kind name ("sbm", "sea", ...)
    HeadVariantResult result;             ///< the variant's own output for this head
    std::vector<float> denseAttention;    ///< [N, N], 0 where the model does not allow the key
    std::vector<float> denseScores;       ///< [N, N] scale·q·k (softcapped like the model), 0 where not allowed
    std::vector<std::uint8_t> allowed;    ///< [N, N] 1 where the model allows the key
    std::vector<float> effective;         ///< [N, N] the variant's applied weights (result.attention unpacked)
    std::vector<std::uint8_t> kept;       ///< [N, N] 1 where the variant kept the key
    /// sbm: positions ordered by dominant query / key cluster (then by position), for the
    /// cluster-reordered matrix; empty for other kinds.
    std::vector<int> queryOrder;
    std::vector<int> keyOrder;
};

/// Errors: InvalidArgument (layer/head out of range, empty text, more than kMaxAnalysisTokens, bad
/// spec), Cancelled.
Result<HeadStructure> headStructure(Workspace& workspace, const std::vector<std::int32_t>& ids, int layer, int head,
                                    const std::string& variantSpec, const RunOptions& options);

/// A CSR effective attention as dense [n, n] weights and a 0/1 kept mask (0 where not kept).
void unpackAttention(const CsrAttention& attention, int n, std::vector<float>& weights,
                     std::vector<std::uint8_t>& kept);

/// matrix [n, n] with rows in rowOrder and columns in columnOrder (out[r][c] = in[rowOrder[r]][columnOrder[c]]).
std::vector<float> reorderMatrix(const std::vector<float>& matrix, int n, const std::vector<int>& rowOrder,
                                 const std::vector<int>& columnOrder);

// ---- Q/K embedding -------------------------------------------------------------------------

/// Rows projected on their first two principal axes (centred on the mean of all rows). The sign of
/// each axis is fixed so that its largest-magnitude coefficient is positive (deterministic output).
struct Projection2d {
    std::vector<Point2> points;     ///< one per row
    double explained[2] = {0, 0};   ///< variance along each axis / total variance (0 when total is 0)
    std::vector<double> axes;       ///< [2, dim] the unit principal axes
};

/// PCA of `rows` ([nRows, dim]) to 2-D. Errors: InvalidArgument (nRows < 1, dim < 1, size mismatch).
Result<Projection2d> projectPca2d(const std::vector<float>& rows, int nRows, int dim);

/// A head's queries and keys (after RoPE, the KV head it reads under GQA) projected together.
struct QkEmbedding {
    int layer = 0;
    int head = 0;
    int nTokens = 0;
    std::vector<Point2> queries;  ///< [nTokens]
    std::vector<Point2> keys;     ///< [nTokens]
    double explained[2] = {0, 0};
};

/// Errors: InvalidArgument (layer/head out of range, empty text), Cancelled.
Result<QkEmbedding> qkEmbedding(Workspace& workspace, const std::vector<std::int32_t>& ids, int layer, int head,
                                const RunOptions& options);

// ---- Attention rollout ---------------------------------------------------------------------

/// Rollout of per-layer head-averaged attention matrices ([layers][n·n], layer 0 first):
/// R = Â_{L-1} ⋯ Â_0 with Â = rownorm(0.5·A + 0.5·I). Errors: InvalidArgument (no layer, a matrix
/// that is not n·n).
Result<std::vector<double>> rolloutOfLayers(const std::vector<std::vector<double>>& headMeans, int n);

struct AttentionRollout {
    int nTokens = 0;
    int throughLayer = 0;     ///< the last layer included
    std::string variant;      ///< canonical spec, "dense" for the model's own attention
    std::vector<float> rollout;  ///< [N, N]: row i = how much each input token reaches position i
};

/// Rollout through layers 0..throughLayer of the model's attention ("dense") or of a variant's
/// effective attention, each layer's variant run on that layer's dense-model Q/K/V (like compare).
/// Errors: InvalidArgument (layer out of range, empty text, more than kMaxAnalysisTokens, bad spec),
/// Cancelled.
Result<AttentionRollout> attentionRollout(Workspace& workspace, const std::vector<std::int32_t>& ids,
                                          const std::string& variantSpec, int throughLayer, const RunOptions& options);

} // namespace attnscope

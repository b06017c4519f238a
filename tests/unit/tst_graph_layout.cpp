// Graph layouts of kept edges (core/src/analysis/graph_layout.cpp): closed forms for the circle and
// position layouts, geometric properties for the Boost force layouts, and the graph of a real head.

#include "attnscope/analysis.h"
#include "unit/tst_analysis_fixture.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <set>

namespace attnscope {
namespace {

double distance(const Point2& a, const Point2& b)
{
    return std::hypot(a.x - b.x, a.y - b.y);
}

void expectFiniteAndNormalised(const std::vector<Point2>& points, int n)
{
    ASSERT_EQ(points.size(), static_cast<std::size_t>(n));
    double meanX = 0.0;
    double meanY = 0.0;
    double radius = 0.0;
    for (const Point2& point : points) {
        ASSERT_TRUE(std::isfinite(point.x) && std::isfinite(point.y));
        meanX += point.x / n;
        meanY += point.y / n;
    }
    for (const Point2& point : points) {
        radius = std::max(radius, std::hypot(point.x - meanX, point.y - meanY));
    }
    EXPECT_NEAR(meanX, 0.0, 1e-9);
    EXPECT_NEAR(meanY, 0.0, 1e-9);
    EXPECT_NEAR(radius, 1.0, 1e-9);
}

std::vector<GraphEdge> pathGraph(int n)
{
    std::vector<GraphEdge> edges;
    for (int i = 0; i + 1 < n; ++i) {
        edges.push_back({i, i + 1, 1.0f});
    }
    return edges;
}

// Two 6-cliques joined by one edge (5-6).
std::vector<GraphEdge> twoCliques()
{
    std::vector<GraphEdge> edges;
    for (int offset : {0, 6}) {
        for (int i = 0; i < 6; ++i) {
            for (int j = i + 1; j < 6; ++j) {
                edges.push_back({offset + i, offset + j, 1.0f});
            }
        }
    }
    edges.push_back({5, 6, 1.0f});
    return edges;
}

TEST(GraphLayout, CircleIsTheRegularPolygonInPositionOrder)
{
    for (int n : {3, 7, 16}) {
        auto points = layoutGraph(n, pathGraph(n), GraphLayoutKind::Circle, 1);
        ASSERT_TRUE(points) << points.error().describe();
        for (int i = 0; i < n; ++i) {
            const double angle = 2.0 * std::numbers::pi * i / n;
            EXPECT_NEAR((*points)[i].x, std::cos(angle), 1e-12) << "n " << n << " node " << i;
            EXPECT_NEAR((*points)[i].y, std::sin(angle), 1e-12) << "n " << n << " node " << i;
        }
    }
}

TEST(GraphLayout, ByPositionPutsTokensLeftToRightOnOneLine)
{
    const int n = 9;
    auto points = layoutGraph(n, {}, GraphLayoutKind::ByPosition, 1);
    ASSERT_TRUE(points);
    for (int i = 0; i < n; ++i) {
        EXPECT_NEAR((*points)[i].x, -1.0 + 2.0 * i / (n - 1), 1e-12);
        EXPECT_EQ((*points)[i].y, 0.0);
    }
}

TEST(GraphLayout, ForceLayoutsAreFiniteNormalisedAndDeterministicForASeed)
{
    if (!forceLayoutsAvailable()) {
        GTEST_SKIP() << "built without Boost.Graph";
    }
    const auto edges = twoCliques();
    for (GraphLayoutKind kind : {GraphLayoutKind::FruchtermanReingold, GraphLayoutKind::KamadaKawai}) {
        auto first = layoutGraph(12, edges, kind, 42);
        auto second = layoutGraph(12, edges, kind, 42);
        ASSERT_TRUE(first && second) << graphLayoutName(kind);
        expectFiniteAndNormalised(*first, 12);
        for (int i = 0; i < 12; ++i) {
            EXPECT_EQ((*first)[i].x, (*second)[i].x) << graphLayoutName(kind);
            EXPECT_EQ((*first)[i].y, (*second)[i].y) << graphLayoutName(kind);
        }
    }
    auto other = layoutGraph(12, edges, GraphLayoutKind::FruchtermanReingold, 7);
    auto seeded = layoutGraph(12, edges, GraphLayoutKind::FruchtermanReingold, 42);
    ASSERT_TRUE(other && seeded);
    double moved = 0.0;
    for (int i = 0; i < 12; ++i) {
        moved += distance((*other)[i], (*seeded)[i]);
    }
    EXPECT_GT(moved, 1e-3) << "the seed must change the random start";
}

TEST(GraphLayout, ForceLayoutsKeepCliquesTogether)
{
    if (!forceLayoutsAvailable()) {
        GTEST_SKIP() << "built without Boost.Graph";
    }
    for (GraphLayoutKind kind : {GraphLayoutKind::FruchtermanReingold, GraphLayoutKind::KamadaKawai}) {
        auto points = layoutGraph(12, twoCliques(), kind, 3);
        ASSERT_TRUE(points);
        double within = 0.0;
        double across = 0.0;
        int withinCount = 0;
        int acrossCount = 0;
        for (int i = 0; i < 12; ++i) {
            for (int j = i + 1; j < 12; ++j) {
                const bool same = (i < 6) == (j < 6);
                (same ? within : across) += distance((*points)[i], (*points)[j]);
                ++(same ? withinCount : acrossCount);
                EXPECT_GT(distance((*points)[i], (*points)[j]), 1e-4) << graphLayoutName(kind) << " nodes " << i
                                                                       << " and " << j << " coincide";
            }
        }
        EXPECT_LT(within / withinCount, 0.6 * across / acrossCount) << graphLayoutName(kind);
    }
}

TEST(GraphLayout, KamadaKawaiLaysAPathAlongALineInOrder)
{
    if (!forceLayoutsAvailable()) {
        GTEST_SKIP() << "built without Boost.Graph";
    }
    const int n = 10;
    auto points = layoutGraph(n, pathGraph(n), GraphLayoutKind::KamadaKawai, 1);
    ASSERT_TRUE(points);
    // The main axis of the points (PCA) carries nearly all their spread ...
    std::vector<float> rows;
    for (const Point2& point : *points) {
        rows.push_back(static_cast<float>(point.x));
        rows.push_back(static_cast<float>(point.y));
    }
    auto projection = projectPca2d(rows, n, 2);
    ASSERT_TRUE(projection);
    EXPECT_GT(projection->explained[0], 0.95);
    // ... and the nodes follow it in path order (one direction or the other).
    const double direction = projection->points[1].x > projection->points[0].x ? 1.0 : -1.0;
    for (int i = 0; i + 1 < n; ++i) {
        EXPECT_GT(direction * (projection->points[i + 1].x - projection->points[i].x), 0.0) << "node " << i;
    }
    // Unit edge length: consecutive nodes equally spaced, the ends 9 edges apart.
    const double end = distance((*points)[0], (*points)[n - 1]);
    for (int i = 0; i + 1 < n; ++i) {
        EXPECT_NEAR(distance((*points)[i], (*points)[i + 1]), end / (n - 1), 0.1 * end / (n - 1));
    }
}

TEST(GraphLayout, KamadaKawaiHandlesDisconnectedGraphs)
{
    if (!forceLayoutsAvailable()) {
        GTEST_SKIP() << "built without Boost.Graph";
    }
    const std::vector<GraphEdge> edges = {{0, 1, 1.0f}, {1, 2, 1.0f}, {3, 4, 1.0f}};
    auto points = layoutGraph(6, edges, GraphLayoutKind::KamadaKawai, 1);  // node 5 is alone
    ASSERT_TRUE(points) << points.error().describe();
    expectFiniteAndNormalised(*points, 6);
}

TEST(GraphLayout, BadInputIsAnError)
{
    EXPECT_FALSE(layoutGraph(0, {}, GraphLayoutKind::Circle, 1));
    auto outside = layoutGraph(3, {{0, 3, 1.0f}}, GraphLayoutKind::Circle, 1);
    ASSERT_FALSE(outside);
    EXPECT_EQ(outside.error().code, ErrorCode::InvalidArgument);
    EXPECT_NE(outside.error().message.find("0-3"), std::string::npos);
}

TEST(GraphLayout, KamadaKawaiRefusesGraphsPastItsLimit)
{
    auto large = layoutGraph(kMaxKamadaKawaiNodes + 1, {}, GraphLayoutKind::KamadaKawai, 1);
    ASSERT_FALSE(large);
    EXPECT_EQ(large.error().code, ErrorCode::InvalidArgument);
    EXPECT_NE(large.error().message.find("kamada-kawai"), std::string::npos);
    EXPECT_TRUE(layoutGraph(kMaxKamadaKawaiNodes + 1, {}, GraphLayoutKind::Circle, 1));
}

TEST(GraphLayout, KeptEdgesAreUndirectedWithoutSelfLoops)
{
    // 3 tokens: row 0 keeps {0}; row 1 keeps {0, 1}; row 2 keeps {0, 1, 2}; plus 0→2 (bidirectional).
    CsrAttention csr;
    csr.rowPtr = {0, 2, 4, 7};
    csr.cols = {0, 2, 0, 1, 0, 1, 2};
    csr.weights = {0.7f, 0.3f, 0.6f, 0.4f, 0.5f, 0.25f, 0.25f};
    const auto edges = keptEdges(csr);
    ASSERT_EQ(edges.size(), 3u);
    EXPECT_EQ(edges[0].source, 0);
    EXPECT_EQ(edges[0].target, 1);
    EXPECT_FLOAT_EQ(edges[0].weight, 0.6f);
    EXPECT_EQ(edges[1].source, 0);
    EXPECT_EQ(edges[1].target, 2);
    EXPECT_FLOAT_EQ(edges[1].weight, 0.5f);  // max of 0→2 (0.3) and 2→0 (0.5)
    EXPECT_EQ(edges[2].source, 1);
    EXPECT_EQ(edges[2].target, 2);
    EXPECT_FLOAT_EQ(edges[2].weight, 0.25f);
}

TEST(GraphLayout, DominantClusterIsTheRowArgmax)
{
    const std::vector<float> memberships = {0.1f, 0.9f, 0.0f, 0.5f, 0.2f, 0.3f, 0.2f, 0.2f, 0.6f};
    EXPECT_EQ(dominantClusters(memberships, 3, 3), (std::vector<int>{1, 0, 2}));
    EXPECT_TRUE(dominantClusters({}, 3, 3).empty());
}

using HeadGraph = StoriesText;

TEST_F(HeadGraph, TopKGraphHasOneNodePerTokenAndTheVariantsKeptEdges)
{
    const GraphLayoutKind kind = forceLayoutsAvailable() ? GraphLayoutKind::FruchtermanReingold : GraphLayoutKind::Circle;
    auto graph = attentionGraph(*workspace, ids, 1, 2, "topk:k=3", kind, 5, RunOptions{});
    ASSERT_TRUE(graph) << graph.error().describe();
    EXPECT_EQ(graph->nTokens, n);
    expectFiniteAndNormalised(graph->positions, n);
    EXPECT_EQ(graph->variant, "topk:k=3");
    EXPECT_TRUE(graph->clusters.empty());
    // Every kept off-diagonal (query, key) of the effective attention is an edge, and nothing else.
    auto effective = workspace->headAttention(ids, 1, 2, "topk:k=3", RunOptions{});
    ASSERT_TRUE(effective);
    std::set<std::pair<int, int>> expected;
    for (int i = 0; i < n; ++i) {
        for (int j = 0; j < n; ++j) {
            if (i != j && effective->mask[static_cast<std::size_t>(i) * n + j]) {
                expected.insert(std::minmax(i, j));
            }
        }
    }
    std::set<std::pair<int, int>> actual;
    for (const GraphEdge& edge : graph->edges) {
        EXPECT_LT(edge.source, edge.target);
        EXPECT_GT(edge.weight, 0.0f);
        actual.insert({edge.source, edge.target});
    }
    EXPECT_EQ(actual, expected);
    EXPECT_GT(actual.size(), static_cast<std::size_t>(n / 2));
}

// Cluster changes met going once round the sequence (positions on the circle sorted by angle).
int clusterChanges(const std::vector<int>& clusters)
{
    int changes = 0;
    for (std::size_t i = 1; i < clusters.size(); ++i) {
        changes += clusters[i] != clusters[i - 1] ? 1 : 0;
    }
    return changes;
}

TEST_F(HeadGraph, SbmGraphColoursNodesByClusterAndGroupsThemOnTheCircle)
{
    // A head whose clusters interleave in position order, so grouping has something to do.
    for (int layer = 0; layer < workspace->info().nLayers; ++layer) {
        for (int head = 0; head < workspace->info().nHeads; ++head) {
            auto graph = attentionGraph(*workspace, ids, layer, head, "sbm:clusters=3,seed=1", GraphLayoutKind::Circle,
                                        1, RunOptions{});
            ASSERT_TRUE(graph) << graph.error().describe();
            ASSERT_EQ(graph->clusters.size(), ids.size());
            EXPECT_EQ(graph->clusterCount, 3);
            for (int cluster : graph->clusters) {
                ASSERT_GE(cluster, 0);
                ASSERT_LT(cluster, 3);
            }
            const std::set<int> used(graph->clusters.begin(), graph->clusters.end());
            if (clusterChanges(graph->clusters) <= static_cast<int>(used.size()) - 1) {
                continue;  // already one run per cluster in position order
            }
            // Going round the circle, one arc per cluster; the places are the regular polygon's.
            std::vector<std::pair<double, int>> byAngle;
            for (int node = 0; node < n; ++node) {
                const Point2& p = graph->positions[static_cast<std::size_t>(node)];
                EXPECT_NEAR(std::hypot(p.x, p.y), 1.0, 1e-9);
                const double angle = std::atan2(p.y, p.x);
                byAngle.push_back({angle < -1e-9 ? angle + 2.0 * std::numbers::pi : angle,
                                   graph->clusters[static_cast<std::size_t>(node)]});
            }
            std::sort(byAngle.begin(), byAngle.end());
            std::vector<int> round;
            for (const auto& entry : byAngle) {
                round.push_back(entry.second);
            }
            EXPECT_EQ(clusterChanges(round), static_cast<int>(used.size()) - 1) << "layer " << layer << " head " << head;
            return;
        }
    }
    FAIL() << "no head of stories260K interleaves its sbm clusters in position order; pick another text";
}

TEST_F(HeadGraph, TextsPastTheAnalysisLimitAreRefusedBeforeAnyWork)
{
    const std::vector<std::int32_t> longIds(static_cast<std::size_t>(kMaxAnalysisTokens) + 1, ids[1]);
    auto graph = attentionGraph(*workspace, longIds, 0, 0, "topk:k=3", GraphLayoutKind::Circle, 1, RunOptions{});
    ASSERT_FALSE(graph);
    EXPECT_EQ(graph.error().code, ErrorCode::InvalidArgument);
    EXPECT_NE(graph.error().message.find("limited to"), std::string::npos) << graph.error().message;
    auto rollout = attentionRollout(*workspace, longIds, "dense", 0, RunOptions{});
    ASSERT_FALSE(rollout);
    EXPECT_NE(rollout.error().message.find("limited to"), std::string::npos) << rollout.error().message;
}

TEST_F(HeadGraph, OutOfRangeHeadIsAnError)
{
    auto graph = attentionGraph(*workspace, ids, 0, 99, "topk:k=3", GraphLayoutKind::Circle, 1, RunOptions{});
    ASSERT_FALSE(graph);
    EXPECT_EQ(graph.error().code, ErrorCode::InvalidArgument);
}

} // namespace
} // namespace attnscope

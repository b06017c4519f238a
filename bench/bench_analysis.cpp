// The analyses behind the workbench's analysis tabs (issue #6), as each tab calls them: the graph
// layouts on a top-4-like graph of N tokens (each token linked to 4 earlier ones), rollout of
// 4 causal layers, joint Q/K PCA, and on the demo model (4 layers × 8 heads, d = 16) one head's
// graph, structure and embedding and the rollout of all layers, over a 512-token text.
#include "attnscope/analysis.h"

#include <benchmark/benchmark.h>

#include <fstream>
#include <random>
#include <sstream>

namespace {

using namespace attnscope;

std::vector<GraphEdge> topFourGraph(int n)
{
    std::mt19937 generator(5);
    std::vector<GraphEdge> edges;
    for (int i = 1; i < n; ++i) {
        for (int pick = 0; pick < std::min(4, i); ++pick) {
            edges.push_back({static_cast<int>(generator() % static_cast<unsigned>(i)), i, 0.25f});
        }
    }
    return edges;
}

void BM_Layout(benchmark::State& state)
{
    const auto kind = static_cast<GraphLayoutKind>(state.range(0));
    const int n = static_cast<int>(state.range(1));
    const auto edges = topFourGraph(n);
    for (auto _ : state) {
        auto points = layoutGraph(n, edges, kind, 1);
        benchmark::DoNotOptimize(points);
    }
    state.SetLabel(graphLayoutName(kind));
}
BENCHMARK(BM_Layout)
    ->ArgsProduct({{static_cast<int>(GraphLayoutKind::FruchtermanReingold)}, {64, 256, 1024}})
    ->ArgsProduct({{static_cast<int>(GraphLayoutKind::KamadaKawai)}, {64, 256}})
    ->Unit(benchmark::kMillisecond);

void BM_RolloutOfLayers(benchmark::State& state)
{
    const int n = static_cast<int>(state.range(0));
    std::mt19937 generator(3);
    std::uniform_real_distribution<double> uniform(0.0, 1.0);
    std::vector<std::vector<double>> layers(4, std::vector<double>(static_cast<std::size_t>(n) * n, 0.0));
    for (auto& layer : layers) {
        for (int i = 0; i < n; ++i) {
            for (int j = 0; j <= i; ++j) {
                layer[static_cast<std::size_t>(i) * n + j] = uniform(generator) / (i + 1);
            }
        }
    }
    for (auto _ : state) {
        auto rollout = rolloutOfLayers(layers, n);
        benchmark::DoNotOptimize(rollout);
    }
}
BENCHMARK(BM_RolloutOfLayers)->Arg(256)->Arg(1024)->Unit(benchmark::kMillisecond);

void BM_Pca2d(benchmark::State& state)
{
    const int rows = static_cast<int>(state.range(0));
    const int dim = 64;
    std::mt19937 generator(9);
    std::normal_distribution<float> normal;
    std::vector<float> points(static_cast<std::size_t>(rows) * dim);
    for (float& x : points) {
        x = normal(generator);
    }
    for (auto _ : state) {
        auto projection = projectPca2d(points, rows, dim);
        benchmark::DoNotOptimize(projection);
    }
}
BENCHMARK(BM_Pca2d)->Arg(1024)->Arg(8192)->Unit(benchmark::kMillisecond);

// The demo model on the first 512 tokens of its held-out text.
struct Demo {
    std::unique_ptr<Workspace> workspace;
    std::vector<std::int32_t> ids;

    Demo()
    {
        auto opened = Workspace::open(OpenOptions{ATTNSCOPE_SOURCE_DIR "/assets/models/demo"});
        if (!opened) {
            return;
        }
        workspace = std::move(opened.value());
        std::ifstream file(ATTNSCOPE_SOURCE_DIR "/assets/models/demo/heldout.txt");
        std::stringstream text;
        text << file.rdbuf();
        auto tokens = workspace->tokenize(text.str());
        if (tokens) {
            ids.assign(tokens->ids.begin(), tokens->ids.begin() + std::min<std::size_t>(512, tokens->ids.size()));
        }
    }
};

Demo& demo()
{
    static Demo instance;
    return instance;
}

template <typename Run>
void runOnDemo(benchmark::State& state, Run run)
{
    Demo& d = demo();
    if (!d.workspace || d.ids.size() < 512) {
        state.SkipWithError("demo model or its held-out text missing");
        return;
    }
    for (auto _ : state) {
        if (!run(*d.workspace, d.ids)) {
            state.SkipWithError("the analysis failed");
            return;
        }
    }
    state.SetLabel(std::to_string(d.ids.size()) + " tokens");
}

void BM_DemoGraphTab(benchmark::State& state)
{
    runOnDemo(state, [&](Workspace& workspace, const std::vector<std::int32_t>& ids) {
        return attentionGraph(workspace, ids, 1, 2, "topk:k=4", static_cast<GraphLayoutKind>(state.range(0)), 1,
                              RunOptions{})
            .ok();
    });
}
BENCHMARK(BM_DemoGraphTab)
    ->Arg(static_cast<int>(GraphLayoutKind::FruchtermanReingold))
    ->Arg(static_cast<int>(GraphLayoutKind::KamadaKawai))
    ->Arg(static_cast<int>(GraphLayoutKind::Circle))
    ->Unit(benchmark::kMillisecond);

void BM_DemoStructureTab(benchmark::State& state)
{
    runOnDemo(state, [](Workspace& workspace, const std::vector<std::int32_t>& ids) {
        return headStructure(workspace, ids, 1, 2, "sbm:clusters=8,seed=1", RunOptions{}).ok();
    });
}
BENCHMARK(BM_DemoStructureTab)->Unit(benchmark::kMillisecond);

void BM_DemoEmbeddingTab(benchmark::State& state)
{
    runOnDemo(state, [](Workspace& workspace, const std::vector<std::int32_t>& ids) {
        return qkEmbedding(workspace, ids, 1, 2, RunOptions{}).ok();
    });
}
BENCHMARK(BM_DemoEmbeddingTab)->Unit(benchmark::kMillisecond);

void BM_DemoRolloutTab(benchmark::State& state)
{
    runOnDemo(state, [](Workspace& workspace, const std::vector<std::int32_t>& ids) {
        return attentionRollout(workspace, ids, "dense", 3, RunOptions{}).ok() &&
               attentionRollout(workspace, ids, "topk:k=4", 3, RunOptions{}).ok();
    });
}
BENCHMARK(BM_DemoRolloutTab)->Unit(benchmark::kMillisecond);

} // namespace

BENCHMARK_MAIN();

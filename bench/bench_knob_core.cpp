// The core part of a workbench knob change at N = 2048 (issue #6): one head's top-k run with its
// effective attention kept, and that head's metrics against dense (computeHeadMetrics), timed
// apart, on one thread and in thread CPU time so that the shared machine's load matters less than
// in bench_gui_responsiveness. d = 64, causal, Gaussian q/k/v (seeded). Two cases: the head's
// dense rows recomputed by every run (what `attnscope compare` and the head grid do), and read from
// rows kept for the head (what the compare view does on a knob change since HeadComparer; building
// them is the first view of a head, timed apart).
#include "attention/dense_rows.h"
#include "attention/metrics.h"
#include "attention/variants.h"

#include <benchmark/benchmark.h>

#include <ctime>

namespace {

using namespace attnscope;

constexpr int kTokens = 2048;
constexpr int kHeadDim = 64;

double threadCpuSeconds()
{
    timespec now{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return static_cast<double>(now.tv_sec) + 1e-9 * static_cast<double>(now.tv_nsec);
}

struct KnobFixture {
    std::vector<float> q, k, v;
    attn::HeadInput input;

    KnobFixture()
    {
        attn::Rng rng(23);
        const std::size_t size = static_cast<std::size_t>(kTokens) * kHeadDim;
        for (std::vector<float>* values : {&q, &k, &v}) {
            values->resize(size);
            for (float& value : *values) {
                value = static_cast<float>(rng.normal());
            }
        }
        input.q = q.data();
        input.k = k.data();
        input.v = v.data();
        input.nTokens = kTokens;
        input.headDim = kHeadDim;
        input.scale = 0.125f;
        input.causal = true;
    }
};

void runKnob(benchmark::State& state, const attn::HeadInput& input)
{
    auto spec = parseVariantSpec("topk:k=" + std::to_string(state.range(0)));
    VariantRunOptions options;
    options.threads = 1;
    options.keepAttention = true;
    double runBest = 1e30;
    double metricsBest = 1e30;
    for (auto _ : state) {
        const double start = threadCpuSeconds();
        const Result<HeadVariantResult> result = attn::runTopk(input, *spec, options);
        const double middle = threadCpuSeconds();
        const auto metrics = attn::computeHeadMetrics(input, *result, 1);
        benchmark::DoNotOptimize(metrics.jaccard);
        runBest = std::min(runBest, middle - start);
        metricsBest = std::min(metricsBest, threadCpuSeconds() - middle);
    }
    state.counters["cpu_topk_ms"] = 1e3 * runBest;
    state.counters["cpu_metrics_ms"] = 1e3 * metricsBest;
}

void BM_KnobTopkThenMetrics(benchmark::State& state)
{
    static const KnobFixture data;
    runKnob(state, data.input);
}

void BM_KnobTopkThenMetricsKeptRows(benchmark::State& state)
{
    static const KnobFixture data;
    static const attn::DenseRows rows = attn::buildDenseRows(data.input, 0, kTokens, 1);
    attn::HeadInput input = data.input;
    input.denseRows = &rows;
    runKnob(state, input);
}

void BM_BuildDenseRows(benchmark::State& state)
{
    static const KnobFixture data;
    double best = 1e30;
    for (auto _ : state) {
        const double start = threadCpuSeconds();
        const attn::DenseRows rows = attn::buildDenseRows(data.input, 0, kTokens, 1);
        benchmark::DoNotOptimize(rows.klToEpsilon.data());
        best = std::min(best, threadCpuSeconds() - start);
    }
    state.counters["cpu_build_ms"] = 1e3 * best;
}

BENCHMARK(BM_KnobTopkThenMetrics)->Arg(16)->Arg(8)->Unit(benchmark::kMillisecond)->Iterations(8);
BENCHMARK(BM_KnobTopkThenMetricsKeptRows)->Arg(16)->Arg(8)->Unit(benchmark::kMillisecond)->Iterations(8);
BENCHMARK(BM_BuildDenseRows)->Unit(benchmark::kMillisecond)->Iterations(4);

} // namespace

BENCHMARK_MAIN();

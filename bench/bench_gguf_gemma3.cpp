// The real Gemma 3 270M GGUF (Q4_K_M; fetched by tools/prepare_real_models.sh): opening the file
// (validate, build the tokenizer from metadata, dequantise the block-quantised tensors) and the
// forward pass with every layer captured, the work tools/bench_torch_gemma3.py times in PyTorch on
// the same ids: logits at every position and every layer's attention handed out, as Q/K/V and
// log-sum-exp (what the GUI and CLI use) or also as full probabilities (what PyTorch returns).

#include "model/gemm.h"
#include "model/model.h"

#include <benchmark/benchmark.h>

#include <ctime>
#include <cstdlib>
#include <filesystem>
#include <memory>

namespace attnscope {
namespace {

// Same folder as tools/bench_torch_gemma3.py: ATTNSCOPE_REAL_MODELS, else tools/.cache/models.
std::string gemma3Path()
{
    const char* override = std::getenv("ATTNSCOPE_REAL_MODELS");
    const std::string root = override != nullptr ? override : std::string(ATTNSCOPE_SOURCE_DIR) + "/tools/.cache/models";
    return root + "/gemma-3-270m/gemma-3-270m-q4_k_m.gguf";
}

// The same ids as tools/bench_torch_gemma3.py.
std::vector<int> tokenIds(int count, int vocab)
{
    std::vector<int> ids(static_cast<std::size_t>(count));
    for (int pos = 0; pos < count; ++pos) {
        ids[static_cast<std::size_t>(pos)] = 3 + (pos * 7919) % (vocab - 3);
    }
    return ids;
}

// CPU seconds of the whole process (every thread) per iteration: on a shared machine other work
// stretches wall time far more than it changes the CPU time a pass needs.
class ProcessCpu {
public:
    ProcessCpu() : m_start(std::clock()) {}
    void report(benchmark::State& state) const
    {
        state.counters["process_cpu_s"] = static_cast<double>(std::clock() - m_start) / CLOCKS_PER_SEC /
                                          static_cast<double>(state.iterations());
    }

private:
    std::clock_t m_start;
};

bool skipWithoutModel(benchmark::State& state)
{
    if (!std::filesystem::exists(gemma3Path())) {
        state.SkipWithError((gemma3Path() + " not found (run tools/prepare_real_models.sh)").c_str());
        return true;
    }
    return false;
}

void BM_GgufGemma3Open(benchmark::State& state)
{
    if (skipWithoutModel(state)) {
        return;
    }
    const ProcessCpu cpu;
    for (auto _ : state) {
        auto model = Model::openGguf(gemma3Path());
        if (!model.ok()) {
            state.SkipWithError(model.error().describe().c_str());
            return;
        }
        benchmark::DoNotOptimize(model->get());
    }
    cpu.report(state);
}
BENCHMARK(BM_GgufGemma3Open)->Unit(benchmark::kMillisecond)->UseRealTime();

// What a pass produces besides the captures: logits at every position (PyTorch's default forward),
// the final hidden states without the output head (the whole stack, like PyTorch's final_hidden),
// or nothing (the GUI's and CLI's captures: the pass stops after the last layer's attention).
enum class PassOutput { AllLogits, HiddenStates, CapturesOnly };

ForwardOptions captureEverything(bool probabilities, PassOutput output, std::size_t& capturedFloats)
{
    ForwardOptions options;
    options.capture = LayerSelection::allLayers();
    options.captureProbabilities = probabilities;
    options.logits = output == PassOutput::AllLogits ? LogitsMode::AllPositions : LogitsMode::None;
    options.keepHiddenStates = output == PassOutput::HiddenStates;
    options.onLayer = [&capturedFloats](LayerCapture&& capture) -> Result<void> {
        capturedFloats += capture.qkv.q.size() + capture.qkv.k.size() + capture.qkv.v.size() + capture.lse.size() +
                          capture.probabilities.size();
        return okResult();
    };
    return options;
}

void runForward(benchmark::State& state, bool probabilities, PassOutput output = PassOutput::AllLogits)
{
    if (skipWithoutModel(state)) {
        return;
    }
    auto model = Model::openGguf(gemma3Path());
    if (!model.ok()) {
        state.SkipWithError(model.error().describe().c_str());
        return;
    }
    const int nTokens = static_cast<int>(state.range(0));
    const std::vector<int> ids = tokenIds(nTokens, (*model)->spec().vocabSize);
    std::size_t capturedFloats = 0;
    const ForwardOptions options = captureEverything(probabilities, output, capturedFloats);
    const ProcessCpu cpu;
    for (auto _ : state) {
        auto output = (*model)->forward(ids, options);
        if (!output.ok()) {
            state.SkipWithError(output.error().describe().c_str());
            return;
        }
        benchmark::DoNotOptimize(output->logits.data());
    }
    cpu.report(state);
    benchmark::DoNotOptimize(capturedFloats);
    state.SetItemsProcessed(state.iterations() * nTokens);
    state.SetLabel(gemmName());
}

// Forward passes on an opened model (the first, which converts nothing more for GGUF, included).
void BM_GgufGemma3Forward(benchmark::State& state)
{
    runForward(state, false);
}
BENCHMARK(BM_GgufGemma3Forward)->Arg(512)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_GgufGemma3ForwardProbs(benchmark::State& state)
{
    runForward(state, true);
}
BENCHMARK(BM_GgufGemma3ForwardProbs)->Arg(512)->Unit(benchmark::kMillisecond)->UseRealTime();

// Without the output head: every layer in full and the final hidden states (with probabilities,
// like for like with tools/bench_torch_gemma3.py's "no output head" line), and the captures alone
// as the GUI and CLI ask for them.
void BM_GgufGemma3ForwardProbsNoHead(benchmark::State& state)
{
    runForward(state, true, PassOutput::HiddenStates);
}
BENCHMARK(BM_GgufGemma3ForwardProbsNoHead)->Arg(512)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_GgufGemma3ForwardCaptureOnly(benchmark::State& state)
{
    runForward(state, false, PassOutput::CapturesOnly);
}
BENCHMARK(BM_GgufGemma3ForwardCaptureOnly)->Arg(512)->Unit(benchmark::kMillisecond)->UseRealTime();

// What a user waits for: open the file, then one forward pass with capture.
void BM_GgufGemma3OpenAndForward(benchmark::State& state)
{
    if (skipWithoutModel(state)) {
        return;
    }
    const int nTokens = static_cast<int>(state.range(0));
    std::size_t capturedFloats = 0;
    const ForwardOptions options = captureEverything(false, PassOutput::AllLogits, capturedFloats);
    const ProcessCpu cpu;
    for (auto _ : state) {
        auto model = Model::openGguf(gemma3Path());
        if (!model.ok()) {
            state.SkipWithError(model.error().describe().c_str());
            return;
        }
        auto output = (*model)->forward(tokenIds(nTokens, (*model)->spec().vocabSize), options);
        if (!output.ok()) {
            state.SkipWithError(output.error().describe().c_str());
            return;
        }
        benchmark::DoNotOptimize(output->logits.data());
    }
    cpu.report(state);
    benchmark::DoNotOptimize(capturedFloats);
}
BENCHMARK(BM_GgufGemma3OpenAndForward)->Arg(512)->Unit(benchmark::kMillisecond)->UseRealTime();

} // namespace
} // namespace attnscope

BENCHMARK_MAIN();

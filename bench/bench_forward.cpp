// CPU forward pass with attention capture (every layer's Q/K/V and log-sum-exp handed to a
// callback that drops them): the real stories260K model and a synthetic MiniLM-shaped BERT (6
// layers, 12 heads, hidden 384, intermediate 1536; random weights, vocabulary cut to 1000 since
// the embedding lookup costs nothing) at 128 and 512 tokens, and the real all-MiniLM-L6-v2 when
// tools/prepare_real_models.sh has fetched it (the model tools/bench_torch_forward.sh times).

#include "io/safetensors_file.h"
#include "model/gemm.h"
#include "model/model.h"

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>

namespace attnscope {
namespace {

std::vector<int> tokenIds(int count, int vocab)
{
    std::vector<int> ids(static_cast<std::size_t>(count));
    for (int pos = 0; pos < count; ++pos) {
        ids[static_cast<std::size_t>(pos)] = 3 + (pos * 7919) % (vocab - 3);
    }
    return ids;
}

std::vector<float> randomValues(std::size_t count, unsigned seed, float scale, float offset = 0.0f)
{
    std::vector<float> values(count);
    for (float& value : values) {
        seed = seed * 1664525u + 1013904223u;
        value = offset + scale * (static_cast<float>(seed >> 8) / 16777216.0f - 0.5f);
    }
    return values;
}

// Writes the synthetic MiniLM-shaped checkpoint once per process into a temporary folder.
std::string syntheticMiniLm()
{
    static const std::string folder = [] {
        const std::string dir = (std::filesystem::temp_directory_path() / "attnscope-bench-minilm").string();
        std::filesystem::create_directories(dir);
        std::ofstream(dir + "/config.json") << R"({"model_type": "bert", "architectures": ["BertModel"],
            "hidden_size": 384, "intermediate_size": 1536, "num_hidden_layers": 6, "num_attention_heads": 12,
            "vocab_size": 1000, "max_position_embeddings": 512, "type_vocab_size": 2, "layer_norm_eps": 1e-12,
            "hidden_act": "gelu"})";
        std::vector<TensorToWrite> tensors;
        unsigned seed = 1;
        auto add = [&](const std::string& name, std::vector<std::int64_t> shape, float scale, float offset = 0.0f) {
            std::size_t count = 1;
            for (auto extent : shape) {
                count *= static_cast<std::size_t>(extent);
            }
            tensors.push_back(makeF32Tensor(name, std::move(shape), randomValues(count, ++seed, scale, offset)));
        };
        add("embeddings.word_embeddings.weight", {1000, 384}, 1.0f);
        add("embeddings.position_embeddings.weight", {512, 384}, 1.0f);
        add("embeddings.token_type_embeddings.weight", {2, 384}, 1.0f);
        add("embeddings.LayerNorm.weight", {384}, 0.1f, 1.0f);
        add("embeddings.LayerNorm.bias", {384}, 0.1f);
        for (int layer = 0; layer < 6; ++layer) {
            const std::string p = "encoder.layer." + std::to_string(layer) + ".";
            for (const char* name : {"attention.self.query", "attention.self.key", "attention.self.value",
                                     "attention.output.dense"}) {
                add(p + name + ".weight", {384, 384}, 0.2f);
                add(p + name + ".bias", {384}, 0.1f);
            }
            add(p + "attention.output.LayerNorm.weight", {384}, 0.1f, 1.0f);
            add(p + "attention.output.LayerNorm.bias", {384}, 0.1f);
            add(p + "intermediate.dense.weight", {1536, 384}, 0.2f);
            add(p + "intermediate.dense.bias", {1536}, 0.1f);
            add(p + "output.dense.weight", {384, 1536}, 0.1f);
            add(p + "output.dense.bias", {384}, 0.1f);
            add(p + "output.LayerNorm.weight", {384}, 0.1f, 1.0f);
            add(p + "output.LayerNorm.bias", {384}, 0.1f);
        }
        if (!writeSafetensors(dir + "/model.safetensors", tensors).ok()) {
            std::abort();
        }
        return dir;
    }();
    return folder;
}

// wholeStack: also the final hidden states, so every layer runs in full (as PyTorch's forward does);
// without it a pass with no logits stops after the last captured layer's attention (forwardCpu).
void runForward(benchmark::State& state, const std::string& folder, bool logits, bool probabilities = false,
                bool wholeStack = false)
{
    auto model = Model::openHfFolder(folder);
    if (!model.ok()) {
        state.SkipWithError(model.error().describe().c_str());
        return;
    }
    const int nTokens = static_cast<int>(state.range(0));
    const std::vector<int> ids = tokenIds(nTokens, (*model)->spec().vocabSize);
    ForwardOptions options;
    options.capture = LayerSelection::allLayers();
    options.captureProbabilities = probabilities;
    std::size_t capturedFloats = 0;
    options.onLayer = [&](LayerCapture&& capture) -> Result<void> {
        capturedFloats += capture.qkv.q.size() + capture.qkv.k.size() + capture.qkv.v.size() + capture.lse.size() +
                          capture.probabilities.size();
        return okResult();
    };
    options.logits = logits ? LogitsMode::AllPositions : LogitsMode::None;
    options.keepHiddenStates = wholeStack;
    for (auto _ : state) {
        auto output = (*model)->forward(ids, options);
        if (!output.ok()) {
            state.SkipWithError(output.error().describe().c_str());
            return;
        }
        benchmark::DoNotOptimize(output->logits.data());
    }
    benchmark::DoNotOptimize(capturedFloats);
    state.SetItemsProcessed(state.iterations() * nTokens);
    state.counters["tokens"] = nTokens;
    state.SetLabel(gemmName());
}

void BM_ForwardStories260K(benchmark::State& state)
{
    runForward(state, std::string(ATTNSCOPE_SHARED_MODELS) + "/stories260K/hf", true);
}
BENCHMARK(BM_ForwardStories260K)->Arg(128)->Arg(512)->Unit(benchmark::kMillisecond);

void BM_ForwardMiniLmShaped(benchmark::State& state)
{
    runForward(state, syntheticMiniLm(), false);
}
BENCHMARK(BM_ForwardMiniLmShaped)->Arg(128)->Arg(512)->Unit(benchmark::kMillisecond);

// Same folder as tools/bench_torch_forward.py: ATTNSCOPE_REAL_MODELS, else tools/.cache/models.
void runRealMiniLm(benchmark::State& state, bool probabilities, bool wholeStack = false)
{
    const char* override = std::getenv("ATTNSCOPE_REAL_MODELS");
    const std::string root = override != nullptr ? override : std::string(ATTNSCOPE_SOURCE_DIR) + "/tools/.cache/models";
    const std::string folder = root + "/all-MiniLM-L6-v2";
    if (!std::filesystem::exists(folder + "/model.safetensors")) {
        state.SkipWithError(("all-MiniLM-L6-v2 not found in " + folder + " (run tools/prepare_real_models.sh)").c_str());
        return;
    }
    runForward(state, folder, false, probabilities, wholeStack);
}

// Capture as the GUI and CLI use it: Q/K/V and log-sum-exp, probabilities recomputed per head on demand.
void BM_ForwardMiniLmReal(benchmark::State& state)
{
    runRealMiniLm(state, false);
}
// Process CPU time (every thread) as cpu_time: on a shared machine other work stretches wall time far
// more than it changes the CPU time a pass needs.
BENCHMARK(BM_ForwardMiniLmReal)->Arg(128)->Arg(512)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime()->UseRealTime();

// Also every head's probabilities, as PyTorch returns them with output_attentions=True.
void BM_ForwardMiniLmRealProbs(benchmark::State& state)
{
    runRealMiniLm(state, true);
}
BENCHMARK(BM_ForwardMiniLmRealProbs)->Arg(128)->Arg(512)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime()->UseRealTime();

// The same two captures over the whole stack (final hidden states kept): every layer's output
// projection and MLP run, the last layer's included, like PyTorch's forward.
void BM_ForwardMiniLmRealWholeStack(benchmark::State& state)
{
    runRealMiniLm(state, false, true);
}
BENCHMARK(BM_ForwardMiniLmRealWholeStack)->Arg(128)->Arg(512)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime()->UseRealTime();

void BM_ForwardMiniLmRealProbsWholeStack(benchmark::State& state)
{
    runRealMiniLm(state, true, true);
}
BENCHMARK(BM_ForwardMiniLmRealProbsWholeStack)->Arg(128)->Arg(512)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime()->UseRealTime();

} // namespace
} // namespace attnscope

BENCHMARK_MAIN();

// Model open (mmap, validate the safetensors header, parse config.json, bind every tensor) for a
// synthetic ~550 MB bf16 Llama-shaped model. Goal (issue 2): under 0.5 s, and resident memory that
// does not grow with a full f32 copy of the weights. The model is written once to
// $TMPDIR/attnscope-bench-open and reused.

#include "io/mapped_file.h"
#include "io/safetensors_file.h"
#include "io/tensor_store.h"
#include "model/model_spec.h"
#include "model/model_weights.h"

#include <benchmark/benchmark.h>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <unistd.h>

namespace attnscope {
namespace {

constexpr int kLayers = 8;
constexpr int kHidden = 1536;
constexpr int kIntermediate = 4096;
constexpr int kVocab = 32000;

std::string benchFolder()
{
    return (std::filesystem::temp_directory_path() / "attnscope-bench-open").string();
}

TensorToWrite bf16Tensor(std::string name, std::vector<std::int64_t> shape, std::mt19937& random)
{
    TensorToWrite tensor;
    tensor.name = std::move(name);
    tensor.dtype = DType::BF16;
    tensor.shape = std::move(shape);
    std::int64_t count = 1;
    for (std::int64_t extent : tensor.shape) {
        count *= extent;
    }
    tensor.bytes.resize(static_cast<std::size_t>(count) * 2);
    std::normal_distribution<float> normal(0.0f, 0.02f);
    // Fill a small pattern and repeat it: the values do not matter for opening, only the bytes.
    std::vector<std::uint16_t> pattern(4096);
    for (auto& bits : pattern) {
        bits = floatToBf16(normal(random));
    }
    for (std::int64_t index = 0; index < count; ++index) {
        std::memcpy(tensor.bytes.data() + 2 * index, &pattern[static_cast<std::size_t>(index) % pattern.size()], 2);
    }
    return tensor;
}

bool ensureModel()
{
    const std::string folder = benchFolder();
    if (std::filesystem::exists(folder + "/model.safetensors")) {
        return true;
    }
    std::filesystem::create_directories(folder);
    std::ofstream(folder + "/config.json") << R"({"model_type":"llama","architectures":["LlamaForCausalLM"],)"
                                           << R"("hidden_size":)" << kHidden << R"(,"intermediate_size":)" << kIntermediate
                                           << R"(,"num_hidden_layers":)" << kLayers
                                           << R"(,"num_attention_heads":12,"num_key_value_heads":12,"vocab_size":)"
                                           << kVocab
                                           << R"(,"max_position_embeddings":2048,"rms_norm_eps":1e-5,"rope_theta":10000.0,"tie_word_embeddings":false,"hidden_act":"silu"})";
    std::mt19937 random(7);
    std::vector<TensorToWrite> tensors;
    tensors.push_back(bf16Tensor("model.embed_tokens.weight", {kVocab, kHidden}, random));
    for (int layer = 0; layer < kLayers; ++layer) {
        const std::string prefix = "model.layers." + std::to_string(layer) + ".";
        for (const char* name : {"q_proj", "k_proj", "v_proj", "o_proj"}) {
            tensors.push_back(bf16Tensor(prefix + "self_attn." + name + ".weight", {kHidden, kHidden}, random));
        }
        tensors.push_back(bf16Tensor(prefix + "mlp.gate_proj.weight", {kIntermediate, kHidden}, random));
        tensors.push_back(bf16Tensor(prefix + "mlp.up_proj.weight", {kIntermediate, kHidden}, random));
        tensors.push_back(bf16Tensor(prefix + "mlp.down_proj.weight", {kHidden, kIntermediate}, random));
        tensors.push_back(bf16Tensor(prefix + "input_layernorm.weight", {kHidden}, random));
        tensors.push_back(bf16Tensor(prefix + "post_attention_layernorm.weight", {kHidden}, random));
    }
    tensors.push_back(bf16Tensor("model.norm.weight", {kHidden}, random));
    tensors.push_back(bf16Tensor("lm_head.weight", {kVocab, kHidden}, random));
    return writeSafetensors(folder + "/model.safetensors", tensors).ok();
}

double residentMiB()
{
    long pages = 0;
    long resident = 0;
    if (FILE* statm = std::fopen("/proc/self/statm", "r")) {
        if (std::fscanf(statm, "%ld %ld", &pages, &resident) != 2) {
            resident = 0;
        }
        std::fclose(statm);
    }
    return resident * static_cast<double>(::sysconf(_SC_PAGESIZE)) / (1 << 20);
}

void BM_OpenLlamaBf16(benchmark::State& state)
{
    if (!ensureModel()) {
        state.SkipWithError("cannot write the benchmark model");
        return;
    }
    const std::string folder = benchFolder();
    double fileMiB = 0.0;
    double residentAfterOpen = 0.0;
    for (auto _ : state) {
        const double residentBefore = residentMiB();
        auto store = TensorStore::openFolder(folder);
        auto config = readTextFile(folder + "/config.json");
        if (!store || !config) {
            state.SkipWithError("open failed");
            return;
        }
        auto spec = ModelSpec::fromHfConfig(config.value(), folder + "/config.json");
        if (!spec) {
            state.SkipWithError(spec.error().describe().c_str());
            return;
        }
        auto weights = ModelWeights::bind(spec.value(), *store.value());
        if (!weights) {
            state.SkipWithError(weights.error().describe().c_str());
            return;
        }
        benchmark::DoNotOptimize(weights.value().get());
        fileMiB = store.value()->totalBytes() / 1048576.0;
        residentAfterOpen = residentMiB() - residentBefore;
    }
    state.counters["file_MiB"] = fileMiB;
    state.counters["resident_growth_MiB"] = residentAfterOpen;
}
BENCHMARK(BM_OpenLlamaBf16)->Unit(benchmark::kMillisecond)->Iterations(5);

} // namespace
} // namespace attnscope

BENCHMARK_MAIN();

// Tokenizer throughput on long inputs: the two cases that once went quadratic (a 600 kB text through
// the Llama 3 byte-level BPE, and a 400 kB single "word" through SentencePiece BPE with no
// pre-tokenizer). The unit tests check these inputs round-trip; this program says how fast.

#include "tokenizer/tokenizer.h"
#include "io/mapped_file.h"

#include <benchmark/benchmark.h>
#include <filesystem>
#include <string>

namespace attnscope {
namespace {

void encodeLongText(benchmark::State& state, const std::string& tokenizerPath, const std::string& big)
{
    if (!std::filesystem::exists(tokenizerPath)) {
        state.SkipWithError(("missing " + tokenizerPath).c_str());
        return;
    }
    auto tokenizer = Tokenizer::fromFile(tokenizerPath);
    if (!tokenizer.ok()) {
        state.SkipWithError(tokenizer.error().message.c_str());
        return;
    }
    std::size_t tokens = 0;
    for (auto _ : state) {
        auto ids = tokenizer.value()->encode(big);
        if (!ids.ok()) {
            state.SkipWithError(ids.error().message.c_str());
            return;
        }
        tokens = ids.value().size();
        benchmark::DoNotOptimize(ids.value().data());
    }
    state.counters["tokens"] = static_cast<double>(tokens);
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(big.size()));
}

void BM_ByteLevelLlama3_600kB(benchmark::State& state)
{
    const std::string folder = std::string(ATTNSCOPE_SOURCE_DIR) + "/tests/data/tokenizers/llama3_style";
    auto text = readTextFile(folder + "/expected.json");
    if (!text.ok()) {
        state.SkipWithError(text.error().message.c_str());
        return;
    }
    std::string big;
    while (big.size() < 600000) {
        big += text.value();
    }
    encodeLongText(state, folder + "/tokenizer.json", big);
}
BENCHMARK(BM_ByteLevelLlama3_600kB)->Unit(benchmark::kMillisecond);

void BM_SentencePieceOneWord_400kB(benchmark::State& state)
{
    std::string big;
    while (big.size() < 400000) {
        big += "Once upon a time, there was a little girl named Lily. She liked to play outside. ";
    }
    encodeLongText(state, std::string(ATTNSCOPE_SHARED_MODELS) + "/stories260K/hf/tokenizer.json", big);
}
BENCHMARK(BM_SentencePieceOneWord_400kB)->Unit(benchmark::kMillisecond);

} // namespace
} // namespace attnscope

BENCHMARK_MAIN();

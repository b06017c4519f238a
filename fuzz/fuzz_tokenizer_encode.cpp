// libFuzzer target: arbitrary bytes (invalid UTF-8 included) encoded by each real tokenizer kind
// the app loads: byte-level BPE (GPT-2 style), SentencePiece BPE (stories260K style), WordPiece
// (BERT) and the demo model's. Every id must be in the vocabulary; display and decode must not
// fail.

#include "fuzz_support.h"
#include "tokenizer/tokenizer.h"

#include <memory>
#include <vector>

namespace {

std::vector<std::unique_ptr<attnscope::Tokenizer>>& tokenizers()
{
    static std::vector<std::unique_ptr<attnscope::Tokenizer>> loaded;
    return loaded;
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***)
{
    const std::string data = ATTNSCOPE_TEST_DATA;
    for (const std::string path : {data + "/tokenizers/gpt2_bytelevel/tokenizer.json",
                                   data + "/tokenizers/sp_bpe/tokenizer.json",
                                   data + "/tokenizers/wordpiece_bert/tokenizer.json",
                                   data + "/tokenizers/llama3_style/tokenizer.json",
                                   std::string(ATTNSCOPE_SOURCE_DIR) + "/assets/models/demo/tokenizer.json"}) {
        auto tokenizer = attnscope::Tokenizer::fromFile(path);
        if (!tokenizer) {
            std::abort();  // a seed tokenizer that does not load is a broken harness, not a finding
        }
        tokenizers().push_back(std::move(tokenizer.value()));
    }
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view text = attnscope::fuzz::asText(data, size);
    for (const auto& tokenizer : tokenizers()) {
        auto ids = tokenizer->encode(text, size % 2 == 0);
        ATTNSCOPE_FUZZ_CHECK(ids.ok());
        for (std::int32_t id : ids.value()) {
            ATTNSCOPE_FUZZ_CHECK(id >= 0 && id < tokenizer->vocabSize());
            (void)tokenizer->tokenDisplay(id);
        }
        (void)tokenizer->decode(ids.value());
    }
    return 0;
}

// libFuzzer target: tokenizer.json through Tokenizer::fromJson (what Model::openHfFolder loads),
// then, when it loads, the tokenizer used as the app uses it: encode a multilingual sentence,
// show every piece, decode.

#include "fuzz_support.h"
#include "tokenizer/tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    using namespace attnscope;
    auto tokenizer = Tokenizer::fromJson(fuzz::asText(data, size), "tokenizer.json");
    if (!tokenizer) {
        ATTNSCOPE_FUZZ_CHECK(!tokenizer.error().message.empty());
        return 0;
    }
    const Tokenizer& loaded = *tokenizer.value();
    for (const bool special : {true, false}) {
        auto ids = loaded.encode("Hello world! Ünïcödé 日本語 \t\n  <s> [CLS] 😀 123", special);
        ATTNSCOPE_FUZZ_CHECK(ids.ok());
        for (std::int32_t id : ids.value()) {
            ATTNSCOPE_FUZZ_CHECK(id >= 0 && id < loaded.vocabSize());
            (void)loaded.tokenDisplay(id);
        }
        (void)loaded.decode(ids.value());
    }
    return 0;
}

// libFuzzer target: a .gguf file through Model::openGguf, the app's whole GGUF path (header,
// metadata, tensor infos, ModelSpec::fromGguf, the tokenizer rebuilt from tokenizer.ggml.*,
// dequantisation, weight binding). A file that opens is then used as the app uses it: its
// tokenizer encodes a sentence and the model runs a three-token forward pass.

#include "fuzz_support.h"
#include "model/model.h"
#include "model/model_weights.h"
#include "tokenizer/tokenizer.h"

#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    using namespace attnscope;
    const std::string path = fuzz::writeScratch("model.gguf", fuzz::asText(data, size));
    auto model = Model::openGguf(path);
    if (!model) {
        ATTNSCOPE_FUZZ_CHECK(!model.error().message.empty());
        return 0;
    }
    const Model& opened = *model.value();
    if (const Tokenizer* tokenizer = opened.tokenizer()) {
        auto ids = tokenizer->encode("Once upon a time, l'été 😀");
        ATTNSCOPE_FUZZ_CHECK(ids.ok());
        for (std::int32_t id : ids.value()) {
            ATTNSCOPE_FUZZ_CHECK(id >= 0 && id < tokenizer->vocabSize());
            (void)tokenizer->tokenDisplay(id);
        }
        (void)tokenizer->decode(ids.value());
    }
    const int vocab = opened.spec().vocabSize;
    std::vector<int> ids = {0, 1 % vocab, 2 % vocab};
    ForwardOptions options;
    options.logits = LogitsMode::LastPosition;
    (void)opened.forward(ids, options);
    return 0;
}

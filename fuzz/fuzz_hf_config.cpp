// libFuzzer target: config.json → ModelSpec, through Model::openHfFolder as the app opens an HF
// folder. The folder holds the real tiny Llama weights of tests/data/models/llama_tiny, so a config
// that parses also goes through weight binding (every shape the spec implies checked against the
// file) and a three-token forward pass.

#include "fuzz_support.h"
#include "model/model.h"

#include <vector>

extern "C" int LLVMFuzzerInitialize(int*, char***)
{
    attnscope::fuzz::copyIntoScratch(std::string(ATTNSCOPE_TEST_DATA) + "/models/llama_tiny/model.safetensors",
                                     "model.safetensors");
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    using namespace attnscope;
    const std::string_view text = fuzz::asText(data, size);
    auto spec = ModelSpec::fromHfConfig(text, "config.json");
    if (!spec) {
        ATTNSCOPE_FUZZ_CHECK(!spec.error().message.empty());
        return 0;
    }
    fuzz::writeScratch("config.json", text);
    auto model = Model::openHfFolder(fuzz::scratchDir().string());
    if (!model) {
        ATTNSCOPE_FUZZ_CHECK(!model.error().message.empty());
        return 0;
    }
    const int vocab = model.value()->spec().vocabSize;
    std::vector<int> ids = {0, 1 % vocab, 2 % vocab};
    ForwardOptions options;
    options.logits = LogitsMode::LastPosition;
    (void)model.value()->forward(ids, options);
    return 0;
}

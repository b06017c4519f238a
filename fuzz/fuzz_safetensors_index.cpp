// libFuzzer target: model.safetensors.index.json of a sharded HF model. The folder holds the six
// real shards of tests/data/models/gpt2_tiny, so a valid index opens them all; the input replaces
// only the index, through TensorStore::openFolder (what Model::openHfFolder calls).

#include "fuzz_support.h"
#include "io/tensor_store.h"

#include <string>

extern "C" int LLVMFuzzerInitialize(int*, char***)
{
    for (int shard = 1; shard <= 6; ++shard) {
        const std::string name = "model-0000" + std::to_string(shard) + "-of-00006.safetensors";
        attnscope::fuzz::copyIntoScratch(std::string(ATTNSCOPE_TEST_DATA) + "/models/gpt2_tiny/" + name, name);
    }
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    using namespace attnscope;
    fuzz::writeScratch("model.safetensors.index.json", fuzz::asText(data, size));
    auto store = TensorStore::openFolder(fuzz::scratchDir().string());
    if (!store) {
        ATTNSCOPE_FUZZ_CHECK(!store.error().message.empty());
        return 0;
    }
    for (const std::string& name : store.value()->names()) {
        ATTNSCOPE_FUZZ_CHECK(store.value()->find(name) != nullptr);
    }
    return 0;
}

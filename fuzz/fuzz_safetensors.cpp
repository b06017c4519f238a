// libFuzzer target: one .safetensors file (header + data), through SafetensorsFile::open, the
// reader every HF model load goes through, then every tensor converted to f32 as the forward pass
// does.

#include "fuzz_support.h"
#include "io/safetensors_file.h"

#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    using namespace attnscope;
    const std::string path = fuzz::writeScratch("model.safetensors", fuzz::asText(data, size));
    auto file = SafetensorsFile::open(path);
    if (!file) {
        ATTNSCOPE_FUZZ_CHECK(!file.error().message.empty());
        return 0;
    }
    std::vector<float> values;
    for (const TensorView& view : file.value()->tensors()) {
        ATTNSCOPE_FUZZ_CHECK(file.value()->find(view.name) != nullptr);
        if (toFloat(view, values).ok()) {
            ATTNSCOPE_FUZZ_CHECK(static_cast<std::int64_t>(values.size()) == view.numel());
        }
    }
    return 0;
}

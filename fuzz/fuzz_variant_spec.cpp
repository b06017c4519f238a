// libFuzzer target: the variant-spec text the CLI takes with --variant and the GUI and saved files
// store (parseVariantSpec). A spec that parses must round-trip through formatVariantSpec, validate
// with its defaults filled in, and run on a small fixed layer (two query heads sharing one KV head,
// nine tokens) without crashing: the knobs of every kind are reachable from that text.

#include "attention/variant_runner.h"
#include "attnscope/variant_spec.h"
#include "fuzz_support.h"

#include <cmath>

namespace {

attnscope::LayerQkv makeLayer(bool causal)
{
    attnscope::LayerQkv layer;
    layer.nHeads = 2;
    layer.nKvHeads = 1;
    layer.nTokens = 9;
    layer.headDim = 4;
    layer.scale = 0.5f;
    layer.causal = causal;
    const auto fill = [](std::vector<float>& values, std::size_t count, float phase) {
        values.resize(count);
        for (std::size_t index = 0; index < count; ++index) {
            values[index] = std::sin(phase + 0.7f * static_cast<float>(index));
        }
    };
    fill(layer.q, 2 * 9 * 4, 0.1f);
    fill(layer.k, 9 * 4, 1.3f);
    fill(layer.v, 9 * 4, 2.9f);
    return layer;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    using namespace attnscope;
    auto spec = parseVariantSpec(fuzz::asText(data, size));
    if (!spec) {
        ATTNSCOPE_FUZZ_CHECK(!spec.error().message.empty());
        return 0;
    }
    auto reparsed = parseVariantSpec(formatVariantSpec(spec.value()));
    ATTNSCOPE_FUZZ_CHECK(reparsed.ok() && reparsed.value() == spec.value());
    ATTNSCOPE_FUZZ_CHECK(validateVariantSpec(withDefaults(spec.value())).ok());

    static const LayerQkv causalLayer = makeLayer(true);
    static const LayerQkv bidirectionalLayer = makeLayer(false);
    VariantRunOptions options;
    options.threads = 1;
    (void)attn::runLayerVariant(size % 2 == 0 ? causalLayer : bidirectionalLayer, spec.value(), options);
    return 0;
}

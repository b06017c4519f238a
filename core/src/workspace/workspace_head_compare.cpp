// compareHead: dense and variants of one head from a capture. Each variant runs once with its
// effective attention kept and its metrics computed, the same runLayerVariant call
// Workspace::compare makes, so the numbers match `attnscope compare` for that head.

#include "attnscope/head_compare.h"

#include "attention/variant_runner.h"
#include "attnscope/analysis.h"
#include "workspace/workspace_impl.h"

namespace attnscope {

Result<HeadCompareResult> compareHead(const Capture& capture, int layer, int head,
                                      const std::vector<std::string>& variantSpecs, const CancelToken* cancel)
{
    auto dense = capture.headAttention(layer, head, "dense");
    if (!dense) {
        return dense.error();
    }
    HeadCompareResult result;
    result.dense = std::move(dense.value());
    const LayerQkv qkv = captureLayerQkv(*capture.find(layer));
    VariantRunOptions options;
    options.heads = {head};
    options.keepAttention = true;
    options.computeMetrics = true;
    options.maxMaterialisedTokens = qkv.nTokens;
    options.denseForOtherHeads = false;
    for (const std::string& text : variantSpecs) {
        auto spec = parseVariantSpec(text);
        if (!spec) {
            return spec.error();
        }
        auto run = attn::runLayerVariant(qkv, spec.value(), options, cancel);
        if (!run) {
            return run.error();
        }
        HeadVariantAttention variant;
        variant.variant = formatVariantSpec(spec.value());
        variant.effective.layer = layer;
        variant.effective.head = head;
        variant.effective.nTokens = qkv.nTokens;
        variant.effective.variant = variant.variant;
        const CsrAttention& csr = run->heads.front().attention;
        if (csr.empty()) {
            return makeError(ErrorCode::Internal, "the variant returned no effective attention", variant.variant);
        }
        unpackAttention(csr, qkv.nTokens, variant.effective.attention, variant.effective.mask);
        if (!run->metrics.empty()) {
            variant.metrics = run->metrics.front();
        }
        result.variants.push_back(std::move(variant));
    }
    return result;
}

} // namespace attnscope

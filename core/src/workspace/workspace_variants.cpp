// The Workspace's bridge to the variants: one head's effective attention as a dense matrix for
// the CLI and the views, and the attention override that runs a variant inside the model.

#include "attention/variant_runner.h"
#include "attnscope/analysis.h"
#include "workspace/workspace_impl.h"

namespace attnscope {

Result<void> effectiveAttention(const LayerQkv& qkv, int head, const std::string& variantSpec, HeadAttention& result,
                                VariantBackend backend)
{
    auto spec = parseVariantSpec(variantSpec);
    if (!spec) {
        return spec.error();
    }
    VariantRunOptions options;
    options.heads = {head};
    options.keepAttention = true;
    options.computeMetrics = false;
    options.maxMaterialisedTokens = qkv.nTokens;
    options.denseForOtherHeads = false;
    options.backend = backend;
    auto layerResult = attn::runLayerVariant(qkv, spec.value(), options);
    if (!layerResult) {
        return layerResult.error();
    }
    const HeadVariantResult& headResult = layerResult->heads.front();
    const CsrAttention& csr = headResult.attention;
    result.variant = formatVariantSpec(spec.value());
    if (csr.empty()) {
        return makeError(ErrorCode::Internal, "the variant returned no effective attention", result.variant);
    }
    unpackAttention(csr, qkv.nTokens, result.attention, result.mask);
    return okResult();
}

Result<std::pair<AttentionOverride, std::string>> variantAttentionHook(const std::string& variantSpec,
                                                                       VariantBackend backend)
{
    auto spec = parseVariantSpec(variantSpec);
    if (!spec) {
        return spec.error();
    }
    VariantRunOptions options;
    options.keepAttention = false;
    options.computeMetrics = false;
    options.backend = backend;
    std::string canonical = formatVariantSpec(spec.value());
    return std::make_pair(AttentionOverride(attn::makeVariantHook(spec.value(), options)), canonical);
}

} // namespace attnscope

// The Workspace's bridge to the variants: one head's effective attention as a dense matrix for
// the CLI and the views, and the attention override that runs a variant inside the model.

#include "attention/variant_runner.h"
#include "workspace/workspace_impl.h"

namespace attnscope {

Result<void> effectiveAttention(const LayerQkv& qkv, int head, const std::string& variantSpec, HeadAttention& result)
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
    auto layerResult = attn::runLayerVariant(qkv, spec.value(), options);
    if (!layerResult) {
        return layerResult.error();
    }
    const HeadVariantResult& headResult = layerResult->heads.front();
    const CsrAttention& csr = headResult.attention;
    const auto nTokens = static_cast<std::size_t>(qkv.nTokens);
    result.variant = formatVariantSpec(spec.value());
    result.attention.assign(nTokens * nTokens, 0.0f);
    result.mask.assign(nTokens * nTokens, 0);
    if (csr.empty()) {
        return makeError(ErrorCode::Internal, "the variant returned no effective attention", result.variant);
    }
    for (std::size_t query = 0; query < nTokens; ++query) {
        for (std::int64_t entry = csr.rowPtr[query]; entry < csr.rowPtr[query + 1]; ++entry) {
            const std::size_t index = query * nTokens + static_cast<std::size_t>(csr.cols[static_cast<std::size_t>(entry)]);
            result.attention[index] = csr.weights[static_cast<std::size_t>(entry)];
            result.mask[index] = 1;
        }
    }
    return okResult();
}

Result<std::pair<AttentionOverride, std::string>> variantAttentionHook(const std::string& variantSpec)
{
    auto spec = parseVariantSpec(variantSpec);
    if (!spec) {
        return spec.error();
    }
    VariantRunOptions options;
    options.keepAttention = false;
    options.computeMetrics = false;
    std::string canonical = formatVariantSpec(spec.value());
    return std::make_pair(AttentionOverride(attn::makeVariantHook(spec.value(), options)), canonical);
}

} // namespace attnscope

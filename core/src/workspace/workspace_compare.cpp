// Workspace::compare: one forward pass captures the chosen layers; on each captured layer every
// variant (and its matched random control) runs on the same Q/K/V and is scored against dense.
// Only metrics are kept, so memory stays at one layer's Q/K/V plus one variant's result.

#include "attention/variant_runner.h"
#include "workspace/workspace_impl.h"

#include <algorithm>

namespace attnscope {

namespace {

void accumulate(VariantMetrics& sum, const VariantMetrics& item)
{
    sum.density += item.density;
    sum.recall += item.recall;
    sum.kl += item.kl;
    sum.klDenseEffective += item.klDenseEffective;
    sum.tv += item.tv;
    sum.jaccard += item.jaccard;
    sum.outputError += item.outputError;
    sum.negativeShare += item.negativeShare;
    sum.emptyRows += item.emptyRows;
    sum.sparseFlops += item.sparseFlops;
    sum.denseFlops += item.denseFlops;
    sum.sparseBytes += item.sparseBytes;
    sum.denseBytes += item.denseBytes;
    sum.distributionMetrics = sum.distributionMetrics && item.distributionMetrics;
}

VariantMetrics meanOf(const std::vector<const VariantMetrics*>& items)
{
    VariantMetrics sum;
    sum.head = -1;
    const auto count = items.size();
    for (const VariantMetrics* item : items) {
        accumulate(sum, *item);
    }
    if (count > 0) {
        const double scale = 1.0 / count;
        sum.density *= scale;
        sum.recall *= scale;
        sum.kl *= scale;
        sum.klDenseEffective *= scale;
        sum.tv *= scale;
        sum.jaccard *= scale;
        sum.outputError *= scale;
        sum.negativeShare *= scale;
    }
    return sum;
}

} // namespace

Result<CompareResult> Workspace::compare(const std::vector<std::int32_t>& ids, const CompareRequest& request,
                                         const RunOptions& options)
{
    const ModelInfo& info = m_impl->info;
    if (request.variants.empty()) {
        return makeError(ErrorCode::InvalidArgument, "compare needs at least one --variant");
    }
    if (ids.size() < 2) {
        return makeError(ErrorCode::InvalidArgument, "compare needs a text of at least 2 tokens");
    }
    ATTNSCOPE_TRY(checkIndices(request.layers, info.nLayers, "layer"));
    ATTNSCOPE_TRY(checkIndices(request.heads, info.nHeads, "head"));
    ATTNSCOPE_TRY(checkIndices(request.replacedLayers, info.nLayers, "replaced layer"));
    ATTNSCOPE_TRY(m_impl->checkLength(ids.size(), options.allowOverflow));

    std::vector<VariantSpec> specs;
    CompareResult result;
    result.replacedLayers = sortedUnique(request.replacedLayers);
    result.nTokens = static_cast<int>(ids.size());
    for (const std::string& text : request.variants) {
        auto spec = parseVariantSpec(text);
        if (!spec) {
            return spec.error();
        }
        specs.push_back(spec.value());
        VariantComparison comparison;
        comparison.variant = formatVariantSpec(spec.value());
        result.variants.push_back(comparison);
        if (request.randomControls) {
            VariantComparison control;
            control.variant = "random~" + formatVariantSpec(spec.value());
            result.variants.push_back(control);
        }
    }

    VariantRunOptions runOptions;
    runOptions.heads = request.heads;
    runOptions.keepAttention = true;
    runOptions.computeMetrics = true;
    runOptions.backend = m_impl->backend;

    ForwardOptions forward;
    forward.capture = request.layers.empty() ? LayerSelection::allLayers() : LayerSelection::only(request.layers);
    forward.logits = LogitsMode::None;
    forward.allowOverflow = options.allowOverflow;
    forward.cancel = options.cancel;
    forward.progress = options.progress;
    forward.onLayer = [&](LayerCapture&& capture) -> Result<void> {
        std::size_t slot = 0;
        for (const VariantSpec& spec : specs) {
            auto layerResult = attn::runLayerVariant(capture.qkv, spec, runOptions, options.cancel);
            if (!layerResult) {
                return layerResult.error();
            }
            result.variants[slot++].layers.push_back({capture.qkv.layer, layerResult->metrics});
            if (request.randomControls) {
                auto control = attn::runRandomMatched(capture.qkv, layerResult.value(), 1, runOptions, options.cancel);
                if (!control) {
                    return control.error();
                }
                result.variants[slot++].layers.push_back({capture.qkv.layer, control->metrics});
            }
        }
        return okResult();
    };
    const std::vector<int> intIds(ids.begin(), ids.end());
    auto forwardResult = m_impl->forward(intIds, forward);
    if (!forwardResult) {
        return forwardResult.error();
    }
    for (VariantComparison& comparison : result.variants) {
        std::vector<const VariantMetrics*> all;
        for (LayerComparison& layer : comparison.layers) {
            std::vector<const VariantMetrics*> inLayer;
            for (const VariantMetrics& head : layer.heads) {
                inLayer.push_back(&head);
                all.push_back(&head);
            }
            layer.mean = meanOf(inLayer);
        }
        comparison.mean = meanOf(all);
    }

    if (request.perplexity && info.causal) {
        auto dense = evaluate(ids, "dense", options);
        if (!dense) {
            return dense.error();
        }
        result.denseLoss = dense->loss;
        result.densePerplexity = dense->perplexity;
        for (VariantComparison& comparison : result.variants) {
            if (comparison.variant.rfind("random~", 0) == 0) {
                continue; // the matched control has no spec of its own to run inside the model
            }
            auto withVariant = evaluate(ids, comparison.variant, options, request.replacedLayers);
            if (!withVariant) {
                return withVariant.error();
            }
            comparison.loss = withVariant->loss;
            comparison.perplexity = withVariant->perplexity;
        }
    }
    return result;
}

} // namespace attnscope

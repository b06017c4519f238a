// compareHead and HeadComparer: dense and variants of one head from a capture. Each variant runs
// once with its effective attention kept and its metrics computed, the same runLayerVariant call
// Workspace::compare makes, so the numbers match `attnscope compare` for that head. HeadComparer
// keeps the head's dense side between calls, so a knob change in the workbench recomputes only the
// variant.

#include "attnscope/head_compare.h"

#include "attention/dense_rows.h"
#include "attention/variant_runner.h"
#include "attnscope/analysis.h"
#include "workspace/workspace_impl.h"

namespace attnscope {

struct HeadComparer::Kept {
    // The key: any difference starts over.
    std::string model;
    std::vector<std::int32_t> ids;
    int layer = -1;
    int head = -1;
    // What no variant changes.
    LayerQkv qkv;
    HeadAttention dense;
    std::unique_ptr<attn::DenseRows> rows;  // null when the head has too many pairs to keep

    bool matches(const Capture& capture, int wantedLayer, int wantedHead) const
    {
        return layer == wantedLayer && head == wantedHead && model == capture.model && ids == capture.ids;
    }
};

HeadComparer::HeadComparer() = default;
HeadComparer::~HeadComparer() = default;

void HeadComparer::clear()
{
    m_kept.reset();
    m_reusedLast = false;
}

Result<HeadCompareResult> HeadComparer::compare(const Capture& capture, int layer, int head,
                                                const std::vector<std::string>& variantSpecs, const CancelToken* cancel)
{
    m_reusedLast = m_kept && m_kept->matches(capture, layer, head);
    if (!m_kept || !m_reusedLast) {
        m_kept.reset();
        auto dense = capture.headAttention(layer, head, "dense");  // also checks layer and head
        if (!dense) {
            return dense.error();
        }
        auto kept = std::make_unique<Kept>();
        kept->model = capture.model;
        kept->ids = capture.ids;
        kept->layer = layer;
        kept->head = head;
        kept->qkv = captureLayerQkv(*capture.find(layer));
        kept->qkv.modelFolder = capture.model;  // where learned-mode predictor files are found
        kept->dense = std::move(dense.value());
        const attn::HeadInput input = attn::makeHeadInput(kept->qkv, head);
        if (attn::allowedPairCount(input) <= attn::kMaxKeptDensePairs) {
            kept->rows = std::make_unique<attn::DenseRows>(attn::buildDenseRows(input, 0, input.nTokens, 0));
        }
        m_kept = std::move(kept);
    }
    const LayerQkv& qkv = m_kept->qkv;
    HeadCompareResult result;
    result.dense = m_kept->dense;
    VariantRunOptions options;
    options.heads = {head};
    options.keepAttention = true;
    options.computeMetrics = true;
    options.maxMaterialisedTokens = qkv.nTokens;
    options.denseForOtherHeads = false;
    options.backend = m_backend;
    for (const std::string& text : variantSpecs) {
        auto spec = parseVariantSpec(text);
        if (!spec) {
            return spec.error();
        }
        auto run = attn::runLayerVariant(qkv, spec.value(), options, cancel, m_kept->rows.get());
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
        variant.stats = run->heads.front().stats;
        result.variants.push_back(std::move(variant));
    }
    return result;
}

Result<HeadCompareResult> compareHead(const Capture& capture, int layer, int head,
                                      const std::vector<std::string>& variantSpecs, const CancelToken* cancel)
{
    HeadComparer comparer;
    return comparer.compare(capture, layer, head, variantSpecs, cancel);
}

} // namespace attnscope

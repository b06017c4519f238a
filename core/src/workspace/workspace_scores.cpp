// Workspace::headScores: one forward pass; each captured layer's heads are scored from their dense
// attention, one N×N matrix at a time, and the layer is dropped.

#include "model/dense_attention.h"
#include "workspace/workspace_impl.h"

namespace attnscope {

Result<std::vector<std::vector<HeadScores>>> Workspace::headScores(const std::vector<std::int32_t>& ids,
                                                                   const RunOptions& options)
{
    if (ids.size() < 2) {
        return makeError(ErrorCode::InvalidArgument, "head scores need a text of at least 2 tokens");
    }
    ATTNSCOPE_TRY(m_impl->checkLength(ids.size(), options.allowOverflow));
    std::vector<std::vector<HeadScores>> scores;
    ForwardOptions forward;
    forward.capture = LayerSelection::allLayers();
    forward.logits = LogitsMode::None;
    forward.allowOverflow = options.allowOverflow;
    forward.cancel = options.cancel;
    forward.progress = options.progress;
    forward.onLayer = [&](LayerCapture&& capture) -> Result<void> {
        const LayerQkv& qkv = capture.qkv;
        std::vector<HeadScores> layerScores(static_cast<std::size_t>(qkv.nHeads));
        for (int head = 0; head < qkv.nHeads; ++head) {
            std::vector<float> probabilities;
            ATTNSCOPE_TRY(denseProbabilities(qkv, head, probabilities, nullptr));
            layerScores[static_cast<std::size_t>(head)] = scoreHead(probabilities, ids, qkv.causal);
        }
        scores.push_back(std::move(layerScores));
        return okResult();
    };
    const std::vector<int> intIds(ids.begin(), ids.end());
    auto result = m_impl->forward(intIds, forward);
    if (!result) {
        return result.error();
    }
    return scores;
}

} // namespace attnscope

#include "model/loss.h"

#include "model/model_weights.h"

#include <algorithm>
#include <cmath>

namespace attnscope {

Result<LossResult> evaluateLoss(const ModelWeights& weights, std::span<const int> ids, const LossOptions& options)
{
    const ModelSpec& spec = weights.spec();
    if (ids.size() < 2) {
        return makeError(ErrorCode::InvalidArgument,
                         "next-token loss needs at least 2 tokens (got " + std::to_string(ids.size()) + ")",
                         {}, "too_few_tokens");
    }
    if (!spec.causal || !spec.hasLmHead) {
        return makeError(ErrorCode::Unsupported,
                         "next-token loss needs a causal language model; this " + spec.modelType + " checkpoint (" +
                             spec.architecture + ") is not one",
                         spec.architecture, "not_causal_lm");
    }
    const int window = options.window > 0 ? options.window : spec.maxPositions;
    if (window < 2) {
        return makeError(ErrorCode::InvalidArgument, "the loss window must hold at least 2 tokens");
    }
    const std::size_t total = ids.size();
    const std::size_t windowCount = (total + window - 1) / window;

    LossResult result;
    result.tokens = static_cast<int>(total);
    double sum = 0.0;
    for (std::size_t index = 0; index < windowCount; ++index) {
        const std::size_t begin = index * static_cast<std::size_t>(window);
        const std::size_t length = std::min<std::size_t>(window, total - begin);
        if (length < 2) {
            continue;
        }
        ForwardOptions forward;
        forward.overrideLayers = options.overrideLayers;
        forward.attentionOverride = options.attentionOverride;
        forward.logits = LogitsMode::NextTokenLoss;
        forward.threads = options.threads;
        forward.allowOverflow = options.window > 0;
        forward.cancel = options.cancel;
        forward.backend = options.backend;
        if (options.progress) {
            forward.progress = [&](double fraction, const std::string&) {
                options.progress((static_cast<double>(index) + fraction) / static_cast<double>(windowCount),
                                 "window " + std::to_string(index + 1) + "/" + std::to_string(windowCount));
            };
        }
        const std::span<const int> chunk = ids.subspan(begin, length);
        auto output = forwardCpu(weights, chunk, forward);
        ATTNSCOPE_TRY(output);
        result.attentionBackend.add(output->attentionBackend.backend, output->attentionBackend.fallbackReason);
        for (const double positionLoss : output->nextTokenLoss) {
            sum += positionLoss;
        }
        result.predicted += static_cast<int>(length - 1);
        ++result.windows;
    }
    result.loss = sum / result.predicted;
    result.perplexity = std::exp(result.loss);
    return result;
}

} // namespace attnscope

// dense: exact softmax attention on the model's own mask; the reference every variant is compared to.
#include "attention/variants.h"

#include <cmath>

namespace attnscope::attn {

Result<HeadVariantResult> runDense(const HeadInput& input, const VariantSpec&, const VariantRunOptions& options)
{
    HeadVariantResult result;
    result.head = input.head;
    result.output.assign(static_cast<std::size_t>(input.nTokens) * input.headDim, 0.0f);
    std::vector<float> weights;
    const bool keep = materialise(input, options);
    if (keep) {
        weights.resize(static_cast<std::size_t>(allowedPairCount(input)));
    }
    Stopwatch watch;
    denseAttention(input, result.output.data(), keep ? weights.data() : nullptr, options.threads);
    result.stats.attentionSeconds = watch.seconds();
    finishAllAllowed(input, std::move(weights), result);
    return result;
}

void denseProbabilityRow(const HeadInput& input, int queryPos, KeyRange range, std::vector<float>& scratch,
                         std::vector<double>& probabilities)
{
    const int size = range.size();
    scratch.resize(static_cast<std::size_t>(std::max(size, 0)));
    probabilities.assign(static_cast<std::size_t>(std::max(size, 0)), 0.0);
    if (size <= 0) {
        return;
    }
    scoreRow(input, queryPos, range, scratch.data());
    float maxScore = scratch[0];
    for (int index = 1; index < size; ++index) {
        maxScore = std::max(maxScore, scratch[static_cast<std::size_t>(index)]);
    }
    double sum = 0.0;
    for (int index = 0; index < size; ++index) {
        const double e = std::exp(static_cast<double>(scratch[static_cast<std::size_t>(index)]) - maxScore);
        probabilities[static_cast<std::size_t>(index)] = e;
        sum += e;
    }
    for (double& p : probabilities) {
        p /= sum;
    }
}

} // namespace attnscope::attn

// dense: exact softmax attention on the model's own mask; the reference every variant is compared to.
#include "attention/dense_rows.h"
#include "attention/variants.h"

#include <algorithm>

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
    const DenseRows* kept = keptDenseRows(input, queryPos);
    if (kept && kept->keysOf(queryPos) == size && range.first == allowedKeys(input, queryPos).first) {
        std::copy_n(kept->scoresOf(queryPos), size, scratch.data());
        std::copy_n(kept->probabilitiesOf(queryPos), size, probabilities.data());
        return;
    }
    scoreRow(input, queryPos, range, scratch.data());
    softmaxRowInDouble(scratch.data(), size, probabilities.data());
}

} // namespace attnscope::attn

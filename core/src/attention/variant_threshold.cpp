// threshold: keys whose exact score is within delta of the row maximum, or whose dense probability
// reaches prob (an oracle). by=prob can leave a flat row empty; such rows are counted.
#include "attention/variants.h"

namespace attnscope::attn {

Result<HeadVariantResult> runThreshold(const HeadInput& input, const VariantSpec& spec,
                                       const VariantRunOptions& options)
{
    const bool byProbability = specString(spec, "by") == "prob";
    const double delta = specFloat(spec, "delta");
    const double minProbability = specFloat(spec, "prob");
    HeadVariantResult result;
    result.head = input.head;
    Stopwatch watch;
    KeptSet set = keptSetFromRows(input, options.threads, [&](int queryPos, std::vector<std::int32_t>& cols) {
        thread_local std::vector<float> scratch;
        thread_local std::vector<double> probabilities;
        const KeyRange range = allowedKeys(input, queryPos);
        denseProbabilityRow(input, queryPos, range, scratch, probabilities);
        float maxScore = scratch.empty() ? 0.0f : scratch[0];
        for (float score : scratch) {
            maxScore = std::max(maxScore, score);
        }
        for (int index = 0; index < range.size(); ++index) {
            const bool keep = byProbability ? probabilities[static_cast<std::size_t>(index)] >= minProbability
                                            : scratch[static_cast<std::size_t>(index)] >= maxScore - delta;
            if (keep) {
                cols.push_back(range.first + index);
            }
        }
    });
    result.stats.estimateSeconds = watch.seconds();
    result.stats.estimateFlops = 2.0 * input.headDim * static_cast<double>(allowedPairCount(input));
    attendOnSet(input, std::move(set), options, result);
    return result;
}

} // namespace attnscope::attn

// topk: the k largest exact scores per row (an oracle: it reads every score, so it is the upper
// bound of what any k-key selector can recall). k is clamped to the row's allowed keys.
#include "attention/variants.h"

namespace attnscope::attn {

Result<HeadVariantResult> runTopk(const HeadInput& input, const VariantSpec& spec, const VariantRunOptions& options)
{
    const long long k = specInt(spec, "k");
    HeadVariantResult result;
    result.head = input.head;
    Stopwatch watch;
    KeptSet set = keptSetFromRows(input, options.threads, [&](int queryPos, std::vector<std::int32_t>& cols) {
        thread_local std::vector<float> scores;
        thread_local std::vector<int> selected;
        const KeyRange range = allowedKeys(input, queryPos);
        scores.resize(static_cast<std::size_t>(range.size()));
        scoreRow(input, queryPos, range, scores.data());
        const int count = static_cast<int>(std::min<long long>(k, range.size()));
        selectTopIndices(scores.data(), range.size(), count, selected);
        for (int index : selected) {
            cols.push_back(range.first + index);
        }
    });
    result.stats.estimateSeconds = watch.seconds();
    result.stats.estimateFlops = 2.0 * input.headDim * static_cast<double>(allowedPairCount(input));
    attendOnSet(input, std::move(set), options, result);
    return result;
}

} // namespace attnscope::attn

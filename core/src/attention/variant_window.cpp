// window: local attention of width w (mask_predicates.h windowAllows), inside the model's own mask.
#include "attention/variants.h"

#include "attnscope_kernels/mask_predicates.h"

#include <algorithm>

namespace attnscope::attn {

Result<HeadVariantResult> runWindow(const HeadInput& input, const VariantSpec& spec, const VariantRunOptions& options)
{
    const int width = static_cast<int>(std::min<long long>(specInt(spec, "w"), input.nTokens + 1LL));
    HeadVariantResult result;
    result.head = input.head;
    Stopwatch watch;
    // Only the candidate band around the diagonal is visited; the predicate still decides each pair.
    KeptSet set = keptSetFromRows(input, options.threads, [&](int queryPos, std::vector<std::int32_t>& cols) {
        const KeyRange range = allowedKeys(input, queryPos);
        const int first = std::max(range.first, queryPos - width + 1);
        const int last = std::min(range.last, queryPos + width - 1);
        for (int keyPos = first; keyPos <= last; ++keyPos) {
            if (windowAllows(queryPos, keyPos, width, input.causal)) {
                cols.push_back(keyPos);
            }
        }
    });
    result.stats.estimateSeconds = watch.seconds();
    attendOnSet(input, std::move(set), options, result);
    return result;
}

} // namespace attnscope::attn

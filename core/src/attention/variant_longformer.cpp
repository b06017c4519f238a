// longformer: sliding window plus symmetric global tokens (Beltagy et al. 2020).
#include "attention/variants.h"

#include "attnscope_kernels/mask_predicates.h"

#include <algorithm>

namespace attnscope::attn {

Result<HeadVariantResult> runLongformer(const HeadInput& input, const VariantSpec& spec,
                                        const VariantRunOptions& options)
{
    const int width = static_cast<int>(std::min<long long>(specInt(spec, "w"), 2LL * input.nTokens + 1));
    const int globals = static_cast<int>(std::min<long long>(specInt(spec, "global"), input.nTokens));
    HeadVariantResult result;
    result.head = input.head;
    Stopwatch watch;
    KeptSet set = keptSetFromRows(input, options.threads, [&](int queryPos, std::vector<std::int32_t>& cols) {
        const KeyRange range = allowedKeys(input, queryPos);
        for (int keyPos = range.first; keyPos <= range.last; ++keyPos) {
            if (longformerAllows(queryPos, keyPos, width, globals, input.causal)) {
                cols.push_back(keyPos);
            }
        }
    });
    result.stats.estimateSeconds = watch.seconds();
    attendOnSet(input, std::move(set), options, result);
    return result;
}

} // namespace attnscope::attn

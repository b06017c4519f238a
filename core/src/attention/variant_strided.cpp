// strided: the Sparse Transformer's fixed patterns (Child et al. 2019), "strided" and "fixed".
#include "attention/variants.h"

#include "attnscope_kernels/mask_predicates.h"

#include <algorithm>
#include <cmath>

namespace attnscope::attn {

Result<HeadVariantResult> runStrided(const HeadInput& input, const VariantSpec& spec, const VariantRunOptions& options)
{
    const bool fixed = specString(spec, "pattern") == "fixed";
    long long stride = specInt(spec, "stride");
    if (stride == 0) {
        stride = std::max(1LL, std::llround(std::sqrt(static_cast<double>(input.nTokens))));
    }
    stride = std::min<long long>(stride, std::max(1, input.nTokens));
    long long summary = specInt(spec, "summary");
    if (summary == 0) {
        summary = std::max(1LL, stride / 4);
    }
    summary = std::min(summary, stride);
    const int l = static_cast<int>(stride);
    const int c = static_cast<int>(summary);
    HeadVariantResult result;
    result.head = input.head;
    Stopwatch watch;
    KeptSet set = keptSetFromRows(input, options.threads, [&](int queryPos, std::vector<std::int32_t>& cols) {
        const KeyRange range = allowedKeys(input, queryPos);
        for (int keyPos = range.first; keyPos <= range.last; ++keyPos) {
            if (fixed ? fixedAllows(queryPos, keyPos, l, c, input.causal)
                      : stridedAllows(queryPos, keyPos, l, input.causal)) {
                cols.push_back(keyPos);
            }
        }
    });
    result.stats.estimateSeconds = watch.seconds();
    attendOnSet(input, std::move(set), options, result);
    return result;
}

} // namespace attnscope::attn

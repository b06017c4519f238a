#pragma once
// Running sums over each query's allowed keys (linear-attention states: performer, fast, SEA's
// learned context). The model's allowed interval only moves forward with the query, so one sweep
// adds the keys that enter it and removes those that leave: causal, bidirectional and
// sliding-window masks alike.

#include "attention/attention_common.h"

namespace attnscope::attn {

/// For each query in order: update(key, +1.0) for every key entering its allowed interval,
/// update(key, -1.0) for every key leaving it, then visitRow(queryPos).
template <typename Update, typename VisitRow>
void sweepAllowedKeys(const HeadInput& input, Update update, VisitRow visitRow)
{
    int added = 0;
    int removed = 0;
    for (int queryPos = 0; queryPos < input.nTokens; ++queryPos) {
        const KeyRange range = allowedKeys(input, queryPos);
        for (; added <= range.last; ++added) {
            update(added, 1.0);
        }
        for (; removed < range.first; ++removed) {
            update(removed, -1.0);
        }
        visitRow(queryPos);
    }
}

} // namespace attnscope::attn

#pragma once
// Scores that say what a head does, computed from its dense attention matrix. They colour the head
// grid, pick notable heads for the startup summary, and check that the demo model's heads are the
// ones its README names.

#include <cstdint>
#include <vector>

namespace attnscope {

/// What one head does on one text. Each score is a mean over the query rows it is defined for.
struct HeadScores {
    double previousToken = 0.0;  ///< attention from position i to i-1 (rows i >= 1)
    double firstToken = 0.0;     ///< attention on position 0 (the BOS sink), rows i >= 1
    double induction = 0.0;      ///< attention from i to j+1 where j < i is an earlier occurrence of token i; NaN-free: 0 when no token repeats
    double entropy = 0.0;        ///< row entropy in nats
    double normalisedEntropy = 0.0; ///< row entropy / log(allowed keys), rows with >= 2 keys; 1 = uniform
    int inductionRows = 0;       ///< rows that had an earlier occurrence
};

/// Scores of a head from its attention `probabilities` ([nTokens, nTokens], rows sum to 1 over the
/// keys the model allows) and the token ids. For causal models pass causal = true so the entropy
/// normalisation uses i + 1 keys for row i.
HeadScores scoreHead(const std::vector<float>& probabilities, const std::vector<std::int32_t>& ids, bool causal);

} // namespace attnscope

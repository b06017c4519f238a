#include "attnscope/head_scores.h"

#include <cmath>
#include <unordered_map>

namespace attnscope {

HeadScores scoreHead(const std::vector<float>& probabilities, const std::vector<std::int32_t>& ids, bool causal)
{
    HeadScores scores;
    const int nTokens = static_cast<int>(ids.size());
    if (nTokens < 2 || probabilities.size() != static_cast<std::size_t>(nTokens) * nTokens) {
        return scores;
    }
    auto at = [&](int query, int key) {
        return static_cast<double>(probabilities[static_cast<std::size_t>(query) * nTokens + key]);
    };
    std::unordered_map<std::int32_t, int> lastSeen;
    double entropySum = 0.0;
    double normalisedSum = 0.0;
    int normalisedRows = 0;
    for (int query = 0; query < nTokens; ++query) {
        double entropy = 0.0;
        for (int key = 0; key < nTokens; ++key) {
            const double weight = at(query, key);
            if (weight > 0.0) {
                entropy -= weight * std::log(weight);
            }
        }
        entropySum += entropy;
        const int allowedKeys = causal ? query + 1 : nTokens;
        if (allowedKeys >= 2) {
            normalisedSum += entropy / std::log(static_cast<double>(allowedKeys));
            ++normalisedRows;
        }
        if (query >= 1) {
            scores.previousToken += at(query, query - 1);
            scores.firstToken += at(query, 0);
        }
        // Induction: the most recent earlier occurrence j of this token; a copying head looks at j+1.
        const auto seen = lastSeen.find(ids[static_cast<std::size_t>(query)]);
        if (seen != lastSeen.end() && seen->second + 1 < query) {
            scores.induction += at(query, seen->second + 1);
            ++scores.inductionRows;
        }
        lastSeen[ids[static_cast<std::size_t>(query)]] = query;
    }
    scores.previousToken /= nTokens - 1;
    scores.firstToken /= nTokens - 1;
    scores.entropy = entropySum / nTokens;
    scores.normalisedEntropy = normalisedRows > 0 ? normalisedSum / normalisedRows : 0.0;
    if (scores.inductionRows > 0) {
        scores.induction /= scores.inductionRows;
    }
    return scores;
}

} // namespace attnscope

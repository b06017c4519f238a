// Head scores on attention matrices whose scores are known in closed form.

#include "attnscope/head_scores.h"

#include <cmath>
#include <gtest/gtest.h>

namespace attnscope {
namespace {

std::vector<float> causalUniform(int nTokens)
{
    std::vector<float> probabilities(static_cast<std::size_t>(nTokens) * nTokens, 0.0f);
    for (int query = 0; query < nTokens; ++query) {
        for (int key = 0; key <= query; ++key) {
            probabilities[static_cast<std::size_t>(query) * nTokens + key] = 1.0f / (query + 1);
        }
    }
    return probabilities;
}

TEST(HeadScores, PreviousTokenHeadScoresOne)
{
    const int nTokens = 6;
    std::vector<float> probabilities(nTokens * nTokens, 0.0f);
    probabilities[0] = 1.0f;
    for (int query = 1; query < nTokens; ++query) {
        probabilities[query * nTokens + query - 1] = 1.0f;
    }
    const HeadScores scores = scoreHead(probabilities, {1, 2, 3, 4, 5, 6}, true);
    EXPECT_DOUBLE_EQ(scores.previousToken, 1.0);
    EXPECT_DOUBLE_EQ(scores.firstToken, 1.0 / 5.0); // only row 1's previous token is position 0
    EXPECT_DOUBLE_EQ(scores.entropy, 0.0);
    EXPECT_EQ(scores.inductionRows, 0);
}

TEST(HeadScores, UniformCausalHeadHasNormalisedEntropyOne)
{
    const int nTokens = 8;
    const HeadScores scores = scoreHead(causalUniform(nTokens), {1, 2, 3, 4, 5, 6, 7, 8}, true);
    EXPECT_NEAR(scores.normalisedEntropy, 1.0, 1e-6);
    double expectedPrevious = 0.0;
    for (int query = 1; query < nTokens; ++query) {
        expectedPrevious += 1.0 / (query + 1);
    }
    EXPECT_NEAR(scores.previousToken, expectedPrevious / (nTokens - 1), 1e-7);
}

TEST(HeadScores, InductionHeadLooksAfterTheEarlierOccurrence)
{
    // Tokens A B C D A B C D: at the second A (position 4) an induction head attends to position 1 (B).
    const std::vector<std::int32_t> ids = {10, 11, 12, 13, 10, 11, 12, 13};
    const int nTokens = static_cast<int>(ids.size());
    std::vector<float> probabilities = causalUniform(nTokens);
    for (int query = 4; query < nTokens; ++query) {
        for (int key = 0; key < nTokens; ++key) {
            probabilities[query * nTokens + key] = key == query - 3 ? 1.0f : 0.0f;
        }
    }
    const HeadScores scores = scoreHead(probabilities, ids, true);
    EXPECT_EQ(scores.inductionRows, 4);
    EXPECT_DOUBLE_EQ(scores.induction, 1.0);
}

} // namespace
} // namespace attnscope

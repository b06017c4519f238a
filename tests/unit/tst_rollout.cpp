// Attention rollout (core/src/analysis/rollout.cpp) against a double-precision reference computed
// here: rollout = product over layers of rownorm(0.5·A + 0.5·I), A averaged over heads.

#include "attnscope/analysis.h"
#include "unit/tst_analysis_fixture.h"

#include <gtest/gtest.h>

#include <random>

namespace attnscope {
namespace {

using Matrix = std::vector<double>;

// The reference, written out with plain loops: R ← rownorm(0.5·A_l + 0.5·I) · R, layer 0 first.
Matrix referenceRollout(const std::vector<Matrix>& layers, int n)
{
    Matrix rollout(static_cast<std::size_t>(n) * n, 0.0);
    for (int i = 0; i < n; ++i) {
        rollout[i * n + i] = 1.0;
    }
    for (const Matrix& attention : layers) {
        Matrix mixed(attention.size());
        for (int i = 0; i < n; ++i) {
            double sum = 0.0;
            for (int j = 0; j < n; ++j) {
                mixed[i * n + j] = 0.5 * attention[i * n + j] + (i == j ? 0.5 : 0.0);
                sum += mixed[i * n + j];
            }
            for (int j = 0; j < n; ++j) {
                mixed[i * n + j] /= sum;
            }
        }
        Matrix next(attention.size(), 0.0);
        for (int i = 0; i < n; ++i) {
            for (int k = 0; k < n; ++k) {
                for (int j = 0; j < n; ++j) {
                    next[i * n + j] += mixed[i * n + k] * rollout[k * n + j];
                }
            }
        }
        rollout = next;
    }
    return rollout;
}

Matrix randomCausalStochastic(int n, std::mt19937& generator)
{
    std::uniform_real_distribution<double> uniform(0.0, 1.0);
    Matrix a(static_cast<std::size_t>(n) * n, 0.0);
    for (int i = 0; i < n; ++i) {
        double sum = 0.0;
        for (int j = 0; j <= i; ++j) {
            a[i * n + j] = uniform(generator);
            sum += a[i * n + j];
        }
        for (int j = 0; j <= i; ++j) {
            a[i * n + j] /= sum;
        }
    }
    return a;
}

TEST(RolloutOfLayers, MatchesTheReferenceProductOnRandomCausalLayers)
{
    std::mt19937 generator(17);
    const int n = 9;
    std::vector<Matrix> layers;
    for (int layer = 0; layer < 4; ++layer) {
        layers.push_back(randomCausalStochastic(n, generator));
    }
    auto rollout = rolloutOfLayers(layers, n);
    ASSERT_TRUE(rollout) << rollout.error().describe();
    const Matrix expected = referenceRollout(layers, n);
    for (std::size_t i = 0; i < expected.size(); ++i) {
        EXPECT_NEAR((*rollout)[i], expected[i], 1e-12) << "cell " << i;
    }
    // Causal stays causal, and a product of stochastic matrices is stochastic.
    for (int i = 0; i < n; ++i) {
        double sum = 0.0;
        for (int j = 0; j < n; ++j) {
            sum += (*rollout)[i * n + j];
            if (j > i) {
                EXPECT_EQ((*rollout)[i * n + j], 0.0);
            }
        }
        EXPECT_NEAR(sum, 1.0, 1e-12);
    }
}

TEST(RolloutOfLayers, ClosedForms)
{
    const int n = 3;
    // Attention on oneself only: the rollout is the identity.
    const Matrix identity = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    auto same = rolloutOfLayers({identity, identity}, n);
    ASSERT_TRUE(same);
    for (std::size_t i = 0; i < identity.size(); ++i) {
        EXPECT_DOUBLE_EQ((*same)[i], identity[i]);
    }
    // One layer attending to token 0: half stays, half goes to token 0.
    const Matrix first = {1, 0, 0, 1, 0, 0, 1, 0, 0};
    auto one = rolloutOfLayers({first}, n);
    ASSERT_TRUE(one);
    EXPECT_EQ(*one, (Matrix{1, 0, 0, 0.5, 0.5, 0, 0.5, 0, 0.5}));
    // Two such layers: (0.5A + 0.5I)² keeps a quarter on the token itself.
    auto two = rolloutOfLayers({first, first}, n);
    ASSERT_TRUE(two);
    EXPECT_EQ(*two, (Matrix{1, 0, 0, 0.75, 0.25, 0, 0.75, 0, 0.25}));
}

TEST(RolloutOfLayers, BadShapesAreErrors)
{
    EXPECT_FALSE(rolloutOfLayers({}, 3));
    auto wrong = rolloutOfLayers({Matrix(8, 0.0)}, 3);
    ASSERT_FALSE(wrong);
    EXPECT_EQ(wrong.error().code, ErrorCode::InvalidArgument);
}

class WorkspaceRollout : public StoriesText {
protected:
    // Head-averaged attention of layers 0..through from one head at a time (Workspace::headAttention),
    // averaged in double, rolled out by the reference above.
    Matrix reference(const std::string& variant, int through)
    {
        std::vector<Matrix> layers;
        const int heads = workspace->info().nHeads;
        for (int layer = 0; layer <= through; ++layer) {
            Matrix mean(static_cast<std::size_t>(n) * n, 0.0);
            for (int head = 0; head < heads; ++head) {
                auto attention = workspace->headAttention(ids, layer, head, variant, RunOptions{});
                EXPECT_TRUE(attention) << attention.error().describe();
                for (std::size_t i = 0; i < mean.size(); ++i) {
                    mean[i] += static_cast<double>(attention->attention[i]) / heads;
                }
            }
            layers.push_back(mean);
        }
        return referenceRollout(layers, n);
    }
};

TEST_F(WorkspaceRollout, DenseRolloutMatchesThePerHeadReference)
{
    auto rollout = attentionRollout(*workspace, ids, "dense", 2, RunOptions{});
    ASSERT_TRUE(rollout) << rollout.error().describe();
    EXPECT_EQ(rollout->nTokens, n);
    EXPECT_EQ(rollout->throughLayer, 2);
    EXPECT_EQ(rollout->variant, "dense");
    const Matrix expected = reference("dense", 2);
    ASSERT_EQ(rollout->rollout.size(), expected.size());
    double offDiagonal = 0.0;
    for (std::size_t i = 0; i < expected.size(); ++i) {
        EXPECT_NEAR(rollout->rollout[i], expected[i], 1e-5) << "cell " << i;
        if (i / n != i % n) {
            offDiagonal += expected[i];
        }
    }
    EXPECT_GT(offDiagonal, 1.0) << "the reference must mix tokens, or the check is vacuous";
}

TEST_F(WorkspaceRollout, VariantRolloutUsesEachLayersEffectiveAttention)
{
    const int last = workspace->info().nLayers - 1;
    auto rollout = attentionRollout(*workspace, ids, "topk:k=3", last, RunOptions{});
    ASSERT_TRUE(rollout) << rollout.error().describe();
    EXPECT_EQ(rollout->variant, "topk:k=3");
    const Matrix expected = reference("topk:k=3", last);
    for (std::size_t i = 0; i < expected.size(); ++i) {
        EXPECT_NEAR(rollout->rollout[i], expected[i], 1e-5) << "cell " << i;
    }
    // It differs from dense: top-3 drops mass that dense spreads.
    auto dense = attentionRollout(*workspace, ids, "dense", last, RunOptions{});
    ASSERT_TRUE(dense);
    double difference = 0.0;
    for (std::size_t i = 0; i < expected.size(); ++i) {
        difference += std::abs(dense->rollout[i] - rollout->rollout[i]);
    }
    EXPECT_GT(difference, 1e-2);
}

TEST_F(WorkspaceRollout, BadLayerAndSpecAreErrors)
{
    EXPECT_FALSE(attentionRollout(*workspace, ids, "dense", 99, RunOptions{}));
    auto bad = attentionRollout(*workspace, ids, "topk:k=0", 0, RunOptions{});
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, ErrorCode::InvalidArgument);
}

} // namespace
} // namespace attnscope

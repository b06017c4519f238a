// nextTokenLoss (core/src/model/next_token_loss.h) against a float64 reference: logits x · headᵀ
// and their log-sum-exp in double. Our logits are f32 products (OpenBLAS or Eigen) and our exp the
// fused kernel's polynomial, so each row may differ by at most twice the f32 rounding bound of
// its largest logit's dot product, γ_n · Σ|x_i · w_i| with γ_n = n·u / (1 − n·u), plus 1e-6 for
// the exp (the LSE of positive terms each within a few ulp). Blocks of 256 columns (the smallest)
// up to the whole vocabulary, with and without a softcap, and targets on block edges.

#include "model/next_token_loss.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace attnscope {
namespace {

struct Problem {
    int rows = 0;
    int width = 0;
    int vocab = 0;
    std::vector<float> x;
    std::vector<float> head;
    std::vector<int> next;
};

Problem makeProblem(int rows, int width, int vocab, float spread, unsigned seed)
{
    Problem problem{rows, width, vocab, {}, {}, {}};
    std::mt19937 generator(seed);
    std::normal_distribution<float> normal(0.0f, spread);
    problem.x.resize(static_cast<std::size_t>(rows) * width);
    problem.head.resize(static_cast<std::size_t>(vocab) * width);
    for (float& value : problem.x) {
        value = normal(generator);
    }
    for (float& value : problem.head) {
        value = normal(generator);
    }
    std::uniform_int_distribution<int> token(0, vocab - 1);
    for (int row = 0; row < rows; ++row) {
        // Targets at the first and last column of 256-column blocks as well as anywhere.
        const int edges[] = {0, 255, 256, vocab - 1};
        problem.next.push_back(row < 4 ? edges[row] : token(generator));
    }
    return problem;
}

struct Reference {
    std::vector<double> loss;
    std::vector<double> bound;
};

Reference reference(const Problem& problem, float softcap)
{
    constexpr double kUnit = 1.0 / (1 << 24);
    const double gamma = problem.width * kUnit / (1.0 - problem.width * kUnit);
    Reference result;
    for (int row = 0; row < problem.rows; ++row) {
        std::vector<double> logits(static_cast<std::size_t>(problem.vocab));
        double worstDot = 0.0;
        for (int token = 0; token < problem.vocab; ++token) {
            double dot = 0.0;
            double magnitude = 0.0;
            for (int dim = 0; dim < problem.width; ++dim) {
                const double term = static_cast<double>(problem.x[static_cast<std::size_t>(row) * problem.width + dim]) *
                                    problem.head[static_cast<std::size_t>(token) * problem.width + dim];
                dot += term;
                magnitude += std::abs(term);
            }
            logits[static_cast<std::size_t>(token)] = softcap > 0.0f ? softcap * std::tanh(dot / softcap) : dot;
            worstDot = std::max(worstDot, magnitude);
        }
        const double top = *std::max_element(logits.begin(), logits.end());
        double sum = 0.0;
        for (const double logit : logits) {
            sum += std::exp(logit - top);
        }
        result.loss.push_back(top + std::log(sum) - logits[static_cast<std::size_t>(problem.next[static_cast<std::size_t>(row)])]);
        result.bound.push_back(2.0 * gamma * worstDot + 1e-6 * std::max(1.0, std::abs(top)));
    }
    return result;
}

TEST(NextTokenLoss, MatchesFloat64ForEveryBlockSize)
{
    for (const float softcap : {0.0f, 4.0f}) {
        SCOPED_TRACE("softcap " + std::to_string(softcap));
        const Problem problem = makeProblem(37, 48, 1000, 0.4f, 5u);
        Weight head;
        head.data = problem.head.data();
        head.rows = problem.vocab;
        head.cols = problem.width;
        const Reference expected = reference(problem, softcap);
        // 1 byte: the 256-column floor (four blocks, the last of 232); then 600 and all columns.
        for (const std::size_t blockBytes : {std::size_t{1}, std::size_t{600} * 4 * 37, std::size_t{1} << 30}) {
            SCOPED_TRACE("block bytes " + std::to_string(blockBytes));
            for (const int threads : {1, 2}) {
                const std::vector<double> loss =
                    nextTokenLoss(problem.x.data(), problem.rows, head, problem.next, softcap, threads, blockBytes);
                ASSERT_EQ(loss.size(), static_cast<std::size_t>(problem.rows));
                for (int row = 0; row < problem.rows; ++row) {
                    EXPECT_NEAR(loss[static_cast<std::size_t>(row)], expected.loss[static_cast<std::size_t>(row)],
                                expected.bound[static_cast<std::size_t>(row)])
                        << "row " << row << ", " << threads << " threads";
                }
            }
        }
    }
}

// Peaked rows (one logit far above the rest) and flat ones stay exact too: the online log-sum-exp
// must rescale the running sum when a later block holds the maximum.
TEST(NextTokenLoss, MaximumInALaterBlockRescalesTheRunningSum)
{
    Problem problem = makeProblem(6, 16, 700, 0.05f, 9u);
    // Token 650 (in the third 256-column block) dominates row 5's logits.
    for (int dim = 0; dim < problem.width; ++dim) {
        problem.head[static_cast<std::size_t>(650) * problem.width + dim] = 3.0f * problem.x[5 * 16 + dim] * 40.0f;
    }
    Weight head;
    head.data = problem.head.data();
    head.rows = problem.vocab;
    head.cols = problem.width;
    const Reference expected = reference(problem, 0.0f);
    const std::vector<double> loss = nextTokenLoss(problem.x.data(), problem.rows, head, problem.next, 0.0f, 1, 1);
    for (int row = 0; row < problem.rows; ++row) {
        EXPECT_NEAR(loss[static_cast<std::size_t>(row)], expected.loss[static_cast<std::size_t>(row)],
                    expected.bound[static_cast<std::size_t>(row)])
            << "row " << row;
    }
}

TEST(NextTokenLoss, NoRowsGiveNoLoss)
{
    const std::vector<float> weights(32, 1.0f);
    Weight head;
    head.data = weights.data();
    head.rows = 4;
    head.cols = 8;
    EXPECT_TRUE(nextTokenLoss(nullptr, 0, head, {}, 0.0f, 1).empty());
}

} // namespace
} // namespace attnscope

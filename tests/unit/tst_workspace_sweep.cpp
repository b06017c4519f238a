// sweepVariant against closed forms computed here from the dense matrix in double: top-k keeps the
// k largest probabilities of each row, a causal window the last w keys, so recall and density of
// every swept point follow from one dense head without running any variant code.

#include "attnscope/sweep.h"
#include "attnscope/workspace.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>

using namespace attnscope;

namespace {

constexpr int kLayer = 1;
constexpr int kHead = 3;

struct Reference {
    double density = 0.0;
    double recall = 0.0;
};

// keep(row, sortedRowDescending, rowProbabilities) → kept probability mass and kept count.
Reference closedForm(const HeadAttention& dense, const std::function<std::pair<double, int>(int, const std::vector<double>&)>& keep)
{
    const int n = dense.nTokens;
    double recall = 0.0;
    double kept = 0.0;
    double allowed = 0.0;
    for (int row = 0; row < n; ++row) {
        std::vector<double> probabilities(dense.attention.begin() + static_cast<std::ptrdiff_t>(row) * n,
                                          dense.attention.begin() + static_cast<std::ptrdiff_t>(row) * n + row + 1);
        const auto [mass, count] = keep(row, probabilities);
        recall += mass;
        kept += count;
        allowed += row + 1;  // causal: keys 0..row
    }
    return {kept / allowed, recall / n};
}

class WorkspaceSweep : public ::testing::Test {
protected:
    void SetUp() override
    {
        auto opened = Workspace::open(OpenOptions{ATTNSCOPE_SOURCE_DIR "/assets/models/demo"});
        ASSERT_TRUE(opened) << opened.error().describe();
        workspace = std::move(opened.value());
        auto tokens = workspace->tokenize("And God said, Let there be light: and there was light. And God saw the light, "
                                          "that it was good: and God divided the light from the darkness.");
        ASSERT_TRUE(tokens) << tokens.error().describe();
        ids = tokens->ids;
        ASSERT_GT(ids.size(), 20u);
        auto attention = workspace->headAttention(ids, kLayer, kHead, "dense", RunOptions{});
        ASSERT_TRUE(attention) << attention.error().describe();
        dense = attention.value();
    }

    /// A sweep of `variant` on the tested head.
    static SweepRequest onTheHead(const char* variant)
    {
        SweepRequest request;
        request.variant = variant;
        request.layers = {kLayer};
        request.heads = {kHead};
        return request;
    }

    std::unique_ptr<Workspace> workspace;
    std::vector<std::int32_t> ids;
    HeadAttention dense;
};

} // namespace

TEST_F(WorkspaceSweep, TopKPointsMatchTheSortedDenseRows)
{
    SweepRequest request = onTheHead("topk:k=4");
    request.points = 6;
    auto sweep = sweepVariant(*workspace, ids, request, RunOptions{});
    ASSERT_TRUE(sweep) << sweep.error().describe();
    EXPECT_EQ(sweep->param, "k");
    ASSERT_GE(sweep->points.size(), 4u);
    EXPECT_EQ(sweep->points.front().value, 1.0);
    EXPECT_EQ(sweep->points.back().value, static_cast<double>(ids.size()));  // up to N: dense
    double previousRecall = 0.0;
    for (const SweepPoint& point : sweep->points) {
        const int k = static_cast<int>(point.value);
        EXPECT_EQ(point.variant, "topk:k=" + std::to_string(k));
        const Reference reference = closedForm(dense, [k](int, std::vector<double> row) {
            std::sort(row.begin(), row.end(), std::greater<>());
            const int count = std::min<int>(k, static_cast<int>(row.size()));
            double mass = 0.0;
            for (int i = 0; i < count; ++i) {
                mass += row[static_cast<std::size_t>(i)];
            }
            return std::pair{mass, count};
        });
        EXPECT_NEAR(point.mean.density, reference.density, 1e-9) << point.variant;
        EXPECT_NEAR(point.mean.recall, reference.recall, 1e-5) << point.variant;
        EXPECT_GE(point.mean.recall, previousRecall - 1e-9) << "recall grows with k";
        previousRecall = point.mean.recall;
    }
    EXPECT_LT(sweep->points.front().mean.recall, 0.99);  // the sweep spans a real range
    EXPECT_NEAR(sweep->points.back().mean.density, 1.0, 1e-12);
    EXPECT_NEAR(sweep->points.back().mean.recall, 1.0, 1e-5);
}

TEST_F(WorkspaceSweep, ExplicitWindowValuesMatchTheLastKeysOfEachRow)
{
    SweepRequest request = onTheHead("window");
    request.values = {1, 3, 8};
    auto sweep = sweepVariant(*workspace, ids, request, RunOptions{});
    ASSERT_TRUE(sweep) << sweep.error().describe();
    EXPECT_EQ(sweep->param, "w");
    ASSERT_EQ(sweep->points.size(), 3u);
    for (const SweepPoint& point : sweep->points) {
        const int w = static_cast<int>(point.value);
        const Reference reference = closedForm(dense, [w](int row, const std::vector<double>& probabilities) {
            double mass = 0.0;
            int count = 0;
            for (int key = std::max(0, row - w + 1); key <= row; ++key) {
                mass += probabilities[static_cast<std::size_t>(key)];
                ++count;
            }
            return std::pair{mass, count};
        });
        EXPECT_NEAR(point.mean.density, reference.density, 1e-9) << point.variant;
        EXPECT_NEAR(point.mean.recall, reference.recall, 1e-5) << point.variant;
    }
}

TEST(SweepValues, BudgetsAndRangesFollowTheRegistry)
{
    EXPECT_EQ(sweepParameter(VariantSpec{"sbm", {}}), "density");
    EXPECT_EQ(sweepParameter(VariantSpec{"threshold", {{"by", "prob"}}}), "prob");
    EXPECT_EQ(sweepParameter(VariantSpec{"dense", {}}), "");
    EXPECT_EQ(sweepParameter(VariantSpec{"fast", {}}), "");
    auto fractions = sweepValues(VariantSpec{"random", {}}, "density", 100, 7);
    ASSERT_TRUE(fractions);
    ASSERT_EQ(fractions->size(), 7u);
    EXPECT_NEAR(fractions->front(), 1.0 / 64.0, 1e-12);
    EXPECT_NEAR(fractions->back(), 1.0, 1e-12);
    EXPECT_TRUE(std::is_sorted(fractions->begin(), fractions->end()));
    auto integers = sweepValues(VariantSpec{"window", {}}, "w", 10, 8);
    ASSERT_TRUE(integers);
    EXPECT_EQ(integers->back(), 10.0);  // clamped to the text
    EXPECT_TRUE(std::adjacent_find(integers->begin(), integers->end()) == integers->end()) << "no repeated budgets";
    EXPECT_FALSE(sweepValues(VariantSpec{"window", {}}, "mode", 10, 8));
    EXPECT_FALSE(sweepValues(VariantSpec{"window", {}}, "w", 10, 1));
}

TEST_F(WorkspaceSweep, BadRequestsAreErrorsNamingTheProblem)
{
    SweepRequest request;
    request.variant = "dense";
    auto noBudget = sweepVariant(*workspace, ids, request, RunOptions{});
    ASSERT_FALSE(noBudget);
    EXPECT_NE(noBudget.error().message.find("no budget"), std::string::npos);
    request.variant = "topk";
    request.values = {0};
    auto outOfRange = sweepVariant(*workspace, ids, request, RunOptions{});
    ASSERT_FALSE(outOfRange);
    EXPECT_EQ(outOfRange.error().code, ErrorCode::InvalidArgument);
}

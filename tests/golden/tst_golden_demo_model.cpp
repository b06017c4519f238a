// The embedded demo model (assets/models/demo, trained by tools/train_demo_model.py):
// - `attnscope eval` reproduces the held-out loss the training script measured (eval.json),
//   within 1e-3 relative;
// - its attention is worth looking at: on a text with repeated passages the strongest
//   previous-token head and the strongest induction head each score far (10x) above what a head spreading its attention uniformly over the visible keys scores
//   with the same definitions (core's scoreHead, also what `attnscope summary` prints).

#include "attnscope/head_scores.h"
#include "attnscope/workspace.h"
#include "io/mapped_file.h"

#include <cmath>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace attnscope {
namespace {

const std::string kDemo = ATTNSCOPE_SOURCE_DIR "/assets/models/demo";
const std::string kSamples = ATTNSCOPE_SOURCE_DIR "/assets/samples";

std::unique_ptr<Workspace> openDemo()
{
    auto workspace = Workspace::open({"demo"});
    EXPECT_TRUE(workspace.ok()) << workspace.error().describe();
    return workspace.ok() ? std::move(workspace.value()) : nullptr;
}

TEST(DemoModel, ResolvesAsDemoAndIsSmallLlama)
{
    auto workspace = openDemo();
    ASSERT_NE(workspace, nullptr);
    const ModelInfo& info = workspace->info();
    EXPECT_EQ(info.architecture, "llama");
    EXPECT_GE(info.nLayers, 4);
    EXPECT_GE(info.nHeads, 4);
    EXPECT_GE(info.headDim, 16);
    EXPECT_GE(info.maxPositions, 512);
    EXPECT_LE(info.fileBytes, 8u << 20);
    EXPECT_EQ(info.tokenizerKind, "bpe-bytelevel");
}

TEST(DemoModel, EvalReproducesTheTrainingScriptsHeldOutLoss)
{
    auto workspace = openDemo();
    ASSERT_NE(workspace, nullptr);
    auto evalJson = readTextFile(kDemo + "/eval.json");
    ASSERT_TRUE(evalJson.ok()) << evalJson.error().describe();
    const nlohmann::json expected = nlohmann::json::parse(evalJson.value());
    auto heldOut = readTextFile(kDemo + "/heldout.txt");
    ASSERT_TRUE(heldOut.ok()) << heldOut.error().describe();
    auto tokens = workspace->tokenize(heldOut.value());
    ASSERT_TRUE(tokens.ok()) << tokens.error().describe();
    EXPECT_EQ(static_cast<std::int64_t>(tokens->ids.size()), expected["tokens"].get<std::int64_t>());
    auto result = workspace->evaluate(tokens->ids, "dense", {});
    ASSERT_TRUE(result.ok()) << result.error().describe();
    const double expectedLoss = expected["loss"].get<double>();
    EXPECT_NEAR(result->loss, expectedLoss, 1e-3 * expectedLoss);
    EXPECT_NEAR(result->perplexity, expected["perplexity"].get<double>(), 1e-3 * expected["perplexity"].get<double>());
}

TEST(DemoModel, HasPreviousTokenInductionAndSinkHeadsFarAboveChance)
{
    auto workspace = openDemo();
    ASSERT_NE(workspace, nullptr);
    auto text = readTextFile(kSamples + "/induction.txt");
    ASSERT_TRUE(text.ok()) << text.error().describe();
    auto tokens = workspace->tokenize(text.value());
    ASSERT_TRUE(tokens.ok()) << tokens.error().describe();
    auto ids = tokens->ids;
    if (ids.size() > static_cast<std::size_t>(workspace->info().maxPositions)) {
        ids.resize(static_cast<std::size_t>(workspace->info().maxPositions));
    }
    auto scores = workspace->headScores(ids, {});
    ASSERT_TRUE(scores.ok()) << scores.error().describe();

    // What a head that spreads its attention uniformly over the visible keys would score.
    const int nTokens = static_cast<int>(ids.size());
    std::vector<float> uniform(static_cast<std::size_t>(nTokens) * nTokens, 0.0f);
    for (int query = 0; query < nTokens; ++query) {
        for (int key = 0; key <= query; ++key) {
            uniform[static_cast<std::size_t>(query) * nTokens + key] = 1.0f / (query + 1);
        }
    }
    const HeadScores chance = scoreHead(uniform, ids, true);
    ASSERT_GT(chance.inductionRows, 50) << "the sample must repeat passages";

    double bestPrevious = 0.0;
    double bestInduction = 0.0;
    for (const auto& layer : scores.value()) {
        for (const HeadScores& head : layer) {
            bestPrevious = std::max(bestPrevious, head.previousToken);
            bestInduction = std::max(bestInduction, head.induction);
        }
    }
    EXPECT_GT(bestPrevious, 10.0 * chance.previousToken);
    EXPECT_GT(bestInduction, 10.0 * chance.induction);
}

} // namespace
} // namespace attnscope

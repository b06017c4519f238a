// The CLI end to end on the real stories260K model, against the float64 reference values in
// ../shared/models/stories260K/reference_stories260K.json.

#include "test_support/cli_runner.h"

#include <cmath>
#include <fstream>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace attnscope {
namespace {

using Json = nlohmann::json;

const std::string kModel = ATTNSCOPE_SHARED_MODELS "/stories260K/hf";

Json reference()
{
    std::ifstream stream(ATTNSCOPE_SHARED_MODELS "/stories260K/reference_stories260K.json");
    return Json::parse(stream);
}

TEST(CliStories260k, TokenizeMatchesTheReferenceIds)
{
    const Json expected = reference();
    const CliRun run = runCli({"tokenize", kModel, "--text", expected["prompt"].get<std::string>(), "--json"});
    ASSERT_EQ(run.exitCode, 0) << run.err;
    const Json output = Json::parse(run.out);
    EXPECT_EQ(output["ids"], expected["prompt_token_ids"]);
    EXPECT_EQ(output["tokens"].size(), output["ids"].size());
}

TEST(CliStories260k, AttentionOfEveryHeadMatchesTheReference)
{
    const Json expected = reference();
    const double tolerance = expected["suggested_tolerance_float32"].get<double>();
    const std::string prompt = expected["prompt"].get<std::string>();
    for (int layer = 0; layer < 5; ++layer) {
        for (int head = 0; head < 8; head += 3) {
            const CliRun run = runCli({"attention", kModel, "--text", prompt, "--layer", std::to_string(layer), "--head",
                                       std::to_string(head)});
            ASSERT_EQ(run.exitCode, 0) << run.err;
            const Json output = Json::parse(run.out);
            EXPECT_EQ(output["layer"], layer);
            EXPECT_EQ(output["head"], head);
            EXPECT_EQ(output["variant"], "dense");
            const Json& rows = output["attention"];
            const Json& expectedRows = expected["attention"][layer][head];
            ASSERT_EQ(rows.size(), expectedRows.size());
            double worst = 0.0;
            for (std::size_t query = 0; query < rows.size(); ++query) {
                ASSERT_EQ(rows[query].size(), rows.size());
                for (std::size_t key = 0; key < rows.size(); ++key) {
                    const double want = key <= query ? expectedRows[query][key].get<double>() : 0.0;
                    worst = std::max(worst, std::abs(rows[query][key].get<double>() - want));
                }
            }
            EXPECT_LT(worst, tolerance) << "layer " << layer << " head " << head;
        }
    }
}

TEST(CliStories260k, AttentionAsNpyAndCsv)
{
    TempDir dir;
    const std::string npy = dir.path() + "/head.npy";
    CliRun run = runCli({"attention", kModel, "--ids", "1,403,407,261", "--layer", "1", "--head", "2", "--format",
                         "npy", "--out", npy});
    ASSERT_EQ(run.exitCode, 0) << run.err;
    std::ifstream stream(npy, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(stream)), std::istreambuf_iterator<char>());
    ASSERT_GE(bytes.size(), 128u + 16 * 4);
    EXPECT_EQ(bytes.substr(1, 5), "NUMPY");
    EXPECT_NE(bytes.find("'shape': (4, 4)"), std::string::npos);

    run = runCli({"attention", kModel, "--ids", "1,403,407,261", "--layer", "1", "--head", "2", "--format", "csv"});
    ASSERT_EQ(run.exitCode, 0) << run.err;
    EXPECT_EQ(std::count(run.out.begin(), run.out.end(), '\n'), 5);
}

TEST(CliStories260k, InfoDescribesTheModel)
{
    const CliRun run = runCli({"info", kModel, "--json"});
    ASSERT_EQ(run.exitCode, 0) << run.err;
    const Json output = Json::parse(run.out);
    EXPECT_EQ(output["architecture"], "llama");
    EXPECT_EQ(output["layers"], 5);
    EXPECT_EQ(output["heads"], 8);
    EXPECT_EQ(output["kv_heads"], 4);
    EXPECT_EQ(output["head_dim"], 8);
    EXPECT_EQ(output["parameters"], 260032);
}

TEST(CliStories260k, EvalReportsLossAndPerplexity)
{
    const Json expected = reference();
    const CliRun run = runCli({"eval", kModel, "--text", expected["prompt"].get<std::string>(), "--json"});
    ASSERT_EQ(run.exitCode, 0) << run.err;
    const Json output = Json::parse(run.out);
    EXPECT_EQ(output["tokens"], 16);
    EXPECT_EQ(output["predicted"], 15);
    EXPECT_GT(output["loss"].get<double>(), 0.0);
    EXPECT_NEAR(output["perplexity"].get<double>(), std::exp(output["loss"].get<double>()), 1e-4);
}

} // namespace
} // namespace attnscope

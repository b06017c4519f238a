// `attnscope compare` and `attention --variant` on the real stories260K model: the JSON contract
// of docs/cli.md, identities that must hold exactly, and bad parameters.

#include "test_support/cli_runner.h"

#include <cmath>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace attnscope {
namespace {

using Json = nlohmann::json;

const std::string kModel = ATTNSCOPE_SHARED_MODELS "/stories260K/hf";
const std::string kText = "Once upon a time, there was a little girl named Lily. She loved to play outside.";

TEST(CliCompare, TopkWithKAboveTheRowLengthIsDense)
{
    const CliRun run = runCli({"compare", kModel, "--text", kText, "--variant", "topk:k=1000000", "--json"});
    ASSERT_EQ(run.exitCode, 0) << run.err;
    const Json output = Json::parse(run.out);
    const Json& variant = output["variants"][0];
    EXPECT_EQ(variant["variant"], "topk:k=1000000");
    ASSERT_EQ(variant["layers"].size(), 5u);
    for (const Json& layer : variant["layers"]) {
        ASSERT_EQ(layer["heads"].size(), 8u);
        for (const Json& head : layer["heads"]) {
            EXPECT_DOUBLE_EQ(head["density"].get<double>(), 1.0);
            EXPECT_NEAR(head["recall"].get<double>(), 1.0, 1e-6);
            EXPECT_NEAR(head["kl"].get<double>(), 0.0, 1e-6);
            EXPECT_NEAR(head["tv"].get<double>(), 0.0, 1e-6);
            EXPECT_LT(head["output_error"].get<double>(), 1e-5);
        }
    }
    EXPECT_NEAR(variant["perplexity"].get<double>(), output["dense_perplexity"].get<double>(), 1e-4);
}

TEST(CliCompare, SparserVariantsLoseMassAndTheOracleBeatsTheRandomControl)
{
    const CliRun run = runCli({"compare", kModel, "--text", kText, "--variant", "topk:k=3", "--controls", "--json"});
    ASSERT_EQ(run.exitCode, 0) << run.err;
    const Json output = Json::parse(run.out);
    ASSERT_EQ(output["variants"].size(), 2u);
    const Json& topk = output["variants"][0]["mean"];
    const Json& control = output["variants"][1]["mean"];
    EXPECT_EQ(output["variants"][1]["variant"], "random~topk:k=3");
    EXPECT_NEAR(topk["density"].get<double>(), control["density"].get<double>(), 1e-9);
    EXPECT_LT(topk["density"].get<double>(), 0.5);
    EXPECT_GT(topk["recall"].get<double>(), control["recall"].get<double>() + 0.1);
    // KL of a mask on exact scores is -log(recall) per row, so it cannot be below -log(mean recall)
    // (Jensen): a check that ties the two metrics together.
    EXPECT_GE(topk["kl"].get<double>() + 1e-9, -std::log(topk["recall"].get<double>()));
}

TEST(CliCompare, EffectiveAttentionRowsSumToOne)
{
    const CliRun run = runCli({"attention", kModel, "--text", kText, "--layer", "2", "--head", "5", "--variant",
                               "window:w=3"});
    ASSERT_EQ(run.exitCode, 0) << run.err;
    const Json output = Json::parse(run.out);
    EXPECT_EQ(output["variant"], "window:w=3");
    const Json& rows = output["attention"];
    for (std::size_t query = 0; query < rows.size(); ++query) {
        double sum = 0.0;
        for (std::size_t key = 0; key < rows.size(); ++key) {
            const double weight = rows[query][key].get<double>();
            if (key + 3 <= query || key > query) {
                EXPECT_EQ(weight, 0.0) << query << "," << key;
            }
            sum += weight;
        }
        EXPECT_NEAR(sum, 1.0, 1e-5);
    }
}

TEST(CliCompare, BadParametersNameTheParameterAndItsRange)
{
    CliRun run = runCli({"compare", kModel, "--text", kText, "--variant", "topk:k=0"});
    EXPECT_EQ(run.exitCode, 2);
    EXPECT_NE(run.err.find("k"), std::string::npos) << run.err;
    run = runCli({"compare", kModel, "--text", kText, "--variant", "random:density=1.5"});
    EXPECT_EQ(run.exitCode, 2);
    EXPECT_NE(run.err.find("density"), std::string::npos) << run.err;
    run = runCli({"compare", kModel, "--text", kText, "--variant", "nonsense"});
    EXPECT_EQ(run.exitCode, 2);
    EXPECT_NE(run.err.find("nonsense"), std::string::npos) << run.err;
    run = runCli({"compare", kModel, "--text", kText, "--variant", "sbm:clusters=1000"});
    EXPECT_EQ(run.exitCode, 2);
    EXPECT_NE(run.err.find("clusters"), std::string::npos) << run.err;
    run = runCli({"compare", kModel, "--text", kText, "--variant", "topk:k=2", "--layers", "9"});
    EXPECT_EQ(run.exitCode, 2);
    EXPECT_NE(run.err.find("--layers"), std::string::npos) << run.err;
}

} // namespace
} // namespace attnscope

// `attnscope compare` and `attention --variant` on the real stories260K model: the JSON contract
// of docs/cli.md, identities that must hold exactly, and bad parameters.

#include "test_support/cli_runner.h"

#include <cmath>
#include <sstream>
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

TEST(CliCompare, AttentionGivesTheMaskBesideTheWeights)
{
    // window:w=3 keeps exactly keys (q - 3, q] of a causal model; dense keeps every allowed pair.
    const CliRun run = runCli({"attention", kModel, "--text", kText, "--layer", "1", "--head", "2", "--variant",
                               "window:w=3"});
    ASSERT_EQ(run.exitCode, 0) << run.err;
    const Json output = Json::parse(run.out);
    const Json& mask = output["mask"];
    const Json& weights = output["attention"];
    ASSERT_EQ(mask.size(), weights.size());
    ASSERT_GT(mask.size(), 10u);
    for (std::size_t query = 0; query < mask.size(); ++query) {
        ASSERT_EQ(mask[query].size(), mask.size());
        for (std::size_t key = 0; key < mask.size(); ++key) {
            const int kept = mask[query][key].get<int>();
            EXPECT_EQ(kept, key <= query && key + 3 > query ? 1 : 0) << query << "," << key;
            if (kept == 0) {
                EXPECT_EQ(weights[query][key].get<double>(), 0.0) << query << "," << key;
            }
        }
    }
    const CliRun dense = runCli({"attention", kModel, "--text", kText, "--layer", "1", "--head", "2"});
    ASSERT_EQ(dense.exitCode, 0) << dense.err;
    const Json denseMask = Json::parse(dense.out)["mask"];
    for (std::size_t query = 0; query < denseMask.size(); ++query) {
        for (std::size_t key = 0; key < denseMask.size(); ++key) {
            EXPECT_EQ(denseMask[query][key].get<int>(), key <= query ? 1 : 0) << query << "," << key;
        }
    }
    // --format csv --mask: the same 0/1 rows after the header row and each row's query token.
    const CliRun csv = runCli({"attention", kModel, "--text", kText, "--layer", "1", "--head", "2", "--variant",
                               "window:w=3", "--format", "csv", "--mask"});
    ASSERT_EQ(csv.exitCode, 0) << csv.err;
    std::istringstream lines(csv.out);
    std::string line;
    std::getline(lines, line);  // header: the key tokens
    std::size_t query = 0;
    while (std::getline(lines, line)) {
        const std::string values = line.substr(line.rfind('"') + 1);  // after the quoted query token
        std::string expected;
        for (std::size_t key = 0; key < mask.size(); ++key) {
            expected += key <= query && key + 3 > query ? ",1" : ",0";
        }
        EXPECT_EQ(values, expected) << "row " << query;
        ++query;
    }
    EXPECT_EQ(query, mask.size());
}

TEST(CliCompare, ReplaceLayersPutsTheVariantInThoseLayersOnly)
{
    // Listing every layer is the default; one layer gives another loss; the JSON says which.
    const CliRun all = runCli({"eval", kModel, "--text", kText, "--variant", "window:w=2", "--json"});
    ASSERT_EQ(all.exitCode, 0) << all.err;
    const Json everywhere = Json::parse(all.out);
    EXPECT_EQ(everywhere["replaced_layers"], "all");
    const CliRun listed =
        runCli({"eval", kModel, "--text", kText, "--variant", "window:w=2", "--replace-layers", "0-4", "--json"});
    ASSERT_EQ(listed.exitCode, 0) << listed.err;
    EXPECT_EQ(Json::parse(listed.out)["loss"], everywhere["loss"]);
    const CliRun one =
        runCli({"eval", kModel, "--text", kText, "--variant", "window:w=2", "--replace-layers", "3", "--json"});
    ASSERT_EQ(one.exitCode, 0) << one.err;
    const Json single = Json::parse(one.out);
    EXPECT_EQ(single["replaced_layers"], Json::array({3}));
    EXPECT_NE(single["loss"], everywhere["loss"]);
    const CliRun compared = runCli({"compare", kModel, "--text", kText, "--variant", "window:w=2", "--layers", "0",
                                    "--replace-layers", "3", "--json"});
    ASSERT_EQ(compared.exitCode, 0) << compared.err;
    const Json comparison = Json::parse(compared.out);
    EXPECT_EQ(comparison["replaced_layers"], Json::array({3}));
    EXPECT_NEAR(comparison["variants"][0]["perplexity"].get<double>(), single["perplexity"].get<double>(), 1e-6);
    const CliRun outside = runCli({"eval", kModel, "--text", kText, "--variant", "window:w=2", "--replace-layers", "5"});
    EXPECT_EQ(outside.exitCode, 2);
    EXPECT_NE(outside.err.find("--replace-layers"), std::string::npos) << outside.err;
    const CliRun withoutVariant = runCli({"eval", kModel, "--text", kText, "--replace-layers", "1"});
    EXPECT_EQ(withoutVariant.exitCode, 2);
    EXPECT_NE(withoutVariant.err.find("needs a --variant"), std::string::npos) << withoutVariant.err;
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

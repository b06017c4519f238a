// The demo model through the CLI: `demo` resolves wherever the binary runs from the build tree,
// and `attnscope` with no arguments and no display prints the head summary of the demo model.

#include "test_support/cli_runner.h"

#include <cstdlib>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace attnscope {
namespace {

TEST(CliDemo, InfoResolvesTheDemoModel)
{
    const CliRun run = runCli({"info", "demo", "--json"});
    ASSERT_EQ(run.exitCode, 0) << run.err;
    const nlohmann::json info = nlohmann::json::parse(run.out);
    EXPECT_EQ(info["name"], "demo");
    EXPECT_EQ(info["architecture"], "llama");
    EXPECT_EQ(info["tokenizer"], "bpe-bytelevel");
}

TEST(CliDemo, NoArgumentsWithoutADisplayPrintsTheHeadSummary)
{
    TempDir dir;
    const std::string out = dir.path() + "/summary.txt";
    const std::string command = std::string("env -u DISPLAY -u WAYLAND_DISPLAY ") + shellQuoted(ATTNSCOPE_CLI_BINARY) +
                                " > " + shellQuoted(out) + " 2>&1";
    ASSERT_EQ(std::system(command.c_str()), 0);
    std::ifstream stream(out);
    const std::string text((std::istreambuf_iterator<char>(stream)), std::istreambuf_iterator<char>());
    EXPECT_NE(text.find("most notable heads"), std::string::npos) << text;
    EXPECT_NE(text.find("demo"), std::string::npos) << text;
}

TEST(CliDemo, SummaryJsonHasEveryHead)
{
    const CliRun run = runCli({"summary", "demo", "--text", "In the beginning God created the heaven and the earth.", "--json"});
    ASSERT_EQ(run.exitCode, 0) << run.err;
    const nlohmann::json summary = nlohmann::json::parse(run.out);
    const nlohmann::json info = nlohmann::json::parse(runCli({"info", "demo", "--json"}).out);
    EXPECT_EQ(summary["heads"].size(), info["layers"].get<std::size_t>() * info["heads"].get<std::size_t>());
}

} // namespace
} // namespace attnscope

// Saved workspaces: saved → loaded → saved is byte-identical, every field survives, and malformed
// files are FormatInvalid errors naming the problem (never a crash: parseWorkspaceJson is the
// fuzzing entry point).

#include "attnscope/workspace_file.h"
#include "test_support/read_file.h"
#include "test_support/temp_dir.h"

#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <sstream>

namespace attnscope {
namespace {

WorkspaceState sampleState()
{
    WorkspaceState state;
    state.modelPath = "/models/stories260K/hf";
    state.text = "In the beginning \"God\" created\nthe heaven\tand the earth. \xC3\xA9\xE2\x86\xB5 \\ end";
    state.layer = 3;
    state.head = 5;
    state.variants = {"topk:k=16", "sbm:clusters=8,density=0.1,seed=1", "window:w=64"};
    state.activeVariant = 1;
    state.view = {{"colour_scale", "log"}, {"colormap", "cividis"}, {"tab", "graph"}};
    return state;
}

TEST(WorkspaceFile, SavedLoadedSavedIsByteIdentical)
{
    TempDir dir;
    const WorkspaceState state = sampleState();
    ASSERT_TRUE(saveWorkspaceFile(dir.path() + "/first.attnscope.json", state).ok());
    auto loaded = loadWorkspaceFile(dir.path() + "/first.attnscope.json");
    ASSERT_TRUE(loaded.ok()) << loaded.error().describe();
    EXPECT_EQ(loaded.value(), state);
    ASSERT_TRUE(saveWorkspaceFile(dir.path() + "/second.attnscope.json", loaded.value()).ok());
    const std::string first = readFileBytes(dir.path() + "/first.attnscope.json");
    EXPECT_EQ(first, readFileBytes(dir.path() + "/second.attnscope.json"));
    EXPECT_EQ(first.back(), '\n');
    EXPECT_EQ(first.rfind("{\n  \"format\": \"attnscope-workspace\",\n  \"version\": 1,\n", 0), 0u) << first;
}

TEST(WorkspaceFile, EmptyStateRoundTrips)
{
    const WorkspaceState empty;
    auto parsed = parseWorkspaceJson(serializeWorkspaceJson(empty));
    ASSERT_TRUE(parsed.ok()) << parsed.error().describe();
    EXPECT_EQ(parsed.value(), empty);
    EXPECT_EQ(serializeWorkspaceJson(parsed.value()), serializeWorkspaceJson(empty));
}

TEST(WorkspaceFile, MalformedFilesNameTheProblem)
{
    const std::string good = serializeWorkspaceJson(sampleState());
    auto replaced = [&](const std::string& from, const std::string& to) {
        std::string text = good;
        const std::size_t at = text.find(from);
        EXPECT_NE(at, std::string::npos) << from;
        return text.replace(at, from.size(), to);
    };
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"{", "JSON"},
        {"[]", "not an object"},
        {replaced("attnscope-workspace", "something-else"), "format"},
        {replaced("\"version\": 1", "\"version\": 2"), "version 2"},
        {replaced("\"layer\": 3", "\"layer\": -3"), "\"layer\""},
        {replaced("\"head\": 5", "\"head\": \"5\""), "\"head\""},
        {replaced("\"topk:k=16\"", "\"topk:k=banana\""), "topk:k=banana"},
        {replaced("\"topk:k=16\"", "16"), "non-string"},
        {replaced("\"active_variant\": 1", "\"active_variant\": 7"), "active_variant"},
        {replaced("\"tab\": \"graph\"", "\"tab\": 2"), "tab"},
        {replaced("\"model\"", "\"modle\""), "\"model\""},
    };
    for (const auto& [text, mention] : cases) {
        auto parsed = parseWorkspaceJson(text);
        ASSERT_FALSE(parsed.ok()) << text;
        EXPECT_EQ(parsed.error().code, ErrorCode::FormatInvalid);
        EXPECT_NE(parsed.error().message.find(mention), std::string::npos) << parsed.error().message;
    }
}

TEST(WorkspaceFile, LoadErrorsNameTheFile)
{
    TempDir dir;
    const auto missing = loadWorkspaceFile(dir.path() + "/absent.json");
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().code, ErrorCode::FileNotFound);
    const std::string broken = dir.write("broken.json", "{\"format\": 1}");
    const auto invalid = loadWorkspaceFile(broken);
    ASSERT_FALSE(invalid.ok());
    EXPECT_EQ(invalid.error().code, ErrorCode::FormatInvalid);
    EXPECT_NE(invalid.error().describe().find(broken), std::string::npos);
}

TEST(WorkspaceFile, MutatedBytesAreErrorsOrValidStatesNeverCrashes)
{
    const std::string good = serializeWorkspaceJson(sampleState());
    std::mt19937 random(17);
    int accepted = 0;
    for (int trial = 0; trial < 3000; ++trial) {
        std::string text = good;
        const int edits = 1 + static_cast<int>(random() % 4);
        for (int edit = 0; edit < edits; ++edit) {
            const std::size_t at = random() % text.size();
            switch (random() % 3) {
            case 0: text[at] = static_cast<char>(random() % 256); break;
            case 1: text.erase(at, 1 + random() % 8); break;
            default: text.insert(at, 1, "{}[]\",:0-e\\"[random() % 11]); break;
            }
            if (text.empty()) {
                text = "x";
            }
        }
        auto parsed = parseWorkspaceJson(text);
        if (parsed.ok()) {
            ++accepted;
            // Whatever parses must round-trip through the canonical text.
            auto again = parseWorkspaceJson(serializeWorkspaceJson(parsed.value()));
            ASSERT_TRUE(again.ok());
            EXPECT_EQ(again.value(), parsed.value());
        } else {
            EXPECT_EQ(parsed.error().code, ErrorCode::FormatInvalid);
        }
    }
    EXPECT_GT(accepted, 0);  // some edits land inside the text and stay valid
}

} // namespace
} // namespace attnscope

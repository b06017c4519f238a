// The CLI side of the bad-input matrix (issue #10; tst_bad_input_matrix.cpp is the core side): each
// broken input ends the process with the documented non-zero exit code and exactly one line on
// stderr that names the file or the problem, and nothing on stdout.

#include "test_support/cli_runner.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>

namespace attnscope {
namespace {

namespace fs = std::filesystem;

const std::string kLlamaTiny = ATTNSCOPE_TEST_DATA "/models/llama_tiny";

std::string copyModel(const TempDir& dir, const std::string& name)
{
    const fs::path target = fs::path(dir.path()) / fs::u8path(name);
    fs::create_directories(target);
    for (const char* file : {"config.json", "model.safetensors"}) {
        fs::copy_file(fs::path(kLlamaTiny) / file, target / file);
    }
    return target.string();
}

void expectOneLineError(const CliRun& run, int exitCode, const std::vector<std::string>& mentions)
{
    EXPECT_EQ(run.exitCode, exitCode) << run.err;
    EXPECT_TRUE(run.out.empty()) << run.out;
    ASSERT_FALSE(run.err.empty());
    EXPECT_EQ(run.err.find('\n'), run.err.size() - 1) << "not one line: " << run.err;
    EXPECT_EQ(run.err.rfind("attnscope: error: ", 0), 0u) << run.err;
    for (const std::string& mention : mentions) {
        EXPECT_NE(run.err.find(mention), std::string::npos) << "missing \"" << mention << "\" in: " << run.err;
    }
}

TEST(CliBadInput, WeightsFileIsADirectory)
{
    TempDir dir;
    const std::string model = dir.path() + "/model";
    fs::create_directories(model + "/model.safetensors");
    fs::copy_file(kLlamaTiny + "/config.json", model + "/config.json");
    expectOneLineError(runCli({"info", model}), 3, {"model.safetensors", "not a regular file"});
}

TEST(CliBadInput, EmptyGguf)
{
    TempDir dir;
    expectOneLineError(runCli({"info", dir.write("empty.gguf", "")}), 3, {"empty.gguf"});
}

TEST(CliBadInput, EmptyConfig)
{
    TempDir dir;
    const std::string model = copyModel(dir, "model");
    std::ofstream(model + "/config.json", std::ios::trunc).flush();
    expectOneLineError(runCli({"info", model}), 3, {"config.json"});
}

TEST(CliBadInput, NaNWeightsStopTheComputation)
{
    TempDir dir;
    const std::string model = copyModel(dir, "model");
    // The file ends with layer 1's v_proj (2048 bytes) and then model.norm (64 bytes); every byte
    // of v_proj becomes 0xFF, a bf16 NaN.
    const std::string path = model + "/model.safetensors";
    const auto size = fs::file_size(path);
    std::fstream file(path, std::ios::binary | std::ios::in | std::ios::out);
    file.seekp(static_cast<std::streamoff>(size - 64 - 2048));
    const std::string nans(2048, '\xff');
    file.write(nans.data(), static_cast<std::streamsize>(nans.size()));
    file.close();
    expectOneLineError(runCli({"attention", model, "--ids", "1,5,9", "--layer", "1", "--head", "0"}), 3,
                       {"model.layers.1.self_attn.v_proj.weight", "NaN"});
}

TEST(CliBadInput, MemoryRefusalExitsWithCode5)
{
    // demo: 8192 bytes per token of activations + 9 N² bytes of head matrices; about 240 tokens
    // need about 2.4 MiB, over a 1 MiB limit (and within the 512-token context).
    ::setenv("ATTNSCOPE_MEMORY_LIMIT_MB", "1", 1);
    std::string text;
    for (int repeat = 0; repeat < 20; ++repeat) {
        text += "Once upon a time there was a cat. ";
    }
    const CliRun run = runCli({"attention", "demo", "--text", text, "--layer", "0", "--head", "0"});
    ::unsetenv("ATTNSCOPE_MEMORY_LIMIT_MB");
    expectOneLineError(run, 5, {"demo", "needs about", "1.0 MiB is available", "shorten the text"});
}

TEST(CliBadInput, EvalMemoryRefusalExitsWithCode5)
{
    // eval scores 512-token windows; the demo model's vocabulary makes even a 240-token window's
    // logits and pass exceed 1 MiB.
    ::setenv("ATTNSCOPE_MEMORY_LIMIT_MB", "1", 1);
    std::string text;
    for (int repeat = 0; repeat < 20; ++repeat) {
        text += "Once upon a time there was a cat. ";
    }
    const CliRun run = runCli({"eval", "demo", "--text", text});
    ::unsetenv("ATTNSCOPE_MEMORY_LIMIT_MB");
    expectOneLineError(run, 5, {"demo", "scoring", "tokens (in windows of up to 512) needs about",
                                "1.0 MiB is available", "shorten the text"});
}

TEST(CliBadInput, NonAsciiPathsWorkAndAreNamedInErrors)
{
    TempDir dir;
    const std::string good = copyModel(dir, "modèle 日本語");
    const CliRun info = runCli({"info", good});
    EXPECT_EQ(info.exitCode, 0) << info.err;
    EXPECT_NE(info.out.find("llama"), std::string::npos) << info.out;

    const std::string broken = copyModel(dir, "cassé ü");
    std::ofstream(broken + "/model.safetensors", std::ios::trunc) << "garbage";
    expectOneLineError(runCli({"info", broken}), 3, {"cassé ü/model.safetensors"});
}

} // namespace
} // namespace attnscope

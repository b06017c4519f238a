// Bad input through the CLI: a clear one-line message naming the file or the parameter, the
// documented exit code, and no partial output file.

#include "test_support/cli_runner.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>

namespace attnscope {
namespace {

const std::string kModel = ATTNSCOPE_SHARED_MODELS "/stories260K/hf";

TEST(CliErrors, MissingModelFolder)
{
    const CliRun run = runCli({"info", "/nonexistent/model"});
    EXPECT_EQ(run.exitCode, 3);
    EXPECT_NE(run.err.find("/nonexistent/model"), std::string::npos) << run.err;
}

TEST(CliErrors, UnknownCommandAndOption)
{
    EXPECT_EQ(runCli({"frobnicate"}).exitCode, 2);
    const CliRun run = runCli({"info", kModel, "--bogus"});
    EXPECT_EQ(run.exitCode, 2);
    EXPECT_NE(run.err.find("--bogus"), std::string::npos);
}

TEST(CliErrors, TruncatedWeights)
{
    TempDir dir;
    std::filesystem::copy(kModel + "/config.json", dir.path() + "/config.json");
    std::ifstream source(kModel + "/model.safetensors", std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(source)), std::istreambuf_iterator<char>());
    dir.write("model.safetensors", bytes.substr(0, bytes.size() - 1000));
    const CliRun run = runCli({"info", dir.path()});
    EXPECT_EQ(run.exitCode, 3);
    EXPECT_NE(run.err.find("model.safetensors"), std::string::npos) << run.err;
}

TEST(CliErrors, UnknownArchitecture)
{
    TempDir dir;
    std::filesystem::copy(kModel + "/model.safetensors", dir.path() + "/model.safetensors");
    dir.write("config.json", R"({"model_type": "mamba", "architectures": ["MambaForCausalLM"]})");
    const CliRun run = runCli({"info", dir.path()});
    EXPECT_EQ(run.exitCode, 4);
    EXPECT_NE(run.err.find("mamba"), std::string::npos) << run.err;
}

TEST(CliErrors, LayerOutOfRange)
{
    const CliRun run = runCli({"attention", kModel, "--text", "Once upon a time", "--layer", "7", "--head", "0"});
    EXPECT_EQ(run.exitCode, 2);
    EXPECT_NE(run.err.find("layer"), std::string::npos) << run.err;
}

TEST(CliErrors, EmptyText)
{
    const CliRun run = runCli({"tokenize", kModel, "--text", ""});
    EXPECT_EQ(run.exitCode, 2);
    EXPECT_NE(run.err.find("empty"), std::string::npos) << run.err;
}

TEST(CliErrors, MissingTextFileIsNamed)
{
    const CliRun run = runCli({"eval", kModel, "--text-file", "/nonexistent/text.txt"});
    EXPECT_EQ(run.exitCode, 3);
    EXPECT_NE(run.err.find("/nonexistent/text.txt"), std::string::npos) << run.err;
}

TEST(CliErrors, TextLongerThanTheContext)
{
    std::string text;
    for (int repeat = 0; repeat < 400; ++repeat) {
        text += "Once upon a time there was a girl. ";
    }
    const CliRun run = runCli({"attention", kModel, "--text", text, "--layer", "0", "--head", "0"});
    EXPECT_EQ(run.exitCode, 2);
    EXPECT_NE(run.err.find("context"), std::string::npos) << run.err;
    EXPECT_NE(run.err.find("--allow-overflow"), std::string::npos) << run.err;
}

TEST(CliErrors, ExistingOutputIsKeptWithoutForce)
{
    TempDir dir;
    const std::string out = dir.write("head.json", "precious");
    CliRun run = runCli({"attention", kModel, "--ids", "1,403", "--layer", "0", "--head", "0", "--out", out});
    EXPECT_EQ(run.exitCode, 3);
    EXPECT_NE(run.err.find("--force"), std::string::npos) << run.err;
    std::ifstream kept(out);
    std::string contents((std::istreambuf_iterator<char>(kept)), std::istreambuf_iterator<char>());
    EXPECT_EQ(contents, "precious");
    run = runCli({"attention", kModel, "--ids", "1,403", "--layer", "0", "--head", "0", "--out", out, "--force"});
    EXPECT_EQ(run.exitCode, 0) << run.err;
}

TEST(CliErrors, UnwritableOutputLeavesNothingBehind)
{
    const CliRun run = runCli({"attention", kModel, "--ids", "1,403", "--layer", "0", "--head", "0", "--out",
                               "/nonexistent-dir/head.json"});
    EXPECT_EQ(run.exitCode, 3);
    EXPECT_NE(run.err.find("/nonexistent-dir/head.json"), std::string::npos) << run.err;
    EXPECT_FALSE(std::filesystem::exists("/nonexistent-dir"));
}

TEST(CliErrors, IdsOutsideTheVocabulary)
{
    const CliRun run = runCli({"attention", kModel, "--ids", "1,999999", "--layer", "0", "--head", "0"});
    EXPECT_EQ(run.exitCode, 2);
    EXPECT_NE(run.err.find("999999"), std::string::npos) << run.err;
}

TEST(CliErrors, BackendIsAutoOrCpu)
{
    const CliRun bad = runCli({"eval", kModel, "--text", "Once upon a time", "--backend", "gpu"});
    EXPECT_EQ(bad.exitCode, 2);
    EXPECT_NE(bad.err.find("--backend"), std::string::npos) << bad.err;
    // Without a usable CUDA device the automatic choice is the CPU, silently and with the same bits.
    ASSERT_EQ(setenv("ATTNSCOPE_DISABLE_CUDA", "1", 1), 0);
    const CliRun automatic = runCli({"eval", kModel, "--text", "Once upon a time there was", "--json"});
    const CliRun cpu = runCli({"eval", kModel, "--text", "Once upon a time there was", "--json", "--backend", "cpu"});
    unsetenv("ATTNSCOPE_DISABLE_CUDA");
    EXPECT_EQ(automatic.exitCode, 0) << automatic.err;
    EXPECT_EQ(cpu.exitCode, 0) << cpu.err;
    EXPECT_EQ(automatic.err, "");
    EXPECT_EQ(cpu.err, "");
    EXPECT_NE(cpu.out.find("perplexity"), std::string::npos) << cpu.out;
    EXPECT_EQ(automatic.out, cpu.out);
}

TEST(CliErrors, GpuPrecisionIsF32Bf16OrF16)
{
    const CliRun bad = runCli({"eval", kModel, "--text", "Once upon a time", "--gpu-precision", "fp8"});
    EXPECT_EQ(bad.exitCode, 2);
    EXPECT_NE(bad.err.find("--gpu-precision"), std::string::npos) << bad.err;
    // Without a usable CUDA device a 16-bit request runs the CPU's f32 attention: same output.
    ASSERT_EQ(setenv("ATTNSCOPE_DISABLE_CUDA", "1", 1), 0);
    const CliRun f32 = runCli({"eval", kModel, "--text", "Once upon a time there was", "--json"});
    const CliRun bf16 =
        runCli({"eval", kModel, "--text", "Once upon a time there was", "--json", "--gpu-precision", "bf16"});
    unsetenv("ATTNSCOPE_DISABLE_CUDA");
    EXPECT_EQ(f32.exitCode, 0) << f32.err;
    EXPECT_EQ(bf16.exitCode, 0) << bf16.err;
    EXPECT_NE(f32.out.find("perplexity"), std::string::npos) << f32.out;
    EXPECT_EQ(bf16.out, f32.out);
}

} // namespace
} // namespace attnscope

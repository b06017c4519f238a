// The bad-input matrix (issue #10): every kind of broken input a user can hand the app, through the
// same public Workspace calls the GUI and the CLI make. Each row must give a Result error with the
// documented code whose text names the file (or the token count, layer, tensor) and the problem;
// none may crash. Rows where the input is fine but unusual (a non-ASCII path) must simply work.

#include "attnscope/workspace.h"
#include "test_support/memory_limits.h"
#include "test_support/temp_dir.h"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <gtest/gtest.h>
#include <limits>
#include <nlohmann/json.hpp>

namespace attnscope {
namespace {

namespace fs = std::filesystem;

const std::string kLlamaTiny = ATTNSCOPE_TEST_DATA "/models/llama_tiny";
const std::string kDemo = ATTNSCOPE_SOURCE_DIR "/assets/models/demo";
const std::string kStoriesGguf = ATTNSCOPE_SHARED_MODELS "/stories260K/stories260K.gguf";

std::string readBytes(const std::string& path)
{
    std::ifstream stream(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(stream)), std::istreambuf_iterator<char>());
}

void writeBytes(const std::string& path, const std::string& bytes)
{
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

/// Copies the regular files of a model folder into dir/name and returns the new folder.
std::string copyModel(const TempDir& dir, const std::string& source, const std::string& name = "model")
{
    const fs::path target = fs::path(dir.path()) / fs::u8path(name);
    fs::create_directories(target);
    for (const auto& entry : fs::directory_iterator(source)) {
        if (entry.is_regular_file()) {
            fs::copy_file(entry.path(), target / entry.path().filename());
        }
    }
    return target.string();
}

/// The JSON header of a safetensors file and where its data section starts.
nlohmann::json safetensorsHeader(const std::string& bytes, std::size_t& dataStart)
{
    std::uint64_t headerSize = 0;
    std::memcpy(&headerSize, bytes.data(), sizeof headerSize);
    dataStart = 8 + headerSize;
    return nlohmann::json::parse(bytes.substr(8, headerSize));
}

/// Overwrites every BF16 element of `tensor` in a safetensors file with `bits`.
void fillBf16Tensor(const std::string& path, const std::string& tensor, std::uint16_t bits)
{
    std::string bytes = readBytes(path);
    std::size_t dataStart = 0;
    const nlohmann::json header = safetensorsHeader(bytes, dataStart);
    ASSERT_EQ(header.at(tensor).at("dtype"), "BF16");
    const std::size_t begin = dataStart + header.at(tensor).at("data_offsets")[0].get<std::size_t>();
    const std::size_t end = dataStart + header.at(tensor).at("data_offsets")[1].get<std::size_t>();
    for (std::size_t at = begin; at < end; at += 2) {
        std::memcpy(bytes.data() + at, &bits, 2);
    }
    writeBytes(path, bytes);
}

/// Rewrites the dtype of `tensor` in the header, keeping the header length (JSON allows the
/// trailing spaces the shorter text leaves).
void setDtype(const std::string& path, const std::string& tensor, const std::string& dtype)
{
    std::string bytes = readBytes(path);
    std::size_t dataStart = 0;
    nlohmann::json header = safetensorsHeader(bytes, dataStart);
    header[tensor]["dtype"] = dtype;
    std::string text = header.dump();
    ASSERT_LE(text.size(), dataStart - 8);
    text.resize(dataStart - 8, ' ');
    bytes.replace(8, text.size(), text);
    writeBytes(path, bytes);
}

Result<std::unique_ptr<Workspace>> openModel(const std::string& path)
{
    return Workspace::open(OpenOptions{path});
}

/// Opens `path` and computes one dense head of a four-token text; the error of whichever step fails.
Result<HeadAttention> openAndAttend(const std::string& path, const std::function<void()>& betweenOpenAndRun = {})
{
    auto workspace = openModel(path);
    if (!workspace) {
        return workspace.error();
    }
    if (betweenOpenAndRun) {
        betweenOpenAndRun();
    }
    return workspace.value()->headAttention({1, 5, 9, 2}, 0, 0, "dense", RunOptions{});
}

std::string hundredThousandTokenText()
{
    std::string text;
    for (int repeat = 0; repeat < 15000; ++repeat) {
        text += "Once upon a time there was a cat. ";
    }
    return text;
}

struct BadInputCase {
    const char* name;
    ErrorCode code;
    std::vector<std::string> mentions;  ///< substrings the error's describe() must contain
    std::function<Error(const TempDir&)> run;  ///< builds the input, runs the call, returns its error
};

template <typename T>
Error errorOf(const Result<T>& result)
{
    if (result.ok()) {
        return makeError(ErrorCode::Internal, "UNEXPECTED SUCCESS");
    }
    return result.error();
}

std::vector<BadInputCase> badInputCases()
{
    return {
        {"weights file is a directory", ErrorCode::FileIo, {"model.safetensors", "not a regular file"},
         [](const TempDir& dir) {
             const std::string model = dir.path() + "/model";
             fs::create_directories(model + "/model.safetensors");
             fs::copy_file(kLlamaTiny + "/config.json", model + "/config.json");
             return errorOf(openModel(model));
         }},
        {"config.json is a directory", ErrorCode::FileIo, {"config.json", "not a regular file"},
         [](const TempDir& dir) {
             const std::string model = copyModel(dir, kLlamaTiny);
             fs::remove(model + "/config.json");
             fs::create_directories(model + "/config.json");
             return errorOf(openModel(model));
         }},
        {"a .gguf path that is a directory", ErrorCode::FileIo, {"model.gguf", "not a regular file"},
         [](const TempDir& dir) {
             fs::create_directories(dir.path() + "/model.gguf");
             return errorOf(openModel(dir.path() + "/model.gguf"));
         }},
        {"empty weights file", ErrorCode::FormatInvalid, {"model.safetensors", "0 bytes"},
         [](const TempDir& dir) {
             const std::string model = copyModel(dir, kLlamaTiny);
             writeBytes(model + "/model.safetensors", "");
             return errorOf(openModel(model));
         }},
        {"empty config.json", ErrorCode::FormatInvalid, {"config.json"},
         [](const TempDir& dir) {
             const std::string model = copyModel(dir, kLlamaTiny);
             writeBytes(model + "/config.json", "");
             return errorOf(openModel(model));
         }},
        {"empty tokenizer.json", ErrorCode::FormatInvalid, {"tokenizer.json"},
         [](const TempDir& dir) {
             const std::string model = copyModel(dir, kLlamaTiny);
             writeBytes(model + "/tokenizer.json", "");
             return errorOf(openModel(model));
         }},
        {"empty .gguf file", ErrorCode::FormatInvalid, {"model.gguf"},
         [](const TempDir& dir) { return errorOf(openModel(dir.write("model.gguf", ""))); }},
        {"truncated weights", ErrorCode::FormatInvalid, {"model.safetensors"},
         [](const TempDir& dir) {
             const std::string model = copyModel(dir, kLlamaTiny);
             const std::string bytes = readBytes(model + "/model.safetensors");
             writeBytes(model + "/model.safetensors", bytes.substr(0, bytes.size() / 2));
             return errorOf(openModel(model));
         }},
        {"truncated .gguf", ErrorCode::FormatInvalid, {"stories.gguf"},
         [](const TempDir& dir) {
             const std::string bytes = readBytes(kStoriesGguf);
             EXPECT_GT(bytes.size(), 1000u) << "the shared stories260K model is missing";
             return errorOf(openModel(dir.write("stories.gguf", bytes.substr(0, bytes.size() / 2))));
         }},
        {"truncated tokenizer.json", ErrorCode::FormatInvalid, {"tokenizer.json", "JSON"},
         [](const TempDir& dir) {
             const std::string model = copyModel(dir, kLlamaTiny);
             const std::string tokenizer = readBytes(kDemo + "/tokenizer.json");
             writeBytes(model + "/tokenizer.json", tokenizer.substr(0, tokenizer.size() / 2));
             return errorOf(openModel(model));
         }},
        {"unknown architecture", ErrorCode::UnsupportedModel, {"config.json", "mamba"},
         [](const TempDir& dir) {
             const std::string model = copyModel(dir, kLlamaTiny);
             writeBytes(model + "/config.json", R"({"model_type": "mamba", "architectures": ["MambaForCausalLM"]})");
             return errorOf(openModel(model));
         }},
        {"dtype outside the whitelist", ErrorCode::UnsupportedDtype, {"model.safetensors", "Q4"},
         [](const TempDir& dir) {
             const std::string model = copyModel(dir, kLlamaTiny);
             setDtype(model + "/model.safetensors", "model.layers.0.self_attn.q_proj.weight", "Q4");
             return errorOf(openModel(model));
         }},
        {"integer dtype where a float weight belongs", ErrorCode::UnsupportedDtype,
         {"model.layers.0.self_attn.q_proj.weight", "I16"},
         [](const TempDir& dir) {
             const std::string model = copyModel(dir, kLlamaTiny);
             setDtype(model + "/model.safetensors", "model.layers.0.self_attn.q_proj.weight", "I16");
             return errorOf(openAndAttend(model));
         }},
        {"NaN weights", ErrorCode::FormatInvalid, {"model.layers.0.self_attn.q_proj.weight", "NaN"},
         [](const TempDir& dir) {
             const std::string model = copyModel(dir, kLlamaTiny);
             fillBf16Tensor(model + "/model.safetensors", "model.layers.0.self_attn.q_proj.weight", 0x7FC0);
             return errorOf(openAndAttend(model));
         }},
        {"infinite weights", ErrorCode::FormatInvalid, {"model.layers.0.self_attn.k_proj.weight", "infinite"},
         [](const TempDir& dir) {
             const std::string model = copyModel(dir, kLlamaTiny);
             fillBf16Tensor(model + "/model.safetensors", "model.layers.0.self_attn.k_proj.weight", 0x7F80);
             return errorOf(openAndAttend(model));
         }},
        // 0x7F00 is 1.7e38 in bf16: finite, but q = W·x overflows float32 (to inf, then NaN in RoPE).
        {"finite weights whose activations overflow", ErrorCode::FormatInvalid,
         {"layer 0: the queries became", "overflow float32"},
         [](const TempDir& dir) {
             const std::string model = copyModel(dir, kLlamaTiny);
             fillBf16Tensor(model + "/model.safetensors", "model.layers.0.self_attn.q_proj.weight", 0x7F00);
             return errorOf(openAndAttend(model));
         }},
        {"weights truncated while the model is open", ErrorCode::FileIo, {"model.safetensors", "truncated"},
         [](const TempDir& dir) {
             const std::string model = copyModel(dir, kLlamaTiny);
             return errorOf(openAndAttend(model, [&] { fs::resize_file(model + "/model.safetensors", 100); }));
         }},
        {"weights rewritten in place while the model is open", ErrorCode::FileIo, {"model.safetensors", "modified"},
         [](const TempDir& dir) {
             const std::string model = copyModel(dir, kLlamaTiny);
             return errorOf(openAndAttend(model, [&] {
                 // Same size, new contents and a later modification time.
                 const std::string path = model + "/model.safetensors";
                 std::string bytes = readBytes(path);
                 bytes[bytes.size() - 1] ^= 0x01;
                 fs::last_write_time(path, fs::last_write_time(path) + std::chrono::seconds(2));
                 std::fstream(path, std::ios::binary | std::ios::in | std::ios::out).write(bytes.data(), bytes.size());
                 fs::last_write_time(path, fs::last_write_time(path) + std::chrono::seconds(2));
             }));
         }},
        {"broken model under a non-ASCII path", ErrorCode::FormatInvalid, {"modèle 日本語 ü/model.safetensors"},
         [](const TempDir& dir) {
             const std::string model = copyModel(dir, kLlamaTiny, "modèle 日本語 ü");
             writeBytes(model + "/model.safetensors", "garbage");
             return errorOf(openModel(model));
         }},
        {"text of 0 tokens (tokenize)", ErrorCode::InvalidArgument, {"empty"},
         [](const TempDir&) {
             auto workspace = openModel(kDemo);
             EXPECT_TRUE(workspace.ok());
             return errorOf(workspace.value()->tokenize(""));
         }},
        {"text of 0 tokens (attention)", ErrorCode::InvalidArgument, {"no tokens"},
         [](const TempDir&) {
             auto workspace = openModel(kDemo);
             EXPECT_TRUE(workspace.ok());
             return errorOf(workspace.value()->headAttention({}, 0, 0, "dense", RunOptions{}));
         }},
        {"text of 0 tokens (eval)", ErrorCode::InvalidArgument, {"2"},
         [](const TempDir&) {
             auto workspace = openModel(kDemo);
             EXPECT_TRUE(workspace.ok());
             return errorOf(workspace.value()->evaluate({}, "dense", RunOptions{}));
         }},
        {"text of 100k tokens past the context", ErrorCode::InvalidArgument, {"demo", "context of 512"},
         [](const TempDir&) {
             auto workspace = openModel(kDemo);
             EXPECT_TRUE(workspace.ok());
             auto tokens = workspace.value()->tokenize(hundredThousandTokenText());
             EXPECT_TRUE(tokens.ok());
             EXPECT_GE(tokens->ids.size(), 100000u);
             return errorOf(workspace.value()->headAttention(tokens->ids, 0, 0, "dense", RunOptions{}));
         }},
        // 9 · N² bytes of head matrices alone: about 90 GB at N = 100k, refused before allocation.
        {"text of 100k tokens that does not fit in memory", ErrorCode::OutOfMemory,
         {"demo", "tokens needs about", "GiB", "4.0 GiB is available", "shorten the text"},
         [](const TempDir&) {
             auto workspace = openModel(kDemo);
             EXPECT_TRUE(workspace.ok());
             auto tokens = workspace.value()->tokenize(hundredThousandTokenText());
             EXPECT_TRUE(tokens.ok());
             const ScopedMemoryLimit limit(std::uint64_t{4} << 30);
             RunOptions options;
             options.allowOverflow = true;
             return errorOf(workspace.value()->headAttention(tokens->ids, 0, 0, "dense", options));
         }},
        // eval runs 512-token windows one at a time: the longest window's pass and its logits
        // (4 · 512 · vocab) must fit, whatever the length of the text.
        {"eval of a text whose windows do not fit in memory", ErrorCode::OutOfMemory,
         {"demo", "scoring 180001 tokens (in windows of up to 512) needs about", "1.0 MiB is available",
          "shorten the text"},
         [](const TempDir&) {
             auto workspace = openModel(kDemo);
             EXPECT_TRUE(workspace.ok());
             auto tokens = workspace.value()->tokenize(hundredThousandTokenText());
             EXPECT_TRUE(tokens.ok());
             const ScopedMemoryLimit limit(std::uint64_t{1} << 20);
             return errorOf(workspace.value()->evaluate(tokens->ids, "dense", RunOptions{}));
         }},
    };
}

class BadInputMatrix : public ::testing::TestWithParam<BadInputCase> {};

TEST_P(BadInputMatrix, GivesANamedErrorNotACrash)
{
    const BadInputCase& row = GetParam();
    TempDir dir;
    const Error error = row.run(dir);
    ASSERT_NE(error.message, "UNEXPECTED SUCCESS") << row.name << ": the bad input was accepted";
    EXPECT_EQ(errorCodeName(error.code), std::string(errorCodeName(row.code))) << error.describe();
    const std::string text = error.describe();
    std::cout << "  " << row.name << " -> " << errorCodeName(error.code) << ": " << text << "\n";
    for (const std::string& mention : row.mentions) {
        EXPECT_NE(text.find(mention), std::string::npos) << "missing \"" << mention << "\" in: " << text;
    }
    EXPECT_EQ(text.find('\n'), std::string::npos) << "one line: " << text;
}

std::string caseName(const ::testing::TestParamInfo<BadInputCase>& info)
{
    std::string name;
    for (const char character : std::string(info.param.name)) {
        name += std::isalnum(static_cast<unsigned char>(character)) ? character : '_';
    }
    return name;
}

INSTANTIATE_TEST_SUITE_P(Rows, BadInputMatrix, ::testing::ValuesIn(badInputCases()), caseName);

TEST(BadInputMatrix, NonAsciiPathOpensAndComputes)
{
    TempDir dir;
    const std::string model = copyModel(dir, kLlamaTiny, "modèle 日本語 ü");
    auto attention = openAndAttend(model);
    ASSERT_TRUE(attention.ok()) << attention.error().describe();
    ASSERT_EQ(attention->nTokens, 4);
    // Row sums of a causal softmax are 1: the model really ran.
    for (int query = 0; query < 4; ++query) {
        double sum = 0.0;
        for (int key = 0; key < 4; ++key) {
            sum += attention->attention[static_cast<std::size_t>(query) * 4 + key];
        }
        EXPECT_NEAR(sum, 1.0, 1e-5);
    }
}

TEST(BadInputMatrix, ReplacingTheFileWhileOpenIsHarmless)
{
    // Downloads and our own atomic writes replace a file by rename: the mapping keeps the old
    // inode, so the open model must go on computing the same numbers.
    TempDir dir;
    const std::string model = copyModel(dir, kLlamaTiny);
    auto workspace = openModel(model);
    ASSERT_TRUE(workspace.ok()) << workspace.error().describe();
    auto before = workspace.value()->headAttention({1, 5, 9, 2}, 1, 2, "dense", RunOptions{});
    ASSERT_TRUE(before.ok());
    const std::string path = model + "/model.safetensors";
    writeBytes(path + ".new", "not a model");
    fs::rename(path + ".new", path);
    auto after = workspace.value()->headAttention({1, 5, 9, 2}, 1, 2, "dense", RunOptions{});
    ASSERT_TRUE(after.ok()) << after.error().describe();
    EXPECT_EQ(before->attention, after->attention);
}

} // namespace
} // namespace attnscope

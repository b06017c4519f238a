// One negative test per GGUF validation rule (gguf_file.h lists the reasons), each asserting the
// error code, the stable reason and that the message names the file and the key or tensor; plus a
// valid file whose metadata of every type and whose tensors read back as written.

#include "io/gguf_file.h"
#include "test_support/temp_dir.h"
#include "tst_gguf_builder.h"

#include <gtest/gtest.h>

namespace attnscope {
namespace {

using testing::GgufBuilder;

class GgufErrors : public ::testing::Test {
protected:
    TempDir m_dir;

    Error openExpectingError(const std::string& contents, ErrorCode code, const std::string& reason,
                             const std::string& named = {})
    {
        const std::string path = m_dir.write("model.gguf", contents);
        auto opened = GgufFile::open(path);
        EXPECT_FALSE(opened.ok());
        if (opened.ok()) {
            return {};
        }
        const Error& error = opened.error();
        EXPECT_EQ(error.code, code) << error.describe();
        EXPECT_EQ(error.reason, reason) << error.describe();
        EXPECT_NE(error.describe().find(path), std::string::npos) << error.describe();
        if (!named.empty()) {
            EXPECT_NE(error.message.find(named), std::string::npos) << error.describe();
        }
        return error;
    }
};

// One f32 tensor "w" of 4 values at offset 0 and a key, all valid.
GgufBuilder validPrefix(std::uint32_t type = 0, std::vector<std::int64_t> dims = {4}, std::uint64_t offset = 0)
{
    GgufBuilder builder;
    builder.header(1, 1).keyString("general.architecture", "llama").tensor("w", dims, type, offset).align();
    return builder;
}

TEST_F(GgufErrors, ReadsEveryValueTypeAndATensor)
{
    GgufBuilder builder;
    builder.header(2, 8)
        .keyString("general.architecture", "llama")
        .keyU32("llama.block_count", 5)
        .keyF32("llama.attention.layer_norm_rms_epsilon", 1e-5f)
        .keyStrings("tokenizer.ggml.tokens", {"<unk>", "a", "\xe2\x96\x81" "b"})
        .keyF32s("tokenizer.ggml.scores", {0.0f, -1.0f, -2.5f})
        .keyI32s("tokenizer.ggml.token_type", {2, 1, 1});
    builder.string("flag").raw<std::uint32_t>(7).raw<std::uint8_t>(1);
    builder.string("big").raw<std::uint32_t>(11).raw<std::int64_t>(-7);
    builder.tensor("a", {2, 3}, 0, 0).tensor("b", {2}, 1, 32).align();
    const std::vector<float> values = {1, 2, 3, 4, 5, 6};
    builder.floats(values);
    builder.align();
    const std::uint16_t halves[2] = {0x3c00, 0xc000}; // 1.0, -2.0
    builder.data(halves, sizeof halves);

    const std::string path = m_dir.write("ok.gguf", builder.bytes());
    auto opened = GgufFile::open(path);
    ASSERT_TRUE(opened.ok()) << opened.error().describe();
    const GgufFile& file = **opened;
    EXPECT_EQ(file.version(), 3u);
    EXPECT_EQ(*file.getString("general.architecture"), "llama");
    EXPECT_EQ(*file.getInt("llama.block_count", 0), 5);
    EXPECT_FLOAT_EQ(static_cast<float>(*file.getReal("llama.attention.layer_norm_rms_epsilon", 0)), 1e-5f);
    EXPECT_TRUE(*file.getBool("flag", false));
    EXPECT_EQ(*file.getInt("big", 0), -7);
    const GgufValue* tokens = file.find("tokenizer.ggml.tokens");
    ASSERT_NE(tokens, nullptr);
    EXPECT_EQ(tokens->texts, (std::vector<std::string>{"<unk>", "a", "\xe2\x96\x81" "b"}));
    EXPECT_EQ(file.find("tokenizer.ggml.scores")->reals, (std::vector<double>{0.0, -1.0, -2.5}));
    EXPECT_EQ(file.find("tokenizer.ggml.token_type")->integers, (std::vector<std::int64_t>{2, 1, 1}));
    EXPECT_FALSE(file.getInt("general.architecture", 0).ok());
    EXPECT_EQ(file.getInt("general.architecture", 0).error().reason, "metadata_type");

    const GgufTensor* a = file.findTensor("a");
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a->shape, (std::vector<std::int64_t>{3, 2})); // reversed to outer → inner
    std::vector<float> out;
    ASSERT_TRUE(file.toFloat(*a, out).ok());
    EXPECT_EQ(out, values);
    ASSERT_TRUE(file.toFloat(*file.findTensor("b"), out).ok());
    EXPECT_EQ(out, (std::vector<float>{1.0f, -2.0f}));
}

TEST_F(GgufErrors, FileTooSmall)
{
    openExpectingError("GGUF", ErrorCode::FormatInvalid, "file_too_small");
}

TEST_F(GgufErrors, WrongMagic)
{
    GgufBuilder builder;
    builder.raw<std::uint32_t>(0x46554747u + 1).raw<std::uint32_t>(3).raw<std::uint64_t>(0).raw<std::uint64_t>(0);
    openExpectingError(builder.bytes(), ErrorCode::FormatInvalid, "bad_magic");
}

TEST_F(GgufErrors, UnsupportedVersion)
{
    for (std::uint32_t version : {1u, 4u, 0xffffffffu}) {
        GgufBuilder builder;
        builder.header(0, 0, version);
        openExpectingError(builder.bytes(), ErrorCode::Unsupported, "unsupported_version",
                           std::to_string(version));
    }
}

TEST_F(GgufErrors, AbsurdTensorCount)
{
    GgufBuilder builder;
    builder.header(std::uint64_t{1} << 60, 0);
    openExpectingError(builder.bytes(), ErrorCode::FormatInvalid, "tensor_count_too_large");
}

TEST_F(GgufErrors, AbsurdMetadataCount)
{
    GgufBuilder builder;
    builder.header(0, 0xffffffffffffffffull);
    openExpectingError(builder.bytes(), ErrorCode::FormatInvalid, "metadata_count_too_large");
}

TEST_F(GgufErrors, KeyLongerThanTheFile)
{
    GgufBuilder builder;
    builder.header(0, 1).raw<std::uint64_t>(std::uint64_t{1} << 40).data("abcdefghijklmnop", 16);
    openExpectingError(builder.bytes(), ErrorCode::FormatInvalid, "string_past_end");
}

TEST_F(GgufErrors, StringValueLongerThanTheFile)
{
    GgufBuilder builder;
    builder.header(0, 1).string("general.name").raw<std::uint32_t>(8).raw<std::uint64_t>(1000).data("short", 5);
    openExpectingError(builder.bytes(), ErrorCode::FormatInvalid, "string_past_end", "general.name");
}

TEST_F(GgufErrors, ArrayLongerThanTheFile)
{
    GgufBuilder builder;
    builder.header(0, 1).string("tokenizer.ggml.scores").raw<std::uint32_t>(9).raw<std::uint32_t>(6);
    builder.raw<std::uint64_t>(std::uint64_t{1} << 61).raw<float>(0.0f);
    openExpectingError(builder.bytes(), ErrorCode::FormatInvalid, "array_too_large", "tokenizer.ggml.scores");
}

TEST_F(GgufErrors, TruncatedValue)
{
    GgufBuilder builder;
    builder.header(0, 1).string("llama.block_count").raw<std::uint32_t>(10).raw<std::uint16_t>(5);
    openExpectingError(builder.bytes(), ErrorCode::FormatInvalid, "value_past_end", "llama.block_count");
}

TEST_F(GgufErrors, InvalidValueType)
{
    GgufBuilder builder;
    builder.header(0, 1).string("general.name").raw<std::uint32_t>(13).raw<std::uint64_t>(0);
    openExpectingError(builder.bytes(), ErrorCode::FormatInvalid, "invalid_value_type", "general.name");
}

TEST_F(GgufErrors, NestedArray)
{
    GgufBuilder builder;
    builder.header(0, 1).string("nested").raw<std::uint32_t>(9).raw<std::uint32_t>(9).raw<std::uint64_t>(0);
    openExpectingError(builder.bytes(), ErrorCode::FormatInvalid, "nested_array", "nested");
}

TEST_F(GgufErrors, DuplicateKey)
{
    GgufBuilder builder;
    builder.header(0, 2).keyU32("llama.block_count", 1).keyU32("llama.block_count", 2);
    openExpectingError(builder.bytes(), ErrorCode::FormatInvalid, "duplicate_key", "llama.block_count");
}

TEST_F(GgufErrors, AlignmentNotAPowerOfTwo)
{
    GgufBuilder builder;
    builder.header(0, 1).keyU32("general.alignment", 24);
    openExpectingError(builder.bytes(), ErrorCode::FormatInvalid, "alignment_invalid", "general.alignment");
}

TEST_F(GgufErrors, TooManyDims)
{
    GgufBuilder builder;
    builder.header(1, 0).tensor("w", {1, 1, 1, 1, 1}, 0, 0);
    openExpectingError(builder.bytes(), ErrorCode::FormatInvalid, "too_many_dims", "\"w\"");
}

TEST_F(GgufErrors, NegativeDim)
{
    GgufBuilder builder;
    builder.header(1, 0).tensor("w", {4, -1}, 0, 0);
    openExpectingError(builder.bytes(), ErrorCode::FormatInvalid, "shape_invalid", "\"w\"");
}

TEST_F(GgufErrors, ElementCountOverflows)
{
    GgufBuilder builder;
    builder.header(1, 0).tensor("w", {std::int64_t{1} << 40, std::int64_t{1} << 40}, 0, 0).align();
    openExpectingError(builder.bytes(), ErrorCode::FormatInvalid, "size_overflow", "\"w\"");
}

TEST_F(GgufErrors, DuplicateTensor)
{
    GgufBuilder builder;
    builder.header(2, 0).tensor("w", {4}, 0, 0).tensor("w", {4}, 0, 32).align();
    builder.floats(std::vector<float>(16, 0.0f));
    openExpectingError(builder.bytes(), ErrorCode::FormatInvalid, "duplicate_tensor", "\"w\"");
}

TEST_F(GgufErrors, UnsupportedQuantTypeIsNamed)
{
    GgufBuilder builder = validPrefix(10, {256}); // Q2_K
    builder.data(std::string(84, '\0').data(), 84);
    openExpectingError(builder.bytes(), ErrorCode::UnsupportedDtype, "unsupported_tensor_type", "Q2_K");
    GgufBuilder unknown = validPrefix(999, {4});
    openExpectingError(unknown.bytes(), ErrorCode::UnsupportedDtype, "unsupported_tensor_type", "999");
}

TEST_F(GgufErrors, RowNotABlockMultiple)
{
    GgufBuilder builder = validPrefix(8, {48}); // Q8_0 blocks hold 32 values
    builder.data(std::string(68, '\0').data(), 68);
    openExpectingError(builder.bytes(), ErrorCode::FormatInvalid, "row_not_block_multiple", "\"w\"");
}

TEST_F(GgufErrors, MisalignedOffset)
{
    GgufBuilder builder = validPrefix(0, {4}, 4);
    builder.floats(std::vector<float>(8, 0.0f));
    openExpectingError(builder.bytes(), ErrorCode::FormatInvalid, "offset_misaligned", "\"w\"");
}

TEST_F(GgufErrors, OffsetPastTheEnd)
{
    GgufBuilder builder = validPrefix(0, {4}, 0);
    builder.floats({1.0f, 2.0f}); // 8 of the 16 bytes
    openExpectingError(builder.bytes(), ErrorCode::FormatInvalid, "offset_past_end", "\"w\"");
    GgufBuilder far = validPrefix(0, {4}, std::uint64_t{1} << 62);
    far.floats(std::vector<float>(4, 0.0f));
    openExpectingError(far.bytes(), ErrorCode::FormatInvalid, "offset_past_end", "\"w\"");
}

TEST_F(GgufErrors, DataSectionPastTheEnd)
{
    GgufBuilder builder;
    builder.header(1, 0).tensor("w", {0}, 0, 0); // 0 elements, but the padded data start is past the end
    openExpectingError(builder.bytes(), ErrorCode::FormatInvalid, "data_past_end");
}

TEST_F(GgufErrors, OverlappingTensors)
{
    GgufBuilder builder;
    builder.header(2, 0).tensor("a", {16}, 0, 0).tensor("b", {4}, 0, 32).align();
    builder.floats(std::vector<float>(16, 0.0f));
    openExpectingError(builder.bytes(), ErrorCode::FormatInvalid, "tensors_overlap", "\"b\"");
}

TEST_F(GgufErrors, MissingFile)
{
    auto opened = GgufFile::open(m_dir.path() + "/absent.gguf");
    ASSERT_FALSE(opened.ok());
    EXPECT_EQ(opened.error().code, ErrorCode::FileNotFound);
}

} // namespace
} // namespace attnscope

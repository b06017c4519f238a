// One negative test per safetensors validation rule (DESIGN.md §7.5), each asserting the error
// code, the stable reason and that the message names the offending file or tensor.

#include "io/safetensors_file.h"
#include "io/tensor_store.h"
#include "test_support/temp_dir.h"

#include <cstring>
#include <fstream>
#include <gtest/gtest.h>

namespace attnscope {
namespace {

std::string withLength(const std::string& header, const std::string& data, std::uint64_t length)
{
    std::string bytes;
    for (int byte = 0; byte < 8; ++byte) {
        bytes.push_back(static_cast<char>((length >> (8 * byte)) & 0xff));
    }
    return bytes + header + data;
}

std::string file(const std::string& header, const std::string& data)
{
    return withLength(header, data, header.size());
}

class SafetensorsErrors : public ::testing::Test {
protected:
    TempDir m_dir;

    Error openExpectingError(const std::string& contents)
    {
        const std::string path = m_dir.write("model.safetensors", contents);
        auto opened = SafetensorsFile::open(path);
        EXPECT_FALSE(opened.ok());
        if (opened.ok()) {
            return {};
        }
        EXPECT_NE(opened.error().describe().find(path), std::string::npos) << opened.error().describe();
        return opened.error();
    }
};

const std::string kEightBytes(8, '\0');

TEST_F(SafetensorsErrors, AcceptsAValidFileAndReadsValues)
{
    const float values[2] = {1.5f, -2.0f};
    std::string data(reinterpret_cast<const char*>(values), sizeof values);
    const std::string path = m_dir.write(
        "ok.safetensors",
        file(R"({"__metadata__":{"format":"pt"},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}  )", data));
    auto opened = SafetensorsFile::open(path);
    ASSERT_TRUE(opened.ok()) << opened.error().describe();
    const TensorView* tensor = opened.value()->find("w");
    ASSERT_NE(tensor, nullptr);
    std::vector<float> out;
    ASSERT_TRUE(toFloat(*tensor, out).ok());
    EXPECT_EQ(out, std::vector<float>({1.5f, -2.0f}));
    EXPECT_EQ(opened.value()->metadata().at("format"), "pt");
}

TEST_F(SafetensorsErrors, FileShorterThanTheLengthPrefix)
{
    EXPECT_EQ(openExpectingError("abc").reason, "file_too_small");
}

TEST_F(SafetensorsErrors, EmptyFile)
{
    EXPECT_EQ(openExpectingError("").reason, "file_too_small");
}

TEST_F(SafetensorsErrors, HeaderLongerThanTheLimit)
{
    EXPECT_EQ(openExpectingError(withLength("{}", "", 100'000'001ull)).reason, "header_too_large");
}

TEST_F(SafetensorsErrors, HeaderLengthPastTheEndOfFile)
{
    const Error error = openExpectingError(withLength("{}", "", 4096));
    EXPECT_EQ(error.code, ErrorCode::FormatInvalid);
    EXPECT_EQ(error.reason, "header_past_end");
}

TEST_F(SafetensorsErrors, HeaderNotUtf8)
{
    EXPECT_EQ(openExpectingError(file("{\"\xff\":1}", "")).reason, "header_not_utf8");
}

TEST_F(SafetensorsErrors, HeaderNotStartingWithBrace)
{
    EXPECT_EQ(openExpectingError(file(" {}", "")).reason, "header_not_object");
}

TEST_F(SafetensorsErrors, HeaderNotJson)
{
    EXPECT_EQ(openExpectingError(file("{\"a\":", "")).reason, "header_json");
}

TEST_F(SafetensorsErrors, DuplicateKeysAreRejected)
{
    const Error error = openExpectingError(
        file(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})",
             kEightBytes));
    EXPECT_EQ(error.reason, "duplicate_key");
    EXPECT_NE(error.message.find("\"w\""), std::string::npos);
}

TEST_F(SafetensorsErrors, MetadataMustBeStrings)
{
    EXPECT_EQ(openExpectingError(file(R"({"__metadata__":{"epoch":3}})", "")).reason, "metadata_not_strings");
}

TEST_F(SafetensorsErrors, EntryWithoutOffsets)
{
    EXPECT_EQ(openExpectingError(file(R"({"w":{"dtype":"F32","shape":[2]}})", kEightBytes)).reason, "entry_invalid");
}

TEST_F(SafetensorsErrors, UnknownDtype)
{
    const Error error =
        openExpectingError(file(R"({"w":{"dtype":"F8_E4M3","shape":[8],"data_offsets":[0,8]}})", kEightBytes));
    EXPECT_EQ(error.code, ErrorCode::UnsupportedDtype);
    EXPECT_EQ(error.reason, "unknown_dtype");
    EXPECT_NE(error.message.find("F8_E4M3"), std::string::npos);
}

TEST_F(SafetensorsErrors, NegativeShapeEntry)
{
    EXPECT_EQ(openExpectingError(file(R"({"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", kEightBytes)).reason,
              "shape_invalid");
}

TEST_F(SafetensorsErrors, ShapeWhoseSizeOverflows)
{
    EXPECT_EQ(openExpectingError(file(R"({"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}})",
                                      kEightBytes))
                  .reason,
              "size_overflow");
}

TEST_F(SafetensorsErrors, ByteSizeDisagreesWithShape)
{
    const Error error =
        openExpectingError(file(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", kEightBytes));
    EXPECT_EQ(error.reason, "byte_size_mismatch");
    EXPECT_NE(error.message.find("\"w\""), std::string::npos);
}

TEST_F(SafetensorsErrors, OffsetsPastTheData)
{
    EXPECT_EQ(openExpectingError(file(R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", kEightBytes)).reason,
              "offsets_out_of_range");
}

TEST_F(SafetensorsErrors, OverlappingTensors)
{
    EXPECT_EQ(openExpectingError(file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                      R"("b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                                      kEightBytes))
                  .reason,
              "offsets_overlap");
}

TEST_F(SafetensorsErrors, HoleBetweenTensors)
{
    EXPECT_EQ(openExpectingError(file(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", kEightBytes)).reason,
              "offsets_hole");
}

TEST_F(SafetensorsErrors, TrailingBytesAfterTheLastTensor)
{
    EXPECT_EQ(openExpectingError(file(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", kEightBytes)).reason,
              "trailing_bytes");
}

TEST_F(SafetensorsErrors, TruncatedRealModelIsReported)
{
    std::ifstream source(ATTNSCOPE_SHARED_MODELS "/stories260K/hf/model.safetensors", std::ios::binary);
    ASSERT_TRUE(source.good());
    std::string contents((std::istreambuf_iterator<char>(source)), std::istreambuf_iterator<char>());
    contents.resize(contents.size() / 2);
    const Error error = openExpectingError(contents);
    EXPECT_EQ(error.code, ErrorCode::FormatInvalid);
    EXPECT_EQ(error.reason, "offsets_out_of_range");
}

TEST_F(SafetensorsErrors, DirectoryIsNotAFile)
{
    auto opened = SafetensorsFile::open(m_dir.path());
    ASSERT_FALSE(opened.ok());
    EXPECT_EQ(opened.error().code, ErrorCode::FileIo);
}

TEST_F(SafetensorsErrors, MissingFile)
{
    auto opened = SafetensorsFile::open(m_dir.path() + "/absent.safetensors");
    ASSERT_FALSE(opened.ok());
    EXPECT_EQ(opened.error().code, ErrorCode::FileNotFound);
}

TEST_F(SafetensorsErrors, MisalignedTensorIsCopiedToAlignedMemory)
{
    // A one-byte tensor first pushes the F32 tensor to an odd offset.
    std::string data = "x";
    const float value = 3.25f;
    data.append(reinterpret_cast<const char*>(&value), sizeof value);
    std::string header = R"({"b":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"w":{"dtype":"F32","shape":[1],"data_offsets":[1,5]}})";
    const std::string path = m_dir.write("odd.safetensors", file(header, data));
    auto opened = SafetensorsFile::open(path);
    ASSERT_TRUE(opened.ok()) << opened.error().describe();
    const TensorView* tensor = opened.value()->find("w");
    ASSERT_NE(tensor, nullptr);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(tensor->data) % alignof(float), 0u);
    float read;
    std::memcpy(&read, tensor->data, sizeof read);
    EXPECT_EQ(read, 3.25f);
}

TEST_F(SafetensorsErrors, WriterRoundTripsAndIsAtomic)
{
    const std::string path = m_dir.path() + "/round.safetensors";
    ASSERT_TRUE(writeSafetensors(path, {makeF32Tensor("a", {2, 2}, {1, 2, 3, 4}), makeF32Tensor("b", {1}, {5})},
                                 {{"note", "x"}})
                    .ok());
    auto opened = SafetensorsFile::open(path);
    ASSERT_TRUE(opened.ok()) << opened.error().describe();
    EXPECT_EQ(opened.value()->tensors().size(), 2u);
    EXPECT_EQ(opened.value()->find("a")->shapeString(), "[2, 2]");
    EXPECT_EQ(opened.value()->metadata().at("note"), "x");
}

TEST_F(SafetensorsErrors, WriterRefusesAnUnwritablePath)
{
    auto written = writeSafetensors("/proc/attnscope-cannot-write/x.safetensors", {makeF32Tensor("a", {1}, {1})});
    ASSERT_FALSE(written.ok());
    EXPECT_EQ(written.error().code, ErrorCode::FileIo);
    EXPECT_NE(written.error().describe().find("/proc/attnscope-cannot-write/x.safetensors"), std::string::npos);
}

} // namespace
} // namespace attnscope

// GGUF dequantisation at open (issue #10): quantised tensors are decoded to f32 copies when the
// file is opened, 4 bytes per weight for a file that stores 4-8 bits, so a file that fits on disk
// can decode to more memory than the machine has. TensorStore::fromGguf must count those bytes
// first and refuse, naming the file and the size, before allocating any of them.

#include "io/gguf_file.h"
#include "io/tensor_store.h"
#include "test_support/temp_dir.h"
#include "tst_gguf_builder.h"
#include "test_support/memory_limits.h"

#include <cstring>
#include <gtest/gtest.h>

namespace attnscope {
namespace {

using testing::GgufBuilder;

constexpr std::uint32_t kF32 = 0;
constexpr std::uint32_t kQ8_0 = 8;

// Two tensors: "quantised" Q8_0 [32 x 64] (64 blocks of 34 bytes: an f16 scale of 1.0, then the
// int8 values 0..31) and "plain" F32 [16], read in place. Decoding needs 2048 · 4 = 8192 bytes.
std::string quantisedFile()
{
    std::string blocks;
    for (int block = 0; block < 64; ++block) {
        const std::uint16_t oneAsF16 = 0x3C00;
        blocks.append(reinterpret_cast<const char*>(&oneAsF16), 2);
        for (int value = 0; value < 32; ++value) {
            blocks.push_back(static_cast<char>(value));
        }
    }
    GgufBuilder builder;
    builder.header(2, 0);
    builder.tensor("quantised", {32, 64}, kQ8_0, 0);
    const std::uint64_t plainOffset = (blocks.size() + 31) / 32 * 32;
    builder.tensor("plain", {16}, kF32, plainOffset);
    builder.align();
    builder.data(blocks.data(), blocks.size()).align();
    builder.floats(std::vector<float>(16, 0.5f));
    return builder.bytes();
}

TEST(GgufMemoryBudget, CountsTheF32CopiesOfQuantisedTensorsOnly)
{
    TempDir dir;
    auto file = GgufFile::open(dir.write("q8.gguf", quantisedFile()));
    ASSERT_TRUE(file.ok()) << file.error().describe();
    EXPECT_EQ(ggufCopiedBytes(**file), 8192u);
}

TEST(GgufMemoryBudget, RefusesBeforeDecodingWhenTheCopiesDoNotFit)
{
    TempDir dir;
    const std::string path = dir.write("q8.gguf", quantisedFile());
    auto file = GgufFile::open(path);
    ASSERT_TRUE(file.ok()) << file.error().describe();
    std::shared_ptr<const GgufFile> shared(std::move(*file));
    {
        const ScopedMemoryLimit limit(6144);
        auto store = TensorStore::fromGguf(shared);
        ASSERT_FALSE(store.ok());
        EXPECT_EQ(store.error().code, ErrorCode::OutOfMemory);
        EXPECT_EQ(store.error().reason, "memory_budget");
        EXPECT_EQ(store.error().describe(),
                  path + ": decoding its quantised tensors to f32 needs about 8.0 KiB of memory, but only 6.0 KiB "
                         "is available; use a smaller model or close other programs");
    }
    {
        // Exactly enough: opens, and the decoded values are scale · int8.
        const ScopedMemoryLimit limit(8192);
        auto store = TensorStore::fromGguf(shared);
        ASSERT_TRUE(store.ok()) << store.error().describe();
        const TensorView* quantised = (*store)->find("quantised");
        ASSERT_NE(quantised, nullptr);
        ASSERT_EQ(quantised->dtype, DType::F32);
        float values[64];
        std::memcpy(values, quantised->data, sizeof values);
        EXPECT_EQ(values[0], 0.0f);
        EXPECT_EQ(values[31], 31.0f);
        EXPECT_EQ(values[32 + 5], 5.0f);
    }
}

} // namespace
} // namespace attnscope

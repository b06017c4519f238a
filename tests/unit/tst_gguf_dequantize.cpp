// Dequantisation of hand-built blocks. Each test packs chosen integer codes and scales into the
// byte layout of ggml-common.h (block_q8_0, block_q4_K, ...) and computes the expected values from
// the format's definition (x = d·q, x = d·scale·q − dmin·min, ...) directly, without calling our
// decoder for the expectation. Scales are powers of two or small integers so every expected value
// is exact in float.

#include "tensor/dequantize.h"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstring>
#include <vector>

namespace attnscope {
namespace {

// f16 bit patterns of a few exact values.
constexpr std::uint16_t kHalfOne = 0x3c00;
constexpr std::uint16_t kHalfTwo = 0x4000;
constexpr std::uint16_t kHalfHalf = 0x3800;
constexpr std::uint16_t kHalfQuarter = 0x3400;

void putU16(std::vector<std::byte>& bytes, std::size_t at, std::uint16_t value)
{
    std::memcpy(bytes.data() + at, &value, sizeof value);
}

void putU8(std::vector<std::byte>& bytes, std::size_t at, int value)
{
    bytes[at] = static_cast<std::byte>(value & 0xff);
}

int nibble(int byte, bool high)
{
    return high ? (byte >> 4) & 0x0f : byte & 0x0f;
}

TEST(GgufDequantize, BlockLayoutsMatchGgml)
{
    EXPECT_EQ(ggmlBlockLayout(GgmlType::Q8_0).bytesPerBlock, 2 + 32);
    EXPECT_EQ(ggmlBlockLayout(GgmlType::Q4_0).bytesPerBlock, 2 + 16);
    EXPECT_EQ(ggmlBlockLayout(GgmlType::Q5_0).bytesPerBlock, 2 + 4 + 16);
    EXPECT_EQ(ggmlBlockLayout(GgmlType::Q4_K).bytesPerBlock, 2 + 2 + 12 + 128);
    EXPECT_EQ(ggmlBlockLayout(GgmlType::Q5_K).bytesPerBlock, 2 + 2 + 12 + 32 + 128);
    EXPECT_EQ(ggmlBlockLayout(GgmlType::Q6_K).bytesPerBlock, 128 + 64 + 16 + 2);
    EXPECT_EQ(ggmlBlockLayout(GgmlType::Q6_K).elementsPerBlock, 256);
    EXPECT_STREQ(ggmlTypeName(10), "Q2_K");
    EXPECT_FALSE(ggmlTypeFromId(10).has_value());
}

TEST(GgufDequantize, F16AndBf16)
{
    std::vector<std::byte> bytes(6);
    putU16(bytes, 0, 0xc100);  // f16 -2.5
    putU16(bytes, 2, 0x0001);  // f16 smallest subnormal 2^-24
    putU16(bytes, 4, 0x7c00);  // f16 +inf
    std::array<float, 3> out{};
    dequantizeF16(bytes.data(), 3, out.data());
    EXPECT_EQ(out[0], -2.5f);
    EXPECT_EQ(out[1], 5.9604644775390625e-08f);
    EXPECT_TRUE(std::isinf(out[2]));
    putU16(bytes, 0, 0x3fc0);  // bf16 1.5
    putU16(bytes, 2, 0xc2f7);  // bf16 -123.5
    dequantizeBf16(bytes.data(), 2, out.data());
    EXPECT_EQ(out[0], 1.5f);
    EXPECT_EQ(out[1], -123.5f);
}

TEST(GgufDequantize, Q8_0)
{
    // Two blocks: d = 0.5 with codes i − 16, then d = 2 with codes −128 and 127 alternating.
    std::vector<std::byte> bytes(68);
    putU16(bytes, 0, kHalfHalf);
    putU16(bytes, 34, kHalfTwo);
    for (int index = 0; index < 32; ++index) {
        putU8(bytes, 2 + index, index - 16);
        putU8(bytes, 36 + index, index % 2 == 0 ? -128 : 127);
    }
    std::vector<float> out(64);
    dequantizeQ8_0(bytes.data(), 2, out.data());
    for (int index = 0; index < 32; ++index) {
        EXPECT_EQ(out[index], 0.5f * (index - 16)) << index;
        EXPECT_EQ(out[32 + index], index % 2 == 0 ? -256.0f : 254.0f) << index;
    }
}

TEST(GgufDequantize, Q4_0)
{
    // Byte j holds value j (low nibble) and value j + 16 (high nibble); x = d·(q − 8).
    std::vector<std::byte> bytes(18);
    putU16(bytes, 0, kHalfTwo);
    for (int index = 0; index < 16; ++index) {
        putU8(bytes, 2 + index, index | ((15 - index) << 4));
    }
    std::vector<float> out(32);
    dequantizeQ4_0(bytes.data(), 1, out.data());
    for (int index = 0; index < 16; ++index) {
        EXPECT_EQ(out[index], 2.0f * (index - 8)) << index;
        EXPECT_EQ(out[index + 16], 2.0f * ((15 - index) - 8)) << index;
    }
}

TEST(GgufDequantize, Q5_0)
{
    // qh bit i is the fifth bit of value i: set for values 0..15 and for value 31 only.
    std::vector<std::byte> bytes(22);
    putU16(bytes, 0, kHalfOne);
    const std::uint32_t highBits = 0x0000ffffu | (1u << 31);
    std::memcpy(bytes.data() + 2, &highBits, 4);
    for (int index = 0; index < 16; ++index) {
        putU8(bytes, 6 + index, index | (3 << 4));
    }
    std::vector<float> out(32);
    dequantizeQ5_0(bytes.data(), 1, out.data());
    for (int index = 0; index < 16; ++index) {
        EXPECT_EQ(out[index], static_cast<float>((index + 16) - 16)) << index;
        const int fifth = index == 15 ? 16 : 0;
        EXPECT_EQ(out[index + 16], static_cast<float>((3 + fifth) - 16)) << index;
    }
}

// The 12-byte k-quant scale field for eight (scale, min) pairs of 6 bits each: pairs 0..3 in the
// low 6 bits of bytes 0..3 (scales) and 4..7 (mins); pairs 4..7 keep their low 4 bits in bytes
// 8..11 (scale low nibble, min high nibble) and their top 2 bits in the top bits of bytes 0..7.
std::array<int, 12> packScalesK4(const std::array<int, 8>& scales, const std::array<int, 8>& mins)
{
    std::array<int, 12> packed{};
    for (int index = 0; index < 4; ++index) {
        packed[index] = scales[index] | ((scales[index + 4] >> 4) << 6);
        packed[index + 4] = mins[index] | ((mins[index + 4] >> 4) << 6);
        packed[index + 8] = (scales[index + 4] & 0x0f) | ((mins[index + 4] & 0x0f) << 4);
    }
    return packed;
}

// Scales and mins chosen so that pairs 4..7 need their top two bits (values ≥ 16).
constexpr std::array<int, 8> kScalesK = {1, 2, 3, 4, 17, 6, 40, 63};
constexpr std::array<int, 8> kMinsK = {0, 2, 4, 6, 30, 10, 12, 48};

TEST(GgufDequantize, Q4_K)
{
    // 256 values in 8 sub-blocks of 32: group g of 64 values reads bytes qs[32g .. 32g+31], low
    // nibbles for sub-block 2g, high nibbles for sub-block 2g+1. x = d·scale·q − dmin·min.
    std::vector<std::byte> bytes(144);
    putU16(bytes, 0, kHalfOne);
    putU16(bytes, 2, kHalfHalf);
    const auto packed = packScalesK4(kScalesK, kMinsK);
    for (int index = 0; index < 12; ++index) {
        putU8(bytes, 4 + index, packed[index]);
    }
    for (int index = 0; index < 128; ++index) {
        putU8(bytes, 16 + index, (index % 16) | ((15 - index % 16) << 4));
    }
    std::vector<float> out(256);
    dequantizeQ4_K(bytes.data(), 1, out.data());
    for (int pos = 0; pos < 256; ++pos) {
        const int sub = pos / 32;
        const bool high = sub % 2 == 1;
        const int byte = 32 * (pos / 64) + pos % 32;
        const int code = nibble((byte % 16) | ((15 - byte % 16) << 4), high);
        const float expected = 1.0f * kScalesK[sub] * code - 0.5f * kMinsK[sub];
        EXPECT_EQ(out[pos], expected) << pos;
    }
}

TEST(GgufDequantize, Q5_K)
{
    // As Q4_K, with a fifth bit per value: bit (2g + high) of qh[pos % 32] adds 16.
    std::vector<std::byte> bytes(176);
    putU16(bytes, 0, kHalfQuarter);
    putU16(bytes, 2, kHalfTwo);
    const auto packed = packScalesK4(kScalesK, kMinsK);
    for (int index = 0; index < 12; ++index) {
        putU8(bytes, 4 + index, packed[index]);
    }
    auto codeOf = [](int pos) { return (pos * 7 + 3) % 32; };
    std::array<int, 32> highBits{};
    std::array<int, 128> lowBits{};
    for (int pos = 0; pos < 256; ++pos) {
        const int sub = pos / 32;
        const int byte = 32 * (pos / 64) + pos % 32;
        lowBits[byte] |= (codeOf(pos) & 0x0f) << (sub % 2 == 1 ? 4 : 0);
        highBits[pos % 32] |= (codeOf(pos) >> 4) << sub;
    }
    for (int index = 0; index < 32; ++index) {
        putU8(bytes, 16 + index, highBits[index]);
    }
    for (int index = 0; index < 128; ++index) {
        putU8(bytes, 48 + index, lowBits[index]);
    }
    std::vector<float> out(256);
    dequantizeQ5_K(bytes.data(), 1, out.data());
    for (int pos = 0; pos < 256; ++pos) {
        const int sub = pos / 32;
        EXPECT_EQ(out[pos], 0.25f * kScalesK[sub] * codeOf(pos) - 2.0f * kMinsK[sub]) << pos;
    }
}

TEST(GgufDequantize, Q6_K)
{
    // 256 values; value p has a 6-bit code q and sub-block scale scales[p / 16] (int8);
    // x = d·scale·(q − 32). Layout: half h = p / 128, r = p % 128, k = r / 32, l = r % 32; the low
    // nibble sits in ql[64h + l + 32·(k odd)] (low half of the byte for k < 2, high half
    // otherwise) and the top two bits in qh[32h + l] at bit 2k.
    auto codeOf = [](int pos) { return (pos * 37 + 11) % 64; };
    std::array<int, 128> low{};
    std::array<int, 64> high{};
    for (int pos = 0; pos < 256; ++pos) {
        const int half = pos / 128;
        const int rest = pos % 128;
        const int k = rest / 32;
        const int l = rest % 32;
        low[64 * half + l + (k % 2 == 1 ? 32 : 0)] |= (codeOf(pos) & 0x0f) << (k < 2 ? 0 : 4);
        high[32 * half + l] |= (codeOf(pos) >> 4) << (2 * k);
    }
    std::vector<std::byte> bytes(210);
    for (int index = 0; index < 128; ++index) {
        putU8(bytes, index, low[index]);
    }
    for (int index = 0; index < 64; ++index) {
        putU8(bytes, 128 + index, high[index]);
    }
    for (int index = 0; index < 16; ++index) {
        putU8(bytes, 192 + index, index - 8);
    }
    putU16(bytes, 208, kHalfQuarter);
    std::vector<float> out(256);
    dequantizeQ6_K(bytes.data(), 1, out.data());
    for (int pos = 0; pos < 256; ++pos) {
        EXPECT_EQ(out[pos], 0.25f * static_cast<float>(pos / 16 - 8) * static_cast<float>(codeOf(pos) - 32)) << pos;
    }
}

TEST(GgufDequantize, DispatchDecodesSeveralBlocks)
{
    std::vector<std::byte> bytes(2 * 34);
    putU16(bytes, 0, kHalfOne);
    putU16(bytes, 34, kHalfTwo);
    for (int index = 0; index < 32; ++index) {
        putU8(bytes, 2 + index, 1);
        putU8(bytes, 36 + index, -1);
    }
    std::vector<float> out(64);
    dequantize(GgmlType::Q8_0, bytes.data(), 2, out.data());
    EXPECT_EQ(out[0], 1.0f);
    EXPECT_EQ(out[63], -2.0f);
}

} // namespace
} // namespace attnscope

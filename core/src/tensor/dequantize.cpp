#include "tensor/dequantize.h"

#include "tensor/dtype.h"

#include <cstring>

namespace attnscope {

namespace {

// Blocks are packed back to back with no padding, so multi-byte fields may sit at any address:
// read them through memcpy, never through a cast pointer.
std::uint16_t readU16(const std::byte* bytes)
{
    std::uint16_t value;
    std::memcpy(&value, bytes, sizeof value);
    return value;
}

float readF16(const std::byte* bytes)
{
    return f16ToFloat(readU16(bytes));
}

std::uint8_t byteAt(const std::byte* bytes, std::size_t index)
{
    return static_cast<std::uint8_t>(bytes[index]);
}

// The k-quants pack eight 6-bit scales and eight 6-bit mins into 12 bytes: the first four of each
// in the low 6 bits of bytes 0..7, the last four split between bytes 8..11 (low 4 bits) and the
// top 2 bits of bytes 0..7 (ggml's get_scale_min_k4).
void scaleMinK4(int index, const std::byte* scales, int& scale, int& minimum)
{
    if (index < 4) {
        scale = byteAt(scales, index) & 63;
        minimum = byteAt(scales, index + 4) & 63;
    } else {
        scale = (byteAt(scales, index + 4) & 0x0f) | ((byteAt(scales, index - 4) >> 6) << 4);
        minimum = (byteAt(scales, index + 4) >> 4) | ((byteAt(scales, index) >> 6) << 4);
    }
}

struct NamedType {
    std::uint32_t id;
    const char* name;
};

// Every type id ggml has defined, so that an unsupported tensor is named in the error.
constexpr NamedType kGgmlTypeNames[] = {
    {0, "F32"},      {1, "F16"},      {2, "Q4_0"},    {3, "Q4_1"},     {6, "Q5_0"},     {7, "Q5_1"},
    {8, "Q8_0"},     {9, "Q8_1"},     {10, "Q2_K"},   {11, "Q3_K"},    {12, "Q4_K"},    {13, "Q5_K"},
    {14, "Q6_K"},    {15, "Q8_K"},    {16, "IQ2_XXS"}, {17, "IQ2_XS"}, {18, "IQ3_XXS"}, {19, "IQ1_S"},
    {20, "IQ4_NL"},  {21, "IQ3_S"},   {22, "IQ2_S"},  {23, "IQ4_XS"},  {24, "I8"},      {25, "I16"},
    {26, "I32"},     {27, "I64"},     {28, "F64"},    {29, "IQ1_M"},   {30, "BF16"},    {34, "TQ1_0"},
    {35, "TQ2_0"},   {39, "MXFP4"},
};

} // namespace

std::optional<GgmlType> ggmlTypeFromId(std::uint32_t id)
{
    switch (id) {
    case 0: return GgmlType::F32;
    case 1: return GgmlType::F16;
    case 2: return GgmlType::Q4_0;
    case 6: return GgmlType::Q5_0;
    case 8: return GgmlType::Q8_0;
    case 12: return GgmlType::Q4_K;
    case 13: return GgmlType::Q5_K;
    case 14: return GgmlType::Q6_K;
    case 30: return GgmlType::BF16;
    default: return std::nullopt;
    }
}

const char* ggmlTypeName(std::uint32_t id)
{
    for (const NamedType& named : kGgmlTypeNames) {
        if (named.id == id) {
            return named.name;
        }
    }
    return "unknown";
}

GgmlBlockLayout ggmlBlockLayout(GgmlType type)
{
    switch (type) {
    case GgmlType::F32: return {1, 4};
    case GgmlType::F16: return {1, 2};
    case GgmlType::BF16: return {1, 2};
    case GgmlType::Q4_0: return {32, 18};
    case GgmlType::Q5_0: return {32, 22};
    case GgmlType::Q8_0: return {32, 34};
    case GgmlType::Q4_K: return {kQkK, 144};
    case GgmlType::Q5_K: return {kQkK, 176};
    case GgmlType::Q6_K: return {kQkK, 210};
    }
    return {1, 4};
}

void dequantizeF32(const std::byte* blocks, std::size_t nBlocks, float* out)
{
    std::memcpy(out, blocks, nBlocks * sizeof(float));
}

void dequantizeF16(const std::byte* blocks, std::size_t nBlocks, float* out)
{
    for (std::size_t index = 0; index < nBlocks; ++index) {
        out[index] = readF16(blocks + 2 * index);
    }
}

void dequantizeBf16(const std::byte* blocks, std::size_t nBlocks, float* out)
{
    for (std::size_t index = 0; index < nBlocks; ++index) {
        out[index] = bf16ToFloat(readU16(blocks + 2 * index));
    }
}

void dequantizeQ8_0(const std::byte* blocks, std::size_t nBlocks, float* out)
{
    for (std::size_t block = 0; block < nBlocks; ++block, blocks += 34, out += 32) {
        const float scale = readF16(blocks);
        for (int index = 0; index < 32; ++index) {
            out[index] = scale * static_cast<float>(static_cast<std::int8_t>(byteAt(blocks, 2 + index)));
        }
    }
}

void dequantizeQ4_0(const std::byte* blocks, std::size_t nBlocks, float* out)
{
    for (std::size_t block = 0; block < nBlocks; ++block, blocks += 18, out += 32) {
        const float scale = readF16(blocks);
        const std::byte* packed = blocks + 2;
        for (int index = 0; index < 16; ++index) {
            out[index] = scale * static_cast<float>((byteAt(packed, index) & 0x0f) - 8);
            out[index + 16] = scale * static_cast<float>((byteAt(packed, index) >> 4) - 8);
        }
    }
}

void dequantizeQ5_0(const std::byte* blocks, std::size_t nBlocks, float* out)
{
    for (std::size_t block = 0; block < nBlocks; ++block, blocks += 22, out += 32) {
        const float scale = readF16(blocks);
        std::uint32_t highBits;
        std::memcpy(&highBits, blocks + 2, sizeof highBits);
        const std::byte* packed = blocks + 6;
        for (int index = 0; index < 16; ++index) {
            const int lowHigh = static_cast<int>((highBits >> index) & 1u) << 4;
            const int highHigh = static_cast<int>((highBits >> (index + 16)) & 1u) << 4;
            out[index] = scale * static_cast<float>(((byteAt(packed, index) & 0x0f) | lowHigh) - 16);
            out[index + 16] = scale * static_cast<float>(((byteAt(packed, index) >> 4) | highHigh) - 16);
        }
    }
}

void dequantizeQ4_K(const std::byte* blocks, std::size_t nBlocks, float* out)
{
    for (std::size_t block = 0; block < nBlocks; ++block, blocks += 144) {
        const float scale = readF16(blocks);
        const float minScale = readF16(blocks + 2);
        const std::byte* scales = blocks + 4;
        const std::byte* packed = blocks + 16;
        for (int group = 0; group < 4; ++group, packed += 32) {
            int scaleLow, minLow, scaleHigh, minHigh;
            scaleMinK4(2 * group, scales, scaleLow, minLow);
            scaleMinK4(2 * group + 1, scales, scaleHigh, minHigh);
            for (int index = 0; index < 32; ++index) {
                *out++ = scale * scaleLow * (byteAt(packed, index) & 0x0f) - minScale * minLow;
            }
            for (int index = 0; index < 32; ++index) {
                *out++ = scale * scaleHigh * (byteAt(packed, index) >> 4) - minScale * minHigh;
            }
        }
    }
}

void dequantizeQ5_K(const std::byte* blocks, std::size_t nBlocks, float* out)
{
    for (std::size_t block = 0; block < nBlocks; ++block, blocks += 176) {
        const float scale = readF16(blocks);
        const float minScale = readF16(blocks + 2);
        const std::byte* scales = blocks + 4;
        const std::byte* highBits = blocks + 16;
        const std::byte* packed = blocks + 48;
        for (int group = 0; group < 4; ++group, packed += 32) {
            int scaleLow, minLow, scaleHigh, minHigh;
            scaleMinK4(2 * group, scales, scaleLow, minLow);
            scaleMinK4(2 * group + 1, scales, scaleHigh, minHigh);
            const int lowMask = 1 << (2 * group);
            const int highMask = 1 << (2 * group + 1);
            for (int index = 0; index < 32; ++index) {
                const int value = (byteAt(packed, index) & 0x0f) + ((byteAt(highBits, index) & lowMask) ? 16 : 0);
                *out++ = scale * scaleLow * value - minScale * minLow;
            }
            for (int index = 0; index < 32; ++index) {
                const int value = (byteAt(packed, index) >> 4) + ((byteAt(highBits, index) & highMask) ? 16 : 0);
                *out++ = scale * scaleHigh * value - minScale * minHigh;
            }
        }
    }
}

void dequantizeQ6_K(const std::byte* blocks, std::size_t nBlocks, float* out)
{
    for (std::size_t block = 0; block < nBlocks; ++block, blocks += 210) {
        const std::byte* low = blocks;
        const std::byte* high = blocks + 128;
        const std::byte* scales = blocks + 192;
        const float scale = readF16(blocks + 208);
        // Two halves of 128 values; within a half, value l + 32·k takes its low nibble from
        // low[l] (k even) or low[l + 32] (k odd), and its top two bits from high[l] >> 2k.
        for (int half = 0; half < 2; ++half, low += 64, high += 32, scales += 8, out += 128) {
            for (int index = 0; index < 32; ++index) {
                const int group = index / 16;
                const int q1 = ((byteAt(low, index) & 0x0f) | ((byteAt(high, index) & 3) << 4)) - 32;
                const int q2 = ((byteAt(low, index + 32) & 0x0f) | (((byteAt(high, index) >> 2) & 3) << 4)) - 32;
                const int q3 = ((byteAt(low, index) >> 4) | (((byteAt(high, index) >> 4) & 3) << 4)) - 32;
                const int q4 = ((byteAt(low, index + 32) >> 4) | (((byteAt(high, index) >> 6) & 3) << 4)) - 32;
                const auto subScale = [&](int offset) {
                    return static_cast<float>(static_cast<std::int8_t>(byteAt(scales, group + offset)));
                };
                out[index] = scale * subScale(0) * static_cast<float>(q1);
                out[index + 32] = scale * subScale(2) * static_cast<float>(q2);
                out[index + 64] = scale * subScale(4) * static_cast<float>(q3);
                out[index + 96] = scale * subScale(6) * static_cast<float>(q4);
            }
        }
    }
}

void dequantize(GgmlType type, const std::byte* blocks, std::size_t nBlocks, float* out)
{
    switch (type) {
    case GgmlType::F32: dequantizeF32(blocks, nBlocks, out); return;
    case GgmlType::F16: dequantizeF16(blocks, nBlocks, out); return;
    case GgmlType::BF16: dequantizeBf16(blocks, nBlocks, out); return;
    case GgmlType::Q4_0: dequantizeQ4_0(blocks, nBlocks, out); return;
    case GgmlType::Q5_0: dequantizeQ5_0(blocks, nBlocks, out); return;
    case GgmlType::Q8_0: dequantizeQ8_0(blocks, nBlocks, out); return;
    case GgmlType::Q4_K: dequantizeQ4_K(blocks, nBlocks, out); return;
    case GgmlType::Q5_K: dequantizeQ5_K(blocks, nBlocks, out); return;
    case GgmlType::Q6_K: dequantizeQ6_K(blocks, nBlocks, out); return;
    }
}

} // namespace attnscope

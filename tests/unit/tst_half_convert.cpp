// The f32 <-> f16 / bf16 conversions of attnscope_kernels/half_convert.h (the 16-bit dense
// attention rounds its inputs on the host and its output on the GPU with them), and the host glue
// of the 16-bit path that runs without a device:
//  - known bit patterns: normals, ties to even, the largest finite values and the overflow edge,
//    subnormals (smallest, largest, ties), signed zeros, ±inf, quiet and signalling NaN;
//  - every 16-bit pattern widens exactly and narrows back to itself (NaN stays NaN);
//  - a sweep over f32 bit patterns against independent references: the compiler's _Float16
//    conversion (IEEE round to nearest even) for f16, and a float64 nearest-of-two-neighbours
//    rule written here for bf16;
//  - GpuPrecision names, the 16-bit device-byte estimate, and runDenseAttentionPreferCuda with a
//    16-bit precision: without a usable device it runs the CPU's f32 attention (same bits as the
//    f32 request) and says why.

#include "attnscope/gpu_precision.h"
#include "attnscope_kernels/half_convert.h"
#include "backend/cuda/cuda_dense_half.h"
#include "backend/cuda/device_memory_budget.h"
#include "backend/dense_attention_dispatch.h"
#include "model/dense_attention.h"
#include "model/layer_qkv.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <gtest/gtest.h>
#include <limits>
#include <random>
#include <vector>

namespace attnscope {
namespace {

float fromBits(std::uint32_t bits)
{
    float value = 0.0f;
    std::memcpy(&value, &bits, sizeof(value));
    return value;
}

std::uint32_t toBits(float value)
{
    std::uint32_t bits = 0;
    std::memcpy(&bits, &value, sizeof(bits));
    return bits;
}

TEST(HalfConvert, F16KnownPatterns)
{
    EXPECT_EQ(floatToF16Bits(1.0f), 0x3C00);
    EXPECT_EQ(floatToF16Bits(-2.0f), 0xC000);
    EXPECT_EQ(floatToF16Bits(0.1f), 0x2E66);
    EXPECT_EQ(floatToF16Bits(0.0f), 0x0000);
    EXPECT_EQ(floatToF16Bits(-0.0f), 0x8000);
    EXPECT_EQ(floatToF16Bits(65504.0f), 0x7BFF);       // largest finite
    EXPECT_EQ(floatToF16Bits(65519.996f), 0x7BFF);     // just below the halfway point to 2^16
    EXPECT_EQ(floatToF16Bits(65520.0f), 0x7C00);       // the tie rounds to even: inf
    EXPECT_EQ(floatToF16Bits(-1e6f), 0xFC00);
    EXPECT_EQ(floatToF16Bits(std::numeric_limits<float>::infinity()), 0x7C00);
    EXPECT_EQ(floatToF16Bits(-std::numeric_limits<float>::infinity()), 0xFC00);
    // Ties to even between normals: 1 + 2^-11 -> 1, 1 + 3·2^-11 -> 1 + 2^-9.
    EXPECT_EQ(floatToF16Bits(1.0f + std::ldexp(1.0f, -11)), 0x3C00);
    EXPECT_EQ(floatToF16Bits(1.0f + 3.0f * std::ldexp(1.0f, -11)), 0x3C02);
    EXPECT_EQ(floatToF16Bits(1.0f + std::ldexp(1.0f, -11) + std::ldexp(1.0f, -20)), 0x3C01);
    // Subnormals (units of 2^-24) and the normal edge.
    EXPECT_EQ(floatToF16Bits(std::ldexp(1.0f, -24)), 0x0001);
    EXPECT_EQ(floatToF16Bits(std::ldexp(1.0f, -25)), 0x0000);                // tie to even: 0
    EXPECT_EQ(floatToF16Bits(std::ldexp(1.0f, -25) * 1.0001f), 0x0001);
    EXPECT_EQ(floatToF16Bits(3.0f * std::ldexp(1.0f, -25)), 0x0002);         // 1.5 ulp: tie to 2
    EXPECT_EQ(floatToF16Bits(1023.0f * std::ldexp(1.0f, -24)), 0x03FF);      // largest subnormal
    EXPECT_EQ(floatToF16Bits(1023.5f * std::ldexp(1.0f, -24)), 0x0400);      // tie up to the normal
    EXPECT_EQ(floatToF16Bits(std::ldexp(1.0f, -14)), 0x0400);
    EXPECT_EQ(floatToF16Bits(-std::ldexp(1.0f, -24)), 0x8001);
    EXPECT_EQ(floatToF16Bits(fromBits(0x00000001)), 0x0000);                 // f32 subnormal
    // NaN: exponent all ones, non-zero mantissa, quiet bit set, sign kept.
    for (std::uint32_t nan : {0x7FC00000u, 0x7F800001u, 0xFFC00123u, 0x7FFFFFFFu}) {
        const unsigned short half = floatToF16Bits(fromBits(nan));
        EXPECT_EQ(half & 0x7C00, 0x7C00) << std::hex << nan;
        EXPECT_NE(half & 0x03FF, 0) << std::hex << nan;
        EXPECT_NE(half & 0x0200, 0) << std::hex << nan;
        EXPECT_EQ(half & 0x8000, (nan >> 16) & 0x8000) << std::hex << nan;
    }
}

TEST(HalfConvert, Bf16KnownPatterns)
{
    EXPECT_EQ(floatToBf16Bits(1.0f), 0x3F80);
    EXPECT_EQ(floatToBf16Bits(-2.0f), 0xC000);
    EXPECT_EQ(floatToBf16Bits(0.1f), 0x3DCD);  // 0x3DCCCCCD rounds up
    EXPECT_EQ(floatToBf16Bits(-0.0f), 0x8000);
    EXPECT_EQ(floatToBf16Bits(fromBits(0x3F808000)), 0x3F80);  // tie, even stays
    EXPECT_EQ(floatToBf16Bits(fromBits(0x3F818000)), 0x3F82);  // tie, odd rounds up
    EXPECT_EQ(floatToBf16Bits(fromBits(0x3F808001)), 0x3F81);
    EXPECT_EQ(floatToBf16Bits(fromBits(0x7F7F7FFF)), 0x7F7F);  // largest finite survives
    EXPECT_EQ(floatToBf16Bits(std::numeric_limits<float>::max()), 0x7F80);  // overflows to inf
    EXPECT_EQ(floatToBf16Bits(std::numeric_limits<float>::infinity()), 0x7F80);
    EXPECT_EQ(floatToBf16Bits(-std::numeric_limits<float>::infinity()), 0xFF80);
    EXPECT_EQ(floatToBf16Bits(fromBits(0x00000001)), 0x0000);  // subnormals: same rule
    EXPECT_EQ(floatToBf16Bits(fromBits(0x00008000)), 0x0000);
    EXPECT_EQ(floatToBf16Bits(fromBits(0x00018000)), 0x0002);
    EXPECT_EQ(floatToBf16Bits(fromBits(0x007FFFFF)), 0x0080);  // largest subnormal -> smallest normal
    EXPECT_EQ(floatToBf16Bits(fromBits(0x80010000)), 0x8001);
    EXPECT_EQ(floatToBf16Bits(fromBits(0x7FC00000)), 0x7FC0);
    EXPECT_EQ(floatToBf16Bits(fromBits(0x7F800001)), 0x7FC0);  // signalling NaN: quiet, not inf
    EXPECT_EQ(floatToBf16Bits(fromBits(0xFF800001)), 0xFFC0);
}

TEST(HalfConvert, WideningIsExact)
{
    EXPECT_EQ(f16BitsToFloat(0x3C00), 1.0f);
    EXPECT_EQ(f16BitsToFloat(0xFBFF), -65504.0f);
    EXPECT_EQ(f16BitsToFloat(0x0001), std::ldexp(1.0f, -24));
    EXPECT_EQ(f16BitsToFloat(0x03FF), 1023.0f * std::ldexp(1.0f, -24));
    EXPECT_EQ(f16BitsToFloat(0x0400), std::ldexp(1.0f, -14));
    EXPECT_EQ(toBits(f16BitsToFloat(0x8000)), 0x80000000u);
    EXPECT_EQ(f16BitsToFloat(0x7C00), std::numeric_limits<float>::infinity());
    EXPECT_EQ(f16BitsToFloat(0xFC00), -std::numeric_limits<float>::infinity());
    EXPECT_TRUE(std::isnan(f16BitsToFloat(0x7E00)));
    EXPECT_TRUE(std::isnan(f16BitsToFloat(0x7C01)));
    EXPECT_EQ(bf16BitsToFloat(0x3F80), 1.0f);
    EXPECT_EQ(toBits(bf16BitsToFloat(0x0001)), 0x00010000u);
    EXPECT_TRUE(std::isnan(bf16BitsToFloat(0x7F81)));
}

TEST(HalfConvert, EveryPatternRoundTrips)
{
    for (std::uint32_t bits = 0; bits <= 0xFFFF; ++bits) {
        const auto half = static_cast<unsigned short>(bits);
        for (AttnHalfType type : {AttnHalfType::F16, AttnHalfType::Bf16}) {
            const float wide = halfTypeBitsToFloat(half, type);
            const unsigned short back = floatToHalfTypeBits(wide, type);
            if (std::isnan(wide)) {
                EXPECT_TRUE(std::isnan(halfTypeBitsToFloat(back, type))) << std::hex << bits;
            } else {
                ASSERT_EQ(back, half) << std::hex << bits << " type " << static_cast<int>(type);
            }
        }
    }
    // Widening is monotone over the finite positive f16 patterns (the subnormal normalisation).
    for (std::uint32_t bits = 1; bits < 0x7C00; ++bits) {
        ASSERT_LT(f16BitsToFloat(static_cast<unsigned short>(bits - 1)),
                  f16BitsToFloat(static_cast<unsigned short>(bits)))
            << std::hex << bits;
    }
}

/// bf16 reference: the nearer in float64 of the two bf16 neighbours of a finite x (truncation and
/// the next pattern away from zero), ties to the even pattern; beyond the largest finite value by
/// half an ulp or more: inf.
unsigned short bf16Reference(float x)
{
    const std::uint32_t bits = toBits(x);
    const std::uint32_t truncated = bits >> 16;
    const std::uint32_t next = truncated + 1;
    const double exact = x;
    const double low = fromBits(truncated << 16);
    const double high = (next & 0x7FFF) == 0x7F80 ? std::ldexp(1.0, 128) * (x < 0 ? -1 : 1)
                                                 : static_cast<double>(fromBits(next << 16));
    const double toLow = std::fabs(exact - low);
    const double toHigh = std::fabs(high - exact);
    if (toLow < toHigh || (toLow == toHigh && (truncated & 1) == 0)) {
        return static_cast<unsigned short>(truncated);
    }
    return static_cast<unsigned short>(next);
}

TEST(HalfConvert, MatchesIndependentReferencesOverF32Sweep)
{
    // Every 251st f32 pattern (17 million values over all exponents and signs), plus the patterns
    // right around each f16 / bf16 rounding boundary of the first sweep.
    std::uint64_t checked = 0;
    for (std::uint64_t wide = 0; wide <= 0xFFFFFFFFull; wide += 251) {
        const auto bits = static_cast<std::uint32_t>(wide);
        const float x = fromBits(bits);
        if (std::isnan(x)) {
            continue;
        }
#if defined(__FLT16_MAX__)
        const _Float16 reference = static_cast<_Float16>(x);
        unsigned short referenceBits = 0;
        std::memcpy(&referenceBits, &reference, sizeof(referenceBits));
        ASSERT_EQ(floatToF16Bits(x), referenceBits) << std::hex << bits;
#endif
        ASSERT_EQ(floatToBf16Bits(x), bf16Reference(x)) << std::hex << bits;
        ++checked;
    }
    EXPECT_GT(checked, 16'000'000u);
    for (std::uint32_t top = 0; top <= 0xFFFF; top += 7) {
        for (std::uint32_t low : {0x7FFFu, 0x8000u, 0x8001u}) {
            const float x = fromBits((top << 16) | low);
            if (!std::isnan(x)) {
                ASSERT_EQ(floatToBf16Bits(x), bf16Reference(x)) << std::hex << ((top << 16) | low);
            }
        }
    }
}

TEST(HalfConvert, SpanConversionsUseTheElementRule)
{
    const std::vector<float> values{1.0f, 0.1f, -65520.0f, std::ldexp(1.0f, -25), 3.0e38f};
    std::vector<std::uint16_t> bits;
    convertToHalfBits(values, AttnHalfType::F16, bits);
    EXPECT_EQ(bits, (std::vector<std::uint16_t>{0x3C00, 0x2E66, 0xFC00, 0x0000, 0x7C00}));
    convertToHalfBits(values, AttnHalfType::Bf16, bits);
    EXPECT_EQ(bits, (std::vector<std::uint16_t>{0x3F80, 0x3DCD, 0xC780, 0x3300, 0x7F62}));
    std::vector<float> back;
    convertFromHalfBits(bits, AttnHalfType::Bf16, back);
    ASSERT_EQ(back.size(), values.size());
    for (std::size_t index = 0; index < values.size(); ++index) {
        EXPECT_EQ(back[index], roundToHalfType(values[index], AttnHalfType::Bf16));
    }
}

TEST(GpuPrecisionOption, NamesRoundTrip)
{
    for (GpuPrecision precision : {GpuPrecision::F32, GpuPrecision::Bf16, GpuPrecision::F16}) {
        EXPECT_EQ(parseGpuPrecision(gpuPrecisionName(precision)), precision);
    }
    EXPECT_FALSE(parseGpuPrecision("fp16").has_value());
    EXPECT_FALSE(parseGpuPrecision("").has_value());
    EXPECT_FALSE(parseGpuPrecision("BF16").has_value());
}

TEST(GpuPrecisionOption, HalfDeviceBytesAreTheDocumentedSum)
{
    // q and out 8·1000·64 each, k and v 2·1000·64 each (2 bytes), lse 8·1000 (4 bytes).
    EXPECT_EQ(denseAttentionHalfDeviceBytes(8, 2, 1000, 64), 2u * 1'280'000u + 4u * 8'000u);
    EXPECT_EQ(denseAttentionHalfDeviceBytes(8, 2, 0, 64), 0u);
}

TEST(GpuPrecisionOption, HalfRequestWithoutDeviceRunsTheF32CpuPath)
{
    LayerQkv layer;
    layer.nHeads = 4;
    layer.nKvHeads = 2;
    layer.nTokens = 37;
    layer.headDim = 64;
    layer.scale = 0.125f;
    std::mt19937 rng(7);
    std::normal_distribution<float> normal;
    for (std::vector<float>* values : {&layer.q, &layer.k, &layer.v}) {
        const int heads = values == &layer.q ? layer.nHeads : layer.nKvHeads;
        values->resize(static_cast<std::size_t>(heads) * layer.nTokens * layer.headDim);
        for (float& value : *values) {
            value = normal(rng);
        }
    }
    std::vector<float> cpuOut;
    std::vector<float> cpuLse;
    ASSERT_TRUE(denseAttention(layer, &cpuOut, &cpuLse, 1).ok());
    const Result<void> direct = runDenseAttentionHalfCuda(layer, AttnHalfType::Bf16, cpuOut, cpuLse);
    if (direct.ok()) {
        GTEST_SKIP() << "a usable CUDA device: tests/backend/tst_backend_cuda_dense_half.cpp covers it";
    }
    EXPECT_EQ(direct.error().code, ErrorCode::BackendUnavailable);
    ASSERT_TRUE(denseAttention(layer, &cpuOut, &cpuLse, 1).ok());
    for (GpuPrecision precision : {GpuPrecision::Bf16, GpuPrecision::F16}) {
        std::vector<float> out;
        std::vector<float> lse;
        auto ran = runDenseAttentionPreferCuda(layer, out, lse, 1, precision);
        ASSERT_TRUE(ran.ok()) << ran.error().describe();
        EXPECT_EQ(ran->backend, "cpu");
        EXPECT_FALSE(ran->fallbackReason.empty());
        EXPECT_EQ(out, cpuOut);
        EXPECT_EQ(lse, cpuLse);
    }
}

} // namespace
} // namespace attnscope

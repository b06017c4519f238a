// Half and bfloat16 conversion against closed forms, over every one of the 65,536 bit patterns.

#include "tensor/dtype.h"
#include "tensor/tensor_view.h"

#include <cstring>

#include <cmath>
#include <gtest/gtest.h>

namespace attnscope {
namespace {

// IEEE 754 binary16 by definition: (-1)^s * 2^(e-15) * (1 + m/1024), subnormals 2^-14 * m/1024.
double halfByDefinition(std::uint16_t bits)
{
    const int sign = (bits >> 15) & 1;
    const int exponent = (bits >> 10) & 0x1f;
    const int mantissa = bits & 0x3ff;
    double magnitude;
    if (exponent == 0) {
        magnitude = std::ldexp(mantissa / 1024.0, -14);
    } else if (exponent == 31) {
        magnitude = mantissa == 0 ? INFINITY : NAN;
    } else {
        magnitude = std::ldexp(1.0 + mantissa / 1024.0, exponent - 15);
    }
    return sign ? -magnitude : magnitude;
}

TEST(DtypeConvert, HalfToFloatMatchesTheDefinitionForEveryBitPattern)
{
    for (std::uint32_t bits = 0; bits < 65536; ++bits) {
        const double expected = halfByDefinition(static_cast<std::uint16_t>(bits));
        const float actual = f16ToFloat(static_cast<std::uint16_t>(bits));
        if (std::isnan(expected)) {
            EXPECT_TRUE(std::isnan(actual)) << bits;
        } else {
            EXPECT_EQ(static_cast<double>(actual), expected) << bits;
            EXPECT_EQ(std::signbit(actual), std::signbit(expected)) << bits;
        }
    }
}

TEST(DtypeConvert, FloatToHalfRoundTripsEveryFiniteHalf)
{
    for (std::uint32_t bits = 0; bits < 65536; ++bits) {
        const float value = f16ToFloat(static_cast<std::uint16_t>(bits));
        if (std::isnan(value)) {
            EXPECT_TRUE(std::isnan(f16ToFloat(floatToF16(value))));
            continue;
        }
        EXPECT_EQ(floatToF16(value), bits) << value;
    }
}

TEST(DtypeConvert, FloatToHalfRoundsToNearestEven)
{
    // 1 + 2^-11 lies exactly between 1 and the next half (1 + 2^-10): ties go to the even mantissa.
    EXPECT_EQ(floatToF16(1.0f + std::ldexp(1.0f, -11)), 0x3c00);
    EXPECT_EQ(floatToF16(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3c02);
    EXPECT_EQ(floatToF16(70000.0f), 0x7c00); // overflow to +inf
}

TEST(DtypeConvert, Bfloat16IsTheTopHalfOfAFloat)
{
    for (std::uint32_t bits = 0; bits < 65536; ++bits) {
        const float value = bf16ToFloat(static_cast<std::uint16_t>(bits));
        std::uint32_t widened;
        std::memcpy(&widened, &value, sizeof widened);
        EXPECT_EQ(widened, bits << 16);
        if (!std::isnan(value)) {
            EXPECT_EQ(floatToBf16(value), bits);
        }
    }
}

TEST(DtypeConvert, NonFiniteWeightsAreNamed)
{
    const float values[3] = {1.0f, NAN, 2.0f};
    TensorView view;
    view.data = reinterpret_cast<const std::byte*>(values);
    view.shape = {3};
    view.name = "model.layers.0.mlp.up_proj.weight";
    std::vector<float> out;
    auto converted = toFiniteFloat(view, out);
    ASSERT_FALSE(converted.ok());
    EXPECT_NE(converted.error().describe().find("model.layers.0.mlp.up_proj.weight"), std::string::npos);
    EXPECT_NE(converted.error().message.find("NaN"), std::string::npos);
}

} // namespace
} // namespace attnscope

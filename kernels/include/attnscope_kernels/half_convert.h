#pragma once
// f32 <-> f16 / bf16 conversions on raw 16-bit patterns, round to nearest even, shared by the host
// (the 16-bit dense attention path converts a layer's f32 Q/K/V before upload and its 16-bit
// output back) and the CUDA kernels (the output epilogue), so both round the same way and the CPU
// unit test (tst_half_convert) covers what the GPU does. Plain C++17, no CUDA types: the values
// travel as std::uint16_t-compatible unsigned short.
//   f16:  IEEE binary16, 1 sign, 5 exponent (bias 15), 10 mantissa bits; subnormals kept.
//   bf16: the top 16 bits of an f32 (8 exponent, 7 mantissa bits); subnormals kept.
// NaN stays NaN (quiet, sign kept), ±inf stays ±inf, finite values too large overflow to ±inf
// as IEEE rounding does (f16: |x| >= 65520; bf16: |x| > 0x1.fefffep127 rounds to inf).

#include "attnscope_kernels/host_device.h"

#if !defined(__CUDA_ARCH__)
#include <cstring>
#endif

namespace attnscope {

/// The 16-bit element type of the half-precision kernels.
enum class AttnHalfType : int { F16 = 0, Bf16 = 1 };

ATTNSCOPE_HD unsigned int halfConvertFloatBits(float value)
{
#if defined(__CUDA_ARCH__)
    return __float_as_uint(value);
#else
    unsigned int bits = 0;
    std::memcpy(&bits, &value, sizeof(bits));
    return bits;
#endif
}

ATTNSCOPE_HD float halfConvertBitsFloat(unsigned int bits)
{
#if defined(__CUDA_ARCH__)
    return __uint_as_float(bits);
#else
    float value = 0.0f;
    std::memcpy(&value, &bits, sizeof(value));
    return value;
#endif
}

/// Rounds `value` right by `shift` bits, ties to even (1 <= shift <= 31).
ATTNSCOPE_HD unsigned int halfConvertRoundShift(unsigned int value, int shift)
{
    const unsigned int kept = value >> shift;
    const unsigned int rest = value & ((1u << shift) - 1u);
    const unsigned int halfway = 1u << (shift - 1);
    return kept + ((rest > halfway || (rest == halfway && (kept & 1u) != 0)) ? 1u : 0u);
}

/// f32 -> IEEE binary16 bits, round to nearest even.
ATTNSCOPE_HD unsigned short floatToF16Bits(float value)
{
    const unsigned int bits = halfConvertFloatBits(value);
    const unsigned int sign = (bits >> 16) & 0x8000u;
    const unsigned int magnitude = bits & 0x7fffffffu;
    if (magnitude >= 0x7f800000u) {  // inf, or NaN (made quiet, top payload bits kept)
        const unsigned int nan = magnitude > 0x7f800000u ? 0x0200u | ((magnitude >> 13) & 0x3ffu) : 0u;
        return static_cast<unsigned short>(sign | 0x7c00u | nan);
    }
    if (magnitude >= 0x477ff000u) {  // 65520 and above round to inf
        return static_cast<unsigned short>(sign | 0x7c00u);
    }
    if (magnitude < 0x38800000u) {  // below 2^-14: an f16 subnormal or zero
        const int exponent = static_cast<int>(magnitude >> 23);
        if (exponent < 102) {  // below 2^-25: rounds to zero (2^-25 itself is a tie to 0)
            return static_cast<unsigned short>(sign);
        }
        // value = mantissa · 2^(exponent - 150); in units of 2^-24: mantissa · 2^(exponent - 126).
        const unsigned int mantissa = (magnitude & 0x7fffffu) | 0x800000u;
        return static_cast<unsigned short>(sign | halfConvertRoundShift(mantissa, 126 - exponent));
    }
    // Normal: rebias the exponent (127 -> 15) and round 13 mantissa bits away; a carry into the
    // exponent is the correct rounding (and cannot reach inf below 65520).
    return static_cast<unsigned short>(sign | halfConvertRoundShift(magnitude - 0x38000000u, 13));
}

/// f32 -> bf16 bits, round to nearest even.
ATTNSCOPE_HD unsigned short floatToBf16Bits(float value)
{
    const unsigned int bits = halfConvertFloatBits(value);
    if ((bits & 0x7fffffffu) > 0x7f800000u) {  // NaN: keep sign and payload top, make quiet
        return static_cast<unsigned short>((bits >> 16) | 0x0040u);
    }
    return static_cast<unsigned short>((bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16);
}

/// IEEE binary16 bits -> f32 (exact).
ATTNSCOPE_HD float f16BitsToFloat(unsigned short half)
{
    const unsigned int sign = (static_cast<unsigned int>(half) & 0x8000u) << 16;
    const unsigned int exponent = (half >> 10) & 0x1fu;
    unsigned int mantissa = half & 0x3ffu;
    if (exponent == 0x1fu) {
        return halfConvertBitsFloat(sign | 0x7f800000u | (mantissa << 13));
    }
    if (exponent == 0) {
        if (mantissa == 0) {
            return halfConvertBitsFloat(sign);
        }
        // Subnormal mantissa · 2^-24: normalise into an f32 normal.
        unsigned int floatExponent = 113;  // 2^-14 before normalising
        while ((mantissa & 0x400u) == 0) {
            mantissa <<= 1;
            --floatExponent;
        }
        return halfConvertBitsFloat(sign | (floatExponent << 23) | ((mantissa & 0x3ffu) << 13));
    }
    return halfConvertBitsFloat(sign | ((exponent + 112u) << 23) | (mantissa << 13));
}

/// bf16 bits -> f32 (exact).
ATTNSCOPE_HD float bf16BitsToFloat(unsigned short bf16)
{
    return halfConvertBitsFloat(static_cast<unsigned int>(bf16) << 16);
}

/// Rounds to `type` and back: the value a 16-bit element of that type holds.
ATTNSCOPE_HD float roundToHalfType(float value, AttnHalfType type)
{
    return type == AttnHalfType::Bf16 ? bf16BitsToFloat(floatToBf16Bits(value))
                                      : f16BitsToFloat(floatToF16Bits(value));
}

ATTNSCOPE_HD unsigned short floatToHalfTypeBits(float value, AttnHalfType type)
{
    return type == AttnHalfType::Bf16 ? floatToBf16Bits(value) : floatToF16Bits(value);
}

ATTNSCOPE_HD float halfTypeBitsToFloat(unsigned short bits, AttnHalfType type)
{
    return type == AttnHalfType::Bf16 ? bf16BitsToFloat(bits) : f16BitsToFloat(bits);
}

} // namespace attnscope

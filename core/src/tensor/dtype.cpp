#include "tensor/dtype.h"

#include <cmath>

namespace attnscope {

std::size_t dtypeSize(DType dtype)
{
    switch (dtype) {
    case DType::F64:
    case DType::I64: return 8;
    case DType::F32:
    case DType::I32: return 4;
    case DType::F16:
    case DType::BF16:
    case DType::I16: return 2;
    case DType::I8:
    case DType::U8:
    case DType::Bool: return 1;
    }
    return 1;
}

const char* dtypeName(DType dtype)
{
    switch (dtype) {
    case DType::F32: return "F32";
    case DType::F16: return "F16";
    case DType::BF16: return "BF16";
    case DType::F64: return "F64";
    case DType::I64: return "I64";
    case DType::I32: return "I32";
    case DType::I16: return "I16";
    case DType::I8: return "I8";
    case DType::U8: return "U8";
    case DType::Bool: return "BOOL";
    }
    return "?";
}

std::optional<DType> parseDtype(std::string_view name)
{
    static constexpr std::pair<std::string_view, DType> kNames[] = {
        {"F32", DType::F32}, {"F16", DType::F16}, {"BF16", DType::BF16}, {"F64", DType::F64},
        {"I64", DType::I64}, {"I32", DType::I32}, {"I16", DType::I16},   {"I8", DType::I8},
        {"U8", DType::U8},   {"BOOL", DType::Bool},
    };
    for (const auto& [text, dtype] : kNames) {
        if (text == name) {
            return dtype;
        }
    }
    return std::nullopt;
}

bool isFloatWeightDtype(DType dtype)
{
    return dtype == DType::F32 || dtype == DType::F16 || dtype == DType::BF16;
}

std::uint16_t floatToBf16(float value)
{
    std::uint32_t bits;
    std::memcpy(&bits, &value, sizeof bits);
    if (std::isnan(value)) {
        return static_cast<std::uint16_t>((bits >> 16) | 0x40u);
    }
    const std::uint32_t roundingBias = 0x7fffu + ((bits >> 16) & 1u);
    return static_cast<std::uint16_t>((bits + roundingBias) >> 16);
}

std::uint16_t floatToF16(float value)
{
    std::uint32_t bits;
    std::memcpy(&bits, &value, sizeof bits);
    const std::uint16_t sign = static_cast<std::uint16_t>((bits >> 16) & 0x8000u);
    const std::uint32_t absBits = bits & 0x7fffffffu;
    if (absBits >= 0x7f800000u) {
        // Inf or NaN (keep a quiet NaN payload bit).
        return static_cast<std::uint16_t>(sign | 0x7c00u | (absBits > 0x7f800000u ? 0x200u : 0u));
    }
    if (absBits >= 0x477ff000u) {
        return static_cast<std::uint16_t>(sign | 0x7c00u); // overflows to infinity
    }
    if (absBits < 0x38800000u) {
        // Result is subnormal or zero in half precision: let the FPU do the rounding.
        const float magnitude = std::fabs(value) * 16777216.0f; // 2^24 = 1 / smallest half subnormal
        const auto rounded = static_cast<std::uint32_t>(std::nearbyint(magnitude));
        return static_cast<std::uint16_t>(sign | rounded);
    }
    const std::uint32_t exponent = ((absBits >> 23) - 127 + 15) << 10;
    const std::uint32_t mantissa = absBits & 0x7fffffu;
    std::uint32_t half = exponent | (mantissa >> 13);
    const std::uint32_t remainder = mantissa & 0x1fffu;
    if (remainder > 0x1000u || (remainder == 0x1000u && (half & 1u))) {
        ++half;
    }
    return static_cast<std::uint16_t>(sign | half);
}

} // namespace attnscope

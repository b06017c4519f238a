#pragma once
// Element types of stored weights and their conversion to f32. Models keep their stored dtype in
// the mmap; conversion happens per tensor on use (DESIGN.md §7.5), never for the whole model.

#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

namespace attnscope {

enum class DType { F32, F16, BF16, F64, I64, I32, I16, I8, U8, Bool };

/// Bytes per element.
std::size_t dtypeSize(DType dtype);
/// Safetensors spelling ("F32", "BF16", ...).
const char* dtypeName(DType dtype);
/// Parses the safetensors spelling; nullopt for anything not in the whitelist.
std::optional<DType> parseDtype(std::string_view name);
/// True for the dtypes a model's float weights may use (F32, F16, BF16).
bool isFloatWeightDtype(DType dtype);

inline float bf16ToFloat(std::uint16_t bits)
{
    const std::uint32_t widened = static_cast<std::uint32_t>(bits) << 16;
    float value;
    std::memcpy(&value, &widened, sizeof value);
    return value;
}

/// IEEE half → float, exact for every input including subnormals, infinities and NaN.
inline float f16ToFloat(std::uint16_t bits)
{
    const std::uint32_t sign = static_cast<std::uint32_t>(bits & 0x8000u) << 16;
    std::uint32_t exponent = (bits >> 10) & 0x1fu;
    std::uint32_t mantissa = bits & 0x3ffu;
    std::uint32_t out;
    if (exponent == 0) {
        if (mantissa == 0) {
            out = sign;
        } else {
            // Subnormal: renormalise the mantissa.
            exponent = 127 - 15 + 1;
            while ((mantissa & 0x400u) == 0) {
                mantissa <<= 1;
                --exponent;
            }
            mantissa &= 0x3ffu;
            out = sign | (exponent << 23) | (mantissa << 13);
        }
    } else if (exponent == 0x1f) {
        out = sign | 0x7f800000u | (mantissa << 13);
    } else {
        out = sign | ((exponent + 127 - 15) << 23) | (mantissa << 13);
    }
    float value;
    std::memcpy(&value, &out, sizeof value);
    return value;
}

/// float → IEEE half with round-to-nearest-even (used for f16 captures and tests).
std::uint16_t floatToF16(float value);
/// float → bf16 with round-to-nearest-even.
std::uint16_t floatToBf16(float value);

} // namespace attnscope

#pragma once
// Reading a JSON number into a C++ integer without undefined behaviour. nlohmann's get<T>() casts:
// a float outside T's range (1.8e20 into size_t) is undefined behaviour, and a negative or too
// large integer wraps. Loaders of untrusted files (tokenizer.json, config.json) read every count
// and token id through this instead, and the fuzzers hold them to it.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <limits>
#include <optional>
#include <type_traits>

namespace attnscope {

/// `value` as T when it is a JSON integer in [0, max of T]; nullopt for floats, negatives, values
/// past T's range and anything that is not a number.
template <typename T, typename Json>
std::optional<T> nonNegativeJsonInteger(const Json& value)
{
    static_assert(std::is_integral_v<T> && !std::is_same_v<T, bool>);
    constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<T>::max());
    if (value.is_number_unsigned()) {
        const auto number = value.template get<std::uint64_t>();
        return number <= kMax ? std::optional<T>(static_cast<T>(number)) : std::nullopt;
    }
    if (value.is_number_integer()) {
        const auto number = value.template get<std::int64_t>();
        return number >= 0 && static_cast<std::uint64_t>(number) <= kMax ? std::optional<T>(static_cast<T>(number))
                                                                         : std::nullopt;
    }
    return std::nullopt;
}

} // namespace attnscope

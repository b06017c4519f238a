#pragma once
// Errors that cross module boundaries (DESIGN.md §7.7). No exceptions leave core: every fallible
// public function returns Result<T>, whose Error names the problem, a human message a user can act
// on, and a context (file, tensor name, layer/head).

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace attnscope {

/// What went wrong, at the granularity a caller can act on. exitCodeFor() maps it to the CLI contract.
enum class ErrorCode {
    FileNotFound,
    FileIo,
    FormatInvalid,
    UnsupportedDtype,
    UnsupportedModel,
    ShapeMismatch,
    Unsupported,
    BackendUnavailable,
    OutOfMemory,
    DeviceError,
    Cancelled,
    InvalidArgument,
    Internal,
};

/// Short stable name of an error code ("FormatInvalid"), for logs and JSON.
const char* errorCodeName(ErrorCode code);

/// Process exit code for an error (DESIGN.md §5): 2 usage, 3 bad input, 4 unsupported, 5 out of
/// memory, 1 anything else.
int exitCodeFor(ErrorCode code);

/// An error: code + message + context (the file, tensor or layer/head it is about).
struct Error {
    ErrorCode code = ErrorCode::Internal;
    std::string message;
    std::string context;
    /// Stable machine-readable sub-reason within the code ("header_too_large"); may be empty.
    std::string reason;

    /// "context: message" (or just the message when there is no context).
    std::string describe() const;
};

/// Builds an Error; `context` is typically a file path or a tensor name.
inline Error makeError(ErrorCode code, std::string message, std::string context = {},
                       std::string reason = {})
{
    return Error{code, std::move(message), std::move(context), std::move(reason)};
}

/// A value or an Error, shaped like std::expected (C++23, not available in GCC 12's C++20 mode).
template <typename T>
class [[nodiscard]] Result {
public:
    Result(T value) : m_state(std::in_place_index<0>, std::move(value)) {}
    Result(Error error) : m_state(std::in_place_index<1>, std::move(error)) {}

    bool ok() const { return m_state.index() == 0; }
    explicit operator bool() const { return ok(); }

    T& value() &
    {
        assert(ok());
        return std::get<0>(m_state);
    }
    const T& value() const&
    {
        assert(ok());
        return std::get<0>(m_state);
    }
    T&& value() &&
    {
        assert(ok());
        return std::get<0>(std::move(m_state));
    }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

    const Error& error() const
    {
        assert(!ok());
        return std::get<1>(m_state);
    }

private:
    std::variant<T, Error> m_state;
};

/// Result of an operation that returns nothing on success.
template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error error) : m_error(std::move(error)), m_ok(false) {}

    bool ok() const { return m_ok; }
    explicit operator bool() const { return m_ok; }
    const Error& error() const
    {
        assert(!m_ok);
        return m_error;
    }

private:
    Error m_error;
    bool m_ok = true;
};

/// Success value for Result<void>.
inline Result<void> okResult() { return {}; }

} // namespace attnscope

/// Propagates an error from an expression returning Result<...> out of the current function.
#define ATTNSCOPE_TRY(expr)                                                                        \
    do {                                                                                           \
        auto&& attnscopeTryResult_ = (expr);                                                       \
        if (!attnscopeTryResult_.ok()) {                                                           \
            return attnscopeTryResult_.error();                                                    \
        }                                                                                          \
    } while (0)

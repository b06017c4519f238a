#include "attnscope/status.h"

namespace attnscope {

const char* errorCodeName(ErrorCode code)
{
    switch (code) {
    case ErrorCode::FileNotFound: return "FileNotFound";
    case ErrorCode::FileIo: return "FileIo";
    case ErrorCode::FormatInvalid: return "FormatInvalid";
    case ErrorCode::UnsupportedDtype: return "UnsupportedDtype";
    case ErrorCode::UnsupportedModel: return "UnsupportedModel";
    case ErrorCode::ShapeMismatch: return "ShapeMismatch";
    case ErrorCode::Unsupported: return "Unsupported";
    case ErrorCode::BackendUnavailable: return "BackendUnavailable";
    case ErrorCode::OutOfMemory: return "OutOfMemory";
    case ErrorCode::DeviceError: return "DeviceError";
    case ErrorCode::Cancelled: return "Cancelled";
    case ErrorCode::InvalidArgument: return "InvalidArgument";
    case ErrorCode::Internal: return "Internal";
    }
    return "Unknown";
}

int exitCodeFor(ErrorCode code)
{
    switch (code) {
    case ErrorCode::InvalidArgument: return 2;
    case ErrorCode::FileNotFound:
    case ErrorCode::FileIo:
    case ErrorCode::FormatInvalid:
    case ErrorCode::UnsupportedDtype:
    case ErrorCode::ShapeMismatch: return 3;
    case ErrorCode::UnsupportedModel:
    case ErrorCode::Unsupported:
    case ErrorCode::BackendUnavailable: return 4;
    case ErrorCode::OutOfMemory: return 5;
    default: return 1;
    }
}

std::string Error::describe() const
{
    // Messages that already begin with their context ("topk: parameter 'k' …" in context "topk")
    // are not prefixed twice.
    if (context.empty() || message.starts_with(context + ": ")) {
        return message;
    }
    return context + ": " + message;
}

} // namespace attnscope

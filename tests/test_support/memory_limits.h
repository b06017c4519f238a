#pragma once
// Scoped memory limits for tests of the resource checks (issue #10): a test sets a limit that makes
// its request "too large" and the limit is cleared when the scope ends, pass or fail.

#include "backend/cuda/device_memory_budget.h"
#include "util/memory_budget.h"

#include <cstdint>

namespace attnscope {

/// setMemoryLimit(bytes) for the scope (replaces MemAvailable).
struct ScopedMemoryLimit {
    explicit ScopedMemoryLimit(std::uint64_t bytes) { setMemoryLimit(bytes); }
    ~ScopedMemoryLimit() { setMemoryLimit(std::nullopt); }
    ScopedMemoryLimit(const ScopedMemoryLimit&) = delete;
    ScopedMemoryLimit& operator=(const ScopedMemoryLimit&) = delete;
};

/// setDeviceMemoryLimit(bytes) for the scope (caps the GPU's free memory).
struct ScopedDeviceMemoryLimit {
    explicit ScopedDeviceMemoryLimit(std::uint64_t bytes) { setDeviceMemoryLimit(bytes); }
    ~ScopedDeviceMemoryLimit() { setDeviceMemoryLimit(std::nullopt); }
    ScopedDeviceMemoryLimit(const ScopedDeviceMemoryLimit&) = delete;
    ScopedDeviceMemoryLimit& operator=(const ScopedDeviceMemoryLimit&) = delete;
};

} // namespace attnscope

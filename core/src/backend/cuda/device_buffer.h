#pragma once
// Owning device allocation (RAII) for the backend's .cpp files. Allocation and copies return
// Result; the destructor frees quietly because it cannot report, and after a sticky error the
// context is gone anyway.

#if ATTNSCOPE_HAVE_CUDA

#include <cstddef>
#include <limits>
#include <utility>

#include <cuda_runtime.h>

#include "attnscope/status.h"
#include "backend/cuda/cuda_check.h"

namespace attnscope {

/// `count` elements of T in device memory, uninitialised. Move-only; not thread-safe.
template <typename T>
class DeviceBuffer {
public:
    DeviceBuffer() = default;
    DeviceBuffer(const DeviceBuffer&) = delete;
    DeviceBuffer& operator=(const DeviceBuffer&) = delete;
    DeviceBuffer(DeviceBuffer&& other) noexcept
        : m_data(std::exchange(other.m_data, nullptr)), m_count(std::exchange(other.m_count, 0))
    {
    }
    DeviceBuffer& operator=(DeviceBuffer&& other) noexcept
    {
        if (this != &other) {
            release();
            m_data = std::exchange(other.m_data, nullptr);
            m_count = std::exchange(other.m_count, 0);
        }
        return *this;
    }
    ~DeviceBuffer() { release(); }

    /// OutOfMemory when the device cannot hold it; a zero count allocates nothing.
    static Result<DeviceBuffer> allocate(std::size_t count)
    {
        DeviceBuffer buffer;
        if (count == 0) {
            return buffer;
        }
        if (count > std::numeric_limits<std::size_t>::max() / sizeof(T)) {
            return makeError(ErrorCode::OutOfMemory, "device allocation size overflows");
        }
        void* data = nullptr;
        ATTNSCOPE_CUDA_CHECK(cudaMalloc(&data, count * sizeof(T)));
        buffer.m_data = static_cast<T*>(data);
        buffer.m_count = count;
        return buffer;
    }

    /// Allocates and copies `count` host elements in.
    static Result<DeviceBuffer> fromHost(const T* host, std::size_t count)
    {
        auto buffer = allocate(count);
        if (!buffer.ok() || count == 0) {
            return buffer;
        }
        ATTNSCOPE_CUDA_CHECK(
            cudaMemcpy(buffer->m_data, host, count * sizeof(T), cudaMemcpyHostToDevice));
        return buffer;
    }

    /// Copies the first `count` elements out (synchronous: surfaces earlier kernel errors).
    Result<void> toHost(T* host, std::size_t count) const
    {
        if (count > m_count) {
            return makeError(ErrorCode::Internal, "device download larger than the buffer");
        }
        if (count > 0) {
            ATTNSCOPE_CUDA_CHECK(cudaMemcpy(host, m_data, count * sizeof(T), cudaMemcpyDeviceToHost));
        }
        return okResult();
    }

    T* data() const { return m_data; }
    std::size_t size() const { return m_count; }

private:
    void release()
    {
        if (m_data != nullptr) {
            cudaFree(m_data);
            m_data = nullptr;
            m_count = 0;
        }
    }

    T* m_data = nullptr;
    std::size_t m_count = 0;
};

} // namespace attnscope

#endif // ATTNSCOPE_HAVE_CUDA

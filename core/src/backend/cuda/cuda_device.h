#pragma once
// The CUDA device as the backend sees it: found once per process, then reported with any later
// failure. No CUDA headers here, so every core file (and the CPU-only build) can include it; in a
// build without CUDA the functions report "built without CUDA".

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace attnscope {

/// What the probe found. usable == false comes with a non-empty reason a user can act on.
struct CudaDeviceInfo {
    bool usable = false;
    std::string reason;                 ///< why not usable; empty when usable
    std::string name;                   ///< "NVIDIA H100 80GB HBM3"
    int computeMajor = 0;
    int computeMinor = 0;
    int multiProcessors = 0;
    std::size_t totalMemoryBytes = 0;
    int runtimeVersion = 0;             ///< cudaRuntimeGetVersion, e.g. 13000
    int driverVersion = 0;              ///< 0 when no driver is installed
    std::string compiledArchitectures;  ///< "80,90": what the kernels were built for
};

/// The device the CUDA backend uses (device 0 of what CUDA_VISIBLE_DEVICES shows). Probes on the
/// first call, thread-safe; later calls return the cached probe, made unusable by
/// markCudaBackendFailed() or by the environment variable ATTNSCOPE_DISABLE_CUDA (non-empty, not
/// "0"), which is read on every call. Never aborts: a machine without a driver is "no device".
CudaDeviceInfo cudaDeviceInfo();

/// cudaDeviceInfo().usable, without copying the strings.
bool cudaBackendUsable();

/// Free memory of the device (cudaMemGetInfo), or nullopt when the backend is not usable or the
/// query fails. Makes the device current on the calling thread.
std::optional<std::uint64_t> cudaFreeMemoryBytes();

/// Marks the backend failed for the rest of the process after a sticky device error (illegal
/// address, launch failure): the context is unusable, so callers fall back to the CPU. The first
/// reason is kept. Thread-safe.
void markCudaBackendFailed(const std::string& reason);

} // namespace attnscope

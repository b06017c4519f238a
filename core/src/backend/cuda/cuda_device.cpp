// Device discovery and the backend's failed state. With static cudart, a machine with no driver
// answers cudaGetDeviceCount with an error (cudaErrorInsufficientDriver, "CUDA driver version is
// insufficient for CUDA runtime version") and a count of 0: that is simply "no device", with the
// runtime's words kept as the reason for `attnscope info`.

#include "backend/cuda/cuda_device.h"

#include <atomic>
#include <cstdlib>
#include <mutex>

#if ATTNSCOPE_HAVE_CUDA
#include <cuda_runtime.h>

#include "attnscope_kernels/launch.h"
#endif

namespace attnscope {

namespace {

std::mutex g_failedMutex;
std::atomic<bool> g_failed{false};
std::string g_failedReason;

bool disabledByEnvironment()
{
    const char* value = std::getenv("ATTNSCOPE_DISABLE_CUDA");
    return value != nullptr && value[0] != '\0' && std::string(value) != "0";
}

#if ATTNSCOPE_HAVE_CUDA
CudaDeviceInfo probeDevice()
{
    CudaDeviceInfo info;
    info.compiledArchitectures = attnKernelsCudaArchitectures();
    cudaRuntimeGetVersion(&info.runtimeVersion);
    if (cudaDriverGetVersion(&info.driverVersion) != cudaSuccess) {
        info.driverVersion = 0;
    }
    int count = 0;
    const cudaError_t countStatus = cudaGetDeviceCount(&count);
    if (countStatus != cudaSuccess) {
        cudaGetLastError();
        info.reason = std::string(info.driverVersion == 0 ? "no NVIDIA driver" : "no usable CUDA device") +
                      " (cudaGetDeviceCount: " + cudaGetErrorString(countStatus) + ")";
        return info;
    }
    if (count == 0) {
        info.reason = "no CUDA device";
        return info;
    }
    cudaDeviceProp properties{};
    const cudaError_t propStatus = cudaGetDeviceProperties(&properties, 0);
    if (propStatus != cudaSuccess) {
        cudaGetLastError();
        info.reason = std::string("cannot query CUDA device 0: ") + cudaGetErrorString(propStatus);
        return info;
    }
    info.name = properties.name;
    info.computeMajor = properties.major;
    info.computeMinor = properties.minor;
    info.multiProcessors = properties.multiProcessorCount;
    info.totalMemoryBytes = properties.totalGlobalMem;
    const cudaError_t setStatus = cudaSetDevice(0);
    const cudaError_t imageStatus =
        setStatus != cudaSuccess ? setStatus : static_cast<cudaError_t>(checkAttnKernelsLoadable());
    if (imageStatus != cudaSuccess) {
        cudaGetLastError();
        info.reason = "cannot run the kernels on " + info.name + " (sm_" +
                      std::to_string(info.computeMajor) + std::to_string(info.computeMinor) +
                      "; built for " + info.compiledArchitectures +
                      "): " + cudaGetErrorString(imageStatus);
        return info;
    }
    info.usable = true;
    return info;
}
#endif

const CudaDeviceInfo& probedDevice()
{
#if ATTNSCOPE_HAVE_CUDA
    static const CudaDeviceInfo probed = probeDevice();
#else
    static const CudaDeviceInfo probed = [] {
        CudaDeviceInfo info;
        info.reason = "built without CUDA (no nvcc at configure time, or ATTNSCOPE_ENABLE_CUDA=OFF)";
        return info;
    }();
#endif
    return probed;
}

} // namespace

CudaDeviceInfo cudaDeviceInfo()
{
    if (disabledByEnvironment()) {
        CudaDeviceInfo info;
        info.reason = "disabled by ATTNSCOPE_DISABLE_CUDA";
        return info;
    }
    CudaDeviceInfo info = probedDevice();
    if (info.usable && g_failed.load()) {
        std::lock_guard lock(g_failedMutex);
        info.usable = false;
        info.reason = "CUDA backend failed earlier in this process: " + g_failedReason;
    }
    return info;
}

bool cudaBackendUsable()
{
    return !disabledByEnvironment() && !g_failed.load() && probedDevice().usable;
}

std::optional<std::uint64_t> cudaFreeMemoryBytes()
{
    if (!cudaBackendUsable()) {
        return std::nullopt;
    }
#if ATTNSCOPE_HAVE_CUDA
    std::size_t freeBytes = 0;
    std::size_t totalBytes = 0;
    if (cudaSetDevice(0) != cudaSuccess || cudaMemGetInfo(&freeBytes, &totalBytes) != cudaSuccess) {
        cudaGetLastError();
        return std::nullopt;
    }
    return static_cast<std::uint64_t>(freeBytes);
#else
    return std::nullopt;
#endif
}

void markCudaBackendFailed(const std::string& reason)
{
    std::lock_guard lock(g_failedMutex);
    if (!g_failed.load()) {
        g_failedReason = reason;
        g_failed.store(true);
    }
}

} // namespace attnscope

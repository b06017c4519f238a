// The backend list. CUDA's entry comes from the device probe in cuda/cuda_device.cpp, which also
// answers in builds without CUDA ("built without CUDA"), so this file needs no #if.

#include "backend/backend_info.h"

#include <cstdio>
#include <thread>

#include "backend/cuda/cuda_device.h"
#include "util/cpu_features.h"

namespace attnscope {

namespace {

std::string versionString(int cudaVersion)
{
    return std::to_string(cudaVersion / 1000) + "." + std::to_string((cudaVersion % 1000) / 10);
}

std::string cudaDetail(const CudaDeviceInfo& info)
{
    std::string detail;
    if (!info.name.empty()) {
        char memory[32];
        std::snprintf(memory, sizeof(memory), "%.1f GiB",
                      static_cast<double>(info.totalMemoryBytes) / (1024.0 * 1024.0 * 1024.0));
        detail = info.name + ", sm_" + std::to_string(info.computeMajor) +
                 std::to_string(info.computeMinor) + ", " + std::to_string(info.multiProcessors) +
                 " SMs, " + memory + ", ";
    }
    if (info.runtimeVersion > 0) {
        detail += "runtime " + versionString(info.runtimeVersion) + ", driver " +
                  (info.driverVersion > 0 ? versionString(info.driverVersion) : "none") +
                  ", kernels for " + info.compiledArchitectures;
    }
    return detail;
}

} // namespace

std::vector<BackendInfo> listBackends()
{
    std::vector<BackendInfo> backends;
    const unsigned threads = std::thread::hardware_concurrency();
    // The kernel ISA is what decides CPU attention speed (attention/fused_attention_kernel.h).
    backends.push_back({"cpu", true, {},
                        std::to_string(threads > 0 ? threads : 1) + " threads, " + cpuIsaName(activeCpuIsa()) +
                            " attention kernels"});
    const CudaDeviceInfo cuda = cudaDeviceInfo();
    backends.push_back({"cuda", cuda.usable, cuda.usable ? std::string() : cuda.reason,
                        cudaDetail(cuda)});
    return backends;
}

} // namespace attnscope

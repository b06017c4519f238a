// CUDA status → Error conversion and the sticky-error policy (DESIGN.md §7.7).

#if ATTNSCOPE_HAVE_CUDA

#include "backend/cuda/cuda_check.h"

#include <string>

#include "backend/cuda/cuda_device.h"

namespace attnscope {

bool isStickyCudaError(cudaError_t status)
{
    switch (status) {
    case cudaErrorIllegalAddress:
    case cudaErrorLaunchFailure:
    case cudaErrorLaunchTimeout:
    case cudaErrorHardwareStackError:
    case cudaErrorIllegalInstruction:
    case cudaErrorMisalignedAddress:
    case cudaErrorInvalidAddressSpace:
    case cudaErrorInvalidPc:
    case cudaErrorAssert:
    case cudaErrorECCUncorrectable:
    case cudaErrorContextIsDestroyed:
    case cudaErrorCudartUnloading:
    case cudaErrorUnknown:
        return true;
    default:
        return false;
    }
}

Error cudaErrorToError(cudaError_t status, const char* call, const char* file, int line)
{
    const std::string message = std::string(cudaGetErrorName(status)) + ": " +
                                cudaGetErrorString(status) + " in " + call;
    const std::string context = std::string(file) + ":" + std::to_string(line);
    if (isStickyCudaError(status)) {
        markCudaBackendFailed(message);
        return makeError(ErrorCode::DeviceError, message, context, "sticky");
    }
    // Non-sticky: clear it so that the next runtime call does not report it again.
    cudaGetLastError();
    switch (status) {
    case cudaErrorMemoryAllocation:
        return makeError(ErrorCode::OutOfMemory, "out of GPU memory: " + message, context);
    case cudaErrorNoDevice:
    case cudaErrorInsufficientDriver:
    case cudaErrorNoKernelImageForDevice:
    case cudaErrorDevicesUnavailable:
        markCudaBackendFailed(message);
        return makeError(ErrorCode::BackendUnavailable, message, context);
    case cudaErrorInvalidValue:
        return makeError(ErrorCode::InvalidArgument, message, context);
    default:
        return makeError(ErrorCode::DeviceError, message, context);
    }
}

} // namespace attnscope

#endif // ATTNSCOPE_HAVE_CUDA

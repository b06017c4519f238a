#pragma once
// Checked CUDA runtime calls for the backend's .cpp files (never for headers that other core files
// include: this one pulls in cuda_runtime.h). Every runtime call goes through ATTNSCOPE_CUDA_CHECK,
// which returns an Error from the calling function instead of aborting (DESIGN.md §7.7).

#if ATTNSCOPE_HAVE_CUDA

#include <cuda_runtime.h>

#include "attnscope/status.h"

namespace attnscope {

/// Converts a failed CUDA status into an Error and applies the backend's policy:
///   cudaErrorMemoryAllocation → OutOfMemory (the UI offers "retry on CPU"; nothing is marked);
///   sticky errors (illegal address, launch failure, …) → DeviceError, backend marked failed;
///   no device / no driver / no kernel image → BackendUnavailable, backend marked failed;
///   cudaErrorInvalidValue → InvalidArgument; anything else → DeviceError.
/// Non-sticky errors are cleared so the next call starts clean. `call` names the failed call.
Error cudaErrorToError(cudaError_t status, const char* call, const char* file, int line);

/// True for the errors after which the CUDA context cannot be used again in this process.
bool isStickyCudaError(cudaError_t status);

} // namespace attnscope

#define ATTNSCOPE_CUDA_CHECK(call)                                                                 \
    do {                                                                                           \
        const cudaError_t attnscopeCudaStatus_ = (call);                                           \
        if (attnscopeCudaStatus_ != cudaSuccess) {                                                 \
            return ::attnscope::cudaErrorToError(attnscopeCudaStatus_, #call, __FILE__, __LINE__); \
        }                                                                                          \
    } while (0)

#endif // ATTNSCOPE_HAVE_CUDA

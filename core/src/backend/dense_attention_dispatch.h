#pragma once
// A layer's dense attention on the GPU when it can run there, else on the CPU (DESIGN.md §7.7: an
// out-of-memory GPU call is retried on the CPU; a missing, disabled or failed device falls back to
// it). The caller learns which backend ran and, after a fallback, why, to show the user.

#include "attnscope/gpu_precision.h"
#include "attnscope/status.h"

#include <string>
#include <vector>

namespace attnscope {

struct LayerQkv;

/// Which backend computed a call.
struct BackendRun {
    std::string backend;         ///< "cuda" or "cpu"
    std::string fallbackReason;  ///< empty when CUDA ran; else why it did not ("... needs about 2.1 GiB of GPU memory, ...")
};

/// Every head's attention output out [nHeads, nTokens, headDim] and log-sum-exp lse [nHeads, nTokens]
/// (runDenseAttentionCuda's contract, which denseAttention() shares on the CPU). Falls back to the
/// CPU on BackendUnavailable, Unsupported (a head dim not compiled), OutOfMemory (a request larger
/// than the free GPU memory, refused before allocation by backend/cuda/device_memory_budget.h) and
/// DeviceError. Errors: those of the CPU path (InvalidArgument for inconsistent sizes, OutOfMemory).
/// `precision` Bf16 / F16 runs the 16-bit tensor-core kernel (runDenseAttentionHalfCuda: inputs
/// rounded to 16 bits, f32 accumulation, f32 out and lse); a 16-bit request that cannot run on the
/// GPU (no device, head dim > 128, a device before sm_80) falls back to the CPU in f32 with the
/// reason. The CPU never computes in 16 bits.
Result<BackendRun> runDenseAttentionPreferCuda(const LayerQkv& qkv, std::vector<float>& out, std::vector<float>& lse,
                                               int threads = 0, GpuPrecision precision = GpuPrecision::F32);

} // namespace attnscope

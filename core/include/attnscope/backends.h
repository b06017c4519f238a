#pragma once
// Public: which compute backends this build and this machine offer, for `attnscope info`, the status bar
// and the backend registry. Always compiled: the CPU is always available, CUDA is listed in every
// build, with the reason when it cannot be used (not compiled, no driver, no device, failed).

#include <string>
#include <vector>

namespace attnscope {

/// One backend as the user sees it.
struct BackendInfo {
    std::string name;       ///< "cpu", "cuda"
    bool available = false;
    std::string reason;     ///< why not available; empty when available
    std::string detail;     ///< device name, compute capability, memory, versions (may be empty)
};

/// Which backend computed the model's own attention in one or more forward passes (the layers a
/// variant replaced are not counted), for the CLI's status line and the GUI. Plain data.
struct AttentionBackendUse {
    std::string backend;         ///< "cpu", "cuda", "cuda+cpu" (layers differed), or "" (no layer ran)
    std::string fallbackReason;  ///< the first reason CUDA was tried and not used; "" when none

    /// Adds one layer's (or another pass's) backend and fallback reason; the first reason is kept.
    void add(const std::string& layerBackend, const std::string& reason)
    {
        if (!layerBackend.empty() && backend != layerBackend) {
            backend = backend.empty() ? layerBackend : "cuda+cpu";
        }
        if (fallbackReason.empty()) {
            fallbackReason = reason;
        }
    }
};

/// The CPU first, then CUDA. Probes the GPU on the first call (cheap afterwards); thread-safe;
/// never fails: problems become `reason`.
std::vector<BackendInfo> listBackends();

} // namespace attnscope

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

/// The CPU first, then CUDA. Probes the GPU on the first call (cheap afterwards); thread-safe;
/// never fails: problems become `reason`.
std::vector<BackendInfo> listBackends();

} // namespace attnscope

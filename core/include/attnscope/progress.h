#pragma once
// Cancellation and progress for long computations (DESIGN.md §7.7). Core checks the token between
// layers, heads and blocks; a cancelled computation returns ErrorCode::Cancelled.

#include <atomic>
#include <functional>
#include <string>

namespace attnscope {

/// Set from any thread to ask a running computation to stop. Thread-safe.
class CancelToken {
public:
    void cancel() { m_cancelled.store(true, std::memory_order_relaxed); }
    void reset() { m_cancelled.store(false, std::memory_order_relaxed); }
    bool cancelled() const { return m_cancelled.load(std::memory_order_relaxed); }

private:
    std::atomic<bool> m_cancelled{false};
};

/// Progress callback: fraction done in [0, 1] and a short label ("layer 3/6"). Called on the
/// computing thread; keep it cheap.
using ProgressFn = std::function<void(double fraction, const std::string& label)>;

} // namespace attnscope

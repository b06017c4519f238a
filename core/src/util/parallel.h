#pragma once
// Minimal fork-join parallelism over an index range. Work items are handed out dynamically, so
// uneven items (causal rows, heads of different cost) balance across threads. Helper threads are
// kept in a process-wide pool, since a forward pass makes dozens of calls per layer; a call made
// while the pool is busy (from another thread, or nested inside a body) gets threads of its own.

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <thread>
#include <vector>

namespace attnscope {

/// Threads used by parallelFor: ATTNSCOPE_THREADS if set, else hardware concurrency.
int defaultThreadCount();

/// Runs body(index) for every index in [0, count) on up to `threads` threads (0 = default).
/// body must not throw.
void parallelFor(std::int64_t count, const std::function<void(std::int64_t)>& body, int threads = 0);

} // namespace attnscope

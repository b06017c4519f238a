#include "util/parallel.h"

#include <cstdlib>

namespace attnscope {

int defaultThreadCount()
{
    if (const char* text = std::getenv("ATTNSCOPE_THREADS")) {
        const int requested = std::atoi(text);
        if (requested > 0) {
            return requested;
        }
    }
    return std::max(1u, std::thread::hardware_concurrency());
}

void parallelFor(std::int64_t count, const std::function<void(std::int64_t)>& body, int threads)
{
    if (count <= 0) {
        return;
    }
    const int workerCount =
        static_cast<int>(std::min<std::int64_t>(threads > 0 ? threads : defaultThreadCount(), count));
    if (workerCount <= 1) {
        for (std::int64_t index = 0; index < count; ++index) {
            body(index);
        }
        return;
    }
    std::atomic<std::int64_t> next{0};
    auto worker = [&] {
        for (std::int64_t index = next.fetch_add(1); index < count; index = next.fetch_add(1)) {
            body(index);
        }
    };
    std::vector<std::thread> pool;
    pool.reserve(static_cast<std::size_t>(workerCount - 1));
    for (int thread = 1; thread < workerCount; ++thread) {
        pool.emplace_back(worker);
    }
    worker();
    for (auto& thread : pool) {
        thread.join();
    }
}

} // namespace attnscope

#include "util/parallel.h"

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <memory>
#include <mutex>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace attnscope {

namespace {

// How long an idle worker (or a caller waiting for its helpers) spins before it sleeps. A forward
// pass calls parallelFor dozens of times per layer with short serial gaps in between, and waking a
// sleeping thread costs tens of microseconds, so workers stay awake across those gaps but give the
// CPU back when the process has nothing parallel to do.
constexpr auto kSpinTime = std::chrono::microseconds(200);

inline void cpuRelax()
{
#if defined(__x86_64__) || defined(__i386__)
    _mm_pause();
#endif
}

// Spins until done() or kSpinTime passed; returns done().
template <typename Predicate>
bool spinUntil(Predicate done)
{
    const auto deadline = std::chrono::steady_clock::now() + kSpinTime;
    for (int round = 0;; ++round) {
        if (done()) {
            return true;
        }
        cpuRelax();
        if ((round & 63) == 63 && std::chrono::steady_clock::now() >= deadline) {
            return done();
        }
    }
}

// Runs items [0, count) with dynamic hand-out; shared by the pool and the fallback path.
void drainItems(std::atomic<std::int64_t>& next, std::int64_t count, const std::function<void(std::int64_t)>& body)
{
    for (std::int64_t index = next.fetch_add(1); index < count; index = next.fetch_add(1)) {
        body(index);
    }
}

// The pre-pool behaviour: threads created for this call. Used when the pool is taken (another
// thread is inside parallelFor, or this is a nested call from a body), which keeps nested and
// concurrent calls deadlock-free.
void runOnFreshThreads(std::int64_t count, const std::function<void(std::int64_t)>& body, int workerCount)
{
    std::atomic<std::int64_t> next{0};
    std::vector<std::thread> threads;
    threads.reserve(static_cast<std::size_t>(workerCount - 1));
    for (int thread = 1; thread < workerCount; ++thread) {
        threads.emplace_back([&] { drainItems(next, count, body); });
    }
    drainItems(next, count, body);
    for (auto& thread : threads) {
        thread.join();
    }
}

// Persistent helper threads, one job at a time. Each helper has a slot tagged with the job's
// generation: the caller marks it Assigned, the helper claims it (Running, then Done), and a caller
// that has run out of items revokes slots not yet claimed, so a helper the OS has not scheduled
// yet never delays the caller.
class ThreadPool {
public:
    static ThreadPool& instance()
    {
        static ThreadPool pool;
        return pool;
    }

    ~ThreadPool()
    {
        {
            std::lock_guard lock(m_mutex);
            m_stop = true;
            m_generation.fetch_add(1, std::memory_order_release);
        }
        m_wake.notify_all();
        for (auto& thread : m_threads) {
            thread.join();
        }
    }

    // False when the pool is already running a job; the caller then uses fresh threads.
    bool tryRun(std::int64_t count, const std::function<void(std::int64_t)>& body, int workerCount)
    {
        if (m_busy.exchange(true, std::memory_order_acquire)) {
            return false;
        }
        const int helpers = workerCount - 1;
        std::uint64_t generation = 0;
        {
            std::lock_guard lock(m_mutex);
            while (static_cast<int>(m_threads.size()) < helpers) {
                const int index = static_cast<int>(m_threads.size());
                m_slots.emplace_back(std::make_unique<std::atomic<std::uint64_t>>(0));
                m_threads.emplace_back([this, index, seen = m_generation.load()] { workerLoop(index, seen); });
            }
            m_body = &body;
            m_count = count;
            m_next.store(0, std::memory_order_relaxed);
            generation = m_generation.load(std::memory_order_relaxed) + 1;
            for (int helper = 0; helper < helpers; ++helper) {
                m_slots[static_cast<std::size_t>(helper)]->store(tag(generation, kAssigned), std::memory_order_relaxed);
            }
            m_generation.store(generation, std::memory_order_release);
        }
        m_wake.notify_all();
        drainItems(m_next, count, body);
        for (int helper = 0; helper < helpers; ++helper) {
            auto& slot = *m_slots[static_cast<std::size_t>(helper)];
            std::uint64_t expected = tag(generation, kAssigned);
            if (slot.compare_exchange_strong(expected, tag(generation, kRevoked), std::memory_order_acq_rel)) {
                continue;
            }
            const auto finished = [&] { return slot.load(std::memory_order_acquire) == tag(generation, kDone); };
            if (!spinUntil(finished)) {
                std::unique_lock lock(m_mutex);
                m_done.wait(lock, finished);
            }
        }
        m_busy.store(false, std::memory_order_release);
        return true;
    }

private:
    static constexpr std::uint64_t kAssigned = 1;
    static constexpr std::uint64_t kRunning = 2;
    static constexpr std::uint64_t kDone = 3;
    static constexpr std::uint64_t kRevoked = 4;

    static std::uint64_t tag(std::uint64_t generation, std::uint64_t state) { return generation << 3 | state; }

    void workerLoop(int index, std::uint64_t seen)
    {
        auto& slot = *m_slots[static_cast<std::size_t>(index)];
        for (;;) {
            const auto changed = [&] { return m_generation.load(std::memory_order_acquire) != seen; };
            if (!spinUntil(changed)) {
                std::unique_lock lock(m_mutex);
                m_wake.wait(lock, changed);
            }
            seen = m_generation.load(std::memory_order_acquire);
            if (m_stop.load(std::memory_order_acquire)) {
                return;
            }
            std::uint64_t expected = tag(seen, kAssigned);
            if (!slot.compare_exchange_strong(expected, tag(seen, kRunning), std::memory_order_acq_rel)) {
                continue; // not needed for this job, or revoked before it woke up
            }
            drainItems(m_next, m_count, *m_body);
            {
                std::lock_guard lock(m_mutex);
                slot.store(tag(seen, kDone), std::memory_order_release);
            }
            m_done.notify_all();
        }
    }

    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::condition_variable m_done;
    std::vector<std::thread> m_threads;
    std::vector<std::unique_ptr<std::atomic<std::uint64_t>>> m_slots;
    std::atomic<bool> m_busy{false};
    std::atomic<bool> m_stop{false};
    std::atomic<std::uint64_t> m_generation{0};
    const std::function<void(std::int64_t)>* m_body = nullptr;
    std::int64_t m_count = 0;
    std::atomic<std::int64_t> m_next{0};
};

} // namespace

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
    if (!ThreadPool::instance().tryRun(count, body, workerCount)) {
        runOnFreshThreads(count, body, workerCount);
    }
}

} // namespace attnscope

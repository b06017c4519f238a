#include "io/mapping_guard.h"

#include <array>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <mutex>
#include <sys/mman.h>
#include <unistd.h>

namespace attnscope {

namespace {

// A fixed table, so that the signal handler reads it without locks or allocation. A sharded model
// holds one mapping per shard; 1024 is far above any model this app opens.
constexpr std::size_t kSlots = 1024;

struct GuardSlot {
    std::atomic<std::uintptr_t> begin{0}; // 0: free
    std::atomic<std::uintptr_t> end{0};
    std::atomic<bool> lost{false};
};

std::array<GuardSlot, kSlots> g_slots;
std::mutex g_registrationMutex; // serialises guard/unguard (never taken by the handler)
struct sigaction g_previousAction {};
std::once_flag g_installOnce;

void forwardToPrevious(int signalNumber, siginfo_t* info, void* context)
{
    if ((g_previousAction.sa_flags & SA_SIGINFO) != 0 && g_previousAction.sa_sigaction != nullptr) {
        g_previousAction.sa_sigaction(signalNumber, info, context);
        return;
    }
    const bool sentByProcess = info == nullptr || info->si_code <= 0;
    if (g_previousAction.sa_handler == SIG_IGN && sentByProcess) {
        return;
    }
    if (g_previousAction.sa_handler != SIG_DFL && g_previousAction.sa_handler != SIG_IGN) {
        g_previousAction.sa_handler(signalNumber);
        return;
    }
    // Default action, as without the guard: restore it; a real fault re-executes the access on
    // return and ends the process, a signal sent with kill() is raised again (delivered on return).
    struct sigaction defaultAction {};
    defaultAction.sa_handler = SIG_DFL;
    sigemptyset(&defaultAction.sa_mask);
    ::sigaction(signalNumber, &defaultAction, nullptr);
    if (sentByProcess) {
        ::raise(signalNumber);
    }
}

// Only async-signal-safe work here: atomic loads and stores, mmap (a plain system call).
void onSigbus(int signalNumber, siginfo_t* info, void* context)
{
    const int savedErrno = errno;
    if (info != nullptr && info->si_code > 0) {
        const auto address = reinterpret_cast<std::uintptr_t>(info->si_addr);
        for (GuardSlot& slot : g_slots) {
            const std::uintptr_t begin = slot.begin.load(std::memory_order_acquire);
            const std::uintptr_t end = slot.end.load(std::memory_order_acquire);
            if (begin == 0 || address < begin || address >= end) {
                continue;
            }
            void* zeros = ::mmap(reinterpret_cast<void*>(begin), end - begin, PROT_READ,
                                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
            if (zeros != MAP_FAILED) {
                slot.lost.store(true, std::memory_order_release);
                errno = savedErrno;
                return;
            }
            break;
        }
    }
    errno = savedErrno;
    forwardToPrevious(signalNumber, info, context);
}

void installHandler()
{
    struct sigaction action {};
    action.sa_sigaction = onSigbus;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGBUS, &action, &g_previousAction);
}

std::uintptr_t pageRoundUp(std::uintptr_t value)
{
    const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
    return (value + page - 1) / page * page;
}

} // namespace

int guardMapping(const std::byte* begin, std::size_t size)
{
    if (begin == nullptr || size == 0) {
        return -1;
    }
    std::call_once(g_installOnce, installHandler);
    const auto first = reinterpret_cast<std::uintptr_t>(begin);
    std::lock_guard lock(g_registrationMutex);
    for (std::size_t index = 0; index < kSlots; ++index) {
        GuardSlot& slot = g_slots[index];
        if (slot.begin.load(std::memory_order_relaxed) != 0) {
            continue;
        }
        // end before begin: the handler treats begin == 0 as free, so the slot goes live last.
        slot.lost.store(false, std::memory_order_relaxed);
        slot.end.store(pageRoundUp(first + size), std::memory_order_release);
        slot.begin.store(first, std::memory_order_release);
        return static_cast<int>(index);
    }
    return -1;
}

void unguardMapping(int slot)
{
    if (slot < 0 || static_cast<std::size_t>(slot) >= kSlots) {
        return;
    }
    std::lock_guard lock(g_registrationMutex);
    g_slots[static_cast<std::size_t>(slot)].begin.store(0, std::memory_order_release);
    g_slots[static_cast<std::size_t>(slot)].end.store(0, std::memory_order_release);
}

bool mappingLost(int slot)
{
    if (slot < 0 || static_cast<std::size_t>(slot) >= kSlots) {
        return false;
    }
    return g_slots[static_cast<std::size_t>(slot)].lost.load(std::memory_order_acquire);
}

} // namespace attnscope

#pragma once
// Turns the SIGBUS that a read of a truncated file mapping raises into a flag the next check
// reports (issue #10). Weights are read in place from mmap on every thread of a forward pass; if
// another program truncates the file meanwhile, the next read of a lost page raises SIGBUS, which
// no Result can catch and which would end the app with its unsaved work.
//
// How: one process-wide SIGBUS handler (installed with the first guarded mapping, chained to the
// handler that was there before) looks the faulting address up in a fixed table of guarded ranges.
// On a hit it maps anonymous zero pages over the whole range (MAP_FIXED) and marks it lost; the
// read that faulted then re-executes and sees zeros, as does every later read, so the pass runs to
// its end on garbage instead of crashing, and MappedFile::checkUnchanged() after the pass reports
// the loss. This is the X server's approach for client shared memory (os/busfault.c). Why not the
// alternatives: siglongjmp out of the handler would skip the destructors of the C++ frames between
// (the reads happen inside matrix kernels on worker threads), and copying every file at open costs
// its whole size in unreclaimable memory and the time to read it all, most of which a short text
// never touches.
//
// A SIGBUS outside every guarded range, or sent with kill(), goes to the previous handler, or gets
// the default action (the process ends) as if no guard were installed.

#include <cstddef>

namespace attnscope {

/// Guards [begin, begin + size) (a whole mmap region). Returns a slot for the calls below, or -1
/// when the table is full (then reads of that mapping are not guarded). Thread-safe.
int guardMapping(const std::byte* begin, std::size_t size);

/// Stops guarding `slot` (before the region is unmapped). -1 is ignored. Thread-safe.
void unguardMapping(int slot);

/// True once a read of the mapping in `slot` hit a page the file no longer has (the region now
/// reads as zeros). False for -1. Thread-safe, lock-free.
bool mappingLost(int slot);

} // namespace attnscope

#pragma once
// Resource limits (issue #10): before a computation allocates buffers that grow with the text
// (per-head N×N matrices above all), estimate its peak bytes in closed form and refuse with an
// explanation when they exceed the memory the machine has, instead of letting the OOM killer end
// the app. The estimates are deliberately simple upper-bound-style sums, documented term by term,
// so that tests can check them against hand-computed numbers.

#include "attnscope/status.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace attnscope {

struct ModelSpec;

/// Peak bytes of one CPU pass over a text of nTokens through a model with `spec`, as the
/// Workspace runs it (forward pass to a captured layer, then one head's N×N matrices at a time):
///   4 · N · (4·hidden + 2·(nHeads·headDim) + 4·(nKvHeads·headDim) + 2·intermediate)
///       the f32 activations (residual, normed, delta, projection scratch; Q and the head outputs;
///       K and V in the pass and in the capture; the MLP's up and gate)
/// + 9 · N²
///       one head's dense probabilities (f32), one variant's effective attention (f32) and the
///       kept-mask (u8)
/// Saturates at UINT64_MAX instead of overflowing.
std::uint64_t estimateTextPassBytes(const ModelSpec& spec, std::uint64_t nTokens);

/// Peak bytes of scoring nTokens with evaluateLoss (`attnscope eval`, Workspace::evaluate). It runs
/// consecutive windows of at most `window` tokens one after the other, so only the longest,
/// L = min(nTokens, window), counts:
///   estimateTextPassBytes(spec, L)   its forward pass
/// + min(4 · L · vocabSize,           one block of its logits (next_token_loss.h: at most
///       max(64 MiB, 4 · L · 256))     kLossBlockBytes, at least 256 vocabulary columns)
/// Whole, the logits would dominate for large vocabularies: Gemma 3 (262,144 entries) would need
/// 1 MiB per token.
/// Saturates at UINT64_MAX.
std::uint64_t estimateEvalBytes(const ModelSpec& spec, std::uint64_t nTokens, std::uint64_t window);

/// Bytes the machine can still give: the test/user limit when one is set (setMemoryLimit, or the
/// ATTNSCOPE_MEMORY_LIMIT_MB environment variable), else MemAvailable of /proc/meminfo; nullopt
/// when neither is known (no check is made then).
std::optional<std::uint64_t> availableMemoryBytes();

/// The environment variable `variable` read as a whole number of MiB, in bytes; nullopt when it is
/// unset or not a number.
std::optional<std::uint64_t> megabytesFromEnvironment(const char* variable);

/// Sets (or, with nullopt, clears) a limit that replaces MemAvailable. Process-wide; thread-safe.
void setMemoryLimit(std::optional<std::uint64_t> bytes);

/// MemAvailable parsed from the text of /proc/meminfo ("MemAvailable:  123 kB"), in bytes.
std::optional<std::uint64_t> parseMemAvailable(std::string_view meminfo);

/// left · right and left + right, or UINT64_MAX where they overflow: byte counts computed from
/// file headers or text lengths must not wrap around to something small that passes the check.
std::uint64_t saturatingMul(std::uint64_t left, std::uint64_t right);
std::uint64_t saturatingAdd(std::uint64_t left, std::uint64_t right);

/// "1.5 GiB", "512 MiB", "800 bytes": for messages.
std::string formatBytes(std::uint64_t bytes);

/// OutOfMemory (reason "memory_budget") when `bytes` exceed availableMemoryBytes(); the message
/// says what needed them, how much is available and what to do. `context` names the model.
Result<void> checkMemoryBudget(std::uint64_t bytes, std::string_view what, std::string_view remedy,
                               const std::string& context);

} // namespace attnscope

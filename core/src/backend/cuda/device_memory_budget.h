#pragma once
// GPU memory limits (issue #10): before the CUDA backend allocates a call's buffers it adds up their
// bytes in closed form and refuses with OutOfMemory when they exceed the free device memory, so a
// request larger than the GPU is explained (and the caller runs it on the CPU, see
// backend/dense_attention_dispatch.h) instead of failing somewhere inside the allocations. No CUDA
// headers: the estimates and the check compile and are tested in every build.

#include "attnscope/status.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace attnscope {

/// Device bytes of runDenseAttentionCuda: q [nHeads·N·d], k and v [nKvHeads·N·d each], out
/// [nHeads·N·d] and lse [nHeads·N], all f32:  4 · (2·nHeads·N·d + 2·nKvHeads·N·d + nHeads·N).
std::uint64_t denseAttentionDeviceBytes(int nHeads, int nKvHeads, int nTokens, int headDim);

/// Device bytes of runAttentionProbsCuda for one head: q and k [N·d each], lse [N] and the
/// rectangle [rows·cols], f32:  4 · (2·N·d + N + rows·cols).
std::uint64_t attentionProbsDeviceBytes(int nTokens, int headDim, int rowCount, int colCount);

/// Device bytes of runSparseAttentionCuda for one head with `entries` kept keys: q, k, v and out
/// [N·d each], rowPtr [N + 1] and cols [entries] (int32), weights [entries] and lse [N] (f32):
///   4 · (4·N·d + (N + 1) + 2·entries + N).
std::uint64_t sparseAttentionDeviceBytes(int nTokens, int headDim, std::uint64_t entries);

/// Device bytes of runTopkSelectCuda for one head selecting `entries` keys: q and k [N·d each],
/// rowPtr [N + 1] and cols [entries] (int32), and `scratchFloats` f32 scores of rows too long for
/// shared memory:  4 · (2·N·d + (N + 1) + entries + scratchFloats).
std::uint64_t topkSelectDeviceBytes(int nTokens, int headDim, std::uint64_t entries, std::uint64_t scratchFloats);

/// Device bytes of runDenseAttentionHalfCuda: q, out [nHeads·N·d] and k, v [nKvHeads·N·d] in 16 bits,
/// lse [nHeads·N] in f32:  2 · (2·nHeads·N·d + 2·nKvHeads·N·d) + 4 · nHeads·N.
std::uint64_t denseAttentionHalfDeviceBytes(int nHeads, int nKvHeads, int nTokens, int headDim);

/// Device bytes of one per-row selection of cuda_selection.h (threshold, dsa) over `rows`
/// selection rows: `inputFloats` f32 of query and key vectors, keyFirst and keyCount [rows],
/// rowPtr [rows + 1] and counts [rows] (int32), cols [entries] (int32) and `scratchFloats` f32
/// scores of rows too long for shared memory:
///   4 · (inputFloats + 2·rows + (rows + 1) + rows + entries + scratchFloats).
std::uint64_t rowSelectDeviceBytes(std::uint64_t inputFloats, int rows, std::uint64_t entries,
                                   std::uint64_t scratchFloats);

/// Device bytes of runSacProxySelectCuda: q~ and k~ [N·rank each] and the keys of all `pairs`
/// allowed pairs (f32), rowOffset [N + 1] (int64), above, ties, tiesTaken and counts [N] and
/// rowPtr [N + 1] (int32), cols [entries] (int32) and the 256-bin histogram (uint64):
///   4 · (2·N·rank + pairs + 4·N + (N + 1) + entries) + 8 · (N + 1) + 8 · 256.
std::uint64_t sacSelectDeviceBytes(int nTokens, int rank, std::uint64_t pairs, std::uint64_t entries);

/// Device bytes of runBlockSparseAttentionCuda for one head on a mask of `blocks` query blocks
/// keeping `keptBlocks` key blocks in all: q, k, v and out [N·d each], lse [N] (f32), the block
/// row offsets [blocks + 1] and key blocks [keptBlocks] (int32):
///   4 · (4·N·d + N + (blocks + 1) + keptBlocks).
std::uint64_t blockSparseAttentionDeviceBytes(int nTokens, int headDim, int blocks, std::uint64_t keptBlocks);

/// Device bytes of runBlockPooledProbsCuda for one head pooled into blocks × blocks: q and k
/// [N·d each], lse [N], and the max and sum maps [blocks² each], f32:  4 · (2·N·d + N + 2·blocks²).
std::uint64_t blockPooledProbsDeviceBytes(int nTokens, int headDim, int blocks);

/// Device bytes of runSbmAssignCuda: points [pointCount·dim] and centroids [clusters·dim] (f32), logits
/// [pointCount·clusters] (f32) and the assignment [pointCount] (int32):
///   4 · (pointCount·dim + clusters·dim + pointCount·clusters + pointCount).
std::uint64_t sbmAssignDeviceBytes(int pointCount, int dim, int clusters);

/// Device bytes of runSbmSampleCuda for one head of N tokens, k clusters and `entries` kept keys:
/// prefix sums [k·(N + 1)] and alias keep [N·k] (f64), alias index [N·k], draw counts [N], row
/// counts [N], rowPtr [N + 1] and cols [entries] (int32):
///   8 · (k·(N + 1) + N·k) + 4 · (N·k + 3·N + 1 + entries).
std::uint64_t sbmSampleDeviceBytes(int nTokens, int clusters, std::uint64_t entries);

/// Device bytes of the FAVOR+ feature calls of cuda_feature_maps.h for one head with m features:
/// q and k [N·d], ω [m·d] and the key mean [d], the query and key features [2·N·m] and the row
/// maxima [N + 1], f32; with `attention` (runPerformerAttentionCuda) also v and out [N·d] (f32), the
/// state [m·(d + 1)] and the denominators [N] (f64):
///   4 · (2·N·d + m·d + d + 2·N·m + N + 1) + attention · (4 · 2·N·d + 8 · (m·(d + 1) + N)).
std::uint64_t performerDeviceBytes(int nTokens, int headDim, int features, bool attention);

/// Device bytes of runFastmaxAttentionCuda for one head, with M = 1 + d (+ d² for order 2) features:
/// the normalised q and k [2·N·d], the state [M·(d + 1)] and the denominators [N] in f64; v and out
/// [2·N·d] and the query and key features [2·N·M] in f32:
///   8 · (2·N·d + M·(d + 1) + N) + 4 · (2·N·d + 2·N·M).
std::uint64_t fastmaxDeviceBytes(int nTokens, int headDim, int order);

/// Sets (or, with nullopt, clears) a device-memory limit in bytes that caps what the GPU reports
/// as free: a test can make any request "too large for the GPU", and a user can keep room for
/// other programs (also ATTNSCOPE_DEVICE_MEMORY_LIMIT_MB). Process-wide; thread-safe.
void setDeviceMemoryLimit(std::optional<std::uint64_t> bytes);

/// The smaller of `deviceFreeBytes` (cudaMemGetInfo; nullopt when unknown) and the limit; nullopt
/// when neither is known.
std::optional<std::uint64_t> availableDeviceMemoryBytes(std::optional<std::uint64_t> deviceFreeBytes);

/// OutOfMemory (reason "device_memory_budget") when `bytes` exceed availableDeviceMemoryBytes();
/// the message says what needed them and how much the GPU has free. `context` names the layer.
Result<void> checkDeviceMemory(std::uint64_t bytes, std::optional<std::uint64_t> deviceFreeBytes,
                               std::string_view what, const std::string& context);

} // namespace attnscope

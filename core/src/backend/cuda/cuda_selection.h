#pragma once
// Host entry points of the score-selecting kernels (kernels/src/selection.cu): the mask steps of
// the `threshold`, `dsa` and `sac` variants on the GPU (issue #7). No CUDA headers here; without
// CUDA (or a usable device) every function returns ErrorCode::BackendUnavailable with the reason,
// so the variants fall back to their CPU code. Synchronous; one compute thread at a time.
// Results are a kept set in CSR form over the layer's tokens: rowPtr [nTokens + 1] (int64, from 0),
// cols the kept key positions of each row, ascending.

#include <cstdint>
#include <span>
#include <vector>

#include "attnscope/status.h"

namespace attnscope {

struct LayerQkv;

/// The `threshold` variant's selection of head `head`: per query row, the keys the model's mask
/// allows whose exact score (attn::scoreRow's bits) is within `delta` of the row's maximum, or,
/// when byProbability, whose dense probability (softmax in double) is at least minProbability.
/// Score rows equal the CPU's bit for bit (with a softcap, the device's tanhf may differ from the C
/// library's by an ulp); the probabilities may differ from the CPU's in the last bits (the
/// device's exp, the block's summation order).
/// Errors: checkCudaAttentionSupported's, InvalidArgument (head out of range, more than 2^31 - 1
/// kept entries: "csr_too_large"), OutOfMemory, DeviceError.
Result<void> runThresholdSelectCuda(const LayerQkv& qkv, int head, bool byProbability, double delta,
                                    double minProbability, std::vector<std::int64_t>& rowPtr,
                                    std::vector<std::int32_t>& cols);

/// A selection on predicted low-rank scores scale·q~·k~ (the `dsa` variant). Selection row m
/// scores the keys keyFirst[m] .. keyFirst[m] + keyCount[m] - 1 with query vector m of `queries`
/// ([rows, rank] row-major; a query row's projection, or a query block's pooled one); `keys` is
/// [nTokens, rank]. With `budget` (one count per row) a row keeps its min(budget, keyCount)
/// largest scores, ties to the lower key; without, the keys within `delta` of its maximum.
struct LowRankSelection {
    std::span<const float> queries;
    std::span<const float> keys;
    int rank = 0;
    float scale = 1.0f;
    std::span<const std::int32_t> keyFirst;
    std::span<const std::int32_t> keyCount;
    std::span<const std::int32_t> budget;
    double delta = 0.0;
};

/// Runs a LowRankSelection for head `head` of `qkv` (the layer only names the call and bounds the
/// key positions). rowPtr [rows + 1], cols as above (per selection row).
/// Errors: BackendUnavailable, InvalidArgument (rank outside (0, 128], sizes that disagree, key
/// runs outside the layer, more than 2^31 - 1 kept entries), OutOfMemory, DeviceError.
Result<void> runLowRankSelectCuda(const LayerQkv& qkv, int head, const LowRankSelection& selection,
                                  std::vector<std::int64_t>& rowPtr, std::vector<std::int32_t>& cols);

/// The `sac` variant's proxy selection: every allowed pair's key (row log-softmax of
/// scale·q~·k~ + beta·(-log(1 + |i - j|)), floored at logFloor, plus tau·Gumbel noise of
/// hashUniform01(noiseKey, i, j) when tau > 0), the global `budget` largest (ties to the earlier
/// pair in row-major order), and the diagonal of every row when selfLoop.
struct SacProxySelection {
    std::span<const float> queries;  ///< q~ [nTokens, rank]
    std::span<const float> keys;     ///< k~ [nTokens, rank]
    int rank = 0;
    float scale = 1.0f;
    double beta = 0.0;
    double tau = 0.0;
    double logFloor = 0.0;
    std::uint64_t noiseKey = 0;
    std::int64_t budget = 0;
    bool selfLoop = false;
};

/// Errors: BackendUnavailable, InvalidArgument (rank outside (0, 128], sizes that disagree, more
/// than 2^31 - 1 allowed pairs or kept entries), OutOfMemory, DeviceError.
Result<void> runSacProxySelectCuda(const LayerQkv& qkv, int head, const SacProxySelection& selection,
                                   std::vector<std::int64_t>& rowPtr, std::vector<std::int32_t>& cols);

} // namespace attnscope

namespace attnscope::cuda_selection {

/// Host steps of the selections, compiled in every build (unit-tested without a device).

/// Row offsets [counts.size() + 1] from per-row counts (all >= 0).
std::vector<std::int64_t> offsetsFromCounts(std::span<const std::int32_t> counts);

/// SAC's tie rule across rows: of the keys equal to the threshold, the first `wanted` in row-major
/// order are taken, so row r takes min(ties[r], wanted - ties of the rows before it), at least 0.
std::vector<std::int32_t> takeTiesInRowOrder(std::span<const std::int32_t> ties, std::int64_t wanted);

/// Whether per-row counts of keys above (`above`) and equal to (`ties`) the threshold a radix select
/// found for the budget-th largest key agree with it: budget - remaining above in all, and at
/// least `remaining` (>= 1) ties.
bool countsMatchRadixSelect(std::span<const std::int32_t> above, std::span<const std::int32_t> ties,
                            std::int64_t budget, std::int64_t remaining);

} // namespace attnscope::cuda_selection

#pragma once
// Fused dense softmax attention on the CPU (FlashAttention-2 style): for each block of query rows,
// key blocks are scored, folded into a running row max and sum (online softmax) and multiplied
// into the output straight away, so no score matrix larger than one tile ever exists. Output and
// per-row log-sum-exp (LSE) come out together; with the LSE, any probability the views ask for is
// recomputed exactly as exp(score − lse) without a second softmax.
//
// Work is spread over (KV head, query rows: one block or, for long heads, a few) with parallelFor; query heads sharing a KV head (GQA)
// run in the same work item, so each packed key tile and value tile is read from memory once for
// the whole group. Causal and sliding-window tiles outside every row's range are skipped. The
// micro-kernels exist for AVX-512, AVX2 + FMA and plain C++; the widest one the CPU runs (and whose
// vector width divides headDim) is picked at run time.

#include "attention/attention_common.h"
#include "attnscope/status.h"
#include "model/layer_qkv.h"
#include "util/cpu_features.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace attnscope::attn {

struct FusedAttentionOptions {
    int threads = 0;              ///< 0: defaultThreadCount()
    std::optional<CpuIsa> isa;    ///< cap on the kernel ISA (tests, benchmarks); default activeCpuIsa()
    /// Query rows per dense work item, rounded up to the kernel's query block (tests, benchmarks);
    /// 0: denseRowsPerItem's choice.
    int rowsPerItem = 0;
};

/// Past this many bytes of K and V per KV head, dense work items take more query rows: each item
/// streams every K and V tile its rows see from memory once, so more rows per item read less
/// memory per FLOP. Measured on a 2-vCPU AMD EPYC (docs/benchmarks.md, BM_FusedRowsPerItem): on
/// one thread, 8 MiB a head (N = 8192, d = 128) ran 3–14% faster with four query blocks per item
/// and 4 MiB (N = 4096, d = 128) 0–7% faster, while at 2 MiB they were up to 6% slower.
inline constexpr std::int64_t kFusedCacheResidentKvBytes = std::int64_t{2} << 20;
/// At most this many query blocks per work item, counting every head of a GQA group (they already
/// share each tile).
inline constexpr int kFusedMaxRowsMultiple = 4;

/// The query rows per dense work item fusedAttention uses for `qkv` on `threads` threads (0:
/// defaultThreadCount()): a multiple of `queryBlock`, larger only when a head's K and V outgrow
/// the cache, while every thread keeps at least 8 items, and under a causal or sliding-window
/// mask at most 1/16 of the keys a row sees (an item's upper rows compute the pairs only its lower
/// rows see). The results do not depend on it, bit for bit.
int denseRowsPerItem(const LayerQkv& qkv, int queryBlock, int threads);

/// The query block of the kernel fusedAttention picks for `isa` (fusedAttentionIsa's result).
int fusedQueryBlock(CpuIsa isa);

/// The kernel used for `headDim` when the CPU offers `available`: the widest ISA whose vector
/// width (AVX-512: 16 floats, AVX2: 8) divides headDim; Portable otherwise.
CpuIsa fusedAttentionIsa(CpuIsa available, int headDim);

/// Attention of every head of `qkv` under its own mask rules (causal, sliding window, softcap):
///   output [nHeads, nTokens, headDim] (must hold that many floats), row-major;
///   lse    [nHeads, nTokens] natural-log log-sum-exp of each row's scaled scores, or null.
/// Extra memory: the keys of every KV head repacked (nKvHeads × nTokens × headDim floats) plus one
/// tile set per thread. Errors: InvalidArgument (inconsistent LayerQkv), OutOfMemory.
Result<void> fusedAttention(const LayerQkv& qkv, float* output, float* lse, const FusedAttentionOptions& options = {});

/// Which key blocks each query block attends to, on a square grid of `blockSize`-token blocks (the
/// last one may be shorter; blocks = ceil(nTokens / blockSize)): layout row r keeps key blocks
/// keyBlocks[rowPtr[r], rowPtr[r + 1]), ascending, no repeats. Rows: one per query block shared by
/// every head, or with perHead nHeads × blocks (head-major). Inside a kept block the model's own
/// mask (causal, sliding window) still applies.
struct BlockSparseLayout {
    int blockSize = 0;
    bool perHead = false;
    std::vector<std::int64_t> rowPtr;
    std::vector<std::int32_t> keyBlocks;
};

/// fusedAttention restricted to the kept blocks of `layout`: the same micro-kernels and online
/// softmax run on the runs of kept keys only (the work scales with the kept blocks), threads over
/// heads × query blocks; with a shared layout, the query heads of a GQA group share each key tile.
/// output and lse as fusedAttention; a row that sees no kept key gets output 0 and lse −inf.
/// Extra memory as fusedAttention. Errors: InvalidArgument (inconsistent LayerQkv or layout),
/// OutOfMemory.
Result<void> blockSparseAttention(const LayerQkv& qkv, const BlockSparseLayout& layout, float* output, float* lse,
                                  const FusedAttentionOptions& options = {});

/// Rows [rowBegin, rowEnd) of CSR sparse attention on one head (sparseAttention's contract,
/// attention_common.h: output rows [N, d], weights in CSR order or null, an empty row gives 0)
/// with the fused micro-kernels, when the rows' kept keys overlap enough to pay for it: the union of
/// their keys is gathered once (K packed, V copied) and each row is masked to its own keys. Returns
/// false and touches nothing when the kept pairs are under kGatheredMinDensity of rows × union
/// (random or top-k sets, whose rows share few keys: the per-row kernel is faster there) or the
/// rows are more than one kernel query block.
bool gatheredSparseRows(const HeadInput& input, const KeptSet& set, int rowBegin, int rowEnd, float* output,
                        float* weights, CpuIsa isa);

/// Below this fraction of kept pairs in rows × union, gatheredSparseRows declines. The fused
/// kernel runs about 4–5× more FLOP/s than the per-row one (docs/benchmarks.md), so a third, with
/// the gather's copies on top, still gains.
inline constexpr double kGatheredMinDensity = 0.3;

/// Exact probabilities of one head on rows [rowBegin, rowBegin + rowCount) × keys [colBegin,
/// colBegin + colCount), from Q, K and that head's row LSE (headLse [nTokens], the slice of
/// fusedAttention's lse): p = exp(score − lse), 0 where the model's mask hides the key. What a view
/// asks for when it zooms in; no other tile of the matrix is computed. probs: [rowCount, colCount].
/// Errors: InvalidArgument (inconsistent LayerQkv, head or rectangle out of range, short lse),
/// OutOfMemory.
Result<void> attentionProbabilityTile(const LayerQkv& qkv, int head, const float* headLse, std::size_t lseCount,
                                      int rowBegin, int rowCount, int colBegin, int colCount,
                                      std::vector<float>& probs, int threads = 0);

/// The kernel's vectorised exp applied to in[0, count) → out (for tests and benchmarks). Domain
/// x ≤ 88; results below FLT_MIN (x < −87.34) are flushed to 0, and −inf gives 0 exactly.
void fusedAttentionExp(CpuIsa isa, const float* in, float* out, std::size_t count);

} // namespace attnscope::attn

#pragma once
// Shared machinery of the CPU variants: one head's input view, the model's allowed set, seeded
// randomness, exact-score rows, per-row selection, and the two attention kernels every mask variant
// ends in (sparse CSR on the kept pairs only; dense: Eigen blocks).

#include "attnscope/status.h"
#include "attnscope/variant_result.h"
#include "model/layer_qkv.h"
#include "util/cpu_features.h"
#include "util/parallel.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <optional>
#include <vector>

namespace attnscope::attn {

struct DenseRows;
class LearnedPredictorFile;

/// One query head with its (GQA-mapped) key/value head. Pointers into a LayerQkv; rows are tokens.
struct HeadInput {
    const float* q = nullptr; ///< [N, d]
    const float* k = nullptr; ///< [N, d]
    const float* v = nullptr; ///< [N, d]
    int nTokens = 0;
    int headDim = 0;
    float scale = 1.0f;
    float softcap = 0.0f;
    bool causal = true;
    int slidingWindow = 0;
    int layer = 0;
    int head = 0;
    /// This head's exact dense rows when a caller kept them (dense_rows.h): scoreRow,
    /// denseProbabilityRow and the metrics read them instead of recomputing. Same bits either way.
    const DenseRows* denseRows = nullptr;
    /// Learned mode: the validated predictor file of the spec (learned_predictor_file.h), checked
    /// against this layer's shape; null otherwise.
    const LearnedPredictorFile* learned = nullptr;
    /// The layer the pointers above view (set by makeHeadInput): what a GPU backend uploads
    /// (attention_backend.h). Null for hand-built inputs, which then always run on the CPU.
    const LayerQkv* layerQkv = nullptr;
};

HeadInput makeHeadInput(const LayerQkv& layer, int head);

/// First and last allowed key of a query under the model's own mask.
struct KeyRange {
    int first = 0;
    int last = -1;
    int size() const { return last - first + 1; }
};
KeyRange allowedKeys(const HeadInput& input, int queryPos);
/// The keys any of the queries [rowBegin, rowEnd) may see (first..last of the union; size() <= 0
/// when none): what a block of rows scores at once.
KeyRange allowedKeysOfRows(const HeadInput& input, int rowBegin, int rowEnd);
std::int64_t allowedPairCount(const HeadInput& input);

/// Seed of a (seed, layer, head, stream) tuple: every random draw in a variant derives from this so
/// that pictures are reproducible and heads are independent.
std::uint64_t mixSeed(std::uint64_t seed, int layer, int head, std::uint64_t stream);

/// Small deterministic generator (splitmix64); identical sequences on every platform, unlike the
/// std distributions.
class Rng {
public:
    explicit Rng(std::uint64_t seed) : m_state(seed) {}
    std::uint64_t next();
    double uniform();         ///< [0, 1)
    double normal();          ///< standard normal (Box–Muller)
    std::int64_t below(std::int64_t bound); ///< [0, bound)

private:
    std::uint64_t m_state;
    double m_spare = 0.0;
    bool m_hasSpare = false;
};

/// Counter-based uniform in [0, 1) for a (key, a, b) triple: the draw of a pair does not depend on
/// the order or thread in which pairs are visited.
double hashUniform(std::uint64_t key, std::uint64_t a, std::uint64_t b);

/// q·k over d floats, vectorised for the common head dims.
float dotProduct(const float* a, const float* b, int d);

/// The model's score softcap (Gemma 2 style): softcap·tanh(s / softcap), or s when softcap is 0.
inline float applySoftcap(float score, float softcap)
{
    return softcap > 0.0f ? softcap * std::tanh(score / softcap) : score;
}

/// Exact scores s·q_i·k_j (softcapped when the model does) for the allowed keys of query i,
/// written to scores[0 .. range.size()). Every score is a function of (q_i, k_j) alone (fixed
/// summation order, score_kernel.cpp): scoreBlock and kept dense rows give the same bits.
void scoreRow(const HeadInput& input, int queryPos, KeyRange range, float* scores);

/// Exact scores of the queries [rowBegin, rowEnd) against the keys [keyBegin, keyEnd), mask not
/// applied: scores[(i − rowBegin)·stride + (j − keyBegin)], each the bits scoreRow gives. Several
/// query rows share every key load (a small GEMM instead of one GEMV per row).
void scoreBlock(const HeadInput& input, int rowBegin, int rowEnd, int keyBegin, int keyEnd, float* scores,
                std::size_t stride);

/// Indices (relative to 0) of the `count` largest values of values[0, n), ties to the lower index,
/// returned in ascending index order.
void selectTopIndices(const float* values, int n, int count, std::vector<int>& selected);

/// A kept set per row in CSR form (cols ascending within a row), before weights are applied.
struct KeptSet {
    std::vector<std::int64_t> rowPtr;
    std::vector<std::int32_t> cols;
};

/// Builds a KeptSet from a square block mask (blockMask[queryBlock · blocks + keyBlock] != 0 keeps
/// the block, blocks = ceil(N / block)) intersected with each row's allowed keys. It visits the
/// kept blocks only (O(kept pairs + N · blocks)), not every pair: at N = 16k a per-pair predicate
/// is 268 M calls for a set of a few percent.
KeptSet keptSetFromBlockMask(const HeadInput& input, const std::vector<std::uint8_t>& blockMask, int block);

/// Builds a KeptSet row by row in parallel: rowFn(queryPos, cols) appends the kept keys of a row
/// in ascending order. rowFn must be thread-safe (use thread_local scratch).
template <typename RowFn>
KeptSet keptSetFromRows(const HeadInput& input, int threads, RowFn rowFn)
{
    const int n = input.nTokens;
    std::vector<std::vector<std::int32_t>> rows(static_cast<std::size_t>(n));
    parallelFor(
        n, [&](std::int64_t queryPos) { rowFn(static_cast<int>(queryPos), rows[static_cast<std::size_t>(queryPos)]); },
        threads);
    KeptSet set;
    set.rowPtr.assign(static_cast<std::size_t>(n) + 1, 0);
    for (int queryPos = 0; queryPos < n; ++queryPos) {
        set.rowPtr[static_cast<std::size_t>(queryPos) + 1] =
            set.rowPtr[static_cast<std::size_t>(queryPos)] + static_cast<std::int64_t>(rows[static_cast<std::size_t>(queryPos)].size());
    }
    set.cols.reserve(static_cast<std::size_t>(set.rowPtr.back()));
    for (auto& row : rows) {
        set.cols.insert(set.cols.end(), row.begin(), row.end());
    }
    return set;
}

/// Builds a KeptSet block by block in parallel: blockFn(rowBegin, rowEnd, rows) fills rows[r] (the
/// kept keys of query rowBegin + r, ascending) for a block of `blockRows` consecutive queries, so
/// that a block can score its rows with one GEMM. blockFn must be thread-safe.
template <typename BlockFn>
KeptSet keptSetFromRowBlocks(const HeadInput& input, int blockRows, int threads, BlockFn blockFn)
{
    const int n = input.nTokens;
    std::vector<std::vector<std::int32_t>> rows(static_cast<std::size_t>(n));
    const int blocks = (n + blockRows - 1) / blockRows;
    parallelFor(
        blocks,
        [&](std::int64_t block) {
            const int rowBegin = static_cast<int>(block) * blockRows;
            blockFn(rowBegin, std::min(n, rowBegin + blockRows), rows.data() + rowBegin);
        },
        threads);
    KeptSet set;
    set.rowPtr.assign(static_cast<std::size_t>(n) + 1, 0);
    for (int queryPos = 0; queryPos < n; ++queryPos) {
        set.rowPtr[static_cast<std::size_t>(queryPos) + 1] =
            set.rowPtr[static_cast<std::size_t>(queryPos)] + static_cast<std::int64_t>(rows[static_cast<std::size_t>(queryPos)].size());
    }
    set.cols.reserve(static_cast<std::size_t>(set.rowPtr.back()));
    for (auto& row : rows) {
        set.cols.insert(set.cols.end(), row.begin(), row.end());
    }
    return set;
}

/// The whole allowed set as CSR.
KeptSet allowedSet(const HeadInput& input);

/// Exact softmax attention on a kept set: only the kept pairs are computed, rows threaded in chunks.
/// A chunk whose rows share most of their keys (windows, blocks, query-block selections) runs the
/// fused kernel's micro-kernels on the gathered union of its keys (gatheredSparseRows, with the
/// kernel of `isa`, default activeCpuIsa()); other chunks go row by row (SDDMM → row softmax →
/// SpMM straight from the K/V rows). output [N, d]; weights [nnz] (may be null). Empty rows give
/// zero output.
void sparseAttention(const HeadInput& input, const KeptSet& set, float* output, float* weights, int threads,
                     std::optional<CpuIsa> isa = std::nullopt);

/// Dense softmax attention on the allowed set with Eigen row blocks. When `weights` is not null it
/// receives the probabilities in allowedSet() CSR order.
void denseAttention(const HeadInput& input, float* output, float* weights, int threads);

/// Naive double-precision dense attention (the oracle of tests): output [N, d]; probabilities
/// [N, N] row-major with zeros outside the allowed set when `probabilities` is not null.
void referenceAttention(const HeadInput& input, std::vector<double>& output, std::vector<double>* probabilities);

/// Moves a kept set and its weights into a result, filling the stats (kept per row, density, empty
/// rows). `keep` false drops the CSR after the stats are taken.
void finishResult(const HeadInput& input, KeptSet&& set, std::vector<float>&& weights, bool keep,
                  HeadVariantResult& result);

/// Stats of a density-1 variant (dense, performer, fast) without building the allowed CSR unless
/// the implied weights are kept: `weights` (allowedSet order) is moved in when not empty.
void finishAllAllowed(const HeadInput& input, std::vector<float>&& weights, HeadVariantResult& result);

/// Attention FLOPs and bytes of a kept-pair computation (gather model): 4d+5 FLOPs per pair, the
/// gathered k and v rows plus index and weight per pair, q read and o written once.
double pairFlops(const HeadInput& input, std::int64_t pairs);
double pairBytes(const HeadInput& input, std::int64_t pairs, bool indexed);

/// Whether N×N objects (implied matrices, estimates) are stored for this input.
bool materialise(const HeadInput& input, const VariantRunOptions& options);

/// Runs sparseAttention on `set` and finishes the result: the common tail of every mask variant.
void attendOnSet(const HeadInput& input, KeptSet&& set, const VariantRunOptions& options, HeadVariantResult& result);

/// Wall-clock stopwatch in seconds.
class Stopwatch {
public:
    Stopwatch() : m_start(std::chrono::steady_clock::now()) {}
    double seconds() const
    {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - m_start).count();
    }

private:
    std::chrono::steady_clock::time_point m_start;
};

} // namespace attnscope::attn

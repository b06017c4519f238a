// dsa: Dynamic Sparse Attention (Liu et al. 2021; not DeepSeek's DSA), training-free "rp" mode.
// The paper's prediction path is learned; its exact projection, bits and selection rule are
// unverified (research/variants.md §2, §9). We implement the spec's DSA-RP recipe: a seeded Gaussian
// projection N(0, 1/r) per head, symmetric per-row quantisation to b bits, predicted scores
// s·q~·k~, then row top-k (or a gap threshold) and exact attention on the kept keys.
// Learned mode (mode=learned): the same path with per-head projections P_q, P_k fitted to the true
// scores by tools/predictors/dsa.py (row-centred score MSE on calibration text) instead of P.
// With the CUDA backend (attention_backend.h) the projection stays on the host (O(N·d·r), and the
// GPU then ranks the CPU's own projected values) and the predicted scores (O(N²·r)) and the
// selection run on the device, per row or per query block as below. The device sums each predicted
// score in dimension order, Eigen's GEMM in its own: keys whose predicted scores are within
// rounding of a row's cut may differ. Runs that keep the predicted scores for display
// (materialise) stay on the CPU, which writes them.
#include "attention/attention_backend.h"
#include "attention/learned_predictor_file.h"
#include "attention/variants.h"

#include "attnscope_kernels/selection_math.h"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>

namespace attnscope::attn {

namespace {

using RowMatrixF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Queries per predicted-score GEMM: the block's score tile (16 × N floats) stays in L2.
constexpr int kPredictBlock = 16;

void quantiseRows(std::vector<float>& values, int rows, int cols, int bits)
{
    if (bits <= 0) {
        return;
    }
    const float levels = static_cast<float>((1 << (bits - 1)) - 1);
    for (int row = 0; row < rows; ++row) {
        float* line = values.data() + static_cast<std::size_t>(row) * cols;
        float maxAbs = 0.0f;
        for (int col = 0; col < cols; ++col) {
            maxAbs = std::max(maxAbs, std::abs(line[col]));
        }
        if (maxAbs == 0.0f) {
            continue;
        }
        const float step = maxAbs / levels;
        for (int col = 0; col < cols; ++col) {
            // Nearest level, ties to even: an inlined vector instruction, unlike std::round.
            line[col] = std::nearbyint(line[col] / step) * step;
        }
    }
}

} // namespace

namespace {

// q~ = q·P_q and k~ = k·P_k ([d, r] row-major each), quantised to `bits`.
LowRankProjection projectRows(const HeadInput& input, const float* queryProjection, const float* keyProjection,
                              int rank, int bits)
{
    const int n = input.nTokens;
    const int d = input.headDim;
    LowRankProjection result;
    result.rank = rank;
    result.query.resize(static_cast<std::size_t>(n) * rank);
    result.key.resize(static_cast<std::size_t>(n) * rank);
    Eigen::Map<RowMatrixF>(result.query.data(), n, rank) =
        Eigen::Map<const RowMatrixF>(input.q, n, d) * Eigen::Map<const RowMatrixF>(queryProjection, d, rank);
    Eigen::Map<RowMatrixF>(result.key.data(), n, rank) =
        Eigen::Map<const RowMatrixF>(input.k, n, d) * Eigen::Map<const RowMatrixF>(keyProjection, d, rank);
    quantiseRows(result.query, n, rank, bits);
    quantiseRows(result.key, n, rank, bits);
    result.flops = 4.0 * n * d * rank + 2.0 * static_cast<double>(allowedPairCount(input)) * rank;
    return result;
}

constexpr const char* kQueryProjection = "query_proj";
constexpr const char* kKeyProjection = "key_proj";

} // namespace

LowRankProjection lowRankProjection(const HeadInput& input, int rank, int bits, std::uint64_t seed)
{
    const int d = input.headDim;
    Rng rng(mixSeed(seed, input.layer, input.head, 0xd5a));
    RowMatrixF projection(d, rank);
    const double sigma = 1.0 / std::sqrt(static_cast<double>(rank));
    for (int index = 0; index < d * rank; ++index) {
        projection.data()[index] = static_cast<float>(rng.normal() * sigma);
    }
    return projectRows(input, projection.data(), projection.data(), rank, bits);
}

// Learned mode (issue #11): per layer and query head, the projections tools/predictors/dsa.py
// fitted to the true scores, layers.L.query_proj and layers.L.key_proj [nHeads, d, rank].
Result<void> validateDsaPredictors(const LearnedPredictorFile& file)
{
    auto rank = file.metadataInt("rank");
    if (!rank) {
        return rank.error();
    }
    if (rank.value() > file.headDim()) {
        return file.formatError("rank " + std::to_string(rank.value()) + " exceeds head_dim " +
                                std::to_string(file.headDim()));
    }
    const std::vector<std::int64_t> shape = {file.nHeads(), file.headDim(), rank.value()};
    for (int layer = 0; layer < file.nLayers(); ++layer) {
        for (const char* name : {kQueryProjection, kKeyProjection}) {
            auto tensor = file.require(layer, name, shape);
            if (!tensor) {
                return tensor.error();
            }
        }
    }
    return okResult();
}

LowRankProjection learnedLowRankProjection(const HeadInput& input, int bits)
{
    const LearnedPredictorFile& file = *input.learned;
    const int rank = static_cast<int>(file.find(input.layer, kQueryProjection)->shape[2]);
    const std::size_t headOffset = static_cast<std::size_t>(input.head) * input.headDim * rank;
    return projectRows(input, file.find(input.layer, kQueryProjection)->values.data() + headOffset,
                       file.find(input.layer, kKeyProjection)->values.data() + headOffset, rank, bits);
}

void predictedScoreBlock(const HeadInput& input, const LowRankProjection& projection, int rowBegin, int rowEnd,
                         int keyBegin, int keyEnd,
                         Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>& scores)
{
    const int r = projection.rank;
    scores.resize(rowEnd - rowBegin, keyEnd - keyBegin);
    scores.noalias() =
        (Eigen::Map<const RowMatrixF>(projection.query.data() + static_cast<std::size_t>(rowBegin) * r, rowEnd - rowBegin,
                                      r) *
         Eigen::Map<const RowMatrixF>(projection.key.data() + static_cast<std::size_t>(keyBegin) * r, keyEnd - keyBegin, r)
             .transpose()) *
        input.scale;
}

namespace {

// Keys per row under select=topk: k, or ceil(density·L_i), clamped to the row.
int rowBudget(long long fixedK, double density, int rowKeys)
{
    const long long count = fixedK > 0 ? fixedK : static_cast<long long>(std::ceil(density * rowKeys - 1e-9));
    return static_cast<int>(std::clamp<long long>(count, 0, rowKeys));
}

// A query block's pooled projected query: the sum of its rows' q~ (one definition for the CPU and
// GPU paths, so both rank by the same bits).
Eigen::VectorXf pooledQuery(const LowRankProjection& projection, int rowBegin, int rowEnd)
{
    const int r = projection.rank;
    return Eigen::Map<const RowMatrixF>(projection.query.data() + static_cast<std::size_t>(rowBegin) * r,
                                        rowEnd - rowBegin, r)
        .colwise()
        .sum()
        .transpose();
}

// Query-block prediction (block = B > 1): the B queries of a block share one pooled projected query
// (the sum of their q~, so s·q̄·k~_j is the block's summed predicted score), the block selects its
// top keys once, ceil(p·L) (or k) of the largest allowed range L among its rows, and every row keeps
// those of them it may see. One rank-r GEMV and one selection per block instead of per row: the
// prediction path costs O(N²·r/B) and the selection O(N²/B). A causal row keeps up to B − 1 fewer
// keys than the block's budget (the selected keys after it), an earlier row of the block a few more
// than its own ceil(p·L_i).
// keysByDim is the projected keys transposed, [r, N] row-major, so that the block's scores are r
// contiguous axpy sweeps over its key range.
void selectByBlock(const HeadInput& input, const LowRankProjection& projection, const RowMatrixF& keysByDim,
                   long long fixedK, double density, int rowBegin, int rowEnd, std::vector<std::int32_t>& blockKeys,
                   float* estimate)
{
    thread_local Eigen::VectorXf pooled;
    thread_local Eigen::VectorXf scores;
    thread_local std::vector<int> selected;
    const int n = input.nTokens;
    const int keyBegin = allowedKeys(input, rowBegin).first;
    const int keyEnd = allowedKeys(input, rowEnd - 1).last + 1;
    const int span = keyEnd - keyBegin;
    if (span <= 0) {
        return;
    }
    pooled = pooledQuery(projection, rowBegin, rowEnd);
    scores.resize(span);
    scores.noalias() = (keysByDim.middleCols(keyBegin, span).transpose() * pooled) * input.scale;
    int budget = 0;
    for (int queryPos = rowBegin; queryPos < rowEnd; ++queryPos) {
        const KeyRange range = allowedKeys(input, queryPos);
        budget = std::max(budget, rowBudget(fixedK, density, std::max(0, range.size())));
        if (estimate != nullptr) {
            // The exposed estimate is the score the row was ranked by: the block's mean query.
            const float mean = 1.0f / static_cast<float>(rowEnd - rowBegin);
            for (int keyPos = range.first; keyPos <= range.last; ++keyPos) {
                estimate[static_cast<std::size_t>(queryPos) * n + keyPos] = mean * scores[keyPos - keyBegin];
            }
        }
    }
    selectTopIndices(scores.data(), span, budget, selected);
    blockKeys.resize(selected.size());
    std::transform(selected.begin(), selected.end(), blockKeys.begin(), [&](int index) { return keyBegin + index; });
}

// The kept set of query blocks: each row keeps the run of its block's selected keys (ascending)
// that lies in its own range, copied straight into the CSR (no per-row vectors).
KeptSet keptSetFromBlockKeys(const HeadInput& input, int queryBlock, const std::vector<std::vector<std::int32_t>>& blockKeys,
                             int threads)
{
    const int n = input.nTokens;
    auto rowRun = [&](int queryPos) {
        const std::vector<std::int32_t>& keys = blockKeys[static_cast<std::size_t>(queryPos / queryBlock)];
        const KeyRange range = allowedKeys(input, queryPos);
        const auto first = std::lower_bound(keys.begin(), keys.end(), range.first);
        return std::make_pair(first, std::upper_bound(first, keys.end(), range.last));
    };
    KeptSet set;
    set.rowPtr.assign(static_cast<std::size_t>(n) + 1, 0);
    for (int queryPos = 0; queryPos < n; ++queryPos) {
        const auto [first, last] = rowRun(queryPos);
        set.rowPtr[static_cast<std::size_t>(queryPos) + 1] = set.rowPtr[static_cast<std::size_t>(queryPos)] + (last - first);
    }
    set.cols.resize(static_cast<std::size_t>(set.rowPtr.back()));
    parallelFor(
        (n + queryBlock - 1) / queryBlock,
        [&](std::int64_t block) {
            const int rowBegin = static_cast<int>(block) * queryBlock;
            for (int queryPos = rowBegin; queryPos < std::min(n, rowBegin + queryBlock); ++queryPos) {
                const auto [first, last] = rowRun(queryPos);
                std::copy(first, last, set.cols.begin() + set.rowPtr[static_cast<std::size_t>(queryPos)]);
            }
        },
        threads);
    return set;
}

// The selection on the GPU (attention_backend.h): per row, or (block > 1, select=topk) once per
// query block from its pooled query with the CPU's budget (the largest of its rows'), the rows then
// taking their part of the block's keys as keptSetFromBlockKeys does on the CPU. nullopt when CUDA
// is not used, with the reason in stats.
std::optional<KeptSet> selectOnCuda(const HeadInput& input, const LowRankProjection& projection, long long fixedK,
                                    double density, bool byThreshold, double delta, int queryBlock,
                                    const VariantRunOptions& options, VariantStats& stats)
{
    const int n = input.nTokens;
    const int r = projection.rank;
    const bool byBlock = queryBlock > 1 && !byThreshold;
    const int rows = byBlock ? (n + queryBlock - 1) / queryBlock : n;
    std::vector<std::int32_t> keyFirst(static_cast<std::size_t>(rows), 0);
    std::vector<std::int32_t> keyCount(static_cast<std::size_t>(rows), 0);
    std::vector<std::int32_t> budget(byThreshold ? 0 : static_cast<std::size_t>(rows), 0);
    std::vector<float> pooled(byBlock ? static_cast<std::size_t>(rows) * r : 0);
    for (int row = 0; row < rows; ++row) {
        const auto at = static_cast<std::size_t>(row);
        const int rowBegin = byBlock ? row * queryBlock : row;
        const int rowEnd = byBlock ? std::min(n, rowBegin + queryBlock) : row + 1;
        keyFirst[at] = allowedKeys(input, rowBegin).first;
        keyCount[at] = std::max(0, allowedKeys(input, rowEnd - 1).last + 1 - keyFirst[at]);
        for (int queryPos = rowBegin; queryPos < rowEnd && !byThreshold; ++queryPos) {
            budget[at] = std::max(budget[at], rowBudget(fixedK, density, std::max(0, allowedKeys(input, queryPos).size())));
        }
        if (byBlock) {
            Eigen::Map<Eigen::VectorXf>(pooled.data() + at * r, r) = pooledQuery(projection, rowBegin, rowEnd);
        }
    }
    LowRankSelection selection;
    selection.queries = byBlock ? std::span<const float>(pooled) : std::span<const float>(projection.query);
    selection.keys = projection.key;
    selection.rank = r;
    selection.scale = input.scale;
    selection.keyFirst = keyFirst;
    selection.keyCount = keyCount;
    selection.budget = budget;
    selection.delta = delta;
    std::optional<KeptSet> set = lowRankSetOnCuda(input, selection, options, stats);
    if (!set || !byBlock) {
        return set;
    }
    std::vector<std::vector<std::int32_t>> blockKeys(static_cast<std::size_t>(rows));
    for (std::size_t block = 0; block < blockKeys.size(); ++block) {
        blockKeys[block].assign(set->cols.begin() + set->rowPtr[block], set->cols.begin() + set->rowPtr[block + 1]);
    }
    return keptSetFromBlockKeys(input, queryBlock, blockKeys, options.threads);
}

} // namespace

Result<HeadVariantResult> runDsa(const HeadInput& input, const VariantSpec& spec, const VariantRunOptions& options)
{
    const int d = input.headDim;
    long long rank = specInt(spec, "rank");
    if (rank == 0) {
        rank = std::max(1, d / 4);
    }
    const int bits = static_cast<int>(specInt(spec, "bits"));
    const bool byThreshold = specString(spec, "select") == "threshold";
    const long long fixedK = specInt(spec, "k");
    const double density = specFloat(spec, "density");
    const double delta = specFloat(spec, "delta");
    const int queryBlock = static_cast<int>(specInt(spec, "block"));

    HeadVariantResult result;
    result.head = input.head;
    Stopwatch watch;
    const LowRankProjection projection =
        input.learned ? learnedLowRankProjection(input, bits)
                      : lowRankProjection(input, static_cast<int>(rank), bits, static_cast<std::uint64_t>(specInt(spec, "seed")));
    const bool keepEstimate = materialise(input, options);
    const int n = input.nTokens;
    if (keepEstimate) {
        result.estimate.assign(static_cast<std::size_t>(n) * n, 0.0f);
        result.estimateKind = "scores";
    }
    const bool byBlock = queryBlock > 1 && !byThreshold;
    const double estimateFlops =
        byBlock ? 4.0 * n * d * projection.rank +
                      2.0 * static_cast<double>(allowedPairCount(input)) * projection.rank / queryBlock
                : projection.flops;
    std::optional<KeptSet> onGpu =
        keepEstimate ? std::nullopt
                     : selectOnCuda(input, projection, fixedK, density, byThreshold, delta, queryBlock, options, result.stats);
    result.stats.selectionBackend = onGpu ? "cuda" : "cpu";
    if (onGpu) {
        result.stats.estimateSeconds = watch.seconds();
        result.stats.estimateFlops = estimateFlops;
        attendOnSet(input, std::move(*onGpu), options, result);
        return result;
    }
    if (byBlock) {
        const RowMatrixF keysByDim = Eigen::Map<const RowMatrixF>(projection.key.data(), n, projection.rank).transpose();
        std::vector<std::vector<std::int32_t>> blockKeys(static_cast<std::size_t>((n + queryBlock - 1) / queryBlock));
        parallelFor(
            static_cast<std::int64_t>(blockKeys.size()),
            [&](std::int64_t block) {
                const int rowBegin = static_cast<int>(block) * queryBlock;
                selectByBlock(input, projection, keysByDim, fixedK, density, rowBegin, std::min(n, rowBegin + queryBlock),
                              blockKeys[static_cast<std::size_t>(block)], keepEstimate ? result.estimate.data() : nullptr);
            },
            options.threads);
        KeptSet set = keptSetFromBlockKeys(input, queryBlock, blockKeys, options.threads);
        result.stats.estimateSeconds = watch.seconds();
        result.stats.estimateFlops = estimateFlops;
        attendOnSet(input, std::move(set), options, result);
        return result;
    }
    // Predicted scores of a block of queries against the keys the block may see: one rank-r GEMM
    // per block instead of a dot product per pair, then selection on each row of the block.
    KeptSet set = keptSetFromRowBlocks(input, kPredictBlock, options.threads,
                                       [&](int rowBegin, int rowEnd, std::vector<std::int32_t>* rows) {
        thread_local RowMatrixF scores;
        thread_local std::vector<int> selected;
        const int keyBegin = allowedKeys(input, rowBegin).first;
        const int keyEnd = allowedKeys(input, rowEnd - 1).last + 1;
        if (keyEnd <= keyBegin) {
            return;
        }
        predictedScoreBlock(input, projection, rowBegin, rowEnd, keyBegin, keyEnd, scores);
        for (int queryPos = rowBegin; queryPos < rowEnd; ++queryPos) {
            const KeyRange range = allowedKeys(input, queryPos);
            if (range.size() <= 0) {
                continue;
            }
            const float* line = scores.row(queryPos - rowBegin).data() + (range.first - keyBegin);
            std::vector<std::int32_t>& cols = rows[queryPos - rowBegin];
            if (keepEstimate) {
                std::copy(line, line + range.size(),
                          result.estimate.begin() + static_cast<std::ptrdiff_t>(queryPos) * n + range.first);
            }
            if (byThreshold) {
                const float maxScore = *std::max_element(line, line + range.size());
                for (int index = 0; index < range.size(); ++index) {
                    if (withinDeltaOfMax(line[index], maxScore, delta)) {
                        cols.push_back(range.first + index);
                    }
                }
                continue;
            }
            selectTopIndices(line, range.size(), rowBudget(fixedK, density, range.size()), selected);
            cols.reserve(selected.size());
            for (int index : selected) {
                cols.push_back(range.first + index);
            }
        }
    });
    result.stats.estimateSeconds = watch.seconds();
    result.stats.estimateFlops = estimateFlops;
    attendOnSet(input, std::move(set), options, result);
    return result;
}

} // namespace attnscope::attn

// Host glue of the score-selecting kernels: checks, closed-form memory check, uploads, the count →
// offsets → write passes, the host digits of SAC's radix select, download. Every runtime call is
// checked and converted to an Error here (DESIGN.md §7.7).

#include "backend/cuda/cuda_selection.h"

#include <algorithm>
#include <limits>
#include <string>
#include <utility>

#include "backend/cuda/cuda_attention.h"
#include "backend/cuda/cuda_device.h"
#include "backend/cuda/cuda_host_common.h"
#include "backend/cuda/device_memory_budget.h"
#include "model/layer_qkv.h"

#if ATTNSCOPE_HAVE_CUDA
#include "attnscope_kernels/attn_heuristics.h"
#include "attnscope_kernels/launch.h"
#include "attnscope_kernels/mask_predicates.h"
#include "attnscope_kernels/selection_math.h"
#include "backend/cuda/cuda_check.h"
#include "backend/cuda/device_buffer.h"
#endif

namespace attnscope {

namespace cuda_selection {

std::vector<std::int64_t> offsetsFromCounts(std::span<const std::int32_t> counts)
{
    std::vector<std::int64_t> offsets(counts.size() + 1, 0);
    for (std::size_t row = 0; row < counts.size(); ++row) {
        offsets[row + 1] = offsets[row] + std::max<std::int32_t>(0, counts[row]);
    }
    return offsets;
}

std::vector<std::int32_t> takeTiesInRowOrder(std::span<const std::int32_t> ties, std::int64_t wanted)
{
    std::vector<std::int32_t> taken(ties.size(), 0);
    std::int64_t left = std::max<std::int64_t>(0, wanted);
    for (std::size_t row = 0; row < ties.size() && left > 0; ++row) {
        const std::int64_t here = std::min<std::int64_t>(std::max<std::int32_t>(0, ties[row]), left);
        taken[row] = static_cast<std::int32_t>(here);
        left -= here;
    }
    return taken;
}

bool countsMatchRadixSelect(std::span<const std::int32_t> above, std::span<const std::int32_t> ties,
                            std::int64_t budget, std::int64_t remaining)
{
    std::int64_t aboveTotal = 0;
    std::int64_t tiesTotal = 0;
    for (std::size_t row = 0; row < above.size() && row < ties.size(); ++row) {
        aboveTotal += above[row];
        tiesTotal += ties[row];
    }
    return above.size() == ties.size() && remaining >= 1 && aboveTotal == budget - remaining &&
           tiesTotal >= remaining;
}

} // namespace cuda_selection

#if ATTNSCOPE_HAVE_CUDA

namespace {

using cuda_host::checkHead;
using cuda_host::checkShapes;
using cuda_host::layerContext;
using cuda_host::selectDevice;
using cuda_host::unavailableError;

// Rows too long for shared memory keep their scores in a global scratch row each; they run in
// batches that keep the scratch at this size (as the top-k selection does).
constexpr std::size_t kScratchBytes = std::size_t{256} << 20;
constexpr std::int64_t kMaxEntries = std::numeric_limits<std::int32_t>::max();

Error csrTooLarge(const std::string& what, std::int64_t entries, const std::string& context)
{
    return makeError(ErrorCode::InvalidArgument,
                     what + " keeps " + std::to_string(entries) +
                         " entries, beyond the CUDA kernels' 32-bit CSR indexing",
                     context, "csr_too_large");
}

// A CSR's device side: rowPtr as int32 and room for the columns.
struct CsrOnDevice {
    DeviceBuffer<std::int32_t> rowPtr;
    DeviceBuffer<std::int32_t> cols;
};

// Checks the entry count against the kernels' 32-bit indexing, sizes `cols` (zeros), uploads
// rowPtr and allocates the device columns (none when there are no entries).
Result<CsrOnDevice> prepareCsr(const std::vector<std::int64_t>& rowPtr, std::vector<std::int32_t>& cols,
                               const std::string& what, const std::string& context)
{
    if (rowPtr.back() > kMaxEntries) {
        return csrTooLarge(what, rowPtr.back(), context);
    }
    cols.assign(static_cast<std::size_t>(rowPtr.back()), 0);
    CsrOnDevice csr;
    if (cols.empty()) {
        return csr;
    }
    const std::vector<std::int32_t> rowPtr32(rowPtr.begin(), rowPtr.end());
    auto rowPtrDevice = DeviceBuffer<std::int32_t>::fromHost(rowPtr32.data(), rowPtr32.size());
    ATTNSCOPE_TRY(rowPtrDevice);
    csr.rowPtr = std::move(*rowPtrDevice);
    auto colsDevice = DeviceBuffer<std::int32_t>::allocate(cols.size());
    ATTNSCOPE_TRY(colsDevice);
    csr.cols = std::move(*colsDevice);
    return csr;
}

// What a per-row selection needs before anything is allocated: its batches, scratch and (with
// budgets) its row offsets.
struct RowSelectPlan {
    int rows = 0;
    int maxKeys = 0;
    int batchRows = 0;
    std::size_t scratchFloats = 0;
    bool topCount = false;
    std::vector<std::int64_t> rowPtr;  // topCount only
};

Result<RowSelectPlan> planRowSelect(std::span<const std::int32_t> keyCount, std::span<const std::int32_t> budget,
                                    const std::string& what, const std::string& context)
{
    RowSelectPlan plan;
    plan.rows = static_cast<int>(keyCount.size());
    for (std::int32_t keys : keyCount) {
        plan.maxKeys = std::max(plan.maxKeys, keys);
    }
    const bool scratch = plan.maxKeys > kTopkSharedKeys;
    plan.batchRows = scratch ? static_cast<int>(std::clamp<std::size_t>(kScratchBytes / (sizeof(float) * plan.maxKeys),
                                                                        1, static_cast<std::size_t>(plan.rows)))
                             : plan.rows;
    plan.scratchFloats = scratch ? static_cast<std::size_t>(plan.batchRows) * plan.maxKeys : 0;
    plan.topCount = !budget.empty();
    if (plan.topCount) {
        plan.rowPtr.assign(static_cast<std::size_t>(plan.rows) + 1, 0);
        for (int row = 0; row < plan.rows; ++row) {
            const std::size_t at = static_cast<std::size_t>(row);
            plan.rowPtr[at + 1] = plan.rowPtr[at] + std::clamp(budget[at], 0, std::max(0, keyCount[at]));
        }
        if (plan.rowPtr.back() > kMaxEntries) {
            return csrTooLarge(what, plan.rowPtr.back(), context);
        }
    }
    return plan;
}

// Runs a planned per-row selection: params holds the device query/key vectors and the score and
// rule settings; this uploads the key runs, runs the count pass when the rule needs one, the
// write pass, and downloads.
Result<void> runRowSelect(RowSelectParams params, const RowSelectPlan& plan, std::span<const std::int32_t> keyFirst,
                          std::span<const std::int32_t> keyCount, std::uint64_t inputFloats, const std::string& what,
                          const std::string& context, std::vector<std::int64_t>& rowPtr,
                          std::vector<std::int32_t>& cols)
{
    auto firstDevice = DeviceBuffer<std::int32_t>::fromHost(keyFirst.data(), keyFirst.size());
    ATTNSCOPE_TRY(firstDevice);
    auto countDevice = DeviceBuffer<std::int32_t>::fromHost(keyCount.data(), keyCount.size());
    ATTNSCOPE_TRY(countDevice);
    auto scratch = DeviceBuffer<float>::allocate(plan.scratchFloats);
    ATTNSCOPE_TRY(scratch);
    params.keyFirst = firstDevice->data();
    params.keyCount = countDevice->data();
    params.maxKeys = plan.maxKeys;
    params.scratch = plan.scratchFloats > 0 ? scratch->data() : nullptr;
    params.scratchRowStride = plan.scratchFloats > 0 ? plan.maxKeys : 0;
    const auto launchAll = [&]() -> Result<void> {
        for (int rowBegin = 0; rowBegin < plan.rows; rowBegin += plan.batchRows) {
            params.rowBegin = rowBegin;
            params.rowCount = std::min(plan.batchRows, plan.rows - rowBegin);
            ATTNSCOPE_CUDA_CHECK(static_cast<cudaError_t>(launchRowSelect(params, nullptr)));
        }
        return okResult();
    };

    if (plan.topCount) {
        params.rule = RowSelectRule::TopCount;
        rowPtr = plan.rowPtr;
    } else {
        auto counts = DeviceBuffer<std::int32_t>::allocate(static_cast<std::size_t>(plan.rows));
        ATTNSCOPE_TRY(counts);
        params.counts = counts->data();
        ATTNSCOPE_TRY(launchAll());
        ATTNSCOPE_CUDA_CHECK(cudaDeviceSynchronize());
        std::vector<std::int32_t> hostCounts(static_cast<std::size_t>(plan.rows), 0);
        ATTNSCOPE_TRY(counts->toHost(hostCounts.data(), hostCounts.size()));
        params.counts = nullptr;
        rowPtr = cuda_selection::offsetsFromCounts(hostCounts);
        ATTNSCOPE_TRY(checkDeviceMemory(
            rowSelectDeviceBytes(inputFloats, plan.rows, static_cast<std::uint64_t>(rowPtr.back()), plan.scratchFloats),
            cudaFreeMemoryBytes(), what, context));
    }
    auto csr = prepareCsr(rowPtr, cols, what, context);
    ATTNSCOPE_TRY(csr);
    if (cols.empty()) {
        return okResult();
    }
    params.rowPtr = csr->rowPtr.data();
    params.colIdx = csr->cols.data();
    ATTNSCOPE_TRY(launchAll());
    ATTNSCOPE_CUDA_CHECK(cudaDeviceSynchronize());
    ATTNSCOPE_TRY(csr->cols.toHost(cols.data(), cols.size()));
    return okResult();
}

// The checks of a call on projected vectors (no head-dim bucket needed): a usable device, a
// consistent layer, the head and the rank. The call's error context on success.
Result<std::string> checkLowRankCall(const LayerQkv& qkv, int head, int rank)
{
    if (!cudaBackendUsable()) {
        return unavailableError();
    }
    ATTNSCOPE_TRY(checkShapes(qkv));
    std::string context = layerContext(qkv, head);
    ATTNSCOPE_TRY(checkHead(qkv, head));
    if (rank <= 0 || rank > kAttnMaxHeadDim) {
        return makeError(ErrorCode::InvalidArgument,
                         "the CUDA selection takes a projection rank in 1.." + std::to_string(kAttnMaxHeadDim) +
                             ", not " + std::to_string(rank),
                         context, "rank");
    }
    return context;
}

} // namespace

Result<void> runThresholdSelectCuda(const LayerQkv& qkv, int head, bool byProbability, double delta,
                                    double minProbability, std::vector<std::int64_t>& rowPtr,
                                    std::vector<std::int32_t>& cols)
{
    ATTNSCOPE_TRY(checkCudaAttentionSupported(qkv));
    const std::string context = layerContext(qkv, head);
    ATTNSCOPE_TRY(checkHead(qkv, head));
    const int n = qkv.nTokens;
    std::vector<std::int32_t> keyFirst(static_cast<std::size_t>(n), 0);
    std::vector<std::int32_t> keyCount(static_cast<std::size_t>(n), 0);
    for (int queryPos = 0; queryPos < n; ++queryPos) {
        int first = 0;
        int last = -1;
        modelAllowedRange(queryPos, n, qkv.causal, qkv.slidingWindow, &first, &last);
        keyFirst[static_cast<std::size_t>(queryPos)] = first;
        keyCount[static_cast<std::size_t>(queryPos)] = std::max(0, last - first + 1);
    }
    rowPtr.assign(static_cast<std::size_t>(n) + 1, 0);
    cols.clear();
    if (n == 0) {
        return okResult();
    }
    const std::string what = byProbability ? "threshold selection (by probability) over " + std::to_string(n) + " tokens"
                                           : "threshold selection over " + std::to_string(n) + " tokens";
    auto plan = planRowSelect(keyCount, {}, what, context);
    ATTNSCOPE_TRY(plan);
    const std::uint64_t inputFloats = 2 * static_cast<std::uint64_t>(n) * static_cast<std::uint64_t>(qkv.headDim);
    ATTNSCOPE_TRY(checkDeviceMemory(rowSelectDeviceBytes(inputFloats, n, 0, plan->scratchFloats),
                                    cudaFreeMemoryBytes(), what, context));
    ATTNSCOPE_TRY(selectDevice());
    auto headBuffers = cuda_host::uploadHeadQkv(qkv, head, false);
    ATTNSCOPE_TRY(headBuffers);
    RowSelectParams params;
    params.q = headBuffers->q;
    params.k = headBuffers->k;
    params.qRowStride = params.kRowStride = qkv.headDim;
    params.headDim = qkv.headDim;
    params.scale = qkv.scale;
    params.softcap = qkv.softcap;
    params.lowRank = false;
    params.rule = byProbability ? RowSelectRule::MinProbability : RowSelectRule::WithinDelta;
    params.delta = delta;
    params.minProbability = minProbability;
    return runRowSelect(params, *plan, keyFirst, keyCount, inputFloats, what, context, rowPtr, cols);
}

Result<void> runLowRankSelectCuda(const LayerQkv& qkv, int head, const LowRankSelection& selection,
                                  std::vector<std::int64_t>& rowPtr, std::vector<std::int32_t>& cols)
{
    auto checked = checkLowRankCall(qkv, head, selection.rank);
    ATTNSCOPE_TRY(checked);
    const std::string context = std::move(*checked);
    const std::size_t rank = static_cast<std::size_t>(selection.rank);
    const std::size_t rows = selection.keyFirst.size();
    if (selection.keyCount.size() != rows || selection.queries.size() != rows * rank ||
        selection.keys.size() != static_cast<std::size_t>(qkv.nTokens) * rank ||
        (!selection.budget.empty() && selection.budget.size() != rows) ||
        rows > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max())) {
        return makeError(ErrorCode::InvalidArgument, "low-rank selection sizes disagree with its rows and rank",
                         context, "shape");
    }
    for (std::size_t row = 0; row < rows; ++row) {
        const std::int64_t first = selection.keyFirst[row];
        const std::int64_t count = selection.keyCount[row];
        if (count > 0 && (first < 0 || first + count > qkv.nTokens)) {
            return makeError(ErrorCode::InvalidArgument,
                             "selection row " + std::to_string(row) + " scores keys outside the layer", context,
                             "key_range");
        }
    }
    rowPtr.assign(rows + 1, 0);
    cols.clear();
    if (rows == 0) {
        return okResult();
    }
    const std::string what = "low-rank (rank " + std::to_string(rank) + ") selection of " + std::to_string(rows) +
                             " rows over " + std::to_string(qkv.nTokens) + " tokens";
    auto plan = planRowSelect(selection.keyCount, selection.budget, what, context);
    ATTNSCOPE_TRY(plan);
    const std::uint64_t inputFloats = selection.queries.size() + selection.keys.size();
    const std::uint64_t entries = plan->topCount ? static_cast<std::uint64_t>(plan->rowPtr.back()) : 0;
    ATTNSCOPE_TRY(checkDeviceMemory(rowSelectDeviceBytes(inputFloats, static_cast<int>(rows), entries,
                                                         plan->scratchFloats),
                                    cudaFreeMemoryBytes(), what, context));
    ATTNSCOPE_TRY(selectDevice());
    auto queries = DeviceBuffer<float>::fromHost(selection.queries.data(), selection.queries.size());
    ATTNSCOPE_TRY(queries);
    auto keys = DeviceBuffer<float>::fromHost(selection.keys.data(), selection.keys.size());
    ATTNSCOPE_TRY(keys);
    RowSelectParams params;
    params.q = queries->data();
    params.k = keys->data();
    params.qRowStride = params.kRowStride = selection.rank;
    params.headDim = selection.rank;
    params.scale = selection.scale;
    params.lowRank = true;
    params.rule = RowSelectRule::WithinDelta;  // TopCount when the plan has budgets
    params.delta = selection.delta;
    return runRowSelect(params, *plan, selection.keyFirst, selection.keyCount, inputFloats, what, context, rowPtr,
                        cols);
}

Result<void> runSacProxySelectCuda(const LayerQkv& qkv, int head, const SacProxySelection& selection,
                                   std::vector<std::int64_t>& rowPtr, std::vector<std::int32_t>& cols)
{
    auto checked = checkLowRankCall(qkv, head, selection.rank);
    ATTNSCOPE_TRY(checked);
    const std::string context = std::move(*checked);
    const int n = qkv.nTokens;
    const std::size_t rank = static_cast<std::size_t>(selection.rank);
    if (selection.queries.size() != static_cast<std::size_t>(n) * rank ||
        selection.keys.size() != static_cast<std::size_t>(n) * rank) {
        return makeError(ErrorCode::InvalidArgument, "sac projection sizes disagree with the layer and rank", context,
                         "shape");
    }
    // The allowed set's row offsets: where each row's keys live in the key buffer.
    std::vector<long long> rowOffset(static_cast<std::size_t>(n) + 1, 0);
    for (int queryPos = 0; queryPos < n; ++queryPos) {
        int first = 0;
        int last = -1;
        modelAllowedRange(queryPos, n, qkv.causal, qkv.slidingWindow, &first, &last);
        rowOffset[static_cast<std::size_t>(queryPos) + 1] =
            rowOffset[static_cast<std::size_t>(queryPos)] + std::max(0, last - first + 1);
    }
    const std::int64_t pairs = rowOffset.back();
    const std::string what = "sac global selection over " + std::to_string(pairs) + " allowed pairs";
    if (pairs > kMaxEntries) {
        return csrTooLarge(what, pairs, context);
    }
    rowPtr.assign(static_cast<std::size_t>(n) + 1, 0);
    cols.clear();
    if (n == 0) {
        return okResult();
    }
    const std::int64_t budget = std::clamp<std::int64_t>(selection.budget, 0, pairs);
    // Every selected pair plus the diagonal bounds the kept entries (for the memory check).
    const std::uint64_t entryBound = static_cast<std::uint64_t>(budget) + (selection.selfLoop ? n : 0);
    ATTNSCOPE_TRY(checkDeviceMemory(sacSelectDeviceBytes(n, selection.rank, static_cast<std::uint64_t>(pairs),
                                                         entryBound),
                                    cudaFreeMemoryBytes(), what, context));
    ATTNSCOPE_TRY(selectDevice());
    auto queries = DeviceBuffer<float>::fromHost(selection.queries.data(), selection.queries.size());
    ATTNSCOPE_TRY(queries);
    auto keyVectors = DeviceBuffer<float>::fromHost(selection.keys.data(), selection.keys.size());
    ATTNSCOPE_TRY(keyVectors);
    auto offsets = DeviceBuffer<long long>::fromHost(rowOffset.data(), rowOffset.size());
    ATTNSCOPE_TRY(offsets);
    auto keys = DeviceBuffer<float>::allocate(static_cast<std::size_t>(pairs));
    ATTNSCOPE_TRY(keys);

    {
        SacKeysParams keyParams;
        keyParams.q = queries->data();
        keyParams.k = keyVectors->data();
        keyParams.rowOffset = offsets->data();
        keyParams.keys = keys->data();
        keyParams.nTokens = n;
        keyParams.rank = selection.rank;
        keyParams.causal = qkv.causal;
        keyParams.slidingWindow = qkv.slidingWindow;
        keyParams.rowBegin = 0;
        keyParams.rowCount = n;
        keyParams.scale = selection.scale;
        keyParams.beta = selection.beta;
        keyParams.tau = selection.tau;
        keyParams.logFloor = selection.logFloor;
        keyParams.noiseKey = selection.noiseKey;
        ATTNSCOPE_CUDA_CHECK(static_cast<cudaError_t>(launchSacKeys(keyParams, nullptr)));
    }

    // The budget-th largest key, one 8-bit digit at a time (most significant first).
    unsigned prefix = 0u;
    unsigned prefixMask = 0u;
    long long remaining = budget;
    if (budget > 0) {
        auto histogram = DeviceBuffer<unsigned long long>::allocate(256);
        ATTNSCOPE_TRY(histogram);
        std::vector<unsigned long long> counts(256, 0);
        for (int shift = 24; shift >= 0; shift -= 8) {
            ATTNSCOPE_CUDA_CHECK(cudaMemset(histogram->data(), 0, 256 * sizeof(unsigned long long)));
            SacHistogramParams histogramParams;
            histogramParams.keys = keys->data();
            histogramParams.count = pairs;
            histogramParams.histogram = histogram->data();
            histogramParams.prefix = prefix;
            histogramParams.prefixMask = prefixMask;
            histogramParams.shift = shift;
            ATTNSCOPE_CUDA_CHECK(static_cast<cudaError_t>(launchSacHistogram(histogramParams, nullptr)));
            ATTNSCOPE_TRY(histogram->toHost(counts.data(), counts.size()));
            unsigned bin = 0;
            long long inBin = 0;
            if (!pickRadixBin(counts.data(), 256, remaining, &bin, &inBin)) {
                return makeError(ErrorCode::Internal,
                                 "sac radix select lost track of the budget-th key (non-finite keys?)", context);
            }
            prefix |= bin << shift;
            prefixMask |= 0xffu << shift;
            remaining = inBin;
        }
    }

    auto above = DeviceBuffer<std::int32_t>::allocate(static_cast<std::size_t>(n));
    ATTNSCOPE_TRY(above);
    auto ties = DeviceBuffer<std::int32_t>::allocate(static_cast<std::size_t>(n));
    ATTNSCOPE_TRY(ties);
    auto counts = DeviceBuffer<std::int32_t>::allocate(static_cast<std::size_t>(n));
    ATTNSCOPE_TRY(counts);
    SacRowsParams rowParams;
    rowParams.keys = keys->data();  // pairs >= n > 0: every row allows its own position
    rowParams.rowOffset = offsets->data();
    rowParams.nTokens = n;
    rowParams.causal = qkv.causal;
    rowParams.slidingWindow = qkv.slidingWindow;
    rowParams.rowBegin = 0;
    rowParams.rowCount = n;
    rowParams.threshold = prefix;
    rowParams.selectNone = budget == 0;
    rowParams.selfLoop = selection.selfLoop;
    std::vector<std::int32_t> tiesTaken(static_cast<std::size_t>(n), 0);
    if (budget > 0) {
        rowParams.mode = SacRowMode::CountAboveTies;
        rowParams.above = above->data();
        rowParams.ties = ties->data();
        ATTNSCOPE_CUDA_CHECK(static_cast<cudaError_t>(launchSacRows(rowParams, nullptr)));
        std::vector<std::int32_t> hostAbove(static_cast<std::size_t>(n), 0);
        std::vector<std::int32_t> hostTies(static_cast<std::size_t>(n), 0);
        ATTNSCOPE_TRY(above->toHost(hostAbove.data(), hostAbove.size()));
        ATTNSCOPE_TRY(ties->toHost(hostTies.data(), hostTies.size()));
        // The rows must hold exactly what the histograms said: budget - remaining keys above the
        // threshold and at least `remaining` equal to it. Anything else is a device fault; the
        // caller then runs the CPU selection.
        if (!cuda_selection::countsMatchRadixSelect(hostAbove, hostTies, budget, remaining)) {
            return makeError(ErrorCode::DeviceError,
                             "sac selection: the per-row counts disagree with the radix select", context);
        }
        tiesTaken = cuda_selection::takeTiesInRowOrder(hostTies, remaining);
    }
    auto tiesDevice = DeviceBuffer<std::int32_t>::fromHost(tiesTaken.data(), tiesTaken.size());
    ATTNSCOPE_TRY(tiesDevice);
    rowParams.tiesTaken = tiesDevice->data();
    rowParams.mode = SacRowMode::CountKept;
    rowParams.counts = counts->data();
    ATTNSCOPE_CUDA_CHECK(static_cast<cudaError_t>(launchSacRows(rowParams, nullptr)));
    std::vector<std::int32_t> hostCounts(static_cast<std::size_t>(n), 0);
    ATTNSCOPE_TRY(counts->toHost(hostCounts.data(), hostCounts.size()));
    rowPtr = cuda_selection::offsetsFromCounts(hostCounts);
    auto csr = prepareCsr(rowPtr, cols, what, context);
    ATTNSCOPE_TRY(csr);
    if (cols.empty()) {
        return okResult();
    }
    rowParams.mode = SacRowMode::Write;
    rowParams.rowPtr = csr->rowPtr.data();
    rowParams.colIdx = csr->cols.data();
    ATTNSCOPE_CUDA_CHECK(static_cast<cudaError_t>(launchSacRows(rowParams, nullptr)));
    ATTNSCOPE_CUDA_CHECK(cudaDeviceSynchronize());
    ATTNSCOPE_TRY(csr->cols.toHost(cols.data(), cols.size()));
    return okResult();
}

#else // !ATTNSCOPE_HAVE_CUDA

using cuda_host::unavailableError;

Result<void> runThresholdSelectCuda(const LayerQkv&, int, bool, double, double, std::vector<std::int64_t>&,
                                    std::vector<std::int32_t>&)
{
    return unavailableError();
}

Result<void> runLowRankSelectCuda(const LayerQkv&, int, const LowRankSelection&, std::vector<std::int64_t>&,
                                  std::vector<std::int32_t>&)
{
    return unavailableError();
}

Result<void> runSacProxySelectCuda(const LayerQkv&, int, const SacProxySelection&, std::vector<std::int64_t>&,
                                   std::vector<std::int32_t>&)
{
    return unavailableError();
}

#endif // ATTNSCOPE_HAVE_CUDA

} // namespace attnscope

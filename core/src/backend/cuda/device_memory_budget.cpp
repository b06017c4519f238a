#include "backend/cuda/device_memory_budget.h"

#include "util/memory_budget.h"

#include <algorithm>
#include <atomic>
#include <limits>

namespace attnscope {

namespace {

constexpr std::uint64_t kNoLimit = std::numeric_limits<std::uint64_t>::max();
std::atomic<std::uint64_t> g_deviceLimitBytes{kNoLimit};

std::uint64_t count(int value)
{
    return value > 0 ? static_cast<std::uint64_t>(value) : 0;
}

std::uint64_t floatBytes(std::uint64_t values)
{
    return saturatingMul(4, values);
}

} // namespace

std::uint64_t denseAttentionDeviceBytes(int nHeads, int nKvHeads, int nTokens, int headDim)
{
    const std::uint64_t rows = saturatingMul(count(nHeads), count(nTokens));
    const std::uint64_t kvRows = saturatingMul(count(nKvHeads), count(nTokens));
    std::uint64_t values = saturatingMul(saturatingMul(2, rows), count(headDim));            // q, out
    values = saturatingAdd(values, saturatingMul(saturatingMul(2, kvRows), count(headDim))); // k, v
    values = saturatingAdd(values, rows);                                                    // lse
    return floatBytes(values);
}

std::uint64_t attentionProbsDeviceBytes(int nTokens, int headDim, int rowCount, int colCount)
{
    const std::uint64_t perHead = saturatingMul(count(nTokens), count(headDim));
    std::uint64_t values = saturatingAdd(saturatingMul(2, perHead), count(nTokens));  // q, k, lse
    values = saturatingAdd(values, saturatingMul(count(rowCount), count(colCount)));  // probs
    return floatBytes(values);
}

std::uint64_t sparseAttentionDeviceBytes(int nTokens, int headDim, std::uint64_t entries)
{
    const std::uint64_t perHead = saturatingMul(count(nTokens), count(headDim));
    std::uint64_t values = saturatingMul(4, perHead);                          // q, k, v, out
    values = saturatingAdd(values, saturatingAdd(count(nTokens), 1));          // rowPtr
    values = saturatingAdd(values, saturatingMul(2, entries));                 // cols, weights
    values = saturatingAdd(values, count(nTokens));                            // lse
    return floatBytes(values);
}

std::uint64_t topkSelectDeviceBytes(int nTokens, int headDim, std::uint64_t entries, std::uint64_t scratchFloats)
{
    const std::uint64_t perHead = saturatingMul(count(nTokens), count(headDim));
    std::uint64_t values = saturatingMul(2, perHead);                          // q, k
    values = saturatingAdd(values, saturatingAdd(count(nTokens), 1));          // rowPtr
    values = saturatingAdd(values, entries);                                   // cols
    values = saturatingAdd(values, scratchFloats);                             // long-row scores
    return floatBytes(values);
}

std::uint64_t denseAttentionHalfDeviceBytes(int nHeads, int nKvHeads, int nTokens, int headDim)
{
    const std::uint64_t rows = saturatingMul(count(nHeads), count(nTokens));
    const std::uint64_t kvRows = saturatingMul(count(nKvHeads), count(nTokens));
    std::uint64_t halves = saturatingMul(saturatingMul(2, rows), count(headDim));            // q, out
    halves = saturatingAdd(halves, saturatingMul(saturatingMul(2, kvRows), count(headDim))); // k, v
    return saturatingAdd(saturatingMul(2, halves), floatBytes(rows));                        // + lse
}

std::uint64_t rowSelectDeviceBytes(std::uint64_t inputFloats, int rows, std::uint64_t entries,
                                   std::uint64_t scratchFloats)
{
    std::uint64_t values = inputFloats;                                        // queries, keys
    values = saturatingAdd(values, saturatingMul(4, count(rows)));             // keyFirst, keyCount, counts, rowPtr
    values = saturatingAdd(values, 1);                                         // rowPtr's last entry
    values = saturatingAdd(values, entries);                                   // cols
    values = saturatingAdd(values, scratchFloats);                             // long-row scores
    return floatBytes(values);
}

std::uint64_t sacSelectDeviceBytes(int nTokens, int rank, std::uint64_t pairs, std::uint64_t entries)
{
    const std::uint64_t n = count(nTokens);
    std::uint64_t values = saturatingMul(2, saturatingMul(n, count(rank)));    // q~, k~
    values = saturatingAdd(values, pairs);                                     // keys
    values = saturatingAdd(values, saturatingMul(5, n));                       // above, ties, tiesTaken, counts, rowPtr
    values = saturatingAdd(values, 1);                                         // rowPtr's last entry
    values = saturatingAdd(values, entries);                                   // cols
    const std::uint64_t wide = saturatingAdd(saturatingAdd(n, 1), 256);        // rowOffset, histogram
    return saturatingAdd(floatBytes(values), saturatingMul(8, wide));
}

std::uint64_t blockSparseAttentionDeviceBytes(int nTokens, int headDim, int blocks, std::uint64_t keptBlocks)
{
    const std::uint64_t perHead = saturatingMul(count(nTokens), count(headDim));
    std::uint64_t values = saturatingMul(4, perHead);                          // q, k, v, out
    values = saturatingAdd(values, count(nTokens));                            // lse
    values = saturatingAdd(values, saturatingAdd(count(blocks), 1));           // block row offsets
    values = saturatingAdd(values, keptBlocks);                                // key blocks
    return floatBytes(values);
}

std::uint64_t blockPooledProbsDeviceBytes(int nTokens, int headDim, int blocks)
{
    const std::uint64_t perHead = saturatingMul(count(nTokens), count(headDim));
    std::uint64_t values = saturatingAdd(saturatingMul(2, perHead), count(nTokens));  // q, k, lse
    const std::uint64_t cells = saturatingMul(count(blocks), count(blocks));
    values = saturatingAdd(values, saturatingMul(2, cells));                          // max, sum
    return floatBytes(values);
}

std::uint64_t sbmAssignDeviceBytes(int pointCount, int dim, int clusters)
{
    const std::uint64_t points = count(pointCount);
    std::uint64_t values = saturatingMul(points, count(dim));                             // points
    values = saturatingAdd(values, saturatingMul(count(clusters), count(dim)));           // centroids
    values = saturatingAdd(values, saturatingMul(points, count(clusters)));               // logits
    values = saturatingAdd(values, points);                                               // assignment
    return floatBytes(values);
}

std::uint64_t sbmSampleDeviceBytes(int nTokens, int clusters, std::uint64_t entries)
{
    const std::uint64_t n = count(nTokens);
    const std::uint64_t cells = saturatingMul(n, count(clusters));
    const std::uint64_t wide = saturatingAdd(saturatingMul(count(clusters), saturatingAdd(n, 1)), cells); // prefix, keep
    std::uint64_t narrow = saturatingAdd(cells, saturatingMul(3, n));                     // alias, draws, counts, rowPtr
    narrow = saturatingAdd(narrow, saturatingAdd(1, entries));                            // rowPtr's last, cols
    return saturatingAdd(saturatingMul(8, wide), floatBytes(narrow));
}

std::uint64_t performerDeviceBytes(int nTokens, int headDim, int features, bool attention)
{
    const std::uint64_t n = count(nTokens);
    const std::uint64_t d = count(headDim);
    const std::uint64_t m = count(features);
    const std::uint64_t perHead = saturatingMul(n, d);
    std::uint64_t values = saturatingMul(2, perHead);                          // q, k
    values = saturatingAdd(values, saturatingAdd(saturatingMul(m, d), d));     // projection, key mean
    values = saturatingAdd(values, saturatingMul(2, saturatingMul(n, m)));     // features
    values = saturatingAdd(values, saturatingAdd(n, 1));                       // row maxima, global max
    std::uint64_t wide = 0;
    if (attention) {
        values = saturatingAdd(values, saturatingMul(2, perHead));             // v, out
        wide = saturatingAdd(saturatingMul(m, saturatingAdd(d, 1)), n);        // state, denominators
    }
    return saturatingAdd(floatBytes(values), saturatingMul(8, wide));
}

std::uint64_t fastmaxDeviceBytes(int nTokens, int headDim, int order)
{
    const std::uint64_t n = count(nTokens);
    const std::uint64_t d = count(headDim);
    const std::uint64_t featureCount = saturatingAdd(saturatingAdd(1, d), order >= 2 ? saturatingMul(d, d) : 0);
    const std::uint64_t perHead = saturatingMul(n, d);
    std::uint64_t wide = saturatingMul(2, perHead);                                         // q, k normalised
    wide = saturatingAdd(wide, saturatingMul(featureCount, saturatingAdd(d, 1)));           // state
    wide = saturatingAdd(wide, n);                                                          // denominators
    std::uint64_t values = saturatingMul(2, perHead);                                       // v, out
    values = saturatingAdd(values, saturatingMul(2, saturatingMul(n, featureCount)));       // features
    return saturatingAdd(saturatingMul(8, wide), floatBytes(values));
}

void setDeviceMemoryLimit(std::optional<std::uint64_t> bytes)
{
    g_deviceLimitBytes.store(bytes.value_or(kNoLimit));
}

std::optional<std::uint64_t> availableDeviceMemoryBytes(std::optional<std::uint64_t> deviceFreeBytes)
{
    std::optional<std::uint64_t> limit;
    if (const std::uint64_t set = g_deviceLimitBytes.load(); set != kNoLimit) {
        limit = set;
    } else {
        limit = megabytesFromEnvironment("ATTNSCOPE_DEVICE_MEMORY_LIMIT_MB");
    }
    if (limit && deviceFreeBytes) {
        return std::min(*limit, *deviceFreeBytes);
    }
    return limit ? limit : deviceFreeBytes;
}

Result<void> checkDeviceMemory(std::uint64_t bytes, std::optional<std::uint64_t> deviceFreeBytes,
                               std::string_view what, const std::string& context)
{
    const std::optional<std::uint64_t> available = availableDeviceMemoryBytes(deviceFreeBytes);
    if (!available || bytes <= *available) {
        return okResult();
    }
    return makeError(ErrorCode::OutOfMemory,
                     std::string(what) + " needs about " + formatBytes(bytes) + " of GPU memory, but only " +
                         formatBytes(*available) + " is free on the GPU",
                     context, "device_memory_budget");
}

} // namespace attnscope

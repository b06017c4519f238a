#pragma once
// POD parameters of the score-selecting kernels (selection.cu): the mask steps of the `threshold`,
// `dsa` and `sac` variants. Plain C++17, no CUDA or std:: types. All pointers are device pointers.

namespace attnscope {

/// How a selection row keeps its candidate keys.
enum class RowSelectRule : int {
    TopCount = 0,        ///< the rowPtr[m + 1] - rowPtr[m] largest scores, ties to the lower key
    WithinDelta = 1,     ///< score >= max - delta (withinDeltaOfMax)
    MinProbability = 2,  ///< exp(s - max) / sum >= minProbability, in double as the CPU
};

/// Per-row selection over a contiguous run of candidate keys, one block of kTopkThreads threads
/// per selection row m in [rowBegin, rowBegin + rowCount). Row m's candidates are the keys
/// keyFirst[m] .. keyFirst[m] + keyCount[m] - 1; its query vector is q + m·qRowStride.
/// Scores: exact (lowRank false: softcap?(scale·q·k) over headDim dims, in the CPU's summation
/// order like the top-k kernel) or predicted (lowRank true: scale·q~·k~ over headDim = rank dims,
/// a plain fma chain in dimension order).
/// TopCount: rowPtr [rows + 1] gives each row's count (set by the caller) and its output offset.
/// WithinDelta / MinProbability run twice: with `counts` set, each row writes its kept count there
/// and nothing else; then with `counts` null and rowPtr the caller's prefix sum of those counts,
/// each row writes its kept keys, ascending, at colIdx + rowPtr[m].
/// Rows with more than kTopkSharedKeys candidates (maxKeys) keep their scores in `scratch`, one
/// row of scratchRowStride >= maxKeys floats per launched row.
struct RowSelectParams {
    const float* q = nullptr;
    const float* k = nullptr;
    const int* keyFirst = nullptr;
    const int* keyCount = nullptr;
    const int* rowPtr = nullptr;
    int* counts = nullptr;
    int* colIdx = nullptr;
    float* scratch = nullptr;

    long long qRowStride = 0;
    long long kRowStride = 0;
    long long scratchRowStride = 0;

    int rowBegin = 0;
    int rowCount = 0;
    int maxKeys = 0;
    int headDim = 0;
    float scale = 1.0f;
    float softcap = 0.0f;
    bool lowRank = false;
    RowSelectRule rule = RowSelectRule::TopCount;
    double delta = 0.0;
    double minProbability = 0.0;
};

/// SAC's proxy keys (variant_sac.cpp): for every allowed pair (i, j) of the model's mask,
/// s = scale·q~_i·k~_j (+ float(beta·prior(i, j)) when beta != 0), then the row's log-softmax
/// key = max(double(s - max) - log(sum exp(s - max)), logFloor) (+ tau·Gumbel(hashUniform01(
/// noiseKey, i, j)) when tau > 0), stored as float at keys[rowOffset[i] + (j - first_i)].
/// One block of kTopkThreads per query row in [rowBegin, rowBegin + rowCount).
struct SacKeysParams {
    const float* q = nullptr;               ///< [nTokens, rank]
    const float* k = nullptr;               ///< [nTokens, rank]
    const long long* rowOffset = nullptr;   ///< [nTokens + 1]: the allowed set's CSR offsets
    float* keys = nullptr;                  ///< [rowOffset[nTokens]]

    int nTokens = 0;
    int rank = 0;
    bool causal = true;
    int slidingWindow = 0;
    int rowBegin = 0;
    int rowCount = 0;
    float scale = 1.0f;
    double beta = 0.0;
    double tau = 0.0;
    double logFloor = 0.0;
    unsigned long long noiseKey = 0;
};

/// One digit of the global radix select over keys[0, count): adds to histogram[256] the number of
/// keys whose orderedFloatBits match `prefix` under `prefixMask`, binned by the 8 bits at `shift`.
struct SacHistogramParams {
    const float* keys = nullptr;
    long long count = 0;
    unsigned long long* histogram = nullptr;  ///< [256], zeroed by the caller
    unsigned prefix = 0;
    unsigned prefixMask = 0;
    int shift = 0;
};

/// The rows of the global selection, one block per query row in [rowBegin, rowBegin + rowCount),
/// given the threshold image `threshold` (orderedFloatBits of the budget-th largest key) and,
/// per row, how many of its keys equal to the threshold are taken (tiesTaken, the first ones in
/// key order). Modes:
///   CountAboveTies: above[i] = keys above the threshold, ties[i] = keys equal to it;
///   CountKept:      counts[i] = kept keys (above, taken ties, and the diagonal when selfLoop and
///                   allowed);
///   Write:          the kept keys, ascending, at colIdx + rowPtr[i].
enum class SacRowMode : int { CountAboveTies = 0, CountKept = 1, Write = 2 };

struct SacRowsParams {
    const float* keys = nullptr;
    const long long* rowOffset = nullptr;
    const int* tiesTaken = nullptr;   ///< [nTokens] (CountKept, Write)
    const int* rowPtr = nullptr;      ///< [nTokens + 1] (Write)
    int* above = nullptr;             ///< [nTokens] (CountAboveTies)
    int* ties = nullptr;              ///< [nTokens] (CountAboveTies)
    int* counts = nullptr;            ///< [nTokens] (CountKept)
    int* colIdx = nullptr;            ///< (Write)

    int nTokens = 0;
    bool causal = true;
    int slidingWindow = 0;
    int rowBegin = 0;
    int rowCount = 0;
    unsigned threshold = 0;
    bool selectNone = false;  ///< budget 0: no key passes (only the diagonal when selfLoop)
    bool selfLoop = false;
    SacRowMode mode = SacRowMode::CountAboveTies;
};

} // namespace attnscope

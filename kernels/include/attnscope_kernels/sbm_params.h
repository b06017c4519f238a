#pragma once
// POD parameters of the sbm variant's kernels (kernels/src/sbm_kernels.cu). Plain C++17, no CUDA
// or std:: types; every pointer is a device pointer. The per-element math is sbm_sampling.h's,
// shared with the CPU path.

namespace attnscope {

/// k-means assignment of every point: logits [pointCount, clusters] (sbmLogit of each point
/// against each centroid) and assignment [pointCount] (sbmNearestCentroid of the point's logits).
/// points [pointCount, dim], centroids [clusters, dim], row-major.
struct SbmAssignParams {
    const float* points = nullptr;
    const float* centroids = nullptr;
    float* logits = nullptr;
    int* assignment = nullptr;
    int pointCount = 0;
    int dim = 0;
    int clusters = 0;
};

/// Floor modes of the sampling kernel.
enum SbmFloorMode : int {
    kSbmFloorNone = 0,      ///< floor = 0: no extra keys
    kSbmFloorEvery = 1,     ///< floor >= 1: every allowed key
    kSbmFloorGeometric = 2, ///< 0 < floor < 1: geometric gaps (sbmFloorNext)
};

/// fastRG sampling of one head's mask restricted to the model's allowed keys (modelAllowedRange),
/// one block per query row. Row i makes drawCount[i] draws: draw t picks key cluster
/// aliasDraw(aliasKeep + i·clusters, aliasIndex + i·clusters, clusters, sbmRowUniform(clusterKey,
/// i, t)), then the key sbmKeyAt(prefix of that cluster, range, sbmDrawTarget(..., sbmRowUniform(
/// targetKey, i, t))); the floor adds its keys; duplicates collapse. Two passes over the same
/// draws: with rowPtr null the kept count of each row goes to rowCounts[i]; with rowPtr set (from
/// those counts) the kept keys go to colIdx[rowPtr[i] ...], ascending.
struct SbmSampleParams {
    const double* prefix = nullptr;    ///< [clusters, nTokens + 1]: prefix sums of each key-membership column
    const double* aliasKeep = nullptr; ///< [nTokens, clusters]
    const int* aliasIndex = nullptr;   ///< [nTokens, clusters]
    const int* drawCount = nullptr;    ///< [nTokens]
    const int* rowPtr = nullptr;       ///< [nTokens + 1] for the write pass, null for the count pass
    int* rowCounts = nullptr;          ///< [nTokens], count pass
    int* colIdx = nullptr;             ///< [rowPtr[nTokens]], write pass

    unsigned long long clusterKey = 0;
    unsigned long long targetKey = 0;
    unsigned long long floorKey = 0;
    double logSkip = 0.0; ///< log1p(-floor), kSbmFloorGeometric only
    int floorMode = kSbmFloorNone;

    int nTokens = 0;
    int clusters = 0;
    bool causal = true;
    int slidingWindow = 0;
};

/// Threads per block of both kernels.
inline constexpr int kSbmThreads = 256;

/// Dynamic shared memory of the sampling kernel: one bit per key of the longest row (nTokens).
inline constexpr long long sbmSampleSharedBytes(int nTokens)
{
    return 8LL * ((static_cast<long long>(nTokens > 0 ? nTokens : 0) + 63) / 64);
}

/// The most shared memory the sampling kernel asks for (the default per-block limit without
/// opting in): rows up to 393216 keys.
inline constexpr long long kSbmMaxSharedBytes = 48LL * 1024;

} // namespace attnscope

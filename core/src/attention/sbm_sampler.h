#pragma once
// Rejection-free edge sampling for sbm: keys drawn from one key-cluster column of the memberships,
// restricted to a query's allowed range; and the final k-means assignment of every query and key.

#include "attention/attention_common.h"

#include <cstdint>
#include <vector>

namespace attnscope::attn {

/// Draws keys j of a range with P(j) ∝ K^_jb (column b of the key memberships) by inverting the
/// column's prefix sums: kept in double, so that tiny memberships keep their share, with a guide
/// table of N cells per column (the first key whose prefix end passes cell·total/N) that starts the
/// search within a step or two of the answer. O(N·k) memory, O(1) expected time per draw.
class KeyColumnSampler {
public:
    /// keyMembers: [keys, clusters] row-major.
    KeyColumnSampler(const float* keyMembers, int keys, int clusters);

    /// Σ_{j in range} K^_jb.
    double rangeMass(int cluster, KeyRange range) const;

    /// Σ_{j < range.first} K^_jb: where the range starts on the column's cumulative mass.
    double rangeStart(int cluster, KeyRange range) const;

    /// The key j of the range with prefix(j) <= target < prefix(j + 1), for a target in
    /// [rangeStart, rangeStart + rangeMass); range.last for a target at or past the range's end.
    /// Keys of zero membership are never returned (but for that cap). Same answer as
    /// sbm_sampling.h's sbmKeyAt.
    int keyAt(int cluster, KeyRange range, double target) const;

    /// keyAt for target = rangeStart + uniform·rangeMass, uniform in [0, 1): a key of the range
    /// drawn with probability ∝ K^_jb.
    int draw(int cluster, KeyRange range, double uniform) const
    {
        return keyAt(cluster, range, rangeStart(cluster, range) + uniform * rangeMass(cluster, range));
    }

    /// Column `cluster`'s prefix sums: entry j is Σ_{i<j} K^_i,cluster (keys + 1 entries), the
    /// array sbm_sampling.h's sbmDrawTarget and sbmKeyAt read.
    const double* column(int cluster) const
    {
        return m_prefix.data() + static_cast<std::size_t>(cluster) * (static_cast<std::size_t>(m_keys) + 1);
    }

    /// Every column's prefix sums, [clusters, keys + 1] (what the GPU sampler uploads).
    const std::vector<double>& prefixSums() const { return m_prefix; }

private:
    int m_keys = 0;
    int m_clusters = 0;
    std::vector<double> m_prefix;      // [clusters, keys + 1]
    std::vector<std::int32_t> m_guide; // [clusters, keys]
    std::vector<double> m_cellScale;   // [clusters]: keys / column total
};

/// k-means logits [count, clusters] and nearest centroid [count] of points [count, dim] against
/// centroids [clusters, dim] (row-major): logits[p, c] = sbmLogit(point p, centroid c) and
/// hard[p] = sbmNearestCentroid (attnscope_kernels/sbm_sampling.h), bit for bit the CUDA kernel's
/// values. Four points by sixteen clusters at a time with the accumulators in registers: the
/// clusters vectorise and the four fma chains overlap, each logit still summed in dimension order.
void kmeansAssignCpu(const float* points, int count, int dim, const float* centroids, int clusters, float* logits,
                     int* hard, int threads);

} // namespace attnscope::attn

#pragma once
// Rejection-free edge sampling for sbm: keys drawn from one key-cluster column of the memberships,
// restricted to a query's allowed range.

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
    /// [rangeStart, rangeStart + rangeMass). Keys of zero membership are never returned.
    int keyAt(int cluster, KeyRange range, double target) const;

    /// keyAt for target = rangeStart + uniform·rangeMass, uniform in [0, 1): a key of the range
    /// drawn with probability ∝ K^_jb.
    int draw(int cluster, KeyRange range, double uniform) const
    {
        return keyAt(cluster, range, rangeStart(cluster, range) + uniform * rangeMass(cluster, range));
    }

private:
    int m_keys = 0;
    int m_clusters = 0;
    std::vector<double> m_prefix;      // [clusters, keys + 1]
    std::vector<std::int32_t> m_guide; // [clusters, keys]
    std::vector<double> m_cellScale;   // [clusters]: keys / column total
};

} // namespace attnscope::attn

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

    /// The key j of the range with prefix(j) <= target < prefix(j + 1), target = prefix(first) +
    /// uniform·rangeMass, uniform in [0, 1). Keys of zero membership are never drawn.
    int draw(int cluster, KeyRange range, double uniform) const;

private:
    int m_keys = 0;
    int m_clusters = 0;
    std::vector<double> m_prefix;      // [clusters, keys + 1]
    std::vector<std::int32_t> m_guide; // [clusters, keys]
};

} // namespace attnscope::attn

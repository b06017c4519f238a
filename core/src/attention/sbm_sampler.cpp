// Inverse-CDF sampling of keys from one key-cluster column of SBM's memberships (see sbm_sampler.h).
#include "attention/sbm_sampler.h"

#include "attnscope_kernels/sbm_sampling.h"

#include <algorithm>
#include <cmath>

namespace attnscope::attn {

namespace {
// Forward steps from the guide before the search switches to bisection.
constexpr int kLinearSteps = 8;
} // namespace

KeyColumnSampler::KeyColumnSampler(const float* keyMembers, int keys, int clusters)
    : m_keys(keys), m_clusters(clusters)
{
    const auto stride = static_cast<std::size_t>(m_keys) + 1;
    m_prefix.assign(static_cast<std::size_t>(m_clusters) * stride, 0.0);
    m_guide.assign(static_cast<std::size_t>(m_clusters) * static_cast<std::size_t>(std::max(1, m_keys)), 0);
    m_cellScale.assign(static_cast<std::size_t>(m_clusters), 0.0);
    for (int cluster = 0; cluster < m_clusters; ++cluster) {
        double* prefix = m_prefix.data() + static_cast<std::size_t>(cluster) * stride;
        double running = 0.0;
        for (int key = 0; key < m_keys; ++key) {
            running += static_cast<double>(keyMembers[static_cast<std::size_t>(key) * clusters + cluster]);
            prefix[key + 1] = running;
        }
        m_cellScale[static_cast<std::size_t>(cluster)] = running > 0.0 ? m_keys / running : 0.0;
        std::int32_t* guide = m_guide.data() + static_cast<std::size_t>(cluster) * m_keys;
        int key = 0;
        for (int cell = 0; cell < m_keys; ++cell) {
            const double bound = running * cell / m_keys;
            while (key + 1 < m_keys && prefix[key + 1] <= bound) {
                ++key;
            }
            guide[cell] = key;
        }
    }
}

double KeyColumnSampler::rangeMass(int cluster, KeyRange range) const
{
    const double* prefix = m_prefix.data() + static_cast<std::size_t>(cluster) * (static_cast<std::size_t>(m_keys) + 1);
    return prefix[range.last + 1] - prefix[range.first];
}

double KeyColumnSampler::rangeStart(int cluster, KeyRange range) const
{
    return m_prefix[static_cast<std::size_t>(cluster) * (static_cast<std::size_t>(m_keys) + 1) +
                    static_cast<std::size_t>(range.first)];
}

int KeyColumnSampler::keyAt(int cluster, KeyRange range, double target) const
{
    const double* prefix = m_prefix.data() + static_cast<std::size_t>(cluster) * (static_cast<std::size_t>(m_keys) + 1);
    // guide[cell] is the first key whose prefix end exceeds cell·total/N, a lower bound of the
    // answer (the first key j with prefix[j + 1] > target) for the cell that holds target.
    const int cell = std::min(m_keys - 1, static_cast<int>(target * m_cellScale[static_cast<std::size_t>(cluster)]));
    // Capped at the range's last key: a target rounded up to the range's end (or beyond it, where
    // only keys of zero membership follow) answers `last`, as sbmKeyAt does on the GPU, never a key
    // past the range.
    int key = std::clamp(m_guide[static_cast<std::size_t>(cluster) * m_keys + static_cast<std::size_t>(cell)],
                         range.first, range.last);
    // The cell comes from a product, not a division: when rounding lifts target into the next cell
    // the guide may overshoot by a key, so step back to the answer's side.
    while (key > range.first && prefix[key] > target) {
        --key;
    }
    // Usually a step or two; but the cells are equal shares of the whole column, so a range that
    // holds little of the column's mass (its members sit after a causal row) can leave a long run
    // of light keys in one cell: past a few steps, bisect the rest.
    for (int step = 0; step < kLinearSteps; ++step, ++key) {
        if (key >= range.last || prefix[key + 1] > target) {
            return key;
        }
    }
    const double* end = prefix + range.last + 1;
    const double* found = std::upper_bound(prefix + key + 1, end, target);
    return found == end ? range.last : static_cast<int>(found - prefix) - 1;
}

void kmeansAssignCpu(const float* points, int count, int dim, const float* centroids, int clusters, float* logits,
                     int* hard, int threads)
{
    constexpr int kPoints = 4;
    constexpr int kLanes = 16;
    const int padded = (clusters + kLanes - 1) / kLanes * kLanes;
    // [dim, k rounded up]: centroid values by dimension, zero columns past k.
    std::vector<float> transposed(static_cast<std::size_t>(dim) * padded, 0.0f);
    for (int cluster = 0; cluster < clusters; ++cluster) {
        for (int index = 0; index < dim; ++index) {
            transposed[static_cast<std::size_t>(index) * padded + cluster] =
                centroids[static_cast<std::size_t>(cluster) * dim + index];
        }
    }
    const std::vector<float> zeros(static_cast<std::size_t>(dim), 0.0f);
    constexpr int kChunk = 256;
    parallelFor(
        (count + kChunk - 1) / kChunk,
        [&](std::int64_t chunk) {
            const int chunkBegin = static_cast<int>(chunk) * kChunk;
            const int chunkEnd = std::min(count, chunkBegin + kChunk);
            for (int first = chunkBegin; first < chunkEnd; first += kPoints) {
                const float* rows[kPoints];
                for (int lane = 0; lane < kPoints; ++lane) {
                    rows[lane] = first + lane < chunkEnd ? points + static_cast<std::size_t>(first + lane) * dim
                                                         : zeros.data();
                }
                for (int clusterBegin = 0; clusterBegin < padded; clusterBegin += kLanes) {
                    float acc[kPoints][kLanes] = {};
                    for (int index = 0; index < dim; ++index) {
                        const float* centroidDim = transposed.data() + static_cast<std::size_t>(index) * padded + clusterBegin;
                        for (int lane = 0; lane < kPoints; ++lane) {
                            const float value = rows[lane][index];
                            for (int cluster = 0; cluster < kLanes; ++cluster) {
                                acc[lane][cluster] = std::fma(value, centroidDim[cluster], acc[lane][cluster]);
                            }
                        }
                    }
                    for (int lane = 0; lane < kPoints && first + lane < chunkEnd; ++lane) {
                        float* out = logits + static_cast<std::size_t>(first + lane) * clusters;
                        for (int cluster = clusterBegin; cluster < std::min(clusters, clusterBegin + kLanes); ++cluster) {
                            out[cluster] = acc[lane][cluster - clusterBegin];
                        }
                    }
                }
                for (int lane = 0; lane < kPoints && first + lane < chunkEnd; ++lane) {
                    hard[first + lane] = sbmNearestCentroid(logits + static_cast<std::size_t>(first + lane) * clusters,
                                                            clusters);
                }
            }
        },
        threads);
}

} // namespace attnscope::attn

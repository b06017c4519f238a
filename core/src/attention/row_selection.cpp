// Exact per-row top-count selection (selectTopIndices, attention_common.h): the selectors of topk,
// dsa and sea cells run it on every row, so it avoids data-dependent branches where it can.
#include "attention/attention_common.h"

#if defined(__AVX2__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <functional>
#include <numeric>
#include <vector>

namespace attnscope::attn {

namespace {

#if defined(__AVX2__)
// Lane permutation that packs the set lanes of an 8-bit mask to the front.
const std::array<std::array<std::int32_t, 8>, 256>& compressTable()
{
    static const auto table = [] {
        std::array<std::array<std::int32_t, 8>, 256> lanes{};
        for (int mask = 0; mask < 256; ++mask) {
            int lane = 0;
            for (int bit = 0; bit < 8; ++bit) {
                if (mask & (1 << bit)) {
                    lanes[static_cast<std::size_t>(mask)][static_cast<std::size_t>(lane++)] = bit;
                }
            }
        }
        return lanes;
    }();
    return table;
}
#endif

// Copies the values that compare true against `bound` (>= when `orEqual`, else >), and their
// positions (indices[i], or i when indices is null), to the front of out/outIndices, which have room
// for n + 8 entries; returns how many there are. AVX2: one compare, one mask and one permuted store
// per eight values instead of a dependent store per value.
int keepAbove(const float* values, const int* indices, int n, float bound, bool orEqual, float* out, int* outIndices)
{
    int kept = 0;
    int index = 0;
#if defined(__AVX2__)
    const auto& table = compressTable();
    const __m256 limit = _mm256_set1_ps(bound);
    __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i step = _mm256_set1_epi32(8);
    for (; index + 8 <= n; index += 8) {
        const __m256 block = _mm256_loadu_ps(values + index);
        const __m256 test = orEqual ? _mm256_cmp_ps(block, limit, _CMP_GE_OQ) : _mm256_cmp_ps(block, limit, _CMP_GT_OQ);
        const int mask = _mm256_movemask_ps(test);
        // Stored unconditionally: a branch on mask != 0 mispredicts at typical densities.
        const __m256i permutation =
            _mm256_loadu_si256(reinterpret_cast<const __m256i*>(table[static_cast<std::size_t>(mask)].data()));
        const __m256i positions = indices ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(indices + index)) : lanes;
        _mm256_storeu_ps(out + kept, _mm256_permutevar8x32_ps(block, permutation));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(outIndices + kept), _mm256_permutevar8x32_epi32(positions, permutation));
        kept += __builtin_popcount(static_cast<unsigned>(mask));
        lanes = _mm256_add_epi32(lanes, step);
    }
#endif
    for (; index < n; ++index) {
        out[kept] = values[index];
        outIndices[kept] = indices ? indices[index] : index;
        kept += (orEqual ? values[index] >= bound : values[index] > bound) ? 1 : 0;
    }
    return kept;
}

// Splits values into those >= pivot (front of `above`) and those < pivot (front of `below`); both
// have room for n + 8 entries. Returns the size of the first part.
int partitionAt(const float* values, int n, float pivot, float* above, float* below)
{
    int high = 0;
    int low = 0;
    int index = 0;
#if defined(__AVX2__)
    const auto& table = compressTable();
    const __m256 limit = _mm256_set1_ps(pivot);
    for (; index + 8 <= n; index += 8) {
        const __m256 block = _mm256_loadu_ps(values + index);
        const int mask = _mm256_movemask_ps(_mm256_cmp_ps(block, limit, _CMP_GE_OQ));
        const auto lanesOf = [&](int bits) {
            return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(table[static_cast<std::size_t>(bits)].data()));
        };
        _mm256_storeu_ps(above + high, _mm256_permutevar8x32_ps(block, lanesOf(mask)));
        _mm256_storeu_ps(below + low, _mm256_permutevar8x32_ps(block, lanesOf(~mask & 0xff)));
        const int count = __builtin_popcount(static_cast<unsigned>(mask));
        high += count;
        low += 8 - count;
    }
#endif
    for (; index < n; ++index) {
        above[high] = values[index];
        below[low] = values[index];
        const bool isAbove = values[index] >= pivot;
        high += isAbove ? 1 : 0;
        low += isAbove ? 0 : 1;
    }
    return high;
}

// Counts up to this size find their threshold by repeated maxima instead of quickselect: sea's
// cells (a few of ~tm bins per row) and small top-k budgets, where quickselect's sample, copies
// and partitions cost more than a few sweeps.
constexpr int kMaximaCountMax = 16;

// The count-th largest of values[0, n) for a small count: the largest value below the last one
// found, and how many values equal it, until `count` values are at or above it. Each pass is two
// vector sweeps with no data-dependent branch (comparisons of random values mispredict half the
// time, which costs more than the sweeps). NaN values are never counted.
float countthLargestByMaxima(const float* values, int n, int count)
{
    float bound = std::numeric_limits<float>::infinity();
    int atLeast = 0;
    for (;;) {
        float best = -std::numeric_limits<float>::infinity();
        int equal = 0;
        int index = 0;
#if defined(__AVX2__)
        const __m256 limit = _mm256_set1_ps(bound);
        const __m256 lowest = _mm256_set1_ps(best);
        __m256 running = lowest;
        for (; index + 8 <= n; index += 8) {
            const __m256 block = _mm256_loadu_ps(values + index);
            running = _mm256_max_ps(running, _mm256_blendv_ps(lowest, block, _mm256_cmp_ps(block, limit, _CMP_LT_OQ)));
        }
        alignas(32) std::array<float, 8> lanes{};
        _mm256_store_ps(lanes.data(), running);
        best = *std::max_element(lanes.begin(), lanes.end());
        const int vectorEnd = index;
#endif
        for (; index < n; ++index) {
            best = values[index] < bound ? std::max(best, values[index]) : best;
        }
        index = 0;
#if defined(__AVX2__)
        const __m256 found = _mm256_set1_ps(best);
        for (; index < vectorEnd; index += 8) {
            const __m256 block = _mm256_loadu_ps(values + index);
            equal += __builtin_popcount(static_cast<unsigned>(_mm256_movemask_ps(_mm256_cmp_ps(block, found, _CMP_EQ_OQ))));
        }
#endif
        for (; index < n; ++index) {
            equal += values[index] == best ? 1 : 0;
        }
        atLeast += equal;
        if (atLeast >= count || equal == 0) {
            return best;
        }
        bound = best;
    }
}

// The count-th largest of values[0, n), 1 <= count <= n: quickselect whose partitions are
// branch-free (vector compress stores), with the pivot taken from a small sorted sample at the
// expected rank, so each round keeps a small multiple of what is left to find. nth_element (whose
// data-dependent branches mispredict on every other element) only finishes the last few dozen.
float countthLargest(const float* values, int n, int count)
{
    if (count <= kMaximaCountMax) {
        return countthLargestByMaxima(values, n, count);
    }
    thread_local std::vector<float> work;
    thread_local std::vector<float> above;
    thread_local std::vector<float> below;
    thread_local std::vector<int> positions;
    constexpr int kSample = 32;
    constexpr int kFinish = 48;
    work.resize(static_cast<std::size_t>(n) + 8);
    above.resize(static_cast<std::size_t>(n) + 8);
    below.resize(static_cast<std::size_t>(n) + 8);
    positions.resize(static_cast<std::size_t>(n) + 8);
    std::copy(values, values + n, work.begin());
    int size = n;
    int need = count;
    while (size > kFinish) {
        std::array<float, kSample> sample{};
        for (int slot = 0; slot < kSample; ++slot) {
            sample[static_cast<std::size_t>(slot)] =
                work[static_cast<std::size_t>((static_cast<std::int64_t>(2 * slot + 1) * size) / (2 * kSample))];
        }
        // The answer sits near ascending sample position (size − need)·S/size. The pivot is one
        // sample step to the side that leaves the answer in the smaller part: below it when the
        // answer is in the upper half (the part >= pivot is then about need + size/S), above it
        // otherwise.
        const double position = static_cast<double>(size - need) * kSample / size;
        const int rank = std::clamp(need <= size / 2 ? static_cast<int>(std::floor(position)) - 1
                                                     : static_cast<int>(std::ceil(position)) + 1,
                                    0, kSample - 1);
        std::nth_element(sample.begin(), sample.begin() + rank, sample.end());
        const float pivot = sample[static_cast<std::size_t>(rank)];
        // When the answer should lie above the pivot only that part is written; the rare miss
        // (fewer than `need` values above) repeats the round with the full split.
        int high = 0;
        if (need <= size / 2) {
            high = keepAbove(work.data(), nullptr, size, pivot, true, above.data(), positions.data());
            if (high < need) {
                high = partitionAt(work.data(), size, pivot, above.data(), below.data());
            }
        } else {
            high = partitionAt(work.data(), size, pivot, above.data(), below.data());
        }
        if (high == size) {
            // Every value is >= pivot: split off the values equal to it instead.
            const int greater = keepAbove(work.data(), nullptr, size, pivot, false, above.data(), positions.data());
            if (greater < need) {
                return pivot;
            }
            std::swap(work, above);
            size = greater;
        } else if (high >= need) {
            std::swap(work, above);
            size = high;
        } else {
            need -= high;
            std::swap(work, below);
            size -= high;
        }
    }
    std::nth_element(work.begin(), work.begin() + (need - 1), work.begin() + size, std::greater<float>());
    return work[static_cast<std::size_t>(need - 1)];
}

// Exact selection among `n` candidates (values, with their indices in ascending order): the
// count-th largest value, then everything above it and ties at it in index order until the count is
// full (ties to the lower index, as a stable selection would give).
void selectAmong(const float* values, const int* indices, int n, int count, std::vector<int>& selected)
{
    thread_local std::vector<float> scratchValues;
    thread_local std::vector<int> scratchIndices;
    const float threshold = countthLargest(values, n, count);
    scratchValues.resize(static_cast<std::size_t>(n) + 8);
    scratchIndices.resize(static_cast<std::size_t>(n) + 8);
    // Without duplicates of the threshold, the values >= it are exactly the count largest.
    const int atLeast = keepAbove(values, indices, n, threshold, true, scratchValues.data(), scratchIndices.data());
    if (atLeast == count) {
        selected.assign(scratchIndices.begin(), scratchIndices.begin() + atLeast);
        return;
    }
    int above = 0;
    for (int index = 0; index < atLeast; ++index) {
        above += scratchValues[static_cast<std::size_t>(index)] > threshold ? 1 : 0;
    }
    int ties = count - above;
    selected.reserve(static_cast<std::size_t>(count));
    for (int index = 0; index < n; ++index) {
        if (values[index] > threshold) {
            selected.push_back(indices ? indices[index] : index);
        } else if (values[index] == threshold && ties > 0) {
            selected.push_back(indices ? indices[index] : index);
            --ties;
        }
    }
}

} // namespace

void selectTopIndices(const float* values, int n, int count, std::vector<int>& selected)
{
    selected.clear();
    count = std::clamp(count, 0, n);
    if (count == n) {
        selected.resize(static_cast<std::size_t>(n));
        std::iota(selected.begin(), selected.end(), 0);
        return;
    }
    if (count == 0) {
        return;
    }
    selectAmong(values, nullptr, n, count, selected);
}

} // namespace attnscope::attn

// Exact q·k scores (scoreRow, scoreBlock; attention_common.h) with one summation order for every
// entry, whatever path computes it: eight lanes over the head dimension (lane l sums dims
// l, l + 8, ...: a product, then fused multiply-adds in dimension order), the lanes added as the
// tree ((l0 + l1) + (l2 + l3)) + ((l4 + l5) + (l6 + l7)), then the d mod 8 leftover dims by fma.
// So a row scored alone (the GEMV of a variant's row), a block of rows (the GEMM of top-k and of the
// dense rows) and kept rows all agree bit for bit, and exact ties stay ties for the selectors and
// for the tests' references. Tiles of 8 entries (2 queries × 4 keys in a block, 1 × 8 in a row)
// reduce their eight accumulators with one transposing horizontal add.
#include "attention/attention_common.h"

#include "attention/dense_rows.h"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#endif

#include <array>
#include <cmath>

namespace attnscope::attn {

namespace {

constexpr int kLanes = 8;
constexpr int kTile = 8; // entries per tile: Rows × Keys

// sums[r·Keys + j] = the fixed-order dot product of queries[r] and keys[j] over d dims.
template <int Rows, int Keys>
void dotTile(const std::array<const float*, Rows>& queries, const std::array<const float*, Keys>& keys, int d,
             float* sums)
{
    static_assert(Rows * Keys == kTile);
    const int chunks = d / kLanes;
#if defined(__AVX2__) && defined(__FMA__)
    // Plain arrays: __m256 as a template argument loses its alignment attribute.
    __m256 acc[kTile];
    __m256 key[Keys];
    for (__m256& sum : acc) {
        sum = _mm256_setzero_ps();
    }
    if (chunks > 0) {
        for (int j = 0; j < Keys; ++j) {
            key[j] = _mm256_loadu_ps(keys[static_cast<std::size_t>(j)]);
        }
        for (int r = 0; r < Rows; ++r) {
            const __m256 query = _mm256_loadu_ps(queries[static_cast<std::size_t>(r)]);
            for (int j = 0; j < Keys; ++j) {
                acc[r * Keys + j] = _mm256_mul_ps(query, key[j]);
            }
        }
    }
    for (int chunk = 1; chunk < chunks; ++chunk) {
        const int offset = chunk * kLanes;
        for (int j = 0; j < Keys; ++j) {
            key[j] = _mm256_loadu_ps(keys[static_cast<std::size_t>(j)] + offset);
        }
        for (int r = 0; r < Rows; ++r) {
            const __m256 query = _mm256_loadu_ps(queries[static_cast<std::size_t>(r)] + offset);
            for (int j = 0; j < Keys; ++j) {
                acc[r * Keys + j] = _mm256_fmadd_ps(query, key[j], acc[r * Keys + j]);
            }
        }
    }
    // hadd pairs neighbouring lanes, twice, then the two 128-bit halves are added: lane t of the
    // result is the tree sum of accumulator t.
    const __m256 h01 = _mm256_hadd_ps(acc[0], acc[1]);
    const __m256 h23 = _mm256_hadd_ps(acc[2], acc[3]);
    const __m256 h45 = _mm256_hadd_ps(acc[4], acc[5]);
    const __m256 h67 = _mm256_hadd_ps(acc[6], acc[7]);
    const __m256 low = _mm256_hadd_ps(h01, h23);
    const __m256 high = _mm256_hadd_ps(h45, h67);
    _mm256_storeu_ps(sums, _mm256_add_ps(_mm256_permute2f128_ps(low, high, 0x20), _mm256_permute2f128_ps(low, high, 0x31)));
#else
    for (int r = 0; r < Rows; ++r) {
        for (int j = 0; j < Keys; ++j) {
            const float* query = queries[static_cast<std::size_t>(r)];
            const float* key = keys[static_cast<std::size_t>(j)];
            std::array<float, kLanes> lanes{};
            for (int chunk = 0; chunk < chunks; ++chunk) {
                for (int lane = 0; lane < kLanes; ++lane) {
                    const int dim = chunk * kLanes + lane;
                    auto& sum = lanes[static_cast<std::size_t>(lane)];
                    sum = chunk == 0 ? query[dim] * key[dim] : std::fma(query[dim], key[dim], sum);
                }
            }
            sums[r * Keys + j] = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
        }
    }
#endif
    for (int dim = chunks * kLanes; dim < d; ++dim) {
        for (int r = 0; r < Rows; ++r) {
            for (int j = 0; j < Keys; ++j) {
                float& sum = sums[r * Keys + j];
                sum = std::fma(queries[static_cast<std::size_t>(r)][dim], keys[static_cast<std::size_t>(j)][dim], sum);
            }
        }
    }
}

float finishScore(const HeadInput& input, float dot)
{
    return applySoftcap(dot * input.scale, input.softcap);
}

} // namespace

void scoreRow(const HeadInput& input, int queryPos, KeyRange range, float* scores)
{
    const int d = input.headDim;
    if (range.size() <= 0) {
        return;
    }
    const DenseRows* kept = keptDenseRows(input, queryPos);
    if (kept && kept->keysOf(queryPos) == range.size() && range.first == allowedKeys(input, queryPos).first) {
        std::copy_n(kept->scoresOf(queryPos), range.size(), scores);
        return;
    }
    const std::array<const float*, 1> query = {input.q + static_cast<std::size_t>(queryPos) * d};
    std::array<float, kTile> sums{};
    for (int first = 0; first < range.size(); first += kTile) {
        const int count = std::min(kTile, range.size() - first);
        std::array<const float*, kTile> keys{};
        for (int j = 0; j < kTile; ++j) {
            // A short last tile repeats its last key; those sums are not stored.
            keys[static_cast<std::size_t>(j)] = input.k + static_cast<std::size_t>(range.first + first + std::min(j, count - 1)) * d;
        }
        dotTile<1, kTile>(query, keys, d, sums.data());
        for (int j = 0; j < count; ++j) {
            scores[first + j] = finishScore(input, sums[static_cast<std::size_t>(j)]);
        }
    }
}

void scoreBlock(const HeadInput& input, int rowBegin, int rowEnd, int keyBegin, int keyEnd, float* scores,
                std::size_t stride)
{
    constexpr int kRows = 2;
    constexpr int kKeys = kTile / kRows;
    const int d = input.headDim;
    std::array<float, kTile> sums{};
    for (int row = rowBegin; row < rowEnd; row += kRows) {
        const int rows = std::min(kRows, rowEnd - row);
        std::array<const float*, kRows> queries{};
        for (int r = 0; r < kRows; ++r) {
            queries[static_cast<std::size_t>(r)] = input.q + static_cast<std::size_t>(row + std::min(r, rows - 1)) * d;
        }
        for (int key = keyBegin; key < keyEnd; key += kKeys) {
            const int keys = std::min(kKeys, keyEnd - key);
            std::array<const float*, kKeys> keyRows{};
            for (int j = 0; j < kKeys; ++j) {
                keyRows[static_cast<std::size_t>(j)] = input.k + static_cast<std::size_t>(key + std::min(j, keys - 1)) * d;
            }
            dotTile<kRows, kKeys>(queries, keyRows, d, sums.data());
            for (int r = 0; r < rows; ++r) {
                float* out = scores + static_cast<std::size_t>(row - rowBegin + r) * stride + (key - keyBegin);
                for (int j = 0; j < keys; ++j) {
                    out[j] = finishScore(input, sums[static_cast<std::size_t>(r * kKeys + j)]);
                }
            }
        }
    }
}

} // namespace attnscope::attn

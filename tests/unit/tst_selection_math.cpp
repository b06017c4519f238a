// The per-element math the CPU score-selecting variants share with the CUDA selection kernels
// (kernels/include/attnscope_kernels/selection_math.h) and the host steps of the GPU selections
// (backend/cuda/cuda_selection.h), checked without a device:
//  - orderedFloatBits sorts like the floats (-0 and +0 equal) and floatFromOrderedBits inverts it;
//  - splitmix64 gives the published SplitMix64 sequence (Vigna's reference, seed 0), so attn::Rng,
//    attn::hashUniform and the kernels' Gumbel noise stay on it; hashUniform01 is in [0, 1) and a
//    pure function of its triple;
//  - sacDistancePrior is -log(1 + |i - j|) (float64 closed form);
//  - pickRadixBin over 8-bit digits, driven the way the SAC kernels drive it (four histogram passes
//    over random float keys with many exact ties), finds the budget-th largest key and the ties
//    still wanted that std::nth_element and a count give; then offsetsFromCounts and
//    takeTiesInRowOrder, with the kept-per-row rule of the SAC row kernel, give exactly the global
//    top-budget ranked by (key descending, row, column): the CPU variant's order; the per-row
//    counts pass countsMatchRadixSelect, and a miscounted row fails it.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <random>
#include <tuple>
#include <vector>

#include "attention/attention_common.h"
#include "attnscope_kernels/selection_math.h"
#include "backend/cuda/cuda_selection.h"
#include "backend/cuda/device_memory_budget.h"

namespace attnscope {
namespace {

TEST(SelectionMath, OrderedBitsSortLikeFloats)
{
    const float denormal = std::numeric_limits<float>::denorm_min();
    std::vector<float> values = {-std::numeric_limits<float>::infinity(),
                                 -std::numeric_limits<float>::max(),
                                 -1e10f,
                                 -1.0f,
                                 -std::numeric_limits<float>::min(),
                                 -denormal,
                                 0.0f,
                                 denormal,
                                 std::numeric_limits<float>::min(),
                                 1.0f,
                                 std::nextafter(1.0f, 2.0f),
                                 1e10f,
                                 std::numeric_limits<float>::max(),
                                 std::numeric_limits<float>::infinity()};
    std::mt19937 rng(5);
    std::normal_distribution<float> normal(0.0f, 100.0f);
    for (int index = 0; index < 2000; ++index) {
        values.push_back(normal(rng));
    }
    for (float a : values) {
        for (float b : {values[3], values[8], values[100], values[1500], 0.0f, -0.0f}) {
            EXPECT_EQ(a < b, orderedFloatBits(a) < orderedFloatBits(b)) << a << " " << b;
            EXPECT_EQ(a == b, orderedFloatBits(a) == orderedFloatBits(b)) << a << " " << b;
        }
        const float back = floatFromOrderedBits(orderedFloatBits(a));
        EXPECT_EQ(back, a);
        EXPECT_FALSE(std::signbit(back) && back == 0.0f) << "-0 comes back as +0";
    }
    EXPECT_EQ(orderedFloatBits(-0.0f), orderedFloatBits(0.0f));
}

TEST(SelectionMath, WithinDeltaComparesInDouble)
{
    // 1 - 1e-9 rounds to 1 in float but not in double: the rule must keep the double comparison.
    EXPECT_TRUE(withinDeltaOfMax(1.0f, 1.0f, 0.0));
    EXPECT_FALSE(withinDeltaOfMax(std::nextafter(1.0f, 0.0f), 1.0f, 1e-9));
    EXPECT_TRUE(withinDeltaOfMax(-3.0f, 1.0f, 4.0));
    EXPECT_FALSE(withinDeltaOfMax(-3.0f, 1.0f, 3.999999));
}

TEST(SelectionMath, SplitmixIsTheReferenceSequence)
{
    // SplitMix64 from state 0 (Vigna, prng.di.unimi.it; Java's SplittableRandom): the first outputs.
    unsigned long long state = 0;
    EXPECT_EQ(splitmix64(&state), 0xE220A8397B1DCDAFull);
    EXPECT_EQ(splitmix64(&state), 0x6E789E6AA1B965F4ull);
    EXPECT_EQ(splitmix64(&state), 0x06C45D188009454Full);
    attn::Rng rng(0);
    EXPECT_EQ(rng.next(), 0xE220A8397B1DCDAFull);
}

TEST(SelectionMath, HashUniformIsAPureUnitDraw)
{
    double sum = 0.0;
    constexpr int kDraws = 20000;
    for (int index = 0; index < kDraws; ++index) {
        const auto a = static_cast<unsigned long long>(index / 100);
        const auto b = static_cast<unsigned long long>(index % 100);
        const double u = hashUniform01(0x5acull, a, b);
        ASSERT_GE(u, 0.0);
        ASSERT_LT(u, 1.0);
        EXPECT_EQ(u, attn::hashUniform(0x5acull, a, b));
        EXPECT_EQ(u * 9007199254740992.0, std::floor(u * 9007199254740992.0)) << "a multiple of 2^-53";
        sum += u;
    }
    EXPECT_NEAR(sum / kDraws, 0.5, 0.01);
    EXPECT_NE(hashUniform01(1, 2, 3), hashUniform01(1, 3, 2));
}

TEST(SelectionMath, DistancePriorIsMinusLogOnePlusDistance)
{
    for (int i : {0, 1, 7, 1000, 40000}) {
        for (int j : {0, 3, 999, 40001}) {
            const double expected = -std::log(1.0 + std::abs(static_cast<double>(i) - j));
            EXPECT_NEAR(sacDistancePrior(i, j), expected, 1e-15 * (1.0 + std::abs(expected)));
            EXPECT_EQ(sacDistancePrior(i, j), sacDistancePrior(j, i));
        }
    }
}

TEST(SelectionMath, PickRadixBinRefusesWhatTheBinsCannotHold)
{
    std::vector<unsigned long long> histogram(256, 0);
    histogram[3] = 2;
    histogram[200] = 1;
    unsigned bin = 0;
    long long inBin = 0;
    EXPECT_FALSE(pickRadixBin(histogram.data(), 256, 0, &bin, &inBin));
    EXPECT_FALSE(pickRadixBin(histogram.data(), 256, 4, &bin, &inBin));
    ASSERT_TRUE(pickRadixBin(histogram.data(), 256, 1, &bin, &inBin));
    EXPECT_EQ(bin, 200u);
    EXPECT_EQ(inBin, 1);
    ASSERT_TRUE(pickRadixBin(histogram.data(), 256, 3, &bin, &inBin));
    EXPECT_EQ(bin, 3u);
    EXPECT_EQ(inBin, 2);
}

struct Pair {
    float key;
    int row;
    int col;
};

// The SAC selection as the kernels and cuda_selection.cpp run it, on the host: radix digits by
// pickRadixBin, per-row above/tie counts, ties handed out in row order, kept rows in key order.
std::vector<std::vector<int>> radixSelection(const std::vector<std::vector<float>>& rows, std::int64_t budget)
{
    unsigned prefix = 0;
    unsigned prefixMask = 0;
    long long remaining = budget;
    for (int shift = 24; shift >= 0; shift -= 8) {
        std::vector<unsigned long long> histogram(256, 0);
        for (const auto& row : rows) {
            for (float key : row) {
                const unsigned bits = orderedFloatBits(key);
                if ((bits & prefixMask) == prefix) {
                    ++histogram[(bits >> shift) & 0xffu];
                }
            }
        }
        unsigned bin = 0;
        long long inBin = 0;
        EXPECT_TRUE(pickRadixBin(histogram.data(), 256, remaining, &bin, &inBin));
        prefix |= bin << shift;
        prefixMask |= 0xffu << shift;
        remaining = inBin;
    }
    std::vector<std::int32_t> above;
    std::vector<std::int32_t> ties;
    for (const auto& row : rows) {
        above.push_back(static_cast<std::int32_t>(
            std::count_if(row.begin(), row.end(), [&](float key) { return orderedFloatBits(key) > prefix; })));
        ties.push_back(static_cast<std::int32_t>(
            std::count_if(row.begin(), row.end(), [&](float key) { return orderedFloatBits(key) == prefix; })));
    }
    EXPECT_TRUE(cuda_selection::countsMatchRadixSelect(above, ties, budget, remaining));
    if (!above.empty()) {
        std::vector<std::int32_t> wrong = above;
        ++wrong.back();
        EXPECT_FALSE(cuda_selection::countsMatchRadixSelect(wrong, ties, budget, remaining));
    }
    const std::vector<std::int32_t> taken = cuda_selection::takeTiesInRowOrder(ties, remaining);
    std::vector<std::vector<int>> kept(rows.size());
    for (std::size_t r = 0; r < rows.size(); ++r) {
        int tiesSeen = 0;
        for (std::size_t c = 0; c < rows[r].size(); ++c) {
            const unsigned bits = orderedFloatBits(rows[r][c]);
            const bool tie = bits == prefix;
            if (bits > prefix || (tie && tiesSeen < taken[r])) {
                kept[r].push_back(static_cast<int>(c));
            }
            tiesSeen += tie ? 1 : 0;
        }
    }
    return kept;
}

TEST(SelectionMath, RadixSelectionIsTheGlobalTopWithRowMajorTies)
{
    std::mt19937 rng(11);
    for (int trial = 0; trial < 40; ++trial) {
        const int nRows = 1 + trial % 17;
        std::vector<std::vector<float>> rows(static_cast<std::size_t>(nRows));
        std::vector<Pair> pairs;
        // Few distinct values (many exact ties), negatives, both zeros, and spread-out values.
        std::uniform_int_distribution<int> level(-6, 6);
        std::normal_distribution<float> normal(-5.0f, 3.0f);
        for (int r = 0; r < nRows; ++r) {
            const int length = 1 + static_cast<int>(rng() % 40);
            for (int c = 0; c < length; ++c) {
                float key = trial % 2 == 0 ? static_cast<float>(level(rng)) * 0.5f : normal(rng);
                if (key == 0.0f && c % 2 == 1) {
                    key = -0.0f;
                }
                rows[static_cast<std::size_t>(r)].push_back(key);
                pairs.push_back({key, r, c});
            }
        }
        std::sort(pairs.begin(), pairs.end(), [](const Pair& a, const Pair& b) {
            return std::make_tuple(-a.key, a.row, a.col) < std::make_tuple(-b.key, b.row, b.col);
        });
        for (std::int64_t budget : {std::int64_t{1}, std::int64_t{7}, static_cast<std::int64_t>(pairs.size() / 2),
                                    static_cast<std::int64_t>(pairs.size())}) {
            if (budget < 1 || budget > static_cast<std::int64_t>(pairs.size())) {
                continue;
            }
            std::vector<std::vector<int>> expected(rows.size());
            for (std::int64_t index = 0; index < budget; ++index) {
                expected[static_cast<std::size_t>(pairs[static_cast<std::size_t>(index)].row)].push_back(
                    pairs[static_cast<std::size_t>(index)].col);
            }
            for (auto& row : expected) {
                std::sort(row.begin(), row.end());
            }
            EXPECT_EQ(radixSelection(rows, budget), expected) << "trial " << trial << " budget " << budget;
        }
    }
}

TEST(SelectionHost, OffsetsAndTiesInRowOrder)
{
    const std::vector<std::int32_t> counts = {3, 0, 2, 5};
    EXPECT_EQ(cuda_selection::offsetsFromCounts(counts), (std::vector<std::int64_t>{0, 3, 3, 5, 10}));
    EXPECT_EQ(cuda_selection::offsetsFromCounts({}), (std::vector<std::int64_t>{0}));
    const std::vector<std::int32_t> ties = {2, 0, 3, 4};
    EXPECT_EQ(cuda_selection::takeTiesInRowOrder(ties, 0), (std::vector<std::int32_t>{0, 0, 0, 0}));
    EXPECT_EQ(cuda_selection::takeTiesInRowOrder(ties, 1), (std::vector<std::int32_t>{1, 0, 0, 0}));
    EXPECT_EQ(cuda_selection::takeTiesInRowOrder(ties, 4), (std::vector<std::int32_t>{2, 0, 2, 0}));
    EXPECT_EQ(cuda_selection::takeTiesInRowOrder(ties, 9), (std::vector<std::int32_t>{2, 0, 3, 4}));
    EXPECT_EQ(cuda_selection::takeTiesInRowOrder(ties, 100), (std::vector<std::int32_t>{2, 0, 3, 4}));
}

TEST(SelectionHost, DeviceByteCountsAddUpTheirBuffers)
{
    // Per-row selection: inputs, keyFirst/keyCount/counts [rows], rowPtr [rows + 1], cols, scratch.
    EXPECT_EQ(rowSelectDeviceBytes(1000, 10, 50, 7), 4u * (1000 + 3 * 10 + 11 + 50 + 7));
    EXPECT_EQ(rowSelectDeviceBytes(0, 0, 0, 0), 4u);
    // sac: q~, k~ [N·r], keys [pairs], four [N] int arrays, rowPtr [N + 1], cols; rowOffset [N + 1]
    // and the histogram in 8 bytes.
    const int n = 100;
    const int rank = 16;
    const std::uint64_t pairs = 5050;
    EXPECT_EQ(sacSelectDeviceBytes(n, rank, pairs, 900),
              4u * (2 * n * rank + pairs + 4 * n + (n + 1) + 900) + 8u * ((n + 1) + 256));
    // Saturates instead of wrapping.
    EXPECT_EQ(rowSelectDeviceBytes(std::numeric_limits<std::uint64_t>::max(), 1, 1, 1),
              std::numeric_limits<std::uint64_t>::max());
    EXPECT_EQ(sacSelectDeviceBytes(n, rank, std::numeric_limits<std::uint64_t>::max(), 0),
              std::numeric_limits<std::uint64_t>::max());
}

} // namespace
} // namespace attnscope

// The sbm variant's shared per-element steps (attnscope_kernels/sbm_sampling.h, run by the CPU path
// and the CUDA kernels alike) and the device-free host glue of backend/cuda/cuda_sbm.h, each against
// an independent reference:
//  - counterBits is SplitMix64 output for output: Vigna's published first outputs for seed 0, and
//    the sequential generator (attn::Rng) for other seeds;
//  - portableLog against the long-double logarithm (a few ulp);
//  - aliasDraw's outcome shares over a fine uniform grid against the table's closed-form
//    probabilities;
//  - sbmKeyAt equals KeyColumnSampler::keyAt (guide table) on random columns with zero memberships,
//    ranges and targets, and a linear scan of the definition;
//  - sbmFloorNext's gaps keep a Bernoulli(floor) share of positions (binomial bounds);
//  - sbmLogit / sbmNearestCentroid against a double dot product and the first maximum, and the CPU's
//    vectorised assignment (attn::kmeansAssignCpu) against sbmLogit bit for bit;
//  - checkSbmSampleRequest refuses malformed requests with the "sbm_request" reason, the byte counts
//    match their closed forms, and without a usable device the run functions say BackendUnavailable.

#include <gtest/gtest.h>

#include <cmath>
#include <algorithm>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "attention/attention_common.h"
#include "attention/sbm_sampler.h"
#include "attnscope_kernels/sbm_params.h"
#include "attnscope_kernels/sbm_sampling.h"
#include "backend/cuda/cuda_device.h"
#include "backend/cuda/cuda_sbm.h"
#include "backend/cuda/device_memory_budget.h"

namespace attnscope {
namespace {

TEST(SbmSampling, CounterBitsIsSplitMix64)
{
    // Published reference outputs of SplitMix64 (Vigna, splitmix64.c) seeded with 0.
    EXPECT_EQ(counterBits(0, 0), 0xE220A8397B1DCDAFull);
    EXPECT_EQ(counterBits(0, 1), 0x6E789E6AA1B965F4ull);
    EXPECT_EQ(counterBits(0, 2), 0x06C45D188009454Full);
    EXPECT_EQ(counterBits(0, 3), 0xF88BB8A8724C81ECull);
    // Any seed: output t of the sequential generator, reached by the counter directly.
    for (const std::uint64_t seed : {1ull, 42ull, 0x123456789ABCDEFull, ~0ull}) {
        attn::Rng rng(seed);
        for (std::uint64_t counter = 0; counter < 1000; ++counter) {
            ASSERT_EQ(counterBits(seed, counter), rng.next()) << seed << " " << counter;
        }
    }
}

TEST(SbmSampling, UniformsStayInTheirIntervals)
{
    EXPECT_EQ(unitFromBits(0), 0.0);
    EXPECT_LT(unitFromBits(~0ull), 1.0);
    EXPECT_GT(openUnitFromBits(0), 0.0);
    EXPECT_EQ(openUnitFromBits(~0ull), 1.0);
    // Row and index land in different counters: row r's uniform t is output r·2^32 + t.
    EXPECT_EQ(sbmRowUniform(9, 3, 5), unitFromBits(counterBits(9, (3ull << 32) + 5)));
}

TEST(SbmSampling, PortableLogIsWithinAFewUlp)
{
    std::mt19937_64 engine(5);
    std::vector<double> values = {1.0, 0.5, 0.25, 0.70710678118654752, 0.7071067811865475, 0.99999999999, 1e-300,
                                  std::numeric_limits<double>::denorm_min(), 1.0 / 9007199254740992.0};
    for (int index = 0; index < 200000; ++index) {
        values.push_back(openUnitFromBits(engine()));
    }
    for (int index = 0; index < 2000; ++index) {
        values.push_back(std::ldexp(openUnitFromBits(engine()), -static_cast<int>(engine() % 1000)));
    }
    for (const double u : values) {
        const long double exact = std::log(static_cast<long double>(u));
        const double got = portableLog(u);
        const double ulp = std::nextafter(std::fabs(static_cast<double>(exact)), 1e308) -
                           std::fabs(static_cast<double>(exact));
        if (u == 1.0) {
            EXPECT_EQ(got, 0.0);
            continue;
        }
        ASSERT_LE(std::fabs(static_cast<long double>(got) - exact), 4.0L * ulp) << u;
    }
}

TEST(SbmSampling, AliasDrawMatchesTheTableProbabilities)
{
    // Vose's table of weights 0.1, 0.2, 0.3, 0.4: scaled 0.4 0.8 1.2 1.6; column 0 lends to 3, 1 to 2.
    const double keep[] = {0.4, 0.8, 1.0, 1.0};
    const int alias[] = {3, 2, 2, 3};
    const double expected[] = {0.1, 0.2, 0.3, 0.4};
    constexpr int kGrid = 1 << 20;
    std::vector<int> counts(4, 0);
    for (int step = 0; step < kGrid; ++step) {
        const double uniform = (step + 0.5) / kGrid;
        const int drawn = aliasDraw(keep, alias, 4, uniform);
        ASSERT_GE(drawn, 0);
        ASSERT_LT(drawn, 4);
        ++counts[static_cast<std::size_t>(drawn)];
    }
    for (int column = 0; column < 4; ++column) {
        EXPECT_NEAR(static_cast<double>(counts[static_cast<std::size_t>(column)]) / kGrid, expected[column], 4.0 / kGrid)
            << column;
    }
    // The largest uniform below 1 stays in the last column.
    EXPECT_EQ(aliasDraw(keep, alias, 4, std::nextafter(1.0, 0.0)), 3);
    // One column: always it.
    const double one[] = {1.0};
    const int self[] = {0};
    EXPECT_EQ(aliasDraw(one, self, 1, 0.999), 0);
}

// The definition: the first key j of [first, last] with prefix[j + 1] > target, else last.
int keyByScan(const double* prefix, int first, int last, double target)
{
    for (int key = first; key <= last; ++key) {
        if (prefix[key + 1] > target) {
            return key;
        }
    }
    return last;
}

TEST(SbmSampling, KeySearchEqualsTheGuideTableSampler)
{
    std::mt19937_64 engine(17);
    for (const int keys : {1, 2, 7, 64, 300}) {
        constexpr int kClusters = 3;
        std::vector<float> members(static_cast<std::size_t>(keys) * kClusters);
        for (std::size_t index = 0; index < members.size(); ++index) {
            const double u = unitFromBits(engine());
            // A third of the memberships zero, some tiny, the rest ordinary.
            members[index] = u < 0.33 ? 0.0f : u < 0.4 ? 1e-30f : static_cast<float>(u);
        }
        const attn::KeyColumnSampler sampler(members.data(), keys, kClusters);
        for (int cluster = 0; cluster < kClusters; ++cluster) {
            const double* prefix = sampler.column(cluster);
            ASSERT_EQ(prefix, sampler.prefixSums().data() + static_cast<std::size_t>(cluster) * (keys + 1));
            for (int trial = 0; trial < 400; ++trial) {
                int first = static_cast<int>(engine() % keys);
                int last = static_cast<int>(engine() % keys);
                if (first > last) {
                    std::swap(first, last);
                }
                const attn::KeyRange range{first, last};
                const double u = unitFromBits(engine());
                // Ordinary targets, the range's start, a prefix value exactly, the end and past it
                // (a rounded-up target; the keys after the range may have zero membership).
                const double targets[] = {sbmDrawTarget(prefix, first, last, u), prefix[first],
                                          prefix[first + static_cast<int>(engine() % (last - first + 1))],
                                          prefix[last + 1], std::nextafter(prefix[last + 1], 1e300)};
                for (const double target : targets) {
                    const int expected = keyByScan(prefix, first, last, target);
                    ASSERT_EQ(sbmKeyAt(prefix, first, last, target), expected) << keys << " " << target;
                    ASSERT_EQ(sampler.keyAt(cluster, range, target), expected) << keys << " " << target;
                }
                const double target = sbmDrawTarget(prefix, first, last, u);
                EXPECT_GE(target, prefix[first]);
                EXPECT_LE(target, prefix[last + 1]);
                if (sampler.rangeMass(cluster, range) > 0.0 && target < prefix[last + 1]) {
                    const int key = sbmKeyAt(prefix, first, last, target);
                    EXPECT_GT(prefix[key + 1], prefix[key]) << "a key of zero membership was drawn";
                }
            }
        }
    }
}

TEST(SbmSampling, FloorGapsKeepABernoulliShare)
{
    for (const double floor : {0.01, 0.2, 0.75}) {
        const double logSkip = std::log1p(-floor);
        constexpr int kLength = 5000;
        constexpr int kRows = 40;
        double kept = 0.0;
        std::vector<double> perPosition(10, 0.0);
        for (int row = 0; row < kRows; ++row) {
            double position = -1.0;
            double previous = -1.0;
            for (std::uint64_t step = 0;; ++step) {
                position = sbmFloorNext(position, 0xF100 + static_cast<std::uint64_t>(floor * 1000), row, step, logSkip);
                ASSERT_GT(position, previous);
                previous = position;
                if (position >= kLength) {
                    break;
                }
                kept += 1.0;
                perPosition[static_cast<std::size_t>(position) % perPosition.size()] += 1.0;
            }
        }
        const double trials = static_cast<double>(kLength) * kRows;
        const double sd = std::sqrt(trials * floor * (1.0 - floor));
        EXPECT_NEAR(kept, trials * floor, 5.0 * sd) << floor;
        // Uniform over positions too (each residue class mod 10 gets a tenth).
        for (const double count : perPosition) {
            EXPECT_NEAR(count, trials * floor / 10.0, 5.0 * sd / std::sqrt(10.0)) << floor;
        }
    }
}

TEST(SbmSampling, LogitsAndNearestCentroid)
{
    std::mt19937_64 engine(3);
    for (const int dim : {1, 5, 64}) {
        std::vector<float> point(static_cast<std::size_t>(dim));
        std::vector<float> centroid(static_cast<std::size_t>(dim));
        for (int trial = 0; trial < 50; ++trial) {
            double exact = 0.0;
            double magnitude = 0.0;
            for (int index = 0; index < dim; ++index) {
                point[static_cast<std::size_t>(index)] = static_cast<float>(unitFromBits(engine()) - 0.5);
                centroid[static_cast<std::size_t>(index)] = static_cast<float>(unitFromBits(engine()) - 0.5);
                exact += static_cast<double>(point[static_cast<std::size_t>(index)]) * centroid[static_cast<std::size_t>(index)];
                magnitude += std::fabs(static_cast<double>(point[static_cast<std::size_t>(index)]) *
                                       centroid[static_cast<std::size_t>(index)]);
            }
            EXPECT_NEAR(sbmLogit(point.data(), centroid.data(), dim), exact, 1e-6 * magnitude + 1e-12);
        }
    }
    const float logits[] = {0.5f, 2.0f, -1.0f, 2.0f, 1.5f};
    EXPECT_EQ(sbmNearestCentroid(logits, 5), 1); // ties to the first maximum
    EXPECT_EQ(sbmNearestCentroid(logits, 1), 0);
    const float rising[] = {-3.0f, -2.0f, -1.0f};
    EXPECT_EQ(sbmNearestCentroid(rising, 3), 2);
}

TEST(SbmSampling, CpuAssignmentIsSbmLogitBitForBit)
{
    std::mt19937_64 engine(23);
    for (const int dim : {1, 7, 64}) {
        for (const int clusters : {1, 5, 16, 17, 40}) {
            for (const int count : {1, 3, 4, 257, 1030}) {
                std::vector<float> points(static_cast<std::size_t>(count) * dim);
                std::vector<float> centroids(static_cast<std::size_t>(clusters) * dim);
                for (float& value : points) {
                    value = static_cast<float>(unitFromBits(engine()) - 0.5);
                }
                for (float& value : centroids) {
                    value = static_cast<float>(unitFromBits(engine()) - 0.5);
                }
                // A duplicated centroid: exact ties, resolved to the first.
                if (clusters > 2) {
                    std::copy(centroids.begin(), centroids.begin() + dim, centroids.begin() + 2 * dim);
                }
                std::vector<float> logits(static_cast<std::size_t>(count) * clusters, -1.0f);
                std::vector<int> hard(static_cast<std::size_t>(count), -1);
                attn::kmeansAssignCpu(points.data(), count, dim, centroids.data(), clusters, logits.data(), hard.data(),
                                      count % 2 + 1);
                for (int point = 0; point < count; ++point) {
                    const float* p = points.data() + static_cast<std::size_t>(point) * dim;
                    for (int cluster = 0; cluster < clusters; ++cluster) {
                        ASSERT_EQ(logits[static_cast<std::size_t>(point) * clusters + cluster],
                                  sbmLogit(p, centroids.data() + static_cast<std::size_t>(cluster) * dim, dim))
                            << dim << " " << clusters << " " << count << " " << point << " " << cluster;
                    }
                    const int nearest = sbmNearestCentroid(logits.data() + static_cast<std::size_t>(point) * clusters, clusters);
                    ASSERT_EQ(hard[static_cast<std::size_t>(point)], nearest);
                    if (clusters > 2) {
                        ASSERT_NE(nearest, 2) << "a tie with centroid 0 must go to 0";
                    }
                }
            }
        }
    }
}

struct RequestData {
    std::vector<double> prefix;
    std::vector<double> keep;
    std::vector<std::int32_t> alias;
    std::vector<std::int32_t> draws;

    SbmSampleRequest request(int n, int k)
    {
        prefix.assign(static_cast<std::size_t>(k) * (n + 1), 0.0);
        keep.assign(static_cast<std::size_t>(n) * k, 1.0);
        alias.assign(static_cast<std::size_t>(n) * k, 0);
        draws.assign(static_cast<std::size_t>(n), 1);
        SbmSampleRequest r;
        r.nTokens = n;
        r.clusters = k;
        r.prefix = prefix;
        r.aliasKeep = keep;
        r.aliasIndex = alias;
        r.drawCounts = draws;
        r.floor = 0.01;
        r.logSkip = std::log1p(-0.01);
        return r;
    }
};

void expectBadRequest(const SbmSampleRequest& request, const char* why)
{
    const Result<void> checked = checkSbmSampleRequest(request, "layer 0, head 0");
    ASSERT_FALSE(checked.ok()) << why;
    EXPECT_EQ(checked.error().code, ErrorCode::InvalidArgument) << why;
    EXPECT_EQ(checked.error().reason, "sbm_request") << why;
}

TEST(SbmCudaHost, RequestChecks)
{
    RequestData data;
    EXPECT_TRUE(checkSbmSampleRequest(data.request(10, 3), "").ok());
    EXPECT_TRUE(checkSbmSampleRequest(data.request(0, 1), "").ok());
    {
        SbmSampleRequest r = data.request(10, 3);
        r.prefix = r.prefix.subspan(1);
        expectBadRequest(r, "short prefix");
    }
    {
        SbmSampleRequest r = data.request(10, 0);
        expectBadRequest(r, "no clusters");
    }
    {
        SbmSampleRequest r = data.request(10, 3);
        data.draws[4] = -1;
        expectBadRequest(r, "negative draws");
    }
    {
        SbmSampleRequest r = data.request(10, 3);
        data.alias[7] = 3;
        expectBadRequest(r, "alias out of range");
    }
    {
        SbmSampleRequest r = data.request(10, 3);
        r.floor = 1.5;
        expectBadRequest(r, "floor above 1");
    }
    {
        SbmSampleRequest r = data.request(10, 3);
        r.logSkip = 0.0;
        expectBadRequest(r, "logSkip not negative");
    }
    {
        // Rows longer than the kernel's shared-memory bitset: Unsupported, with its reason.
        const int n = static_cast<int>(kSbmMaxSharedBytes * 8) + 1;
        SbmSampleRequest r = data.request(n, 1);
        const Result<void> checked = checkSbmSampleRequest(r, "");
        ASSERT_FALSE(checked.ok());
        EXPECT_EQ(checked.error().code, ErrorCode::Unsupported);
        EXPECT_EQ(checked.error().reason, "sbm_row_length");
        EXPECT_TRUE(checkSbmSampleRequest(data.request(n - 1, 1), "").ok());
    }
}

TEST(SbmCudaHost, ByteCountsAreTheClosedForms)
{
    // 4 · (count·dim + clusters·dim + count·clusters + count)
    EXPECT_EQ(sbmAssignDeviceBytes(1000, 64, 16), 4ull * (1000 * 64 + 16 * 64 + 1000 * 16 + 1000));
    EXPECT_EQ(sbmAssignDeviceBytes(0, 64, 16), 4ull * 16 * 64);
    // 8 · (k·(N + 1) + N·k) + 4 · (N·k + 3·N + 1 + entries)
    EXPECT_EQ(sbmSampleDeviceBytes(4096, 16, 123456),
              8ull * (16 * 4097 + 4096 * 16) + 4ull * (4096 * 16 + 3 * 4096 + 1 + 123456));
    EXPECT_EQ(sbmSampleDeviceBytes(-5, 16, 0), 8ull * 16 + 4ull);
    // Saturates instead of wrapping.
    EXPECT_EQ(sbmSampleDeviceBytes(1 << 30, 1 << 30, ~0ull), ~0ull);
}

TEST(SbmCudaHost, WithoutADeviceTheRunsSayUnavailable)
{
    if (cudaBackendUsable()) {
        GTEST_SKIP() << "a CUDA device is usable here; tst_backend_cuda_sbm covers the runs";
    }
    RequestData data;
    std::vector<std::int64_t> rowPtr;
    std::vector<std::int32_t> cols;
    const Result<void> sampled = runSbmSampleCuda(data.request(10, 3), rowPtr, cols, "layer 0");
    ASSERT_FALSE(sampled.ok());
    EXPECT_EQ(sampled.error().code, ErrorCode::BackendUnavailable);
    std::vector<float> points(8, 0.5f);
    std::vector<float> centroids(4, 1.0f);
    std::vector<float> logits;
    std::vector<std::int32_t> assignment;
    const Result<void> assigned = runSbmAssignCuda(points, 2, 4, centroids, 1, logits, assignment, "layer 0");
    ASSERT_FALSE(assigned.ok());
    EXPECT_EQ(assigned.error().code, ErrorCode::BackendUnavailable);
}

} // namespace
} // namespace attnscope

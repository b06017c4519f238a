// The sbm variant on the GPU (issue #7) against the CPU:
//  - runSbmAssignCuda: the logits are sbmLogit's bits (the CPU's order), the assignment the first
//    maximum of them; against a float64 reference the assignment agrees wherever the best two
//    float64 logits are more than 1e-5 apart;
//  - runSbmSampleCuda on hand-made requests: the CSR equals a CPU emulation of the same draws
//    (sbm_sampling.h's steps, a std::set per row) for floors 0, 0.05 and 1, causal, bidirectional and
//    sliding-window rows, rows with no draws and clusters with zero mass; per-row counts and
//    ascending keys checked independently;
//  - runLayerVariant("sbm:...") Auto vs Cpu: the same kept sets (the mask of a seed is the same on
//    either backend), selectionBackend "cuda", output within NMSE 1e-7; per-pair mode (density close
//    to 1) stays on the CPU ("cpu");
//  - a device-memory limit too small for the call falls back to the CPU with the reason, same bits.
// Own main(): exits 77 when no CUDA device is usable.

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "attention/attention_common.h"
#include "attention/variant_runner.h"
#include "attnscope/variant_spec.h"
#include "attnscope_kernels/mask_predicates.h"
#include "attnscope_kernels/sbm_sampling.h"
#include "backend/cuda/cuda_sbm.h"
#include "backend/cuda/device_memory_budget.h"
#include "model/layer_qkv.h"
#include "test_support/gpu_reference.h"
#include "test_support/gpu_test_main.h"
#include "test_support/variant_runs.h"

namespace attnscope {
namespace {

constexpr double kNmseF32 = 1e-7;

TEST(CudaSbm, AssignmentMatchesCpu)
{
    std::mt19937 engine(7);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    for (const int dim : {8, 33, 64, 128}) {
        for (const int clusters : {1, 5, 16}) {
            SCOPED_TRACE("dim " + std::to_string(dim) + " clusters " + std::to_string(clusters));
            const int count = 1537;
            std::vector<float> points(static_cast<std::size_t>(count) * dim);
            std::vector<float> centroids(static_cast<std::size_t>(clusters) * dim);
            for (float& value : points) {
                value = normal(engine);
            }
            for (float& value : centroids) {
                value = normal(engine);
            }
            std::vector<float> logits;
            std::vector<std::int32_t> assignment;
            const Result<void> run = runSbmAssignCuda(points, count, dim, centroids, clusters, logits, assignment, "test");
            ASSERT_TRUE(run.ok()) << run.error().describe();
            ASSERT_EQ(logits.size(), static_cast<std::size_t>(count) * clusters);
            ASSERT_EQ(assignment.size(), static_cast<std::size_t>(count));
            int compared = 0;
            for (int point = 0; point < count; ++point) {
                const float* p = points.data() + static_cast<std::size_t>(point) * dim;
                double best = -INFINITY;
                double second = -INFINITY;
                int bestCluster = 0;
                for (int cluster = 0; cluster < clusters; ++cluster) {
                    const float* c = centroids.data() + static_cast<std::size_t>(cluster) * dim;
                    ASSERT_EQ(logits[static_cast<std::size_t>(point) * clusters + cluster], sbmLogit(p, c, dim));
                    double exact = 0.0;
                    for (int index = 0; index < dim; ++index) {
                        exact += static_cast<double>(p[index]) * c[index];
                    }
                    if (exact > best) {
                        second = best;
                        best = exact;
                        bestCluster = cluster;
                    } else if (exact > second) {
                        second = exact;
                    }
                }
                ASSERT_EQ(assignment[static_cast<std::size_t>(point)],
                          sbmNearestCentroid(logits.data() + static_cast<std::size_t>(point) * clusters, clusters));
                if (best - second > 1e-5) {
                    EXPECT_EQ(assignment[static_cast<std::size_t>(point)], bestCluster) << "point " << point;
                    ++compared;
                }
            }
            EXPECT_GT(compared, count * 9 / 10);
        }
    }
}

struct Request {
    int nTokens = 0;
    int clusters = 0;
    bool causal = true;
    int slidingWindow = 0;
    double floor = 0.0;
    std::vector<double> prefix;
    std::vector<double> keep;
    std::vector<std::int32_t> alias;
    std::vector<std::int32_t> draws;

    SbmSampleRequest view() const
    {
        SbmSampleRequest r;
        r.nTokens = nTokens;
        r.clusters = clusters;
        r.causal = causal;
        r.slidingWindow = slidingWindow;
        r.prefix = prefix;
        r.aliasKeep = keep;
        r.aliasIndex = alias;
        r.drawCounts = draws;
        r.clusterKey = 0xC1;
        r.targetKey = 0x7A;
        r.floorKey = 0xF1;
        r.floor = floor;
        r.logSkip = floor > 0.0 && floor < 1.0 ? std::log1p(-floor) : 0.0;
        return r;
    }
};

// Random memberships (some zero, one cluster all zero), random alias tables (valid: keep in [0, 1],
// alias in range), draw counts 0 .. 3·row length.
Request makeRequest(int n, int k, bool causal, int window, double floor, std::uint32_t seed)
{
    std::mt19937 engine(seed);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    Request r;
    r.nTokens = n;
    r.clusters = k;
    r.causal = causal;
    r.slidingWindow = window;
    r.floor = floor;
    r.prefix.assign(static_cast<std::size_t>(k) * (n + 1), 0.0);
    for (int cluster = 0; cluster < k; ++cluster) {
        double* column = r.prefix.data() + static_cast<std::size_t>(cluster) * (n + 1);
        for (int key = 0; key < n; ++key) {
            const double u = unit(engine);
            const double member = cluster == k - 1 && k > 1 ? 0.0 : u < 0.3 ? 0.0 : u;
            column[key + 1] = column[key] + member;
        }
    }
    r.keep.resize(static_cast<std::size_t>(n) * k);
    r.alias.resize(r.keep.size());
    r.draws.resize(static_cast<std::size_t>(n));
    for (int row = 0; row < n; ++row) {
        int first = 0;
        int last = -1;
        modelAllowedRange(row, n, causal, window, &first, &last);
        r.draws[static_cast<std::size_t>(row)] = row % 7 == 3 ? 0 : static_cast<std::int32_t>(engine() % (3 * (last - first + 1) + 1));
        for (int cluster = 0; cluster < k; ++cluster) {
            const std::size_t cell = static_cast<std::size_t>(row) * k + cluster;
            // The all-zero cluster is never chosen: keep 0 and an alias elsewhere.
            r.keep[cell] = cluster == k - 1 && k > 1 ? 0.0 : unit(engine);
            r.alias[cell] = k > 1 ? static_cast<std::int32_t>(engine() % (k - 1)) : 0;
        }
    }
    return r;
}

// The kernel's draws emulated with the shared steps on the CPU, collected in a set per row.
std::vector<std::set<int>> emulate(const Request& r)
{
    const SbmSampleRequest view = r.view();
    std::vector<std::set<int>> rows(static_cast<std::size_t>(r.nTokens));
    for (int row = 0; row < r.nTokens; ++row) {
        int first = 0;
        int last = -1;
        modelAllowedRange(row, r.nTokens, r.causal, r.slidingWindow, &first, &last);
        if (last < first) {
            continue;
        }
        std::set<int>& kept = rows[static_cast<std::size_t>(row)];
        const std::size_t base = static_cast<std::size_t>(row) * r.clusters;
        for (int draw = 0; draw < r.draws[static_cast<std::size_t>(row)]; ++draw) {
            const int cluster = aliasDraw(r.keep.data() + base, r.alias.data() + base, r.clusters,
                                          sbmRowUniform(view.clusterKey, row, static_cast<std::uint64_t>(draw)));
            const double* column = r.prefix.data() + static_cast<std::size_t>(cluster) * (r.nTokens + 1);
            const double target =
                sbmDrawTarget(column, first, last, sbmRowUniform(view.targetKey, row, static_cast<std::uint64_t>(draw)));
            kept.insert(sbmKeyAt(column, first, last, target));
        }
        if (r.floor >= 1.0) {
            for (int key = first; key <= last; ++key) {
                kept.insert(key);
            }
        } else if (r.floor > 0.0) {
            double position = -1.0;
            for (std::uint64_t step = 0;; ++step) {
                position = sbmFloorNext(position, view.floorKey, row, step, view.logSkip);
                if (position >= last - first + 1) {
                    break;
                }
                kept.insert(first + static_cast<int>(position));
            }
        }
    }
    return rows;
}

TEST(CudaSbm, SamplingMatchesTheSharedSteps)
{
    struct Shape {
        int n;
        int k;
        bool causal;
        int window;
    };
    const Shape shapes[] = {{1, 1, true, 0}, {70, 1, true, 0}, {300, 4, true, 0}, {513, 3, false, 0},
                            {400, 5, false, 33}, {257, 2, true, 64}, {2100, 6, true, 0}};
    std::uint32_t seed = 11;
    for (const Shape& shape : shapes) {
        for (const double floor : {0.0, 0.05, 1.0}) {
            SCOPED_TRACE("N " + std::to_string(shape.n) + " k " + std::to_string(shape.k) + " causal " +
                         std::to_string(shape.causal) + " window " + std::to_string(shape.window) + " floor " +
                         std::to_string(floor));
            const Request request = makeRequest(shape.n, shape.k, shape.causal, shape.window, floor, ++seed);
            std::vector<std::int64_t> rowPtr;
            std::vector<std::int32_t> cols;
            const Result<void> run = runSbmSampleCuda(request.view(), rowPtr, cols, "test");
            ASSERT_TRUE(run.ok()) << run.error().describe();
            const std::vector<std::set<int>> expected = emulate(request);
            ASSERT_EQ(rowPtr.size(), static_cast<std::size_t>(shape.n) + 1);
            ASSERT_EQ(rowPtr.front(), 0);
            ASSERT_EQ(static_cast<std::size_t>(rowPtr.back()), cols.size());
            for (int row = 0; row < shape.n; ++row) {
                const std::vector<int> want(expected[static_cast<std::size_t>(row)].begin(),
                                            expected[static_cast<std::size_t>(row)].end());
                const std::vector<int> got(cols.begin() + rowPtr[static_cast<std::size_t>(row)],
                                           cols.begin() + rowPtr[static_cast<std::size_t>(row) + 1]);
                ASSERT_EQ(got, want) << "row " << row;
            }
        }
    }
}

LayerVariantResult runVariant(const LayerQkv& layer, const std::string& text, VariantBackend backend)
{
    VariantRunOptions options;
    options.backend = backend;
    return runVariantText(layer, text, options);
}

TEST(CudaSbm, VariantMaskIsTheCpuMask)
{
    struct Case {
        int n;
        int d;
        bool causal;
        int window;
    };
    const Case cases[] = {{700, 64, true, 0}, {513, 40, false, 100}, {3000, 32, true, 0}};
    std::uint32_t seed = 500;
    for (const Case& c : cases) {
        LayerQkv layer = randomLayer(2, 1, c.n, c.d, ++seed);
        layer.causal = c.causal;
        layer.slidingWindow = c.window;
        for (const std::string text : {"sbm:clusters=8,density=0.1,seed=3", "sbm:clusters=16,density=0.05,floor=0,seed=4",
                                       "sbm:clusters=4,density=0.3,floor=0.1,seed=5"}) {
            SCOPED_TRACE("N " + std::to_string(c.n) + " " + text);
            const LayerVariantResult cpu = runVariant(layer, text, VariantBackend::Cpu);
            const LayerVariantResult gpu = runVariant(layer, text, VariantBackend::Auto);
            ASSERT_EQ(cpu.heads.size(), gpu.heads.size());
            ASSERT_FALSE(cpu.heads.empty());
            for (std::size_t index = 0; index < cpu.heads.size(); ++index) {
                const HeadVariantResult& a = gpu.heads[index];
                const HeadVariantResult& b = cpu.heads[index];
                EXPECT_EQ(a.stats.selectionBackend, "cuda") << a.stats.backendFallbackReason;
                EXPECT_EQ(b.stats.selectionBackend, "cpu");
                EXPECT_EQ(a.queryMemberships, b.queryMemberships);
                EXPECT_EQ(a.blockMatrix, b.blockMatrix);
                EXPECT_EQ(a.attention.rowPtr, b.attention.rowPtr);
                EXPECT_EQ(a.attention.cols, b.attention.cols);
                EXPECT_EQ(a.stats.keptPairs, b.stats.keptPairs);
                ASSERT_EQ(a.output.size(), b.output.size());
                EXPECT_LE(nmse(a.output, b.output), kNmseF32);
            }
        }
    }
}

TEST(CudaSbm, PerPairModeStaysOnCpu)
{
    LayerQkv layer = randomLayer(1, 1, 300, 32, 77);
    const LayerVariantResult gpu = runVariant(layer, "sbm:clusters=4,density=0.9,seed=2", VariantBackend::Auto);
    const LayerVariantResult cpu = runVariant(layer, "sbm:clusters=4,density=0.9,seed=2", VariantBackend::Cpu);
    ASSERT_EQ(gpu.heads.size(), 1u);
    EXPECT_EQ(gpu.heads[0].stats.selectionBackend, "cpu");
    EXPECT_EQ(gpu.heads[0].attention.cols, cpu.heads[0].attention.cols);
}

TEST(CudaSbm, MemoryRefusalFallsBackToCpu)
{
    LayerQkv layer = randomLayer(2, 1, 400, 64, 401);
    const std::string text = "sbm:clusters=8,density=0.1,seed=9";
    const LayerVariantResult cpu = runVariant(layer, text, VariantBackend::Cpu);
    setDeviceMemoryLimit(std::uint64_t{1024});
    const LayerVariantResult limited = runVariant(layer, text, VariantBackend::Auto);
    setDeviceMemoryLimit(std::nullopt);
    ASSERT_EQ(limited.heads.size(), cpu.heads.size());
    for (std::size_t index = 0; index < cpu.heads.size(); ++index) {
        const VariantStats& stats = limited.heads[index].stats;
        EXPECT_EQ(stats.selectionBackend, "cpu");
        EXPECT_NE(stats.backendFallbackReason.find("GPU memory"), std::string::npos) << stats.backendFallbackReason;
        EXPECT_EQ(limited.heads[index].attention.cols, cpu.heads[index].attention.cols);
        EXPECT_EQ(limited.heads[index].output, cpu.heads[index].output);
    }
}

} // namespace
} // namespace attnscope

int main(int argc, char** argv)
{
    return attnscope::runGpuTestsOrSkip(argc, argv);
}

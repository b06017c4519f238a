// The GPU mask construction of the score-selecting variants (issue #7; kernels/src/selection.cu)
// against each variant's own CPU kept set (the same spec run with VariantBackend::Cpu):
//  - threshold:by=delta scores in the CPU's summation order, so its kept set must equal the CPU's
//    key for key (random inputs, head dims 6/20/64/128/256, causal, bidirectional and sliding-window
//    rows, GQA, rows longer than kTopkSharedKeys, the demo model's captured Q/K); with a softcap
//    (device tanhf) only keys within 1e-5 of max - delta may differ;
//  - threshold:by=prob, dsa and sac compute their probabilities / predicted scores / proxy keys with
//    the device's exp and summation order, so their sets are compared with DESIGN.md §7.9's tie rule:
//    every key kept by one side only must lie within a rounding bound of the row's (dsa,
//    threshold:by=prob) or the global (sac) cut, measured on a float64 reference of the same
//    quantity built here from the variant's own projection (attn::lowRankProjection), and nearly
//    all rows must agree exactly;
//  - dsa per row (top-k and threshold) and per query block (block > 1), sac with and without the
//    distance prior, Gumbel noise and self-loops;
//  - a device-memory limit too small for the call falls back to the CPU with the reason and the
//    CPU's bits.
// Own main(): exits 77 when no CUDA device is usable.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "attention/attention_common.h"
#include "attention/variant_runner.h"
#include "attention/variants.h"
#include "attnscope/variant_spec.h"
#include "attnscope/workspace.h"
#include "attnscope_kernels/attn_heuristics.h"
#include "attnscope_kernels/selection_math.h"
#include "backend/cuda/cuda_selection.h"
#include "backend/cuda/device_memory_budget.h"
#include "model/forward_cpu.h"
#include "model/layer_qkv.h"
#include "model/model.h"
#include "test_support/gpu_reference.h"
#include "test_support/gpu_test_main.h"
#include "test_support/variant_runs.h"

namespace attnscope {
namespace {

struct Case {
    int nTokens = 200;
    int headDim = 64;
    bool causal = true;
    int slidingWindow = 0;
    int nHeads = 4;
    int nKvHeads = 2;
    std::uint32_t seed = 1;

    std::string name() const
    {
        std::ostringstream text;
        text << "N" << nTokens << " d" << headDim << (causal ? " causal" : " bidir") << " win" << slidingWindow
             << " heads" << nHeads << "/" << nKvHeads << " seed" << seed;
        return text.str();
    }
};

LayerQkv makeLayer(const Case& c)
{
    LayerQkv layer = randomLayer(c.nHeads, c.nKvHeads, c.nTokens, c.headDim, c.seed);
    layer.causal = c.causal;
    layer.slidingWindow = c.slidingWindow;
    return layer;
}

std::vector<Case> randomCases()
{
    std::vector<Case> cases;
    std::uint32_t seed = 100;
    for (int headDim : {6, 20, 64, 128}) {
        for (bool causal : {true, false}) {
            cases.push_back({231, headDim, causal, 0, 4, 2, seed++});
        }
    }
    cases.push_back({150, 256, true, 0, 2, 1, seed++});  // the largest head-dim bucket
    cases.push_back({300, 64, false, 41, 2, 1, seed++});
    cases.push_back({300, 40, true, 41, 2, 2, seed++});
    return cases;
}

LayerVariantResult runVariant(const LayerQkv& layer, const std::string& text, VariantBackend backend)
{
    VariantRunOptions options;
    options.backend = backend;
    options.keepAttention = true;
    options.maxMaterialisedTokens = 0;  // no predicted-score matrix kept: dsa may select on the GPU
    return runVariantText(layer, text, options);
}

std::vector<std::int32_t> rowOf(const HeadVariantResult& head, int row)
{
    const auto& csr = head.attention;
    return {csr.cols.begin() + csr.rowPtr[static_cast<std::size_t>(row)],
            csr.cols.begin() + csr.rowPtr[static_cast<std::size_t>(row) + 1]};
}

/// Runs `text` on both backends; for every head, checks the GPU ran the selection and the
/// attention, then calls onRow(head, row, gpuKeys, cpuKeys) for every row whose sets differ and
/// returns the number of such rows over all heads (out of heads·N).
int compareWithCpu(const LayerQkv& layer, const std::string& text,
                   const std::function<void(int, int, const std::vector<std::int32_t>&,
                                            const std::vector<std::int32_t>&)>& onRow)
{
    const LayerVariantResult cpu = runVariant(layer, text, VariantBackend::Cpu);
    const LayerVariantResult gpu = runVariant(layer, text, VariantBackend::Auto);
    EXPECT_EQ(cpu.heads.size(), static_cast<std::size_t>(layer.nHeads));
    EXPECT_EQ(gpu.heads.size(), cpu.heads.size());
    int differing = 0;
    for (std::size_t head = 0; head < std::min(cpu.heads.size(), gpu.heads.size()); ++head) {
        const HeadVariantResult& a = gpu.heads[head];
        const HeadVariantResult& b = cpu.heads[head];
        EXPECT_EQ(a.stats.selectionBackend, "cuda") << a.stats.backendFallbackReason;
        EXPECT_EQ(a.stats.attentionBackend, "cuda") << a.stats.backendFallbackReason;
        EXPECT_EQ(b.stats.selectionBackend, "cpu");
        EXPECT_GT(b.stats.keptPairs, 0) << "the CPU set is empty: the case tests nothing";
        EXPECT_EQ(a.attention.rowPtr.size(), b.attention.rowPtr.size());
        if (a.attention.rowPtr.size() != b.attention.rowPtr.size()) {
            continue;
        }
        for (int row = 0; row < layer.nTokens; ++row) {
            const std::vector<std::int32_t> gpuKeys = rowOf(a, row);
            const std::vector<std::int32_t> cpuKeys = rowOf(b, row);
            EXPECT_TRUE(std::is_sorted(gpuKeys.begin(), gpuKeys.end())) << "row " << row;
            if (gpuKeys != cpuKeys) {
                ++differing;
                onRow(static_cast<int>(head), row, gpuKeys, cpuKeys);
            }
        }
    }
    return differing;
}

std::vector<std::int32_t> symmetricDifference(const std::vector<std::int32_t>& a, const std::vector<std::int32_t>& b)
{
    std::vector<std::int32_t> difference;
    std::set_symmetric_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(difference));
    return difference;
}

// ---------------------------------------------------------------- threshold

TEST(CudaSelection, ThresholdByScoreEqualsCpuKeyForKey)
{
    for (const Case& c : randomCases()) {
        const LayerQkv layer = makeLayer(c);
        for (const std::string text : {"threshold:delta=1", "threshold:delta=3"}) {
            SCOPED_TRACE(c.name() + " " + text);
            const int differing = compareWithCpu(layer, text, [](int head, int row, const auto&, const auto&) {
                ADD_FAILURE() << "head " << head << " row " << row << " differs";
            });
            EXPECT_EQ(differing, 0);
        }
    }
}

TEST(CudaSelection, ThresholdWithSoftcapDiffersOnlyAtTheThreshold)
{
    // The GPU's tanhf and the C library's tanh may differ by an ulp: only keys whose score is that
    // close to max - delta may fall the other way.
    Case c{400, 64, true, 0, 2, 1, 55};
    LayerQkv layer = makeLayer(c);
    layer.softcap = 2.0f;
    constexpr double kDelta = 0.5;
    std::vector<float> scores;
    const int differing = compareWithCpu(layer, "threshold:delta=0.5", [&](int head, int row, const auto& gpuKeys,
                                                                         const auto& cpuKeys) {
        const attn::HeadInput input = attn::makeHeadInput(layer, head);
        const attn::KeyRange range = attn::allowedKeys(input, row);
        scores.assign(static_cast<std::size_t>(range.size()), 0.0f);
        attn::scoreRow(input, row, range, scores.data());
        const double cut = *std::max_element(scores.begin(), scores.end()) - kDelta;
        for (std::int32_t key : symmetricDifference(gpuKeys, cpuKeys)) {
            EXPECT_NEAR(scores[static_cast<std::size_t>(key - range.first)], cut, 1e-5)
                << "head " << head << " row " << row << " key " << key;
        }
    });
    EXPECT_LE(differing, 4);
}

TEST(CudaSelection, ThresholdRowsLongerThanSharedMemory)
{
    // Bidirectional rows of kTopkSharedKeys + 300 keys: scores in the global scratch rows.
    const Case c{kTopkSharedKeys + 300, 64, false, 0, 1, 1, 7};
    const LayerQkv layer = makeLayer(c);
    const LayerVariantResult cpu = runVariant(layer, "threshold:delta=2.5", VariantBackend::Cpu);
    ASSERT_EQ(cpu.heads.size(), 1u);
    std::vector<std::int64_t> rowPtr;
    std::vector<std::int32_t> cols;
    const Result<void> run = runThresholdSelectCuda(layer, 0, false, 2.5, 0.0, rowPtr, cols);
    ASSERT_TRUE(run.ok()) << run.error().describe();
    EXPECT_EQ(rowPtr, cpu.heads[0].attention.rowPtr);
    EXPECT_EQ(cols, cpu.heads[0].attention.cols);
    EXPECT_GT(cols.size(), static_cast<std::size_t>(c.nTokens));
}

TEST(CudaSelection, ThresholdByProbabilityDiffersOnlyAtTheThreshold)
{
    constexpr double kMinProbability = 0.02;
    for (const Case& c : randomCases()) {
        const LayerQkv layer = makeLayer(c);
        SCOPED_TRACE(c.name());
        std::vector<float> scratch;
        std::vector<double> probabilities;
        const int differing = compareWithCpu(
            layer, "threshold:by=prob,prob=0.02", [&](int head, int row, const auto& gpuKeys, const auto& cpuKeys) {
                const attn::HeadInput input = attn::makeHeadInput(layer, head);
                const attn::KeyRange range = attn::allowedKeys(input, row);
                attn::denseProbabilityRow(input, row, range, scratch, probabilities);
                for (std::int32_t key : symmetricDifference(gpuKeys, cpuKeys)) {
                    const double p = probabilities[static_cast<std::size_t>(key - range.first)];
                    EXPECT_NEAR(p, kMinProbability, 1e-12) << "head " << head << " row " << row << " key " << key;
                }
            });
        EXPECT_LE(differing, 2);
    }
}

// ---------------------------------------------------------------- dsa

/// float64 predicted scores of one selection row: scale · (Σ of the rows' q~) · k~_j over keys
/// [first, first + count), and the bound on how far either backend's float score can be from it:
/// 4·(rank + rows)·2^-24 · scale · max_j Σ_t |q_t·k_jt| (the dot product's and the pooled sum's
/// rounding, on both sides).
struct ReferenceRow {
    std::vector<double> scores;
    double tolerance = 0.0;
};

ReferenceRow referencePredicted(const attn::LowRankProjection& projection, float scale, int rowBegin, int rowEnd,
                                int first, int count)
{
    const int r = projection.rank;
    std::vector<double> query(static_cast<std::size_t>(r), 0.0);
    for (int row = rowBegin; row < rowEnd; ++row) {
        for (int t = 0; t < r; ++t) {
            query[static_cast<std::size_t>(t)] += projection.query[static_cast<std::size_t>(row) * r + t];
        }
    }
    ReferenceRow reference;
    double magnitude = 0.0;
    for (int key = first; key < first + count; ++key) {
        double dot = 0.0;
        double absolute = 0.0;
        for (int t = 0; t < r; ++t) {
            const double product = query[static_cast<std::size_t>(t)] * projection.key[static_cast<std::size_t>(key) * r + t];
            dot += product;
            absolute += std::abs(product);
        }
        reference.scores.push_back(scale * dot);
        magnitude = std::max(magnitude, scale * absolute);
    }
    reference.tolerance = 4.0 * (r + (rowEnd - rowBegin)) * std::ldexp(1.0, -24) * magnitude;
    return reference;
}

/// The count-th largest value (1-based).
double kthLargest(std::vector<double> values, int count)
{
    std::nth_element(values.begin(), values.begin() + (count - 1), values.end(), std::greater<>());
    return values[static_cast<std::size_t>(count) - 1];
}

struct DsaSpec {
    int k = 0;                 // select=topk when > 0
    double delta = 0.0;        // select=threshold when k == 0
    int block = 1;
    int rank = 16;
    int bits = 8;
    std::uint64_t seed = 9;

    std::string text() const
    {
        std::ostringstream out;
        out << "dsa:rank=" << rank << ",bits=" << bits << ",seed=" << seed << ",block=" << block;
        if (k > 0) {
            out << ",k=" << k;
        } else {
            out << ",select=threshold,delta=" << delta;
        }
        return out.str();
    }
};

void checkDsa(const LayerQkv& layer, const DsaSpec& dsa)
{
    SCOPED_TRACE(dsa.text());
    const int rank = dsa.rank;
    std::vector<attn::LowRankProjection> projections;
    for (int head = 0; head < layer.nHeads; ++head) {
        projections.push_back(attn::lowRankProjection(attn::makeHeadInput(layer, head), rank, dsa.bits, dsa.seed));
    }
    int checkedKeys = 0;
    const int differing = compareWithCpu(layer, dsa.text(), [&](int head, int row, const auto& gpuKeys, const auto& cpuKeys) {
        const attn::HeadInput input = attn::makeHeadInput(layer, head);
        // The selection row: the query row itself, or its query block (the union of its rows' keys).
        const int rowBegin = dsa.block > 1 && dsa.k > 0 ? row / dsa.block * dsa.block : row;
        const int rowEnd = dsa.block > 1 && dsa.k > 0 ? std::min(layer.nTokens, rowBegin + dsa.block) : row + 1;
        const int first = attn::allowedKeys(input, rowBegin).first;
        const int count = attn::allowedKeys(input, rowEnd - 1).last + 1 - first;
        const ReferenceRow reference =
            referencePredicted(projections[static_cast<std::size_t>(head)], layer.scale, rowBegin, rowEnd, first, count);
        double cut = 0.0;
        if (dsa.k > 0) {
            int budget = 0;
            for (int queryPos = rowBegin; queryPos < rowEnd; ++queryPos) {
                budget = std::max(budget, std::min(dsa.k, attn::allowedKeys(input, queryPos).size()));
            }
            ASSERT_LT(budget, count) << "a row keeping every key cannot differ";
            cut = kthLargest(reference.scores, budget);
        } else {
            cut = *std::max_element(reference.scores.begin(), reference.scores.end()) - dsa.delta;
        }
        for (std::int32_t key : symmetricDifference(gpuKeys, cpuKeys)) {
            ++checkedKeys;
            EXPECT_NEAR(reference.scores[static_cast<std::size_t>(key - first)], cut, 2.0 * reference.tolerance)
                << "head " << head << " row " << row << " key " << key;
        }
    });
    // Near-ties at the cut are rare with random inputs: nearly every row must agree exactly.
    EXPECT_LE(differing, std::max(2, layer.nHeads * layer.nTokens / 100)) << checkedKeys << " keys checked";
}

TEST(CudaSelection, DsaMatchesCpuUpToTiesAtTheCut)
{
    for (const Case& c : randomCases()) {
        SCOPED_TRACE(c.name());
        const LayerQkv layer = makeLayer(c);
        const int rank = std::max(1, c.headDim / 4);
        checkDsa(layer, {8, 0.0, 1, rank, 8, 9});
        checkDsa(layer, {32, 0.0, 1, rank, 0, 10});
        checkDsa(layer, {0, 0.5, 1, rank, 8, 11});
        checkDsa(layer, {16, 0.0, 16, rank, 8, 12});
        checkDsa(layer, {16, 0.0, 5, rank, 4, 13});
    }
}

TEST(CudaSelection, DsaRowsLongerThanSharedMemory)
{
    const LayerQkv layer = makeLayer({kTopkSharedKeys + 300, 64, false, 0, 1, 1, 17});
    checkDsa(layer, {64, 0.0, 1, 16, 8, 14});
    checkDsa(layer, {64, 0.0, 32, 16, 8, 15});
}

// ---------------------------------------------------------------- sac

struct SacSpec {
    double alpha = 8.0;
    double beta = 0.0;
    double tau = 0.0;
    bool selfLoop = true;
    int rank = 16;
    std::uint64_t seed = 21;

    std::string text() const
    {
        std::ostringstream out;
        out << "sac:mode=proxy,alpha=" << alpha << ",beta=" << beta << ",tau=" << tau
            << ",selfloop=" << (selfLoop ? "true" : "false") << ",rank=" << rank << ",bits=8,seed=" << seed;
        return out.str();
    }
};

void checkSac(const LayerQkv& layer, const SacSpec& sac)
{
    SCOPED_TRACE(sac.text());
    const double logFloor = std::log(1e-300);
    // The float64 key of every allowed pair of a head, as variant_sac.cpp defines it.
    std::vector<std::vector<std::vector<double>>> keys(static_cast<std::size_t>(layer.nHeads));
    std::vector<double> cuts;
    std::vector<double> tolerances;
    for (int head = 0; head < layer.nHeads; ++head) {
        const attn::HeadInput input = attn::makeHeadInput(layer, head);
        const attn::LowRankProjection projection = attn::lowRankProjection(input, sac.rank, 8, sac.seed);
        const std::uint64_t noiseKey = attn::mixSeed(sac.seed, input.layer, head, 0x5ac);
        std::vector<double> all;
        double scoreTolerance = 0.0;
        for (int row = 0; row < layer.nTokens; ++row) {
            const attn::KeyRange range = attn::allowedKeys(input, row);
            ReferenceRow reference = referencePredicted(projection, layer.scale, row, row + 1, range.first, range.size());
            scoreTolerance = std::max(scoreTolerance, reference.tolerance);
            std::vector<double>& line = reference.scores;
            for (int index = 0; index < range.size(); ++index) {
                line[static_cast<std::size_t>(index)] += sac.beta * -std::log1p(std::abs(row - (range.first + index)));
            }
            const double maxScore = *std::max_element(line.begin(), line.end());
            double total = 0.0;
            for (double value : line) {
                total += std::exp(value - maxScore);
            }
            for (int index = 0; index < range.size(); ++index) {
                double key = std::max(line[static_cast<std::size_t>(index)] - maxScore - std::log(total), logFloor);
                if (sac.tau > 0.0) {
                    const double u = hashUniform01(noiseKey, static_cast<std::uint64_t>(row),
                                                   static_cast<std::uint64_t>(range.first + index));
                    key += sac.tau * -std::log(-std::log(std::max(u, 1e-300)));
                }
                line[static_cast<std::size_t>(index)] = key;
                all.push_back(key);
            }
            keys[static_cast<std::size_t>(head)].push_back(std::move(line));
        }
        const auto budget = static_cast<int>(std::min<double>(std::llround(sac.alpha * layer.nTokens),
                                                              static_cast<double>(all.size())));
        ASSERT_GT(budget, 0);
        ASSERT_LT(budget, static_cast<int>(all.size())) << "a budget of every pair cannot differ";
        cuts.push_back(kthLargest(all, budget));
        // A key is its score minus the row's maximum and log-sum: the predicted scores' rounding
        // bound twice (the key's and the maximum's), plus 1e-4 for the float exp sum over a row
        // (N·2^-24 relative, N <= 300 here) and the float key.
        tolerances.push_back(2.0 * scoreTolerance + 1e-4);
    }
    int differingKeys = 0;
    compareWithCpu(layer, sac.text(), [&](int head, int row, const auto& gpuKeys, const auto& cpuKeys) {
        const attn::KeyRange range = attn::allowedKeys(attn::makeHeadInput(layer, head), row);
        for (std::int32_t key : symmetricDifference(gpuKeys, cpuKeys)) {
            ++differingKeys;
            const double value = keys[static_cast<std::size_t>(head)][static_cast<std::size_t>(row)]
                                     [static_cast<std::size_t>(key - range.first)];
            EXPECT_NEAR(value, cuts[static_cast<std::size_t>(head)], tolerances[static_cast<std::size_t>(head)])
                << "head " << head << " row " << row << " key " << key;
        }
    });
    EXPECT_LE(differingKeys, std::max(4, static_cast<int>(sac.alpha * layer.nTokens * layer.nHeads / 100)));
}

TEST(CudaSelection, SacMatchesCpuUpToTiesAtTheGlobalCut)
{
    for (const Case& c : randomCases()) {
        SCOPED_TRACE(c.name());
        const LayerQkv layer = makeLayer(c);
        const int rank = std::max(1, c.headDim / 4);
        checkSac(layer, {8.0, 0.0, 0.0, true, rank, 21});
        checkSac(layer, {3.0, 1.0, 0.0, false, rank, 22});
        checkSac(layer, {12.0, 0.5, 1.0, true, rank, 23});
    }
}

// ---------------------------------------------------------------- demo model, fallback

TEST(CudaSelection, DemoModelLayerMatchesCpu)
{
    auto model = Model::openHfFolder(findDemoModel());
    ASSERT_TRUE(model.ok()) << model.error().describe();
    const ModelSpec& spec = model.value()->spec();
    std::vector<int> ids;
    for (int position = 0; position < std::min(300, spec.maxPositions); ++position) {
        ids.push_back(3 + (position * 37) % (spec.vocabSize - 3));
    }
    std::vector<LayerCapture> layers;
    ForwardOptions options;
    options.backend = VariantBackend::Cpu;
    options.capture = LayerSelection::allLayers();
    options.onLayer = [&](LayerCapture&& capture) -> Result<void> {
        layers.push_back(std::move(capture));
        return okResult();
    };
    auto forward = model.value()->forward(ids, options);
    ASSERT_TRUE(forward.ok()) << forward.error().describe();
    ASSERT_FALSE(layers.empty());
    for (const LayerCapture& capture : {layers.front(), layers.back()}) {
        const LayerQkv& layer = capture.qkv;
        SCOPED_TRACE("layer " + std::to_string(layer.layer));
        EXPECT_EQ(compareWithCpu(layer, "threshold:delta=2", [](int head, int row, const auto&, const auto&) {
                      ADD_FAILURE() << "head " << head << " row " << row << " differs";
                  }),
                  0);
        const int rank = std::max(1, layer.headDim / 4);
        checkDsa(layer, {16, 0.0, 1, rank, 8, 31});
        checkDsa(layer, {16, 0.0, 16, rank, 8, 32});
        checkSac(layer, {8.0, 0.0, 0.0, true, rank, 33});
    }
}

TEST(CudaSelection, MemoryRefusalFallsBackToCpu)
{
    const LayerQkv layer = makeLayer({300, 64, true, 0, 2, 2, 401});
    VariantRunOptions options;
    options.keepAttention = true;
    options.maxMaterialisedTokens = 0;
    for (const std::string text : {"threshold:delta=2", "dsa:k=16", "dsa:k=16,block=8", "sac:alpha=4"}) {
        SCOPED_TRACE(text);
        const LayerVariantResult cpu = expectMemoryRefusalGivesCpuBits(layer, text, options);
        EXPECT_GT(cpu.heads.empty() ? 0 : cpu.heads[0].stats.keptPairs, 0);
        // Refusals are not sticky: the next run uses the GPU again.
        const LayerVariantResult again = runVariant(layer, text, VariantBackend::Auto);
        ASSERT_FALSE(again.heads.empty());
        EXPECT_EQ(again.heads[0].stats.selectionBackend, "cuda") << again.heads[0].stats.backendFallbackReason;
    }
}

} // namespace
} // namespace attnscope

int main(int argc, char** argv)
{
    return attnscope::runGpuTestsOrSkip(argc, argv);
}

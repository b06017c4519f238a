// The GPU top-k selection and the variants' GPU tail (issue #7) against the CPU:
//  - runTopkSelectCuda's CSR equals the CPU's selection (attn::scoreRow + selectTopIndices, the
//    `topk` variant's contract) key for key, on random inputs over head dims 6/8/20/40/64/128, causal,
//    bidirectional and sliding-window rows, k from 1 past the row length, rows short enough for
//    shared memory and longer than kTopkSharedKeys (global scratch), plus an independent check of
//    every row (count, ascending, every kept score >= every dropped one, ties to the lower key) and,
//    where the float64 scores have a clear gap at the k-th place, the float64 top-k itself;
//  - with softcap (tanhf on the GPU, the C library's tanh on the CPU may differ by an ulp) the
//    sets may differ only on keys whose score is within 1e-5 of the row's k-th score;
//  - runLayerVariant with the CUDA backend (topk and window) against the same run on the CPU:
//    same kept sets, output and weights within NMSE 1e-7 (DESIGN.md §7.9, f32 backend parity),
//    and stats that say CUDA ran; a device-memory limit too small for the call falls back to the
//    CPU with the reason recorded.
// Own main(): exits 77 when no CUDA device is usable.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <numeric>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "attention/attention_common.h"
#include "attention/variant_runner.h"
#include "attnscope/variant_spec.h"
#include "attnscope_kernels/attn_heuristics.h"
#include "attnscope_kernels/mask_predicates.h"
#include "backend/cuda/cuda_attention.h"
#include "backend/cuda/device_memory_budget.h"
#include "model/layer_qkv.h"
#include "test_support/gpu_reference.h"
#include "test_support/gpu_test_main.h"
#include "test_support/variant_runs.h"

namespace attnscope {
namespace {

constexpr double kNmseF32 = 1e-7;

struct Case {
    int nTokens = 100;
    int headDim = 64;
    bool causal = true;
    int slidingWindow = 0;
    float softcap = 0.0f;
    std::uint32_t seed = 1;

    std::string name() const
    {
        std::ostringstream text;
        text << "N" << nTokens << " d" << headDim << (causal ? " causal" : " bidir") << " win" << slidingWindow
             << " cap" << softcap << " seed" << seed;
        return text.str();
    }
};

LayerQkv makeLayer(const Case& c, int nHeads = 2, int nKvHeads = 1)
{
    LayerQkv layer = randomLayer(nHeads, nKvHeads, c.nTokens, c.headDim, c.seed);
    layer.causal = c.causal;
    layer.slidingWindow = c.slidingWindow;
    layer.softcap = c.softcap;
    return layer;
}

struct Selection {
    std::vector<std::int64_t> rowPtr;
    std::vector<std::int32_t> cols;
};

/// The CPU contract of the topk variant, row by row: exact float scores, selectTopIndices.
Selection cpuTopk(const LayerQkv& layer, int head, int k, std::vector<std::vector<float>>* rowScores = nullptr)
{
    const attn::HeadInput input = attn::makeHeadInput(layer, head);
    Selection selection;
    selection.rowPtr.push_back(0);
    std::vector<float> scores;
    std::vector<int> selected;
    for (int queryPos = 0; queryPos < layer.nTokens; ++queryPos) {
        const attn::KeyRange range = attn::allowedKeys(input, queryPos);
        scores.assign(static_cast<std::size_t>(std::max(0, range.size())), 0.0f);
        attn::scoreRow(input, queryPos, range, scores.data());
        attn::selectTopIndices(scores.data(), range.size(), std::min(k, range.size()), selected);
        for (int index : selected) {
            selection.cols.push_back(range.first + index);
        }
        selection.rowPtr.push_back(static_cast<std::int64_t>(selection.cols.size()));
        if (rowScores != nullptr) {
            rowScores->push_back(scores);
        }
    }
    return selection;
}

/// How many rows could be compared with the float64 top-k (k below the row length) and how many
/// were (a clear float64 gap at the k-th place), so a test knows the independent check ran.
struct Float64Checks {
    int eligible = 0;
    int checked = 0;
};

/// Checks each row of a selection without trusting any selector: the count, ascending keys inside
/// the allowed range, every kept score >= every dropped one, and among equal scores at the
/// boundary the lower keys kept; then, on every `float64Stride`-th row, the float64 top-k.
void checkRows(const LayerQkv& layer, int head, int k, const Selection& gpu,
               const std::vector<std::vector<float>>& rowScores, Float64Checks& checks, int float64Stride = 1)
{
    for (int queryPos = 0; queryPos < layer.nTokens; ++queryPos) {
        int first = 0;
        int last = -1;
        modelAllowedRange(queryPos, layer.nTokens, layer.causal, layer.slidingWindow, &first, &last);
        const int length = last - first + 1;
        const std::int64_t begin = gpu.rowPtr[static_cast<std::size_t>(queryPos)];
        const std::int64_t end = gpu.rowPtr[static_cast<std::size_t>(queryPos) + 1];
        ASSERT_EQ(end - begin, std::min(k, length)) << "row " << queryPos;
        std::vector<bool> kept(static_cast<std::size_t>(std::max(0, length)), false);
        for (std::int64_t entry = begin; entry < end; ++entry) {
            const int keyPos = gpu.cols[static_cast<std::size_t>(entry)];
            ASSERT_GE(keyPos, first);
            ASSERT_LE(keyPos, last);
            if (entry > begin) {
                ASSERT_LT(gpu.cols[static_cast<std::size_t>(entry) - 1], keyPos) << "row " << queryPos;
            }
            kept[static_cast<std::size_t>(keyPos - first)] = true;
        }
        const std::vector<float>& scores = rowScores[static_cast<std::size_t>(queryPos)];
        float minKept = INFINITY;
        float maxDropped = -INFINITY;
        int firstDroppedAtMin = length;
        for (int index = 0; index < length; ++index) {
            if (kept[static_cast<std::size_t>(index)]) {
                minKept = std::min(minKept, scores[static_cast<std::size_t>(index)]);
            } else {
                maxDropped = std::max(maxDropped, scores[static_cast<std::size_t>(index)]);
            }
        }
        ASSERT_GE(minKept, maxDropped) << "row " << queryPos;
        if (minKept == maxDropped) {
            for (int index = 0; index < length; ++index) {
                if (!kept[static_cast<std::size_t>(index)] && scores[static_cast<std::size_t>(index)] == minKept) {
                    firstDroppedAtMin = std::min(firstDroppedAtMin, index);
                }
            }
            for (int index = firstDroppedAtMin; index < length; ++index) {
                EXPECT_FALSE(kept[static_cast<std::size_t>(index)] && scores[static_cast<std::size_t>(index)] == minKept)
                    << "row " << queryPos << ": a tie kept after a dropped tie at a lower key";
            }
        }
        // Float64 scores with a clear gap at the k-th place: the float rounding cannot swap the
        // boundary, so the selection must be the float64 top-k.
        if (layer.softcap == 0.0f && k < length && queryPos % float64Stride == 0) {
            ++checks.eligible;
            std::vector<std::pair<double, int>> exact;
            for (int keyPos = first; keyPos <= last; ++keyPos) {
                exact.emplace_back(referenceScore(layer, head, queryPos, keyPos), keyPos);
            }
            std::partial_sort(exact.begin(), exact.begin() + k + 1, exact.end(),
                              [](const auto& a, const auto& b) { return a.first > b.first; });
            const double gap = exact[static_cast<std::size_t>(k) - 1].first - exact[static_cast<std::size_t>(k)].first;
            if (gap > 1e-4 * (1.0 + std::abs(exact[static_cast<std::size_t>(k)].first))) {
                std::vector<std::int32_t> expected;
                for (int index = 0; index < k; ++index) {
                    expected.push_back(exact[static_cast<std::size_t>(index)].second);
                }
                std::sort(expected.begin(), expected.end());
                EXPECT_EQ(std::vector<std::int32_t>(gpu.cols.begin() + begin, gpu.cols.begin() + end), expected)
                    << "row " << queryPos;
                ++checks.checked;
            }
        }
    }
}

std::vector<Case> selectionCases()
{
    std::vector<Case> cases;
    std::uint32_t seed = 1;
    // 6: no full 8-lane chunk, scalar loads; 20: a leftover of 4 dims after two chunks.
    for (int headDim : {6, 8, 20, 40, 64, 128, 256}) {
        for (bool causal : {true, false}) {
            for (int window : {0, 37}) {
                cases.push_back({257, headDim, causal, window, 0.0f, seed++});
            }
        }
    }
    cases.push_back({1, 64, true, 0, 0.0f, seed++});
    cases.push_back({2000, 64, true, 0, 0.0f, seed++});
    cases.push_back({kTopkSharedKeys + 300, 64, false, 0, 0.0f, seed++});       // global scratch rows
    cases.push_back({kTopkSharedKeys + 300, 128, false, 5000, 0.0f, seed++});   // window: 9999 keys
    return cases;
}

TEST(CudaTopk, SelectionEqualsCpuKeyForKey)
{
    for (const Case& c : selectionCases()) {
        const LayerQkv layer = makeLayer(c);
        const bool large = c.nTokens > 1000;
        const std::vector<int> ks = large ? std::vector<int>{64, 256} : std::vector<int>{1, 5, 64, 300};
        for (int head = 0; head < layer.nHeads; ++head) {
            for (int k : ks) {
                SCOPED_TRACE(c.name() + " head " + std::to_string(head) + " k " + std::to_string(k));
                std::vector<std::vector<float>> rowScores;
                const Selection cpu = cpuTopk(layer, head, k, &rowScores);
                ASSERT_GT(cpu.cols.size(), 0u);
                Selection gpu;
                const Result<void> run = runTopkSelectCuda(layer, head, k, gpu.rowPtr, gpu.cols);
                ASSERT_TRUE(run.ok()) << run.error().describe();
                EXPECT_EQ(gpu.rowPtr, cpu.rowPtr);
                EXPECT_EQ(gpu.cols, cpu.cols);
                Float64Checks checks;
                checkRows(layer, head, k, gpu, rowScores, checks, large ? 41 : 1);
                if (checks.eligible > 0) {
                    EXPECT_GT(checks.checked, checks.eligible / 2)
                        << "few rows had a clear float64 gap: the independent check hardly ran";
                }
            }
        }
    }
}

TEST(CudaTopk, TiesGoToTheLowerKey)
{
    // Repeated key rows give exactly equal scores (same bits on both sides): the selection must
    // keep the lower positions among the tied keys at the boundary.
    Case c{300, 64, false, 0, 0.0f, 77};
    LayerQkv layer = makeLayer(c, 1, 1);
    for (int keyPos = 0; keyPos < c.nTokens; ++keyPos) {
        const int source = keyPos % 7;
        std::copy_n(layer.k.begin() + static_cast<std::ptrdiff_t>(source) * c.headDim, c.headDim,
                    layer.k.begin() + static_cast<std::ptrdiff_t>(keyPos) * c.headDim);
    }
    for (int k : {1, 10, 43, 50, 299}) {
        SCOPED_TRACE("k " + std::to_string(k));
        std::vector<std::vector<float>> rowScores;
        const Selection cpu = cpuTopk(layer, 0, k, &rowScores);
        Selection gpu;
        const Result<void> run = runTopkSelectCuda(layer, 0, k, gpu.rowPtr, gpu.cols);
        ASSERT_TRUE(run.ok()) << run.error().describe();
        EXPECT_EQ(gpu.cols, cpu.cols);
        Float64Checks checks;
        checkRows(layer, 0, k, gpu, rowScores, checks);
    }
}

TEST(CudaTopk, SoftcapDiffersOnlyAtTheThreshold)
{
    const Case c{600, 64, true, 0, 2.0f, 91};
    const LayerQkv layer = makeLayer(c, 1, 1);
    for (int k : {8, 64}) {
        std::vector<std::vector<float>> rowScores;
        const Selection cpu = cpuTopk(layer, 0, k, &rowScores);
        Selection gpu;
        const Result<void> run = runTopkSelectCuda(layer, 0, k, gpu.rowPtr, gpu.cols);
        ASSERT_TRUE(run.ok()) << run.error().describe();
        ASSERT_EQ(gpu.rowPtr, cpu.rowPtr);
        for (int queryPos = 0; queryPos < c.nTokens; ++queryPos) {
            const auto begin = gpu.rowPtr[static_cast<std::size_t>(queryPos)];
            const auto end = gpu.rowPtr[static_cast<std::size_t>(queryPos) + 1];
            std::vector<std::int32_t> a(gpu.cols.begin() + begin, gpu.cols.begin() + end);
            std::vector<std::int32_t> b(cpu.cols.begin() + begin, cpu.cols.begin() + end);
            if (a == b) {
                continue;
            }
            // The CPU's k-th score of the row, and every disagreeing key within 1e-5 of it.
            const std::vector<float>& scores = rowScores[static_cast<std::size_t>(queryPos)];
            float kth = INFINITY;
            for (std::int32_t keyPos : b) {
                kth = std::min(kth, scores[static_cast<std::size_t>(keyPos)]);
            }
            std::vector<std::int32_t> difference;
            std::set_symmetric_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(difference));
            for (std::int32_t keyPos : difference) {
                EXPECT_NEAR(scores[static_cast<std::size_t>(keyPos)], kth, 1e-5) << "row " << queryPos << " key " << keyPos;
            }
        }
    }
}

LayerVariantResult runVariant(const LayerQkv& layer, const std::string& text, VariantBackend backend)
{
    VariantRunOptions options;
    options.backend = backend;
    options.computeMetrics = true;
    return runVariantText(layer, text, options);
}

TEST(CudaVariants, GpuTailMatchesCpu)
{
    const Case cases[] = {
        {700, 64, true, 0, 0.0f, 301},
        {513, 40, false, 100, 0.0f, 302},
        {300, 128, true, 0, 0.0f, 303},
    };
    for (const Case& c : cases) {
        const LayerQkv layer = makeLayer(c, 4, 2);
        for (const std::string text : {"topk:k=32", "topk:k=300", "window:w=64"}) {
            SCOPED_TRACE(c.name() + " " + text);
            const LayerVariantResult cpu = runVariant(layer, text, VariantBackend::Cpu);
            const LayerVariantResult gpu = runVariant(layer, text, VariantBackend::Auto);
            ASSERT_EQ(cpu.heads.size(), gpu.heads.size());
            ASSERT_FALSE(cpu.heads.empty());
            for (std::size_t index = 0; index < cpu.heads.size(); ++index) {
                const HeadVariantResult& a = gpu.heads[index];
                const HeadVariantResult& b = cpu.heads[index];
                EXPECT_EQ(a.stats.attentionBackend, "cuda") << a.stats.backendFallbackReason;
                EXPECT_EQ(b.stats.attentionBackend, "cpu");
                EXPECT_TRUE(b.stats.backendFallbackReason.empty());
                if (text.rfind("topk", 0) == 0) {
                    EXPECT_EQ(a.stats.selectionBackend, "cuda") << a.stats.backendFallbackReason;
                    EXPECT_EQ(b.stats.selectionBackend, "cpu");
                }
                EXPECT_EQ(a.attention.rowPtr, b.attention.rowPtr);
                EXPECT_EQ(a.attention.cols, b.attention.cols);
                EXPECT_EQ(a.stats.keptPairs, b.stats.keptPairs);
                EXPECT_EQ(a.stats.keptPerRow, b.stats.keptPerRow);
                EXPECT_EQ(a.stats.emptyRows, b.stats.emptyRows);
                ASSERT_EQ(a.attention.weights.size(), b.attention.weights.size());
                EXPECT_LE(nmse(a.attention.weights, b.attention.weights), kNmseF32);
                ASSERT_EQ(a.output.size(), b.output.size());
                EXPECT_LE(nmse(a.output, b.output), kNmseF32);
                // Weights sum to 1 on every non-empty row.
                for (std::size_t row = 0; row + 1 < a.attention.rowPtr.size(); ++row) {
                    double sum = 0.0;
                    for (auto entry = a.attention.rowPtr[row]; entry < a.attention.rowPtr[row + 1]; ++entry) {
                        sum += a.attention.weights[static_cast<std::size_t>(entry)];
                    }
                    if (a.attention.rowPtr[row + 1] > a.attention.rowPtr[row]) {
                        EXPECT_NEAR(sum, 1.0, 1e-5) << "row " << row;
                    }
                }
            }
            EXPECT_LE(nmse(gpu.outputs, cpu.outputs), kNmseF32);
            ASSERT_EQ(gpu.metrics.size(), cpu.metrics.size());
            EXPECT_NEAR(gpu.mean.recall, cpu.mean.recall, 1e-5);
        }
    }
}

TEST(CudaVariants, MemoryRefusalFallsBackToCpu)
{
    const LayerQkv layer = makeLayer({400, 64, true, 0, 0.0f, 401}, 2, 2);
    const LayerVariantResult cpu = runVariant(layer, "topk:k=16", VariantBackend::Cpu);
    setDeviceMemoryLimit(std::uint64_t{1024});
    const LayerVariantResult limited = runVariant(layer, "topk:k=16", VariantBackend::Auto);
    setDeviceMemoryLimit(std::nullopt);
    ASSERT_EQ(limited.heads.size(), cpu.heads.size());
    for (std::size_t index = 0; index < cpu.heads.size(); ++index) {
        const VariantStats& stats = limited.heads[index].stats;
        EXPECT_EQ(stats.attentionBackend, "cpu");
        EXPECT_EQ(stats.selectionBackend, "cpu");
        EXPECT_NE(stats.backendFallbackReason.find("GPU memory"), std::string::npos) << stats.backendFallbackReason;
        // The CPU path ran: the same bits as a CPU-only run.
        EXPECT_EQ(limited.heads[index].output, cpu.heads[index].output);
        EXPECT_EQ(limited.heads[index].attention.cols, cpu.heads[index].attention.cols);
    }
    // Refusals are not sticky: the next run uses the GPU again.
    const LayerVariantResult again = runVariant(layer, "topk:k=16", VariantBackend::Auto);
    ASSERT_FALSE(again.heads.empty());
    EXPECT_EQ(again.heads[0].stats.attentionBackend, "cuda") << again.heads[0].stats.backendFallbackReason;
}

} // namespace
} // namespace attnscope

int main(int argc, char** argv)
{
    return attnscope::runGpuTestsOrSkip(argc, argv);
}

// The block-sparse CUDA kernels (issue #7) against float64 references written here:
//  - runBlockSparseAttentionCuda: output and row LSE equal dense attention restricted to the block
//    mask (each row: the keys of its query block's kept key blocks that the model's mask shows),
//    on random inputs and masks over head dims 8/32/40/64/128/200/256, block sizes below, at, between and
//    above the 32-row chunk (7, 16, 32, 50, 64, 128, larger than N), a partial last block, causal,
//    bidirectional, sliding window, softcap, GQA (every head of 4/2 and 4/1 layouts), query blocks
//    with no kept block and rows whose kept blocks lie entirely after them (empty rows: 0, -inf);
//    the full mask equals runDenseAttentionCuda; a malformed mask is refused;
//  - runBlockPooledProbsCuda: per (query block, key block) the max and the sum of the exact
//    probabilities, against the float64 pooling of exp(score - lse); every query block's sums add
//    up to its number of rows (each row's probabilities sum to 1), also with the GPU dense LSE;
//  - bigbird through runLayerVariant without kept weights runs on the block kernel and matches the
//    CPU (NMSE 1e-7); with kept weights it keeps the CSR path; a device-memory limit falls back.
// Tolerance: NMSE <= 1e-7 (DESIGN.md §7.9, f32). Own main(): exits 77 without a usable device.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "attention/variant_runner.h"
#include "attnscope/variant_spec.h"
#include "attnscope_kernels/block_sparse_params.h"
#include "attnscope_kernels/mask_predicates.h"
#include "backend/cuda/cuda_attention.h"
#include "backend/cuda/cuda_block_sparse.h"
#include "backend/cuda/device_memory_budget.h"
#include "model/layer_qkv.h"
#include "test_support/gpu_reference.h"
#include "test_support/gpu_test_main.h"
#include "test_support/variant_runs.h"

namespace attnscope {
namespace {

constexpr double kNmseF32 = 1e-7;
constexpr double kNegInf = -std::numeric_limits<double>::infinity();

struct Case {
    int nHeads = 2;
    int nKvHeads = 2;
    int nTokens = 100;
    int headDim = 64;
    bool causal = true;
    int slidingWindow = 0;
    float softcap = 0.0f;
    int blockSize = 16;
    std::uint32_t seed = 1;

    std::string name() const
    {
        std::ostringstream text;
        text << "H" << nHeads << "/KV" << nKvHeads << " N" << nTokens << " d" << headDim
             << (causal ? " causal" : " bidir") << " win" << slidingWindow << " cap" << softcap << " block"
             << blockSize << " seed" << seed;
        return text.str();
    }
};

LayerQkv makeLayer(const Case& c)
{
    LayerQkv layer = randomLayer(c.nHeads, c.nKvHeads, c.nTokens, c.headDim, c.seed);
    layer.causal = c.causal;
    layer.slidingWindow = c.slidingWindow;
    layer.softcap = c.softcap;
    return layer;
}

struct BlockMask {
    std::vector<std::int32_t> rowPtr;
    std::vector<std::int32_t> cols;
};

/// Each key block kept with probability `density` (any block, also above the diagonal of a causal
/// layer, where every pair is masked element-wise), a whole query block empty with probability
/// `emptyRate`; ascending per query block.
BlockMask randomMask(int blocks, double density, double emptyRate, std::uint32_t seed)
{
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> uniform(0.0, 1.0);
    BlockMask mask;
    mask.rowPtr.push_back(0);
    for (int queryBlock = 0; queryBlock < blocks; ++queryBlock) {
        if (uniform(rng) >= emptyRate) {
            for (int keyBlock = 0; keyBlock < blocks; ++keyBlock) {
                if (uniform(rng) < density) {
                    mask.cols.push_back(keyBlock);
                }
            }
        }
        mask.rowPtr.push_back(static_cast<std::int32_t>(mask.cols.size()));
    }
    return mask;
}

/// Float64 attention of one head on the block mask: out [N, d], lse [N] (-inf for empty rows).
void referenceBlockSparse(const LayerQkv& layer, int head, int blockSize, const BlockMask& mask,
                          std::vector<double>& out, std::vector<double>& lse)
{
    const int n = layer.nTokens;
    const int d = layer.headDim;
    out.assign(static_cast<std::size_t>(n) * d, 0.0);
    lse.assign(static_cast<std::size_t>(n), kNegInf);
    const float* values = layer.valueHead(head);
    for (int queryPos = 0; queryPos < n; ++queryPos) {
        const int queryBlock = queryPos / blockSize;
        std::vector<int> keys;
        for (std::int32_t index = mask.rowPtr[queryBlock]; index < mask.rowPtr[queryBlock + 1]; ++index) {
            const int keyBlock = mask.cols[static_cast<std::size_t>(index)];
            for (int keyPos = keyBlock * blockSize; keyPos < std::min(n, (keyBlock + 1) * blockSize); ++keyPos) {
                if (modelAllows(queryPos, keyPos, layer.causal, layer.slidingWindow)) {
                    keys.push_back(keyPos);
                }
            }
        }
        if (keys.empty()) {
            continue;
        }
        std::vector<double> scores(keys.size());
        double maxScore = kNegInf;
        for (std::size_t index = 0; index < keys.size(); ++index) {
            scores[index] = referenceScore(layer, head, queryPos, keys[index]);
            maxScore = std::max(maxScore, scores[index]);
        }
        double sum = 0.0;
        for (double& score : scores) {
            score = std::exp(score - maxScore);
            sum += score;
        }
        lse[static_cast<std::size_t>(queryPos)] = maxScore + std::log(sum);
        for (std::size_t index = 0; index < keys.size(); ++index) {
            const float* valueRow = values + static_cast<std::size_t>(keys[index]) * d;
            for (int c = 0; c < d; ++c) {
                out[static_cast<std::size_t>(queryPos) * d + c] += scores[index] / sum * valueRow[c];
            }
        }
    }
}

/// NMSE of float results against a float64 reference; -inf in the reference must be -inf in
/// `actual` (counted in *infMismatches) and is left out of the sums.
double nmseAgainst(const std::vector<float>& actual, const std::vector<double>& expected, int* infMismatches = nullptr)
{
    double errorSum = 0.0;
    double normSum = 0.0;
    for (std::size_t index = 0; index < expected.size(); ++index) {
        if (std::isinf(expected[index])) {
            if (infMismatches != nullptr && !(std::isinf(actual[index]) && actual[index] < 0)) {
                ++*infMismatches;
            }
            continue;
        }
        const double diff = static_cast<double>(actual[index]) - expected[index];
        errorSum += diff * diff;
        normSum += expected[index] * expected[index];
    }
    return normSum > 0.0 ? errorSum / normSum : errorSum;
}

std::vector<Case> blockSparseCases()
{
    return {
        {2, 2, 1, 8, true, 0, 0.0f, 16, 1},
        {4, 2, 100, 64, true, 0, 0.0f, 16, 2},     // partial last block (4 rows)
        {4, 1, 257, 128, false, 0, 0.0f, 64, 3},   // two chunks per block, 1-row last block
        {2, 2, 300, 40, true, 50, 0.0f, 32, 4},    // sliding window inside kept blocks
        {2, 1, 130, 32, false, 0, 5.0f, 50, 5},    // chunks of 32 + 18 rows, softcap
        {2, 2, 200, 128, true, 0, 0.0f, 128, 6},
        {1, 1, 70, 64, false, 0, 0.0f, 7, 7},      // blocks shorter than a chunk
        {2, 2, 64, 16, true, 0, 0.0f, 1000, 8},    // one block larger than the sequence
        {4, 2, 513, 64, false, 100, 0.0f, 64, 9},
        {2, 1, 150, 256, true, 0, 0.0f, 64, 10},   // the 256 bucket (Gemma 3)
        {1, 1, 90, 200, false, 0, 0.0f, 32, 11},   // 256 bucket, zero-padded columns
    };
}

TEST(CudaBlockSparse, MatchesFloat64ReferenceOnRandomMasks)
{
    for (const Case& c : blockSparseCases()) {
        const LayerQkv layer = makeLayer(c);
        const int blocks = blockCount(c.nTokens, c.blockSize);
        for (double density : {0.3, 1.0}) {
            for (int head = 0; head < c.nHeads; ++head) {
                SCOPED_TRACE(c.name() + " density " + std::to_string(density) + " head " + std::to_string(head));
                const BlockMask mask = randomMask(blocks, density, 0.15, c.seed * 97 + head);
                std::vector<double> expectedOut;
                std::vector<double> expectedLse;
                referenceBlockSparse(layer, head, c.blockSize, mask, expectedOut, expectedLse);

                std::vector<float> out;
                std::vector<float> lse;
                const Result<void> run =
                    runBlockSparseAttentionCuda(layer, head, c.blockSize, mask.rowPtr, mask.cols, out, lse);
                ASSERT_TRUE(run.ok()) << run.error().describe();
                ASSERT_EQ(out.size(), expectedOut.size());
                ASSERT_EQ(lse.size(), expectedLse.size());
                int infMismatches = 0;
                EXPECT_LE(nmseAgainst(out, expectedOut), kNmseF32);
                EXPECT_LE(nmseAgainst(lse, expectedLse, &infMismatches), kNmseF32);
                EXPECT_EQ(infMismatches, 0);
                // Empty rows: output exactly 0.
                for (int queryPos = 0; queryPos < c.nTokens; ++queryPos) {
                    if (std::isinf(expectedLse[static_cast<std::size_t>(queryPos)])) {
                        for (int col = 0; col < c.headDim; ++col) {
                            ASSERT_EQ(out[static_cast<std::size_t>(queryPos) * c.headDim + col], 0.0f)
                                << "empty row " << queryPos;
                        }
                    }
                }
            }
        }
    }
}

TEST(CudaBlockSparse, CasesReachEmptyAndPartialRows)
{
    // Non-triviality guard: the random masks above do produce empty rows and non-empty ones.
    const Case c = blockSparseCases()[1];
    const LayerQkv layer = makeLayer(c);
    const BlockMask mask = randomMask(blockCount(c.nTokens, c.blockSize), 0.3, 0.15, c.seed * 97);
    std::vector<double> out;
    std::vector<double> lse;
    referenceBlockSparse(layer, 0, c.blockSize, mask, out, lse);
    const auto empty = std::count_if(lse.begin(), lse.end(), [](double value) { return std::isinf(value); });
    EXPECT_GT(empty, 0);
    EXPECT_LT(empty, static_cast<long>(lse.size()));
}

TEST(CudaBlockSparse, FullMaskEqualsDenseForward)
{
    const Case cases[] = {{4, 2, 300, 64, true, 0, 0.0f, 64, 31}, {2, 1, 97, 128, false, 20, 0.0f, 32, 32}};
    for (const Case& c : cases) {
        SCOPED_TRACE(c.name());
        const LayerQkv layer = makeLayer(c);
        std::vector<float> denseOut;
        std::vector<float> denseLse;
        const Result<void> dense = runDenseAttentionCuda(layer, denseOut, denseLse);
        ASSERT_TRUE(dense.ok()) << dense.error().describe();
        const int blocks = blockCount(c.nTokens, c.blockSize);
        const BlockMask full = randomMask(blocks, 1.0, 0.0, 1);
        ASSERT_EQ(full.cols.size(), static_cast<std::size_t>(blocks) * blocks);
        const std::size_t perHead = static_cast<std::size_t>(c.nTokens) * c.headDim;
        for (int head = 0; head < c.nHeads; ++head) {
            std::vector<float> out;
            std::vector<float> lse;
            const Result<void> run = runBlockSparseAttentionCuda(layer, head, c.blockSize, full.rowPtr, full.cols, out, lse);
            ASSERT_TRUE(run.ok()) << run.error().describe();
            const std::vector<float> headOut(denseOut.begin() + static_cast<std::ptrdiff_t>(perHead * head),
                                             denseOut.begin() + static_cast<std::ptrdiff_t>(perHead * (head + 1)));
            const std::vector<float> headLse(
                denseLse.begin() + static_cast<std::ptrdiff_t>(c.nTokens) * head,
                denseLse.begin() + static_cast<std::ptrdiff_t>(c.nTokens) * (head + 1));
            EXPECT_LE(nmse(out, headOut), kNmseF32) << "head " << head;
            EXPECT_LE(nmse(lse, headLse), kNmseF32) << "head " << head;
        }
    }
}

TEST(CudaBlockSparse, RefusesMalformedMasks)
{
    const Case c{2, 2, 50, 32, true, 0, 0.0f, 16, 41};
    const LayerQkv layer = makeLayer(c);
    std::vector<float> out;
    std::vector<float> lse;
    const std::vector<std::int32_t> rowPtr{0, 1, 2, 3, 4};
    const Result<void> outOfRange =
        runBlockSparseAttentionCuda(layer, 0, 16, rowPtr, std::vector<std::int32_t>{0, 1, 2, 4}, out, lse);
    ASSERT_FALSE(outOfRange.ok());
    EXPECT_EQ(outOfRange.error().reason, "block_col_range");
    const Result<void> badHead =
        runBlockSparseAttentionCuda(layer, 2, 16, rowPtr, std::vector<std::int32_t>{0, 1, 2, 3}, out, lse);
    ASSERT_FALSE(badHead.ok());
    EXPECT_EQ(badHead.error().code, ErrorCode::InvalidArgument);
}

// ---- Block-pooled probabilities ----

struct PoolCase {
    int nTokens = 100;
    int headDim = 64;
    bool causal = true;
    int slidingWindow = 0;
    float softcap = 0.0f;
    int poolSize = 16;
    std::uint32_t seed = 1;

    std::string name() const
    {
        std::ostringstream text;
        text << "N" << nTokens << " d" << headDim << (causal ? " causal" : " bidir") << " win" << slidingWindow
             << " cap" << softcap << " pool" << poolSize;
        return text.str();
    }
};

/// Float64 row LSE of one head under the model's mask (-inf for a row without visible keys).
std::vector<double> referenceLse(const LayerQkv& layer, int head)
{
    std::vector<double> lse(static_cast<std::size_t>(layer.nTokens), kNegInf);
    for (int queryPos = 0; queryPos < layer.nTokens; ++queryPos) {
        double maxScore = kNegInf;
        for (int keyPos = 0; keyPos < layer.nTokens; ++keyPos) {
            if (modelAllows(queryPos, keyPos, layer.causal, layer.slidingWindow)) {
                maxScore = std::max(maxScore, referenceScore(layer, head, queryPos, keyPos));
            }
        }
        double sum = 0.0;
        for (int keyPos = 0; keyPos < layer.nTokens; ++keyPos) {
            if (modelAllows(queryPos, keyPos, layer.causal, layer.slidingWindow)) {
                sum += std::exp(referenceScore(layer, head, queryPos, keyPos) - maxScore);
            }
        }
        if (sum > 0.0) {
            lse[static_cast<std::size_t>(queryPos)] = maxScore + std::log(sum);
        }
    }
    return lse;
}

/// Float64 pooling of p = exp(score - lse[row]) (0 where masked) into blocks × blocks max and sum.
void referencePool(const LayerQkv& layer, int head, const std::vector<float>& lse, int poolSize,
                   std::vector<double>& maxMap, std::vector<double>& sumMap)
{
    const int blocks = blockCount(layer.nTokens, poolSize);
    maxMap.assign(static_cast<std::size_t>(blocks) * blocks, 0.0);
    sumMap.assign(maxMap.size(), 0.0);
    for (int queryPos = 0; queryPos < layer.nTokens; ++queryPos) {
        const double rowLse = lse[static_cast<std::size_t>(queryPos)];
        if (std::isinf(rowLse)) {
            continue;
        }
        for (int keyPos = 0; keyPos < layer.nTokens; ++keyPos) {
            if (!modelAllows(queryPos, keyPos, layer.causal, layer.slidingWindow)) {
                continue;
            }
            const double p = std::exp(referenceScore(layer, head, queryPos, keyPos) - rowLse);
            const std::size_t cell = static_cast<std::size_t>(queryPos / poolSize) * blocks + keyPos / poolSize;
            maxMap[cell] = std::max(maxMap[cell], p);
            sumMap[cell] += p;
        }
    }
}

TEST(CudaBlockPool, MaxAndSumMatchFloat64Pooling)
{
    const PoolCase cases[] = {
        {1, 8, true, 0, 0.0f, 1, 51},
        {70, 16, true, 0, 0.0f, 1, 52},     // every cell its own block
        {100, 64, true, 0, 0.0f, 7, 53},    // partial last block, blocks smaller than a tile
        {129, 128, false, 0, 0.0f, 32, 54},
        {200, 40, true, 30, 0.0f, 64, 55},  // sliding window: hidden blocks written as 0
        {150, 32, false, 0, 6.0f, 100, 56}, // softcap, blocks across tiles
        {90, 64, false, 0, 0.0f, 500, 57},  // one block larger than the sequence
        {120, 256, true, 0, 0.0f, 16, 58},  // d = 256: past 48 KiB of shared memory (opt-in)
    };
    for (const PoolCase& c : cases) {
        SCOPED_TRACE(c.name());
        LayerQkv layer = randomLayer(2, 1, c.nTokens, c.headDim, c.seed);
        layer.causal = c.causal;
        layer.slidingWindow = c.slidingWindow;
        layer.softcap = c.softcap;
        const int head = 1;
        const std::vector<double> lse64 = referenceLse(layer, head);
        const std::vector<float> lse(lse64.begin(), lse64.end());
        std::vector<double> expectedMax;
        std::vector<double> expectedSum;
        referencePool(layer, head, lse, c.poolSize, expectedMax, expectedSum);

        std::vector<float> maxMap;
        std::vector<float> sumMap;
        const Result<void> run = runBlockPooledProbsCuda(layer, head, lse, c.poolSize, maxMap, sumMap);
        ASSERT_TRUE(run.ok()) << run.error().describe();
        ASSERT_EQ(maxMap.size(), expectedMax.size());
        ASSERT_EQ(sumMap.size(), expectedSum.size());
        EXPECT_LE(nmseAgainst(maxMap, expectedMax), kNmseF32);
        EXPECT_LE(nmseAgainst(sumMap, expectedSum), kNmseF32);
        // Cells the model's mask hides entirely are exactly 0.
        for (std::size_t cell = 0; cell < expectedSum.size(); ++cell) {
            if (expectedSum[cell] == 0.0) {
                EXPECT_EQ(sumMap[cell], 0.0f) << "cell " << cell;
                EXPECT_EQ(maxMap[cell], 0.0f) << "cell " << cell;
            }
        }
    }
}

TEST(CudaBlockPool, EachQueryBlockHoldsOneUnitOfMassPerRow)
{
    const PoolCase c{333, 64, true, 0, 0.0f, 64, 61};
    LayerQkv layer = randomLayer(4, 2, c.nTokens, c.headDim, c.seed, 2.0f);
    std::vector<float> out;
    std::vector<float> lse;
    const Result<void> dense = runDenseAttentionCuda(layer, out, lse);
    ASSERT_TRUE(dense.ok()) << dense.error().describe();
    const int blocks = blockCount(c.nTokens, c.poolSize);
    for (int head = 0; head < layer.nHeads; ++head) {
        SCOPED_TRACE("head " + std::to_string(head));
        const std::span<const float> headLse(lse.data() + static_cast<std::size_t>(head) * c.nTokens, c.nTokens);
        std::vector<float> maxMap;
        std::vector<float> sumMap;
        const Result<void> run = runBlockPooledProbsCuda(layer, head, headLse, c.poolSize, maxMap, sumMap);
        ASSERT_TRUE(run.ok()) << run.error().describe();
        for (int queryBlock = 0; queryBlock < blocks; ++queryBlock) {
            double mass = 0.0;
            for (int keyBlock = 0; keyBlock < blocks; ++keyBlock) {
                const std::size_t cell = static_cast<std::size_t>(queryBlock) * blocks + keyBlock;
                mass += sumMap[cell];
                EXPECT_LE(maxMap[cell], sumMap[cell] * (1.0f + 1e-6f)) << "cell " << cell;
                EXPECT_LE(maxMap[cell], 1.0f + 1e-6f);
            }
            const int rows = std::min(c.nTokens, (queryBlock + 1) * c.poolSize) - queryBlock * c.poolSize;
            EXPECT_NEAR(mass, rows, 1e-5 * rows) << "query block " << queryBlock;
        }
    }
}

// ---- The bigbird variant on the block kernel ----

LayerVariantResult runVariant(const LayerQkv& layer, const std::string& text, VariantBackend backend,
                              bool keepWeights)
{
    VariantRunOptions options;
    options.backend = backend;
    options.keepAttention = keepWeights;
    options.computeMetrics = keepWeights;
    return runVariantText(layer, text, options);
}

TEST(CudaBlockSparse, BigbirdRunsOnTheBlockKernelAndMatchesCpu)
{
    const Case cases[] = {{4, 2, 300, 64, true, 0, 0.0f, 16, 71}, {2, 2, 257, 128, false, 0, 0.0f, 64, 72}};
    for (const Case& c : cases) {
        const LayerQkv layer = makeLayer(c);
        for (const std::string text : {"bigbird", "bigbird:block=64,window=1,global=1,random=2"}) {
            SCOPED_TRACE(c.name() + " " + text);
            const LayerVariantResult cpu = runVariant(layer, text, VariantBackend::Cpu, false);
            const LayerVariantResult gpu = runVariant(layer, text, VariantBackend::Auto, false);
            ASSERT_EQ(gpu.heads.size(), cpu.heads.size());
            for (std::size_t index = 0; index < cpu.heads.size(); ++index) {
                const VariantStats& stats = gpu.heads[index].stats;
                EXPECT_EQ(stats.attentionBackend, "cuda") << stats.backendFallbackReason;
                EXPECT_TRUE(stats.backendFallbackReason.empty()) << stats.backendFallbackReason;
                EXPECT_EQ(stats.keptPairs, cpu.heads[index].stats.keptPairs);
                EXPECT_EQ(stats.keptPerRow, cpu.heads[index].stats.keptPerRow);
                EXPECT_TRUE(gpu.heads[index].attention.weights.empty());
                EXPECT_LE(nmse(gpu.heads[index].output, cpu.heads[index].output), kNmseF32);
            }
            EXPECT_LE(nmse(gpu.outputs, cpu.outputs), kNmseF32);
            // With kept weights the CSR kernel runs (output and weights in one pass).
            const LayerVariantResult withWeights = runVariant(layer, text, VariantBackend::Auto, true);
            ASSERT_FALSE(withWeights.heads.empty());
            EXPECT_EQ(withWeights.heads[0].stats.attentionBackend, "cuda");
            EXPECT_FALSE(withWeights.heads[0].attention.weights.empty());
        }
    }
}

TEST(CudaBlockSparse, MemoryRefusalFallsBackToCpu)
{
    const LayerQkv layer = makeLayer({2, 2, 400, 64, true, 0, 0.0f, 16, 81});
    const LayerVariantResult cpu = runVariant(layer, "bigbird", VariantBackend::Cpu, false);
    setDeviceMemoryLimit(std::uint64_t{1024});
    const LayerVariantResult limited = runVariant(layer, "bigbird", VariantBackend::Auto, false);
    setDeviceMemoryLimit(std::nullopt);
    ASSERT_EQ(limited.heads.size(), cpu.heads.size());
    for (std::size_t index = 0; index < cpu.heads.size(); ++index) {
        const VariantStats& stats = limited.heads[index].stats;
        EXPECT_EQ(stats.attentionBackend, "cpu");
        EXPECT_NE(stats.backendFallbackReason.find("GPU memory"), std::string::npos) << stats.backendFallbackReason;
        EXPECT_EQ(limited.heads[index].output, cpu.heads[index].output);
    }
}

} // namespace
} // namespace attnscope

int main(int argc, char** argv)
{
    return attnscope::runGpuTestsOrSkip(argc, argv);
}

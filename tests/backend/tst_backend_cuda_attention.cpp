// CUDA attention kernels against a float64 reference written here (the oracle of DESIGN.md §7.9):
// dense output and row LSE, exact probabilities, and CSR sparse output and applied weights, on
// fresh random inputs over head dims 8/16/40/64/128, token counts around the 32-row/32-key tiles,
// causal and bidirectional, GQA, sliding windows and softcap. Tolerance: NMSE <= 1e-7 (f32).
//
// Own main(): exits 77 (ctest SKIP_RETURN_CODE) before running anything when no CUDA device is
// usable, so a CPU-only machine reports "skipped", never "passed".

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "attnscope_kernels/mask_predicates.h"
#include "backend/backend_info.h"
#include "backend/cuda/cuda_attention.h"
#include "model/layer_qkv.h"
#include "test_support/gpu_reference.h"
#include "test_support/gpu_test_main.h"

namespace attnscope {
namespace {

constexpr double kNmseF32 = 1e-7;
constexpr double kNegInf = -std::numeric_limits<double>::infinity();

struct Case {
    int nHeads = 2;
    int nKvHeads = 2;
    int nTokens = 33;
    int headDim = 64;
    bool causal = true;
    int slidingWindow = 0;
    float softcap = 0.0f;
    float inputScale = 1.0f;  ///< > 1 makes the softmax peaked (stress for the online max)
    std::uint32_t seed = 1;

    std::string name() const
    {
        std::ostringstream text;
        text << "H" << nHeads << "/KV" << nKvHeads << " N" << nTokens << " d" << headDim
             << (causal ? " causal" : " bidir") << " win" << slidingWindow << " cap" << softcap
             << " x" << inputScale;
        return text.str();
    }
};

LayerQkv makeLayer(const Case& c)
{
    LayerQkv layer = randomLayer(c.nHeads, c.nKvHeads, c.nTokens, c.headDim, c.seed, c.inputScale);
    layer.causal = c.causal;
    layer.slidingWindow = c.slidingWindow;
    layer.softcap = c.softcap;
    return layer;
}

/// Softmax over an explicit key list of one row: weights, output row and lse, in float64.
void referenceRow(const LayerQkv& layer, int head, int queryPos, const std::vector<int>& keys,
                  std::vector<double>& weights, double* outRow, double& lse)
{
    weights.assign(keys.size(), 0.0);
    std::fill(outRow, outRow + layer.headDim, 0.0);
    if (keys.empty()) {
        lse = kNegInf;
        return;
    }
    double maxScore = kNegInf;
    for (std::size_t index = 0; index < keys.size(); ++index) {
        weights[index] = referenceScore(layer, head, queryPos, keys[index]);
        maxScore = std::max(maxScore, weights[index]);
    }
    double sum = 0.0;
    for (double& weight : weights) {
        weight = std::exp(weight - maxScore);
        sum += weight;
    }
    lse = maxScore + std::log(sum);
    const float* values = layer.valueHead(head);
    for (std::size_t index = 0; index < keys.size(); ++index) {
        weights[index] /= sum;
        const float* valueRow = values + static_cast<std::size_t>(keys[index]) * layer.headDim;
        for (int c = 0; c < layer.headDim; ++c) {
            outRow[c] += weights[index] * valueRow[c];
        }
    }
}

std::vector<int> visibleKeys(const LayerQkv& layer, int queryPos)
{
    std::vector<int> keys;
    for (int keyPos = 0; keyPos < layer.nTokens; ++keyPos) {
        if (modelAllows(queryPos, keyPos, layer.causal, layer.slidingWindow)) {
            keys.push_back(keyPos);
        }
    }
    return keys;
}

void referenceDense(const LayerQkv& layer, std::vector<double>& out, std::vector<double>& lse)
{
    out.assign(static_cast<std::size_t>(layer.nHeads) * layer.nTokens * layer.headDim, 0.0);
    lse.assign(static_cast<std::size_t>(layer.nHeads) * layer.nTokens, kNegInf);
    std::vector<double> weights;
    for (int head = 0; head < layer.nHeads; ++head) {
        for (int queryPos = 0; queryPos < layer.nTokens; ++queryPos) {
            const std::size_t row = static_cast<std::size_t>(head) * layer.nTokens + queryPos;
            referenceRow(layer, head, queryPos, visibleKeys(layer, queryPos), weights,
                         out.data() + row * layer.headDim, lse[row]);
        }
    }
}

/// Normalised mean squared error sum((a - b)²) / sum(b²); entries that are -inf in the
/// reference must be -inf in `actual` too and are left out of the sums.
double nmse(const std::vector<float>& actual, const std::vector<double>& expected,
            bool* infMismatch = nullptr)
{
    double errorSum = 0.0;
    double normSum = 0.0;
    for (std::size_t index = 0; index < expected.size(); ++index) {
        if (std::isinf(expected[index])) {
            if (infMismatch != nullptr && !(std::isinf(actual[index]) && actual[index] < 0)) {
                *infMismatch = true;
            }
            continue;
        }
        const double diff = static_cast<double>(actual[index]) - expected[index];
        errorSum += diff * diff;
        normSum += expected[index] * expected[index];
    }
    return normSum > 0.0 ? errorSum / normSum : errorSum;
}

double squaredNorm(const std::vector<double>& values)
{
    double sum = 0.0;
    for (double value : values) {
        if (!std::isinf(value)) {
            sum += value * value;
        }
    }
    return sum;
}

std::vector<Case> denseCases()
{
    std::vector<Case> cases;
    const int tokenCounts[] = {1, 5, 31, 32, 33, 100, 257};
    const int headDims[] = {8, 16, 40, 64, 128, 200, 256};  // 256: Gemma
    const int windows[] = {0, 7, 64};
    const int headLayouts[][2] = {{2, 2}, {4, 2}, {4, 1}};
    std::uint32_t seed = 1;
    for (int headDim : headDims) {
        for (int nTokens : tokenCounts) {
            for (bool causal : {true, false}) {
                Case c;
                c.headDim = headDim;
                c.nTokens = nTokens;
                c.causal = causal;
                c.nHeads = headLayouts[seed % 3][0];
                c.nKvHeads = headLayouts[seed % 3][1];
                c.slidingWindow = windows[(seed / 3) % 3];
                c.seed = seed++;
                cases.push_back(c);
            }
        }
    }
    Case peaked;
    peaked.nTokens = 300;
    peaked.headDim = 64;
    peaked.inputScale = 3.0f;
    peaked.seed = 1000;
    cases.push_back(peaked);
    Case capped = peaked;
    capped.causal = false;
    capped.softcap = 5.0f;
    capped.seed = 1001;
    cases.push_back(capped);
    Case longer;
    longer.nTokens = 1100;
    longer.headDim = 128;
    longer.nHeads = 4;
    longer.nKvHeads = 2;
    longer.slidingWindow = 300;
    longer.seed = 1002;
    cases.push_back(longer);
    return cases;
}

TEST(CudaAttention, DenseMatchesFloat64Reference)
{
    for (const Case& c : denseCases()) {
        SCOPED_TRACE(c.name());
        const LayerQkv layer = makeLayer(c);
        std::vector<double> expectedOut;
        std::vector<double> expectedLse;
        referenceDense(layer, expectedOut, expectedLse);
        ASSERT_GT(squaredNorm(expectedOut), 0.0);

        std::vector<float> out;
        std::vector<float> lse;
        const Result<void> status = runDenseAttentionCuda(layer, out, lse);
        ASSERT_TRUE(status.ok()) << status.error().describe();
        ASSERT_EQ(out.size(), expectedOut.size());
        ASSERT_EQ(lse.size(), expectedLse.size());
        bool infMismatch = false;
        EXPECT_LE(nmse(out, expectedOut), kNmseF32);
        EXPECT_LE(nmse(lse, expectedLse, &infMismatch), kNmseF32);
        EXPECT_FALSE(infMismatch);
    }
}

TEST(CudaAttention, ProbabilitiesMatchReferenceAndSumToOne)
{
    const Case cases[] = {
        {2, 1, 70, 16, true, 0, 0.0f, 1.0f, 7},
        {2, 2, 129, 64, false, 20, 0.0f, 2.0f, 8},
        {4, 2, 45, 128, true, 0, 8.0f, 1.0f, 9},
        {1, 1, 33, 8, false, 0, 0.0f, 1.0f, 10},
        {4, 1, 77, 256, true, 0, 0.0f, 1.0f, 11},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.name());
        const LayerQkv layer = makeLayer(c);
        std::vector<float> out;
        std::vector<float> lse;
        const Result<void> dense = runDenseAttentionCuda(layer, out, lse);
        ASSERT_TRUE(dense.ok()) << dense.error().describe();
        const int head = c.nHeads - 1;
        const std::span<const float> headLse(lse.data() + static_cast<std::size_t>(head) * c.nTokens,
                                             c.nTokens);

        // Full rows: compare with the reference softmax and check each row sums to 1.
        std::vector<float> probs;
        const Result<void> full =
            runAttentionProbsCuda(layer, head, headLse, 0, c.nTokens, 0, c.nTokens, probs);
        ASSERT_TRUE(full.ok()) << full.error().describe();
        std::vector<double> expected(static_cast<std::size_t>(c.nTokens) * c.nTokens, 0.0);
        std::vector<double> weights;
        std::vector<double> outRow(c.headDim);
        for (int queryPos = 0; queryPos < c.nTokens; ++queryPos) {
            const std::vector<int> keys = visibleKeys(layer, queryPos);
            double rowLse = 0.0;
            referenceRow(layer, head, queryPos, keys, weights, outRow.data(), rowLse);
            for (std::size_t index = 0; index < keys.size(); ++index) {
                expected[static_cast<std::size_t>(queryPos) * c.nTokens + keys[index]] = weights[index];
            }
            double rowSum = 0.0;
            for (int keyPos = 0; keyPos < c.nTokens; ++keyPos) {
                rowSum += probs[static_cast<std::size_t>(queryPos) * c.nTokens + keyPos];
            }
            EXPECT_NEAR(rowSum, 1.0, 1e-5) << "row " << queryPos;
        }
        ASSERT_GT(squaredNorm(expected), 0.0);
        EXPECT_LE(nmse(probs, expected), kNmseF32);

        // A rectangle inside the matrix must equal the same entries of the full rows.
        const int rowBegin = c.nTokens / 3;
        const int rowCount = c.nTokens - rowBegin - 1;
        const int colBegin = c.nTokens / 4;
        const int colCount = c.nTokens / 2;
        std::vector<float> tile;
        const Result<void> rect = runAttentionProbsCuda(layer, head, headLse, rowBegin, rowCount,
                                                        colBegin, colCount, tile);
        ASSERT_TRUE(rect.ok()) << rect.error().describe();
        ASSERT_EQ(tile.size(), static_cast<std::size_t>(rowCount) * colCount);
        for (int r = 0; r < rowCount; ++r) {
            for (int col = 0; col < colCount; ++col) {
                EXPECT_EQ(tile[static_cast<std::size_t>(r) * colCount + col],
                          probs[static_cast<std::size_t>(rowBegin + r) * c.nTokens + colBegin + col]);
            }
        }
    }
}

struct Csr {
    std::vector<std::int32_t> rowPtr;
    std::vector<std::int32_t> cols;
};

/// A random kept set inside the model mask: each visible key with probability `density`, the
/// diagonal always (unless the row is chosen to be empty), entries shuffled within the row.
Csr randomCsr(const LayerQkv& layer, double density, double emptyRowRate, std::uint32_t seed)
{
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> uniform(0.0, 1.0);
    Csr csr;
    csr.rowPtr.push_back(0);
    for (int queryPos = 0; queryPos < layer.nTokens; ++queryPos) {
        std::vector<std::int32_t> row;
        if (uniform(rng) >= emptyRowRate) {
            for (int keyPos : visibleKeys(layer, queryPos)) {
                if (keyPos == queryPos || uniform(rng) < density) {
                    row.push_back(keyPos);
                }
            }
            std::shuffle(row.begin(), row.end(), rng);
        }
        csr.cols.insert(csr.cols.end(), row.begin(), row.end());
        csr.rowPtr.push_back(static_cast<std::int32_t>(csr.cols.size()));
    }
    return csr;
}

TEST(CudaAttention, SparseCsrMatchesFloat64Reference)
{
    const Case cases[] = {
        {2, 2, 1, 8, true, 0, 0.0f, 1.0f, 21},
        {2, 1, 50, 16, true, 0, 0.0f, 1.0f, 22},
        {4, 2, 200, 64, false, 0, 0.0f, 2.0f, 23},
        {2, 2, 333, 128, true, 50, 0.0f, 1.0f, 24},
        {2, 2, 97, 40, false, 0, 6.0f, 1.0f, 25},
        {1, 1, 130, 128, false, 0, 0.0f, 1.0f, 26},
        {4, 1, 150, 256, true, 0, 0.0f, 1.0f, 27},
        {2, 2, 90, 160, false, 0, 0.0f, 1.0f, 28},
    };
    const double densities[] = {0.05, 0.3, 1.0};
    for (const Case& c : cases) {
        const LayerQkv layer = makeLayer(c);
        for (double density : densities) {
            for (int head = 0; head < c.nHeads; ++head) {
                SCOPED_TRACE(c.name() + " density " + std::to_string(density) + " head " +
                             std::to_string(head));
                const Csr csr = randomCsr(layer, density, 0.1, c.seed * 31 + head);
                std::vector<double> expectedOut(static_cast<std::size_t>(c.nTokens) * c.headDim);
                std::vector<double> expectedWeights(csr.cols.size());
                std::vector<double> expectedLse(c.nTokens);
                std::vector<double> rowWeights;
                for (int queryPos = 0; queryPos < c.nTokens; ++queryPos) {
                    const std::vector<int> keys(csr.cols.begin() + csr.rowPtr[queryPos],
                                                csr.cols.begin() + csr.rowPtr[queryPos + 1]);
                    referenceRow(layer, head, queryPos, keys, rowWeights,
                                 expectedOut.data() + static_cast<std::size_t>(queryPos) * c.headDim,
                                 expectedLse[queryPos]);
                    std::copy(rowWeights.begin(), rowWeights.end(),
                              expectedWeights.begin() + csr.rowPtr[queryPos]);
                }

                std::vector<float> out;
                std::vector<float> weights;
                std::vector<float> lse;
                const Result<void> status =
                    runSparseAttentionCuda(layer, head, csr.rowPtr, csr.cols, out, weights, &lse);
                ASSERT_TRUE(status.ok()) << status.error().describe();
                ASSERT_EQ(weights.size(), csr.cols.size());
                bool infMismatch = false;
                if (squaredNorm(expectedOut) > 0.0) {
                    EXPECT_LE(nmse(out, expectedOut), kNmseF32);
                    EXPECT_LE(nmse(weights, expectedWeights), kNmseF32);
                    EXPECT_LE(nmse(lse, expectedLse, &infMismatch), kNmseF32);
                }
                EXPECT_FALSE(infMismatch);
                for (int queryPos = 0; queryPos < c.nTokens; ++queryPos) {
                    const int begin = csr.rowPtr[queryPos];
                    const int end = csr.rowPtr[queryPos + 1];
                    double rowSum = 0.0;
                    for (int entry = begin; entry < end; ++entry) {
                        rowSum += weights[entry];
                    }
                    EXPECT_NEAR(rowSum, begin == end ? 0.0 : 1.0, 1e-5) << "row " << queryPos;
                }
            }
        }
    }
}

TEST(CudaAttention, SparseOnTheModelMaskEqualsDense)
{
    const Case c{4, 2, 150, 64, true, 40, 0.0f, 1.0f, 31};
    const LayerQkv layer = makeLayer(c);
    std::vector<float> denseOut;
    std::vector<float> denseLse;
    const Result<void> dense = runDenseAttentionCuda(layer, denseOut, denseLse);
    ASSERT_TRUE(dense.ok()) << dense.error().describe();
    const Csr csr = randomCsr(layer, 1.0, 0.0, 5);
    for (int head = 0; head < c.nHeads; ++head) {
        std::vector<float> out;
        std::vector<float> weights;
        std::vector<float> lse;
        const Result<void> sparse =
            runSparseAttentionCuda(layer, head, csr.rowPtr, csr.cols, out, weights, &lse);
        ASSERT_TRUE(sparse.ok()) << sparse.error().describe();
        const std::size_t perHead = static_cast<std::size_t>(c.nTokens) * c.headDim;
        const std::vector<double> denseHead(denseOut.begin() + head * perHead,
                                            denseOut.begin() + (head + 1) * perHead);
        const std::vector<double> denseHeadLse(denseLse.begin() + head * c.nTokens,
                                               denseLse.begin() + (head + 1) * c.nTokens);
        ASSERT_GT(squaredNorm(denseHead), 0.0);
        EXPECT_LE(nmse(out, denseHead), kNmseF32) << "head " << head;
        EXPECT_LE(nmse(lse, denseHeadLse), kNmseF32) << "head " << head;
    }
}

TEST(CudaAttention, RejectsWhatItCannotRun)
{
    Case c{2, 2, 10, 300, true, 0, 0.0f, 1.0f, 41};  // beyond the widest bucket (256)
    LayerQkv tooWide = makeLayer(c);
    std::vector<float> out;
    std::vector<float> lse;
    Result<void> status = runDenseAttentionCuda(tooWide, out, lse);
    ASSERT_FALSE(status.ok());
    EXPECT_EQ(status.error().code, ErrorCode::Unsupported);

    c.headDim = 16;
    LayerQkv shortQ = makeLayer(c);
    shortQ.q.pop_back();
    status = runDenseAttentionCuda(shortQ, out, lse);
    ASSERT_FALSE(status.ok());
    EXPECT_EQ(status.error().code, ErrorCode::ShapeMismatch);

    const LayerQkv layer = makeLayer(c);
    std::vector<float> weights;
    std::vector<std::int32_t> rowPtr(c.nTokens + 1, 0);
    std::vector<std::int32_t> cols{c.nTokens};
    rowPtr.back() = 1;
    status = runSparseAttentionCuda(layer, 0, rowPtr, cols, out, weights);
    ASSERT_FALSE(status.ok());
    EXPECT_EQ(status.error().code, ErrorCode::InvalidArgument);
    EXPECT_EQ(status.error().reason, "csr_col_range");

    cols = {0};
    rowPtr.assign(c.nTokens, 0);
    status = runSparseAttentionCuda(layer, 0, rowPtr, cols, out, weights);
    ASSERT_FALSE(status.ok());
    EXPECT_EQ(status.error().reason, "csr_row_ptr_size");

    // Errors above must not have marked the backend failed: a good call still runs.
    status = runDenseAttentionCuda(layer, out, lse);
    EXPECT_TRUE(status.ok());
}

} // namespace
} // namespace attnscope

int main(int argc, char** argv)
{
    return attnscope::runGpuTestsOrSkip(argc, argv);
}

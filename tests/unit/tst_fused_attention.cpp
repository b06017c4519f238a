// The fused CPU attention kernel (core/src/attention/fused_attention_*) against a float64
// reference: every ISA this CPU runs, head dims 8 to 128 (and one no vector kernel takes), N not a
// multiple of any tile, causal and bidirectional, sliding windows, softcap, GQA. Each output element
// must lie within a bound derived from fp32 rounding (below), and within twice the error of a naive
// fp32 implementation plus a small floor (DESIGN §7.9); the LSE likewise. Also: the vector exp
// against std::exp in double, and the ISA dispatch rules.

#include "tst_fused_reference.h"

#include "attention/fused_attention_kernel.h"
#include "attnscope_kernels/mask_predicates.h"
#include "model/dense_attention.h"
#include "util/cpu_features.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <ostream>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace attnscope::attn {
namespace {

const std::vector<Case>& cases()
{
    static const std::vector<Case> all = {
        {"bidirectional_d64", 2, 2, 77, 64, false, 0, 0.0f, 1.0f},
        {"causal_d64", 2, 2, 203, 64, true, 0, 0.0f, 1.0f},
        {"causal_d128_gqa2", 4, 2, 131, 128, true, 0, 0.0f, 1.0f},
        {"bidirectional_d128", 1, 1, 161, 128, false, 0, 0.0f, 2.0f},
        {"bidirectional_d16_gqa4", 4, 1, 100, 16, false, 0, 0.0f, 1.0f},
        {"causal_d16_peaked", 2, 2, 150, 16, true, 0, 0.0f, 4.0f},
        {"causal_window_d64", 2, 2, 257, 64, true, 40, 0.0f, 1.0f},
        {"bidirectional_window_d32", 2, 2, 150, 32, false, 33, 0.0f, 1.0f},
        {"causal_softcap_d64", 2, 1, 99, 64, true, 0, 5.0f, 4.0f},
        {"causal_d8_gqa2", 8, 4, 203, 8, true, 0, 0.0f, 1.0f},
        {"bidirectional_d20_portable_only", 2, 2, 70, 20, false, 0, 0.0f, 1.0f},
        {"one_token", 2, 2, 1, 64, true, 0, 0.0f, 1.0f},
        {"few_tokens_bidirectional", 3, 3, 5, 64, false, 0, 0.0f, 1.0f},
    };
    return all;
}

class FusedAttentionCase : public ::testing::TestWithParam<Case> {};

TEST_P(FusedAttentionCase, MatchesFloat64WithinFp32Bound)
{
    const Case& c = GetParam();
    const LayerQkv qkv = makeInput(c, 1234u + static_cast<unsigned>(c.nTokens));
    const std::size_t outputSize = static_cast<std::size_t>(c.nHeads) * c.nTokens * c.headDim;
    for (const CpuIsa isa : availableIsas()) {
        SCOPED_TRACE(std::string("requested isa ") + cpuIsaName(isa) + ", kernel " +
                     cpuIsaName(fusedAttentionIsa(isa, c.headDim)));
        // 0: the automatic work-item size (one query block at these sizes); 150: items of two or
        // three query blocks, so that an item's rows span several key tiles and the diagonal.
        for (const auto& [threads, rowsPerItem] : {std::pair{1, 0}, std::pair{2, 0}, std::pair{2, 150}}) {
            SCOPED_TRACE(std::to_string(threads) + " threads, rows per item " + std::to_string(rowsPerItem));
            std::vector<float> output(outputSize, std::numeric_limits<float>::quiet_NaN());
            std::vector<float> lse(static_cast<std::size_t>(c.nHeads) * c.nTokens, std::numeric_limits<float>::quiet_NaN());
            FusedAttentionOptions options;
            options.isa = isa;
            options.threads = threads;
            options.rowsPerItem = rowsPerItem;
            const auto result = fusedAttention(qkv, output.data(), lse.data(), options);
            ASSERT_TRUE(result.ok()) << result.error().describe();

            EXPECT_EQ(expectMatchesFloat64(qkv, output, lse), 0) << "every query sees itself";
            if (HasFailure()) {
                return;
            }
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Shapes, FusedAttentionCase, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<Case>& caseInfo) { return caseInfo.param.name; });

// Every ISA gives the same answer whatever the thread count (work items never share a row), so the
// forward pass stays bit-reproducible.
TEST(FusedAttention, ThreadCountDoesNotChangeBits)
{
    const Case c{"gqa", 4, 2, 300, 64, true, 0, 0.0f, 1.0f};
    const LayerQkv qkv = makeInput(c, 7u);
    expectThreadCountKeepsBits(qkv, [&](const FusedAttentionOptions& options, std::vector<float>& output,
                                        std::vector<float>& lse) {
        return fusedAttention(qkv, output.data(), lse.data(), options).ok();
    });
}

// A row's tiles, their order and the micro-kernel that scores it do not depend on how many rows
// share its work item, so the automatic choice (which depends on the thread count) cannot change
// a bit either.
TEST(FusedAttention, RowsPerItemDoesNotChangeBits)
{
    for (const Case& c : {Case{"causal_window_gqa", 4, 2, 700, 64, true, 100, 0.0f, 1.0f},
                          Case{"bidirectional_softcap", 2, 2, 500, 32, false, 0, 5.0f, 2.0f}}) {
        SCOPED_TRACE(c.name);
        const LayerQkv qkv = makeInput(c, 11u);
        for (const CpuIsa isa : availableIsas()) {
            std::vector<std::vector<float>> outputs;
            for (const int rowsPerItem : {1, 200, 400, 700, std::numeric_limits<int>::max()}) {
                std::vector<float> output(qkv.q.size());
                std::vector<float> lse(static_cast<std::size_t>(qkv.nHeads) * qkv.nTokens);
                FusedAttentionOptions options;
                options.isa = isa;
                options.threads = 2;
                options.rowsPerItem = rowsPerItem;
                ASSERT_TRUE(fusedAttention(qkv, output.data(), lse.data(), options).ok());
                output.insert(output.end(), lse.begin(), lse.end());
                outputs.push_back(std::move(output));
            }
            for (std::size_t run = 1; run < outputs.size(); ++run) {
                EXPECT_EQ(outputs[0], outputs[run]) << cpuIsaName(isa) << ", run " << run;
            }
        }
    }
}

// The work-item rule of fused_attention_kernel.h on the shapes it was measured on.
TEST(FusedAttention, RowsPerItemGrowOnlyWhenKeysAndValuesOutgrowTheCache)
{
    const auto shape = [](int nHeads, int nKvHeads, int nTokens, int headDim, bool causal, int window) {
        LayerQkv qkv;
        qkv.nHeads = nHeads;
        qkv.nKvHeads = nKvHeads;
        qkv.nTokens = nTokens;
        qkv.headDim = headDim;
        qkv.causal = causal;
        qkv.slidingWindow = window;
        return qkv;
    };
    constexpr int kBlock = 96;
    // A head's K and V in 2 MiB or less: one query block.
    EXPECT_EQ(denseRowsPerItem(shape(12, 12, 512, 32, false, 0), kBlock, 1), kBlock);
    EXPECT_EQ(denseRowsPerItem(shape(1, 1, 4096, 64, false, 0), kBlock, 1), kBlock);
    // 4096 × 128 (4 MiB): four blocks on one thread; on two, four blocks would leave 11 items.
    EXPECT_EQ(denseRowsPerItem(shape(1, 1, 4096, 128, false, 0), kBlock, 1), 4 * kBlock);
    EXPECT_EQ(denseRowsPerItem(shape(1, 1, 4096, 128, false, 0), kBlock, 2), 2 * kBlock);
    // 8192 × 128 (8 MiB): four blocks on one and two threads (22 items ≥ 8 a thread); four
    // threads would have 22 items among them, so two blocks (43 items).
    EXPECT_EQ(denseRowsPerItem(shape(1, 1, 8192, 128, false, 0), kBlock, 1), 4 * kBlock);
    EXPECT_EQ(denseRowsPerItem(shape(1, 1, 8192, 128, false, 0), kBlock, 2), 4 * kBlock);
    EXPECT_EQ(denseRowsPerItem(shape(1, 1, 8192, 128, false, 0), kBlock, 4), 2 * kBlock);
    // Causal: rows at most 1/16 of the keys a row sees (a 4096-key window: 256 → two blocks).
    EXPECT_EQ(denseRowsPerItem(shape(1, 1, 8192, 128, true, 0), kBlock, 1), 4 * kBlock);
    EXPECT_EQ(denseRowsPerItem(shape(1, 1, 8192, 128, true, 4096), kBlock, 1), 2 * kBlock);
    EXPECT_EQ(denseRowsPerItem(shape(4, 4, 8192, 128, true, 512), kBlock, 1), kBlock);
    // GQA groups already share every tile: a group of four keeps one block, of two takes two.
    EXPECT_EQ(denseRowsPerItem(shape(4, 1, 8192, 256, false, 0), kBlock, 1), kBlock);
    EXPECT_EQ(denseRowsPerItem(shape(2, 1, 8192, 128, false, 0), kBlock, 1), 2 * kBlock);
}

TEST(FusedAttention, RejectsInconsistentInput)
{
    LayerQkv qkv = makeInput(Case{"bad", 2, 2, 10, 16, true, 0, 0.0f, 1.0f}, 1u);
    qkv.k.pop_back();
    std::vector<float> output(qkv.q.size());
    const auto result = fusedAttention(qkv, output.data(), nullptr);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().code, ErrorCode::InvalidArgument);
    qkv.k.push_back(0.0f);
    EXPECT_EQ(fusedAttention(qkv, nullptr, nullptr).error().code, ErrorCode::InvalidArgument);
}

// The forward pass's entry point: outputs and LSE from the fused kernel, probabilities only for the
// heads asked (the same matrices denseProbabilities gives the views).
TEST(FusedAttention, DenseAttentionComputesProbabilitiesOnlyForAskedHeads)
{
    const LayerQkv qkv = makeInput(Case{"asked", 4, 2, 90, 16, true, 0, 0.0f, 1.0f}, 3u);
    std::vector<float> outputs;
    std::vector<float> lse;
    std::vector<float> probabilities;
    ASSERT_TRUE(denseAttention(qkv, &outputs, &lse, 2, &probabilities, {3, 1}).ok());
    const std::size_t matrix = static_cast<std::size_t>(qkv.nTokens) * qkv.nTokens;
    ASSERT_EQ(probabilities.size(), 2 * matrix);
    for (const auto& [slot, head] : {std::pair{0, 3}, std::pair{1, 1}}) {
        std::vector<float> expected;
        ASSERT_TRUE(denseProbabilities(qkv, head, expected, nullptr).ok());
        EXPECT_TRUE(std::equal(expected.begin(), expected.end(), probabilities.begin() + slot * matrix)) << head;
    }
    std::vector<float> fusedOutputs(qkv.q.size());
    std::vector<float> fusedLse(lse.size());
    ASSERT_TRUE(fusedAttention(qkv, fusedOutputs.data(), fusedLse.data()).ok());
    EXPECT_EQ(outputs, fusedOutputs);
    EXPECT_EQ(lse, fusedLse);
    EXPECT_EQ(denseAttention(qkv, &outputs, &lse, 2, &probabilities, {4}).error().code, ErrorCode::InvalidArgument);
}

// A view's zoomed tile: p = exp(score − lse) from the fused kernel's LSE, against float64. Each
// probability's relative error is bounded by its score's and the LSE's (the bounds above), the
// exp's, and the rounding of score − lse.
TEST(FusedAttention, ProbabilityTileFromLseMatchesFloat64)
{
    for (const Case& c : {Case{"window_gqa", 4, 2, 230, 64, true, 50, 0.0f, 2.0f},
                          Case{"softcap", 2, 2, 140, 32, false, 0, 5.0f, 4.0f}}) {
        SCOPED_TRACE(c.name);
        const LayerQkv qkv = makeInput(c, 11u);
        std::vector<float> output(qkv.q.size());
        std::vector<float> lse(static_cast<std::size_t>(c.nHeads) * c.nTokens);
        ASSERT_TRUE(fusedAttention(qkv, output.data(), lse.data()).ok());
        const int head = 1;
        const float* headLse = lse.data() + static_cast<std::size_t>(head) * c.nTokens;
        const int rowBegin = 37;
        const int rowCount = 80;
        const int colBegin = 10;
        const int colCount = c.nTokens - 10;
        std::vector<float> tile;
        ASSERT_TRUE(attentionProbabilityTile(qkv, head, headLse, static_cast<std::size_t>(c.nTokens), rowBegin,
                                             rowCount, colBegin, colCount, tile)
                        .ok());
        ASSERT_EQ(tile.size(), static_cast<std::size_t>(rowCount) * colCount);
        int masked = 0;
        for (int row = 0; row < rowCount; ++row) {
            const ReferenceRow reference = referenceRow(qkv, head, rowBegin + row);
            for (int column = 0; column < colCount; ++column) {
                const double expected = reference.probabilities[static_cast<std::size_t>(colBegin + column)];
                const double actual = tile[static_cast<std::size_t>(row) * colCount + column];
                if (!modelAllows(rowBegin + row, colBegin + column, c.causal, c.slidingWindow)) {
                    EXPECT_EQ(actual, 0.0f);
                    ++masked;
                    continue;
                }
                ASSERT_LE(std::abs(actual - expected), probabilityBound(reference, expected))
                    << "row " << rowBegin + row << " key " << colBegin + column;
            }
        }
        EXPECT_EQ(masked > 0, c.causal) << "the causal case must cover masked entries, the other none";
    }
}

TEST(FusedAttention, ProbabilityTileRejectsBadRequests)
{
    const LayerQkv qkv = makeInput(Case{"bad", 2, 2, 20, 16, true, 0, 0.0f, 1.0f}, 5u);
    const std::vector<float> lse(20, 0.0f);
    std::vector<float> tile;
    EXPECT_EQ(attentionProbabilityTile(qkv, 0, lse.data(), 20, 10, 11, 0, 5, tile).error().code,
              ErrorCode::InvalidArgument);
    EXPECT_EQ(attentionProbabilityTile(qkv, 2, lse.data(), 20, 0, 5, 0, 5, tile).error().code,
              ErrorCode::InvalidArgument);
    EXPECT_EQ(attentionProbabilityTile(qkv, 0, lse.data(), 19, 0, 5, 0, 5, tile).error().code,
              ErrorCode::InvalidArgument);
    EXPECT_TRUE(attentionProbabilityTile(qkv, 0, lse.data(), 20, 0, 20, 0, 20, tile).ok());
}

// The kernel exp on a dense grid of [−87.3, 88] (1.3 M points) against std::exp in double, within
// the bound the attention bound above assumes (Cephes' polynomial with an FMA range reduction).
TEST(FusedAttentionExp, WithinBoundOfDoubleExp)
{
    std::vector<float> inputs;
    for (double x = -87.3; x <= 88.0; x += 0.000137) {
        inputs.push_back(static_cast<float>(x));
    }
    for (const float special : {0.0f, -0.0f, 1e-8f, -1e-8f, 0.34657359f, -0.34657359f, -87.33f}) {
        inputs.push_back(special);
    }
    std::vector<float> outputs(inputs.size());
    for (const CpuIsa isa : availableIsas()) {
        fusedAttentionExp(isa, inputs.data(), outputs.data(), inputs.size());
        double worst = 0.0;
        for (std::size_t index = 0; index < inputs.size(); ++index) {
            const double expected = std::exp(static_cast<double>(inputs[index]));
            worst = std::max(worst, std::abs(outputs[index] - expected) / expected);
        }
        EXPECT_LE(worst, kExpRelativeError) << cpuIsaName(isa);
        RecordProperty(std::string("worst_relative_error_") + cpuIsaName(isa), std::to_string(worst));
        std::printf("exp %s: worst relative error %.3g (%.2f ulp)\n", cpuIsaName(isa), worst, worst / 0x1p-23);
    }
}

TEST(FusedAttentionExp, MaskedAndUnderflowingInputsGiveZero)
{
    const float negInf = -std::numeric_limits<float>::infinity();
    const std::vector<float> inputs{negInf, -1000.0f, -88.0f, -87.5f, negInf, negInf, negInf, negInf,
                                    negInf, negInf, negInf, negInf, negInf, negInf, negInf, negInf, negInf};
    for (const CpuIsa isa : availableIsas()) {
        if (isa == CpuIsa::Portable) {
            continue; // std::exp: denormal results for x in (−103.9, −87.3) are kept, −inf still gives 0
        }
        std::vector<float> outputs(inputs.size(), 1.0f);
        fusedAttentionExp(isa, inputs.data(), outputs.data(), inputs.size());
        for (std::size_t index = 0; index < inputs.size(); ++index) {
            EXPECT_EQ(outputs[index], 0.0f) << cpuIsaName(isa) << " exp(" << inputs[index] << ")";
        }
    }
    float zero = 0.0f;
    float one = 0.0f;
    fusedAttentionExp(widestIsa(cpuFeatures()), &zero, &one, 1);
    EXPECT_EQ(one, 1.0f);
}

TEST(CpuIsaDispatch, WidestIsaNeedsEveryFeature)
{
    CpuFeatures features;
    EXPECT_EQ(widestIsa(features), CpuIsa::Portable);
    features.avx2 = true;
    EXPECT_EQ(widestIsa(features), CpuIsa::Portable) << "AVX2 without FMA";
    features.fma = true;
    EXPECT_EQ(widestIsa(features), CpuIsa::Avx2);
    features.avx512f = true;
    features.avx512vl = true;
    features.avx512dq = true;
    EXPECT_EQ(widestIsa(features), CpuIsa::Avx2) << "AVX-512 without BW";
    features.avx512bw = true;
    EXPECT_EQ(widestIsa(features), CpuIsa::Avx512);
}

TEST(CpuIsaDispatch, RequestsOnlyLowerTheIsa)
{
    EXPECT_EQ(resolveIsa(CpuIsa::Avx2, std::nullopt), CpuIsa::Avx2);
    EXPECT_EQ(resolveIsa(CpuIsa::Avx2, CpuIsa::Avx512), CpuIsa::Avx2);
    EXPECT_EQ(resolveIsa(CpuIsa::Avx512, CpuIsa::Portable), CpuIsa::Portable);
    EXPECT_EQ(resolveIsa(CpuIsa::Portable, CpuIsa::Avx2), CpuIsa::Portable);
    EXPECT_EQ(parseCpuIsa("avx512"), CpuIsa::Avx512);
    EXPECT_EQ(parseCpuIsa("avx2"), CpuIsa::Avx2);
    EXPECT_EQ(parseCpuIsa("portable"), CpuIsa::Portable);
    EXPECT_EQ(parseCpuIsa("AVX2"), std::nullopt);
    for (const CpuIsa isa : {CpuIsa::Portable, CpuIsa::Avx2, CpuIsa::Avx512}) {
        EXPECT_EQ(parseCpuIsa(cpuIsaName(isa)), isa);
    }
}

TEST(CpuIsaDispatch, KernelWidthMustDivideHeadDim)
{
#if defined(__x86_64__) || defined(__i386__)
    EXPECT_EQ(fusedAttentionIsa(CpuIsa::Avx512, 64), CpuIsa::Avx512);
    EXPECT_EQ(fusedAttentionIsa(CpuIsa::Avx512, 128), CpuIsa::Avx512);
    EXPECT_EQ(fusedAttentionIsa(CpuIsa::Avx512, 16), CpuIsa::Avx512);
    EXPECT_EQ(fusedAttentionIsa(CpuIsa::Avx512, 8), CpuIsa::Avx2);
    EXPECT_EQ(fusedAttentionIsa(CpuIsa::Avx512, 40), CpuIsa::Avx2);
    EXPECT_EQ(fusedAttentionIsa(CpuIsa::Avx2, 64), CpuIsa::Avx2);
    EXPECT_EQ(fusedAttentionIsa(CpuIsa::Avx512, 20), CpuIsa::Portable);
    EXPECT_EQ(fusedAttentionIsa(CpuIsa::Avx2, 12), CpuIsa::Portable);
#endif
    EXPECT_EQ(fusedAttentionIsa(CpuIsa::Portable, 64), CpuIsa::Portable);
}

} // namespace
} // namespace attnscope::attn

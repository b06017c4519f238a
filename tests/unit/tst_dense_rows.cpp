// The kept dense rows of a head (dense_rows.h) and the score kernel behind them: a block of rows
// scores every pair with the bits a row scored alone gets (so selections and their ties do not
// depend on the path), both within float rounding of a double-precision dot product; runs that read
// kept rows give the same kept keys and metrics as runs that recompute; and the metrics that sum
// over every key (TV, KL(dense ‖ effective)) equal a plain double-precision reference over the
// full dense matrix of referenceAttention.
#include "attention/dense_rows.h"
#include "attention/metrics.h"
#include "attention/variant_runner.h"
#include "attention/variants.h"
#include "attnscope_kernels/mask_predicates.h"
#include "tst_variant_fixture.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

namespace attnscope {
namespace {

bool sameBits(float a, float b)
{
    return std::memcmp(&a, &b, sizeof(float)) == 0;
}

TEST(DenseRows, BlockScoresAreTheRowScoresBitForBitAndCloseToDouble)
{
    // d = 20 and 36 leave a tail below the 8-lane chunks; softcap passes through tanh.
    for (const int headDim : {64, 32, 20, 36}) {
        for (const float softcap : {0.0f, 5.0f}) {
            testing::LayerShape shape;
            shape.headDim = headDim;
            shape.nTokens = 77;
            shape.causal = false;
            LayerQkv layer = testing::makeStructuredLayer(shape);
            layer.softcap = softcap;
            const attn::HeadInput input = attn::makeHeadInput(layer, 1);
            const int n = input.nTokens;
            // An odd block (rows and keys not multiples of the 2 × 4 tile) at an odd offset.
            const int rowBegin = 3;
            const int rowEnd = 70;
            const int keyBegin = 5;
            const int keyEnd = 76;
            const auto stride = static_cast<std::size_t>(keyEnd - keyBegin + 3);
            std::vector<float> block(stride * (rowEnd - rowBegin), -1.0f);
            attn::scoreBlock(input, rowBegin, rowEnd, keyBegin, keyEnd, block.data(), stride);
            std::vector<float> row(static_cast<std::size_t>(n));
            for (int queryPos = rowBegin; queryPos < rowEnd; ++queryPos) {
                attn::scoreRow(input, queryPos, attn::KeyRange{keyBegin, keyEnd - 1}, row.data());
                for (int key = keyBegin; key < keyEnd; ++key) {
                    const float fromBlock = block[static_cast<std::size_t>(queryPos - rowBegin) * stride + (key - keyBegin)];
                    ASSERT_TRUE(sameBits(fromBlock, row[static_cast<std::size_t>(key - keyBegin)]))
                        << "d " << headDim << " row " << queryPos << " key " << key;
                    double dot = 0.0;
                    for (int dim = 0; dim < headDim; ++dim) {
                        dot += static_cast<double>(input.q[static_cast<std::size_t>(queryPos) * headDim + dim]) *
                               input.k[static_cast<std::size_t>(key) * headDim + dim];
                    }
                    double expected = dot * input.scale;
                    if (softcap > 0.0f) {
                        expected = softcap * std::tanh(expected / softcap);
                    }
                    EXPECT_NEAR(fromBlock, expected, 1e-5 * (1.0 + std::abs(expected))) << "d " << headDim;
                }
            }
        }
    }
}

// Runs `text` on one head, with or without that head's kept rows.
HeadVariantResult runHead(const LayerQkv& layer, int head, const char* text, const attn::DenseRows* rows,
                          VariantMetrics& metrics)
{
    auto spec = parseVariantSpec(text);
    EXPECT_TRUE(spec) << text;
    VariantRunOptions options;
    options.heads = {head};
    options.denseForOtherHeads = false;
    auto run = attn::runLayerVariant(layer, spec.value(), options, nullptr, rows);
    EXPECT_TRUE(run) << text;
    metrics = run->metrics.front();
    return std::move(run->heads.front());
}

TEST(DenseRows, KeptRowsGiveTheSameKeysAndMetricsAsRecomputing)
{
    testing::LayerShape windowed;
    windowed.slidingWindow = 20;
    // Keys duplicated in pairs: equal scores, so top-k boundaries split ties (lower key wins).
    LayerQkv ties = testing::makeStructuredLayer({});
    for (int token = 1; token < ties.nTokens; token += 2) {
        const std::size_t d = static_cast<std::size_t>(ties.headDim);
        std::copy_n(ties.k.begin() + static_cast<std::ptrdiff_t>((token - 1) * d), d,
                    ties.k.begin() + static_cast<std::ptrdiff_t>(token * d));
    }
    for (const LayerQkv& layer : {testing::makeStructuredLayer({}), testing::makeStructuredLayer(windowed), ties}) {
        const int head = 2;
        const attn::HeadInput input = attn::makeHeadInput(layer, head);
        const attn::DenseRows rows = attn::buildDenseRows(input, 0, input.nTokens, 0);
        for (const char* text : {"topk:k=3", "topk:k=8", "topp:p=0.8", "threshold:delta=2", "window:w=7",
                                 "random:density=0.3,seed=5", "sea:k=8,tm=16"}) {
            VariantMetrics recomputed;
            VariantMetrics read;
            const HeadVariantResult plain = runHead(layer, head, text, nullptr, recomputed);
            const HeadVariantResult kept = runHead(layer, head, text, &rows, read);
            EXPECT_EQ(kept.attention.rowPtr, plain.attention.rowPtr) << text;
            EXPECT_EQ(kept.attention.cols, plain.attention.cols) << text;
            EXPECT_EQ(kept.output, plain.output) << text;
            EXPECT_NEAR(read.recall, recomputed.recall, 1e-12) << text;
            EXPECT_NEAR(read.kl, recomputed.kl, 1e-12) << text;
            EXPECT_NEAR(read.tv, recomputed.tv, 1e-12) << text;
            EXPECT_NEAR(read.klDenseEffective, recomputed.klDenseEffective, 1e-10) << text;
            EXPECT_NEAR(read.jaccard, recomputed.jaccard, 1e-12) << text;
            EXPECT_NEAR(read.outputError, recomputed.outputError, 1e-12) << text;
        }
    }
}

TEST(DenseRows, FullRowMetricsMatchADoublePrecisionReference)
{
    for (const bool causal : {true, false}) {
        testing::LayerShape shape;
        shape.causal = causal;
        const LayerQkv layer = testing::makeStructuredLayer(shape);
        const int head = 1;
        const attn::HeadInput input = attn::makeHeadInput(layer, head);
        const int n = input.nTokens;
        std::vector<double> referenceOutput;
        std::vector<double> probabilities;
        attn::referenceAttention(input, referenceOutput, &probabilities);
        for (const char* text : {"topk:k=5", "window:w=9", "random:density=0.25,seed=2", "performer:features=64"}) {
            VariantMetrics metrics;
            const HeadVariantResult result = runHead(layer, head, text, nullptr, metrics);
            ASSERT_FALSE(result.attention.empty()) << text;
            double tv = 0.0;
            double klDense = 0.0;
            for (int row = 0; row < n; ++row) {
                std::vector<double> effective(static_cast<std::size_t>(n), 0.0);
                for (auto entry = result.attention.rowPtr[row]; entry < result.attention.rowPtr[row + 1]; ++entry) {
                    effective[static_cast<std::size_t>(result.attention.cols[static_cast<std::size_t>(entry)])] =
                        result.attention.weights[static_cast<std::size_t>(entry)];
                }
                double rowTv = 0.0;
                for (int key = 0; key < n; ++key) {
                    const double p = probabilities[static_cast<std::size_t>(row) * n + key];
                    const double e = effective[static_cast<std::size_t>(key)];
                    rowTv += std::abs(e - p);
                    if (p > 0.0) {
                        klDense += p * std::log(p / (std::max(e, 0.0) + attn::kKlEpsilon));
                    }
                }
                tv += 0.5 * rowTv;
            }
            EXPECT_NEAR(metrics.tv, tv / n, 1e-5) << text << " causal " << causal;
            EXPECT_NEAR(metrics.klDenseEffective, klDense / n, 1e-4 * (1.0 + klDense / n)) << text << " causal " << causal;
        }
    }
}

} // namespace
} // namespace attnscope

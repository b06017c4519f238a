// Identities every variant must satisfy exactly (up to float rounding): budget clamps give dense,
// masks on exact scores obey KL = -log(recall) and TV = 1 - recall per row, FAST's factorised form
// equals its explicit matrix, densities hit their targets, seeds are reproducible, GQA is right.
#include "attention/metrics.h"
#include "attention/variant_runner.h"
#include "attention/variants.h"
#include "attnscope_kernels/mask_predicates.h"
#include "tst_variant_fixture.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>

namespace attnscope {
namespace {

LayerVariantResult run(const LayerQkv& layer, const char* text, VariantRunOptions options = {})
{
    return testing::runVariantText(layer, text, options);
}

double maxAbsDifference(const std::vector<float>& a, const std::vector<float>& b)
{
    EXPECT_EQ(a.size(), b.size());
    double worst = 0.0;
    for (std::size_t index = 0; index < std::min(a.size(), b.size()); ++index) {
        worst = std::max(worst, static_cast<double>(std::abs(a[index] - b[index])));
    }
    return worst;
}

// Every head's exact attention output in float64 (referenceAttention), head-major like
// LayerVariantResult::outputs.
std::vector<double> exactOutputs(const LayerQkv& layer)
{
    std::vector<double> all;
    std::vector<double> head;
    for (int index = 0; index < layer.nHeads; ++index) {
        attn::referenceAttention(attn::makeHeadInput(layer, index), head, nullptr);
        all.insert(all.end(), head.begin(), head.end());
    }
    return all;
}

double maxAbsError(const std::vector<float>& values, const std::vector<double>& exact)
{
    EXPECT_EQ(values.size(), exact.size());
    double worst = 0.0;
    for (std::size_t index = 0; index < std::min(values.size(), exact.size()); ++index) {
        worst = std::max(worst, std::abs(values[index] - exact[index]));
    }
    return worst;
}

double norm(const std::vector<float>& values)
{
    double sum = 0.0;
    for (float value : values) {
        sum += static_cast<double>(value) * value;
    }
    return std::sqrt(sum);
}

std::vector<testing::LayerShape> shapes()
{
    testing::LayerShape causal;
    testing::LayerShape bidirectional;
    bidirectional.causal = false;
    testing::LayerShape windowed;
    windowed.slidingWindow = 20;
    testing::LayerShape windowedBidirectional;
    windowedBidirectional.causal = false;
    windowedBidirectional.slidingWindow = 20;
    return {causal, bidirectional, windowed, windowedBidirectional};
}

TEST(VariantIdentities, ClampedBudgetsAreDense)
{
    for (const testing::LayerShape& shape : shapes()) {
        const LayerQkv layer = testing::makeStructuredLayer(shape);
        const LayerVariantResult dense = run(layer, "dense");
        ASSERT_GT(norm(dense.outputs), 0.0);
        // Dense and every clamped variant are exact attention within 2e-5, both against float64: the
        // fp32 kernels they run (Eigen blocks, per-row CSR, fused micro-kernels on gathered rows)
        // round differently, each by up to ~1.4e-5 here, so comparing two of them would count both.
        const std::vector<double> exact = exactOutputs(layer);
        EXPECT_LT(maxAbsError(dense.outputs, exact), 2e-5) << "causal " << shape.causal;
        for (const char* text : {"topk:k=96", "topk:k=1000000", "window:w=96", "window:w=1000000",
                                 "sbm:clusters=1,density=1", "sac:preset=full", "sac:alpha=1000000",
                                 "random:density=1", "topp:p=1", "longformer:w=1000,global=0",
                                 "dsa:density=1", "sea:mode=oracle,k=1000000"}) {
            const LayerVariantResult variant = run(layer, text);
            EXPECT_LT(maxAbsError(variant.outputs, exact), 2e-5) << text << " causal " << shape.causal;
            for (const VariantMetrics& metrics : variant.metrics) {
                EXPECT_DOUBLE_EQ(metrics.density, 1.0) << text;
                EXPECT_NEAR(metrics.recall, 1.0, 1e-6) << text;
                EXPECT_NEAR(metrics.tv, 0.0, 1e-5) << text;
                EXPECT_NEAR(metrics.jaccard, 1.0, 1e-12) << text;
                EXPECT_LT(metrics.outputError, 1e-5) << text;
            }
        }
    }
}

TEST(VariantIdentities, MasksOnExactScoresObeyKlAndTvIdentitiesPerRow)
{
    for (const testing::LayerShape& shape : shapes()) {
        const LayerQkv layer = testing::makeStructuredLayer(shape);
        for (const char* text : {"topk:k=8", "window:w=7", "random:density=0.2,seed=3", "dsa:density=0.15",
                                 "sac:alpha=6", "sac:mode=oracle,alpha=6", "sbm:clusters=4,density=0.2",
                                 "bigbird:block=8,random=1", "sea:k=8,tm=16,features=64", "strided",
                                 "longformer:w=9,global=2", "topp:p=0.8", "threshold:delta=2"}) {
            const LayerVariantResult result = run(layer, text);
            for (std::size_t index = 0; index < result.heads.size(); ++index) {
                const HeadVariantResult& head = result.heads[index];
                const attn::HeadInput input = attn::makeHeadInput(layer, head.head);
                std::vector<double> referenceOut;
                std::vector<double> probabilities;
                attn::referenceAttention(input, referenceOut, &probabilities);
                const int n = input.nTokens;
                double meanMinusLogRecall = 0.0;
                double meanRecall = 0.0;
                int rowsWithKeys = 0;
                for (int row = 0; row < n; ++row) {
                    double recall = 0.0;
                    double kl = 0.0;
                    double weightSum = 0.0;
                    std::vector<double> effective(static_cast<std::size_t>(n), 0.0);
                    for (auto entry = head.attention.rowPtr[row]; entry < head.attention.rowPtr[row + 1]; ++entry) {
                        const int col = head.attention.cols[static_cast<std::size_t>(entry)];
                        const double weight = head.attention.weights[static_cast<std::size_t>(entry)];
                        const double p = probabilities[static_cast<std::size_t>(row) * n + col];
                        ASSERT_TRUE(modelAllows(row, col, input.causal, input.slidingWindow)) << text;
                        effective[static_cast<std::size_t>(col)] = weight;
                        recall += p;
                        weightSum += weight;
                        kl += weight * std::log(weight / p);
                    }
                    double tv = 0.0;
                    for (int col = 0; col < n; ++col) {
                        tv += std::abs(effective[static_cast<std::size_t>(col)] -
                                       probabilities[static_cast<std::size_t>(row) * n + col]);
                    }
                    meanRecall += recall;
                    if (head.attention.rowPtr[row + 1] == head.attention.rowPtr[row]) {
                        continue;
                    }
                    ++rowsWithKeys;
                    EXPECT_NEAR(weightSum, 1.0, 1e-5) << text << " row " << row;
                    EXPECT_NEAR(kl, -std::log(recall), 2e-5) << text << " row " << row;
                    EXPECT_NEAR(0.5 * tv, 1.0 - recall, 2e-5) << text << " row " << row;
                    meanMinusLogRecall += -std::log(recall);
                }
                const VariantMetrics& metrics = result.metrics[index];
                EXPECT_NEAR(metrics.recall, meanRecall / n, 1e-5) << text;
                EXPECT_NEAR(metrics.kl, meanMinusLogRecall / std::max(rowsWithKeys, 1), 1e-4) << text;
                EXPECT_NEAR(metrics.tv, 1.0 - metrics.recall, 1e-5) << text;
                EXPECT_GE(metrics.klDenseEffective, metrics.kl - 1e-9) << text;
            }
        }
    }
}

TEST(VariantIdentities, FastFactorisedEqualsItsExplicitMatrix)
{
    for (const testing::LayerShape& shape : shapes()) {
        const LayerQkv layer = testing::makeStructuredLayer(shape);
        // form=factorised: on these short texts form=auto would take the explicit sums, which are
        // the matrix itself (FastExplicitFormEqualsTheFactorisedOne compares the two forms).
        for (const char* text : {"fast:form=factorised", "fast:order=1,form=factorised", "fast:mode=taylor,form=factorised",
                                 "fast:center=true,tau=0.5,form=factorised", "fast:mode=taylor,order=1,form=factorised",
                                 "performer:features=64,seed=2"}) {
            const LayerVariantResult result = run(layer, text);
            for (const HeadVariantResult& head : result.heads) {
                const attn::HeadInput input = attn::makeHeadInput(layer, head.head);
                const int d = input.headDim;
                ASSERT_EQ(head.attention.nnz(), attn::allowedPairCount(input)) << text;
                for (int row = 0; row < input.nTokens; ++row) {
                    std::vector<double> explicitOut(static_cast<std::size_t>(d), 0.0);
                    double weightSum = 0.0;
                    for (auto entry = head.attention.rowPtr[row]; entry < head.attention.rowPtr[row + 1]; ++entry) {
                        const int col = head.attention.cols[static_cast<std::size_t>(entry)];
                        const double weight = head.attention.weights[static_cast<std::size_t>(entry)];
                        weightSum += weight;
                        for (int dim = 0; dim < d; ++dim) {
                            explicitOut[static_cast<std::size_t>(dim)] += weight * input.v[static_cast<std::size_t>(col) * d + dim];
                        }
                    }
                    EXPECT_NEAR(weightSum, 1.0, 1e-5) << text;
                    for (int dim = 0; dim < d; ++dim) {
                        EXPECT_NEAR(head.output[static_cast<std::size_t>(row) * d + dim],
                                    explicitOut[static_cast<std::size_t>(dim)],
                                    // Relative: order 1 in taylor mode has near-zero denominators
                                    // (f(x) = 1 + x goes negative), so outputs can be in the hundreds.
                                    2e-5 * (1.0 + std::abs(explicitOut[static_cast<std::size_t>(dim)])))
                            << text << " row " << row;
                    }
                }
            }
        }
    }
}

TEST(VariantIdentities, FastExplicitFormEqualsTheFactorisedOne)
{
    // The explicit sums over allowed pairs and the paper's factorised moments are two orders of the
    // same double-precision sums: outputs and weights agree to float rounding, on causal,
    // bidirectional, windowed and GQA shapes, and auto picks the explicit form on these short texts.
    for (const testing::LayerShape& shape : shapes()) {
        const LayerQkv layer = testing::makeStructuredLayer(shape);
        for (const char* options : {"", "order=1", "mode=taylor", "center=true,tau=0.5", "mode=taylor,order=1"}) {
            const std::string suffix = std::string(options).empty() ? "" : std::string(",") + options;
            const LayerVariantResult factorised = run(layer, ("fast:form=factorised" + suffix).c_str());
            const LayerVariantResult explicitSums = run(layer, ("fast:form=explicit" + suffix).c_str());
            const LayerVariantResult automatic = run(layer, ("fast:form=auto" + suffix).c_str());
            ASSERT_EQ(factorised.heads.size(), explicitSums.heads.size());
            for (std::size_t head = 0; head < factorised.heads.size(); ++head) {
                const HeadVariantResult& a = factorised.heads[head];
                const HeadVariantResult& b = explicitSums.heads[head];
                ASSERT_EQ(a.output.size(), b.output.size());
                for (std::size_t index = 0; index < a.output.size(); ++index) {
                    EXPECT_NEAR(a.output[index], b.output[index], 2e-5 * (1.0 + std::abs(b.output[index])))
                        << options << " head " << head << " at " << index;
                }
                ASSERT_EQ(a.attention.weights.size(), b.attention.weights.size());
                for (std::size_t index = 0; index < a.attention.weights.size(); ++index) {
                    EXPECT_NEAR(a.attention.weights[index], b.attention.weights[index],
                                1e-5 * (1.0 + std::abs(b.attention.weights[index])))
                        << options << " head " << head;
                }
                EXPECT_EQ(automatic.heads[head].output, b.output) << "auto takes the explicit form here";
                EXPECT_EQ(a.stats.attentionFlops, b.stats.attentionFlops) << "the method's cost either way";
            }
        }
    }
}

TEST(VariantIdentities, FastPaperRowsAreFlat)
{
    // With |q^·k^| <= 1 every weight of a row lies within a factor f(1)/f(-1) = 5 (order 2).
    const LayerQkv layer = testing::makeStructuredLayer({});
    const LayerVariantResult result = run(layer, "fast");
    for (const HeadVariantResult& head : result.heads) {
        for (int row = 0; row < layer.nTokens; ++row) {
            float low = 1e30f;
            float high = 0.0f;
            for (auto entry = head.attention.rowPtr[row]; entry < head.attention.rowPtr[row + 1]; ++entry) {
                low = std::min(low, head.attention.weights[static_cast<std::size_t>(entry)]);
                high = std::max(high, head.attention.weights[static_cast<std::size_t>(entry)]);
            }
            EXPECT_GT(low, 0.0f);
            EXPECT_LE(high / low, 5.0f + 1e-4f);
        }
    }
}

TEST(VariantIdentities, DensitiesHitTheirTargets)
{
    testing::LayerShape shape;
    shape.nTokens = 256;
    shape.nHeads = 2;
    shape.nKvHeads = 1;
    const LayerQkv layer = testing::makeStructuredLayer(shape);
    // random: round(p·L_i) keys, at least one: within 0.01 of p at N = 256.
    for (const LayerVariantResult& result : {run(layer, "random:density=0.1"), run(layer, "random:density=0.3")}) {
        const double target = specFloat(result.spec, "density");
        for (const VariantMetrics& metrics : result.metrics) {
            EXPECT_NEAR(metrics.density, target, 0.01);
        }
    }
    // dsa: ceil(p·L_i) keys per row: at most one extra key per row above p.
    for (const VariantMetrics& metrics : run(layer, "dsa:density=0.1").metrics) {
        EXPECT_GE(metrics.density, 0.1);
        EXPECT_LE(metrics.density, 0.1 + 256.0 / (256.0 * 257.0 / 2.0));
    }
    // sbm: the expected density is calibrated exactly; the sample is within binomial noise.
    const LayerVariantResult sbm = run(layer, "sbm:clusters=8,density=0.1,floor=0.01");
    for (const HeadVariantResult& head : sbm.heads) {
        EXPECT_NEAR(head.stats.expectedDensity, 0.1, 1e-3);
        EXPECT_NEAR(head.stats.density, 0.1, 0.01);
        EXPECT_EQ(head.clusters, 8);
        EXPECT_EQ(head.queryMemberships.size(), 256u * 8u);
        EXPECT_EQ(head.blockMatrix.size(), 64u);
        EXPECT_NEAR(std::accumulate(head.blockMatrix.begin(), head.blockMatrix.end(), 0.0), 1.0, 1e-5);
        EXPECT_FALSE(head.estimate.empty());
    }
    // sac: a global budget of alpha·N edges plus the diagonal.
    for (const HeadVariantResult& head : run(layer, "sac:alpha=4,selfloop=false").heads) {
        EXPECT_EQ(head.stats.keptPairs, 4 * 256);
        const auto [low, high] = std::minmax_element(head.stats.keptPerRow.begin(), head.stats.keptPerRow.end());
        EXPECT_LT(*low, *high) << "rows should get different edge counts";
    }
    // topk: exactly min(k, L_i) per row.
    for (const HeadVariantResult& head : run(layer, "topk:k=10").heads) {
        for (int row = 0; row < 256; ++row) {
            EXPECT_EQ(head.stats.keptPerRow[static_cast<std::size_t>(row)], std::min(10, row + 1));
        }
    }
}

TEST(VariantIdentities, SeedsAreReproducibleAndMatter)
{
    const LayerQkv layer = testing::makeStructuredLayer({});
    for (const char* kind : {"random:density=0.2", "sbm:clusters=4,density=0.2", "dsa:density=0.2",
                             "bigbird:block=8,random=2", "sea:k=8,tm=16,features=32", "sac:alpha=4,tau=1"}) {
        const std::string base = kind;
        const LayerVariantResult first = run(layer, (base + ",seed=1").c_str());
        const LayerVariantResult again = run(layer, (base + ",seed=1").c_str());
        const LayerVariantResult other = run(layer, (base + ",seed=2").c_str());
        bool anyDifferent = false;
        for (std::size_t head = 0; head < first.heads.size(); ++head) {
            EXPECT_EQ(first.heads[head].attention.cols, again.heads[head].attention.cols) << kind;
            EXPECT_EQ(first.heads[head].attention.rowPtr, again.heads[head].attention.rowPtr) << kind;
            anyDifferent = anyDifferent || first.heads[head].attention.cols != other.heads[head].attention.cols;
        }
        EXPECT_TRUE(anyDifferent) << kind;
        EXPECT_EQ(first.outputs, again.outputs) << kind;
    }
    const LayerVariantResult performer1 = run(layer, "performer:seed=1");
    EXPECT_EQ(performer1.outputs, run(layer, "performer:seed=1").outputs);
    EXPECT_NE(performer1.outputs, run(layer, "performer:seed=2").outputs);
}

TEST(VariantIdentities, GqaReadsTheRightKvHead)
{
    const LayerQkv grouped = testing::makeStructuredLayer({});
    LayerQkv expanded = grouped;
    expanded.nKvHeads = grouped.nHeads;
    const std::size_t perHead = static_cast<std::size_t>(grouped.nTokens) * grouped.headDim;
    expanded.k.clear();
    expanded.v.clear();
    for (int head = 0; head < grouped.nHeads; ++head) {
        const int kvHead = grouped.kvHeadFor(head);
        expanded.k.insert(expanded.k.end(), grouped.k.begin() + kvHead * perHead, grouped.k.begin() + (kvHead + 1) * perHead);
        expanded.v.insert(expanded.v.end(), grouped.v.begin() + kvHead * perHead, grouped.v.begin() + (kvHead + 1) * perHead);
    }
    for (const char* text : {"dense", "topk:k=8", "sea:k=8,tm=16", "sbm:clusters=4", "dsa", "sac", "fast",
                             "performer", "bigbird:block=8"}) {
        const LayerVariantResult a = run(grouped, text);
        const LayerVariantResult b = run(expanded, text);
        EXPECT_LT(maxAbsDifference(a.outputs, b.outputs), 1e-6) << text;
    }
    // Heads 0 and 1 share KV head 0 but have different queries: their outputs differ.
    const LayerVariantResult dense = run(grouped, "dense");
    EXPECT_NE(std::vector<float>(dense.outputs.begin(), dense.outputs.begin() + perHead),
              std::vector<float>(dense.outputs.begin() + perHead, dense.outputs.begin() + 2 * perHead));
}

TEST(VariantIdentities, OneHeadRunsLeaveOtherHeadsAloneOnlyWhenAsked)
{
    // The compare view asks for one head; the other heads' dense outputs are skipped then, and the
    // asked head's output and metrics do not change.
    const LayerQkv layer = testing::makeStructuredLayer({});
    const std::size_t perHead = static_cast<std::size_t>(layer.nTokens) * layer.headDim;
    const auto spec = parseVariantSpec("topk:k=8");
    ASSERT_TRUE(spec);
    VariantRunOptions full;
    full.heads = {2};
    VariantRunOptions headOnly = full;
    headOnly.denseForOtherHeads = false;
    auto withDense = attn::runLayerVariant(layer, spec.value(), full);
    auto alone = attn::runLayerVariant(layer, spec.value(), headOnly);
    ASSERT_TRUE(withDense && alone);
    const LayerVariantResult everyHead = run(layer, "dense");
    for (int head = 0; head < layer.nHeads; ++head) {
        const auto begin = static_cast<std::ptrdiff_t>(perHead * head);
        const std::vector<float> a(withDense->outputs.begin() + begin, withDense->outputs.begin() + begin + perHead);
        const std::vector<float> b(alone->outputs.begin() + begin, alone->outputs.begin() + begin + perHead);
        if (head == 2) {
            EXPECT_EQ(a, b);
            continue;
        }
        const std::vector<float> dense(everyHead.outputs.begin() + begin, everyHead.outputs.begin() + begin + perHead);
        EXPECT_EQ(a, dense) << "head " << head << " must carry dense attention by default";
        EXPECT_EQ(b, std::vector<float>(perHead, 0.0f)) << "head " << head;
    }
    ASSERT_EQ(withDense->metrics.size(), 1u);
    ASSERT_EQ(alone->metrics.size(), 1u);
    EXPECT_EQ(withDense->metrics.front().recall, alone->metrics.front().recall);
}

TEST(VariantIdentities, ModelMaskIsTheAllowedSet)
{
    testing::LayerShape shape;
    shape.slidingWindow = 10;
    const LayerQkv layer = testing::makeStructuredLayer(shape);
    for (const char* text : {"topk:k=50", "random:density=0.5", "sac:alpha=30", "sbm:clusters=2,density=0.9",
                             "bigbird:block=4,random=4", "longformer:w=40", "strided:stride=3", "sea:k=40,tm=4"}) {
        for (const HeadVariantResult& head : run(layer, text).heads) {
            for (int row = 0; row < layer.nTokens; ++row) {
                for (auto entry = head.attention.rowPtr[row]; entry < head.attention.rowPtr[row + 1]; ++entry) {
                    const int col = head.attention.cols[static_cast<std::size_t>(entry)];
                    ASSERT_LE(col, row) << text;
                    ASSERT_LT(row - col, 10) << text;
                }
            }
            EXPECT_EQ(head.stats.allowedPairs, attn::allowedPairCount(attn::makeHeadInput(layer, head.head)));
        }
    }
}

// Position-only patterns build their kept sets from kept blocks and bands, not a predicate per
// pair; each set must still be exactly the pairs its mask predicate (mask_predicates.h, shared with
// the kernels and the drawing) allows inside the model's mask, rows ascending.
TEST(VariantIdentities, PositionPatternsKeepExactlyWhatTheirPredicateAllows)
{
    for (testing::LayerShape shape : shapes()) {
        for (int tokens : {1, 37, 130}) {
            shape.nTokens = tokens;
            const LayerQkv layer = testing::makeStructuredLayer(shape);
            struct Case {
                const char* text;
                std::function<bool(const HeadVariantResult&, int, int)> keeps;
            };
            const Case cases[] = {
                {"bigbird:block=8,random=2",
                 [&](const HeadVariantResult& head, int row, int col) {
                     const int blocks = (tokens + 7) / 8;
                     return head.blockMask[static_cast<std::size_t>(row / 8) * blocks + col / 8] != 0;
                 }},
                {"bigbird:block=5,window=1,global=2,random=0",
                 [&](const HeadVariantResult&, int row, int col) { return bigbirdBlockAllows(row / 5, col / 5, 1, 2); }},
                {"sac:preset=local,w=6",
                 [&](const HeadVariantResult&, int row, int col) { return windowAllows(row, col, 6, shape.causal); }},
                {"sac:preset=multi-scale,w=3",
                 [&](const HeadVariantResult&, int row, int col) { return multiScaleAllows(row, col, 3, shape.causal); }},
                {"sac:preset=adaptive-span,coverage=0.5",
                 [&](const HeadVariantResult& head, int row, int col) { return std::abs(row - col) <= head.span; }},
                {"sac:preset=full", [](const HeadVariantResult&, int, int) { return true; }},
            };
            for (const Case& c : cases) {
                for (const HeadVariantResult& head : run(layer, c.text).heads) {
                    const attn::HeadInput input = attn::makeHeadInput(layer, head.head);
                    ASSERT_EQ(head.attention.rowPtr.size(), static_cast<std::size_t>(tokens) + 1) << c.text;
                    for (int row = 0; row < tokens; ++row) {
                        std::vector<std::int32_t> expected;
                        const attn::KeyRange range = attn::allowedKeys(input, row);
                        for (int col = range.first; col <= range.last; ++col) {
                            if (c.keeps(head, row, col)) {
                                expected.push_back(col);
                            }
                        }
                        const std::vector<std::int32_t> kept(
                            head.attention.cols.begin() + head.attention.rowPtr[static_cast<std::size_t>(row)],
                            head.attention.cols.begin() + head.attention.rowPtr[static_cast<std::size_t>(row) + 1]);
                        ASSERT_EQ(kept, expected) << c.text << ", row " << row << " of " << tokens
                                                  << (shape.causal ? ", causal" : ", bidirectional")
                                                  << ", window " << shape.slidingWindow;
                    }
                }
            }
        }
    }
}

TEST(VariantIdentities, EmptyRowsGiveZeroOutputAndAreCounted)
{
    const LayerQkv layer = testing::makeStructuredLayer({});
    const LayerVariantResult result = run(layer, "threshold:by=prob,prob=0.9");
    int empty = 0;
    for (const HeadVariantResult& head : result.heads) {
        empty += head.stats.emptyRows;
        for (int row = 0; row < layer.nTokens; ++row) {
            if (head.stats.keptPerRow[static_cast<std::size_t>(row)] == 0) {
                for (int dim = 0; dim < layer.headDim; ++dim) {
                    EXPECT_EQ(head.output[static_cast<std::size_t>(row) * layer.headDim + dim], 0.0f);
                }
            }
        }
    }
    EXPECT_GT(empty, 0);
    EXPECT_LT(empty, 4 * layer.nTokens);
}

TEST(VariantIdentities, MasksAreNonTrivial)
{
    const LayerQkv layer = testing::makeStructuredLayer({});
    for (const char* text : {"topk:k=8", "window:w=8", "strided", "bigbird:block=8", "longformer:w=8", "random",
                             "sea:k=8,tm=16", "sbm:clusters=4", "dsa", "sac:alpha=4", "topp:p=0.5"}) {
        for (const VariantMetrics& metrics : run(layer, text).metrics) {
            EXPECT_GT(metrics.density, 0.0) << text;
            EXPECT_LT(metrics.density, 1.0) << text;
            EXPECT_GT(metrics.recall, 0.0) << text;
        }
    }
}

// What an exact selection must return: the `count` largest values' indices by a stable sort (ties
// to the lower index), ascending.
std::vector<int> stableTopIndices(const std::vector<float>& values, int count)
{
    std::vector<int> order(values.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
        return values[static_cast<std::size_t>(a)] > values[static_cast<std::size_t>(b)];
    });
    std::vector<int> expected(order.begin(), order.begin() + count);
    std::sort(expected.begin(), expected.end());
    return expected;
}

TEST(VariantIdentities, RowSelectionIsTheExactTopCount)
{
    // selectTopIndices (sampled pivots, vector partitions) must return exactly what a stable full
    // sort does (largest values, ties to the lower index, ascending indices), including rows with
    // heavy ties, constant rows, and sorted rows where a strided sample is least representative.
    attn::Rng rng(3);
    for (int variant = 0; variant < 6; ++variant) {
        const int n = variant == 5 ? 61 : 512 + 977 * variant;
        std::vector<float> values(static_cast<std::size_t>(n));
        for (int index = 0; index < n; ++index) {
            const double draw = rng.normal();
            switch (variant) {
            case 0: values[static_cast<std::size_t>(index)] = static_cast<float>(draw); break;
            case 1: values[static_cast<std::size_t>(index)] = static_cast<float>(std::round(draw * 2.0)); break;
            case 2: values[static_cast<std::size_t>(index)] = static_cast<float>(index % 97); break;
            case 3: values[static_cast<std::size_t>(index)] = static_cast<float>(index); break;
            case 4: values[static_cast<std::size_t>(index)] = 1.5f; break;
            default: values[static_cast<std::size_t>(index)] = static_cast<float>(index % 2 == 0 ? -index : 3); break;
            }
        }
        for (int count : {1, 7, n / 10, n / 4, n / 4 + 1, n - 1}) {
            std::vector<int> selected;
            attn::selectTopIndices(values.data(), n, count, selected);
            EXPECT_EQ(selected, stableTopIndices(values, count)) << "variant " << variant << " count " << count;
        }
    }
}

TEST(VariantIdentities, RowSelectionStaysExactWhenItsSampleMisleadsIt)
{
    // The quickselect takes its pivots from evenly spaced values. Here the evenly spaced positions
    // hold the row's largest (or smallest) values, so the first pivots are as wrong as they can be
    // and the rounds must still end on the exact top count.
    const auto expectExact = [](const std::vector<float>& values, int count, const char* what) {
        std::vector<int> selected;
        attn::selectTopIndices(values.data(), static_cast<int>(values.size()), count, selected);
        EXPECT_EQ(selected, stableTopIndices(values, count)) << what << " count " << count;
    };
    attn::Rng rng(11);
    const int n = 2048;
    std::vector<float> high(static_cast<std::size_t>(n));
    std::vector<float> low(static_cast<std::size_t>(n));
    for (int index = 0; index < n; ++index) {
        const auto draw = static_cast<float>(rng.normal());
        high[static_cast<std::size_t>(index)] = -4.0f + 0.5f * draw;
        low[static_cast<std::size_t>(index)] = 4.0f + 0.5f * draw;
    }
    for (int slot = 0; slot < 64; ++slot) {
        const std::size_t position = static_cast<std::size_t>((2 * slot + 1) * n / 128);
        high[position] = 10.0f + static_cast<float>(slot % 5);
        low[position] = -10.0f - static_cast<float>(slot % 5);
    }
    for (int count : {17, 100, 205, 512}) {
        expectExact(high, count, "sampled positions hold the largest values");
        expectExact(low, count, "sampled positions hold the smallest values");
    }
}

TEST(VariantIdentities, SbmExposesItsGraph)
{
    const LayerQkv layer = testing::makeStructuredLayer({});
    const LayerVariantResult result = run(layer, "sbm:clusters=6,density=0.2,seed=4");
    const HeadVariantResult& head = result.heads[0];
    ASSERT_EQ(head.estimate.size(), 96u * 96u);
    EXPECT_EQ(head.estimateKind, "edge_probabilities");
    for (float membership : head.keyMemberships) {
        ASSERT_GE(membership, 0.0f);
        ASSERT_LE(membership, 1.0f);
    }
    EXPECT_GT(head.blockScale, 0.0);
}

} // namespace
} // namespace attnscope

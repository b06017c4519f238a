// The pieces that make mask estimation cheap, each against an independent reference: sbm's
// rejection-free sampler (draw frequencies and the sampled mask against the exact keep
// probabilities, within binomial bounds), dsa's query-block prediction (against a double-precision
// re-implementation of the block ranking), sea's shared bin tiling (oracle cells against dense
// probabilities pooled by the test's own tiling), and sac's streamed global selection (against a
// double-precision global sort of the same scores).
#include "attention/sbm_sampler.h"
#include "attention/variant_runner.h"
#include "attention/variants.h"
#include "tst_variant_fixture.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <iterator>
#include <limits>
#include <numeric>
#include <string>
#include <utility>

namespace attnscope {
namespace {

LayerVariantResult run(const LayerQkv& layer, const char* text, VariantRunOptions options = {})
{
    return testing::runVariantText(layer, text, options);
}

// |observed − expected| within z standard deviations of a sum of independent Bernoulli draws
// (plus one for the discreteness of small counts).
void expectWithinBinomial(double observed, double expected, double variance, double z, const std::string& what)
{
    EXPECT_LE(std::abs(observed - expected), z * std::sqrt(variance) + 1.0)
        << what << ": observed " << observed << ", expected " << expected << ", sd " << std::sqrt(variance);
}

TEST(VariantEstimators, KeyColumnSamplerDrawsInProportionToMembership)
{
    constexpr int kKeys = 300;
    constexpr int kClusters = 3;
    attn::Rng rng(21);
    std::vector<float> members(static_cast<std::size_t>(kKeys) * kClusters);
    for (int key = 0; key < kKeys; ++key) {
        for (int cluster = 0; cluster < kClusters; ++cluster) {
            // Skewed like sigmoid memberships: most tiny, a few large, some exactly zero.
            const double draw = rng.uniform();
            members[static_cast<std::size_t>(key) * kClusters + cluster] =
                key % 37 == 3 ? 0.0f : static_cast<float>(std::pow(draw, 6.0));
        }
    }
    const attn::KeyColumnSampler sampler(members.data(), kKeys, kClusters);
    constexpr int kDraws = 200000;
    for (const attn::KeyRange range : {attn::KeyRange{0, kKeys - 1}, attn::KeyRange{0, 40}, attn::KeyRange{123, 250}}) {
        for (int cluster = 0; cluster < kClusters; ++cluster) {
            double mass = 0.0;
            for (int key = range.first; key <= range.last; ++key) {
                mass += members[static_cast<std::size_t>(key) * kClusters + cluster];
            }
            ASSERT_GT(mass, 0.0);
            EXPECT_NEAR(sampler.rangeMass(cluster, range), mass, 1e-9 * mass);
            std::vector<int> counts(static_cast<std::size_t>(kKeys), 0);
            attn::Rng uniforms(100 + cluster);
            for (int draw = 0; draw < kDraws; ++draw) {
                const int key = sampler.draw(cluster, range, uniforms.uniform());
                ASSERT_GE(key, range.first);
                ASSERT_LE(key, range.last);
                ++counts[static_cast<std::size_t>(key)];
            }
            for (int key = range.first; key <= range.last; ++key) {
                const double p = members[static_cast<std::size_t>(key) * kClusters + cluster] / mass;
                if (p == 0.0) {
                    EXPECT_EQ(counts[static_cast<std::size_t>(key)], 0) << "zero membership drawn, key " << key;
                    continue;
                }
                expectWithinBinomial(counts[static_cast<std::size_t>(key)], kDraws * p, kDraws * p * (1.0 - p), 5.0,
                                     "key " + std::to_string(key) + " cluster " + std::to_string(cluster));
            }
        }
    }
}

TEST(VariantEstimators, SbmSampledMaskMatchesItsEdgeProbabilities)
{
    // The exposed estimate holds every pair's keep probability 1 − (1 − floor)·exp(−c·P_ij),
    // computed per pair; the rejection-free sampler must produce masks with those marginals.
    // Checked over a fixed set of seeds: the total count, and the count in every 16 × 16 block of
    // pairs, against the sum of the probabilities (independent Bernoulli pairs).
    testing::LayerShape shape;
    shape.nTokens = 192;
    shape.nHeads = 2;
    shape.nKvHeads = 1;
    const LayerQkv layer = testing::makeStructuredLayer(shape);
    constexpr int kBlock = 16;
    constexpr int kSeeds = 6;
    const int n = shape.nTokens;
    const int blocks = n / kBlock;
    std::vector<double> expected(static_cast<std::size_t>(blocks) * blocks, 0.0);
    std::vector<double> variance(expected.size(), 0.0);
    std::vector<double> observed(expected.size(), 0.0);
    for (int seed = 1; seed <= kSeeds; ++seed) {
        const std::string text = "sbm:clusters=4,density=0.15,floor=0.01,seed=" + std::to_string(seed);
        const LayerVariantResult result = run(layer, text.c_str());
        for (const HeadVariantResult& head : result.heads) {
            ASSERT_EQ(head.estimate.size(), static_cast<std::size_t>(n) * n);
            ASSERT_EQ(head.estimateKind, "edge_probabilities");
            for (int row = 0; row < n; ++row) {
                for (int col = 0; col < n; ++col) {
                    const double p = head.estimate[static_cast<std::size_t>(row) * n + col];
                    const std::size_t cell = static_cast<std::size_t>(row / kBlock) * blocks + col / kBlock;
                    expected[cell] += p;
                    variance[cell] += p * (1.0 - p);
                }
                for (auto entry = head.attention.rowPtr[static_cast<std::size_t>(row)];
                     entry < head.attention.rowPtr[static_cast<std::size_t>(row) + 1]; ++entry) {
                    const int col = head.attention.cols[static_cast<std::size_t>(entry)];
                    ASSERT_LE(col, row) << "outside the causal set";
                    observed[static_cast<std::size_t>(row / kBlock) * blocks + col / kBlock] += 1.0;
                }
            }
        }
    }
    const double totalExpected = std::accumulate(expected.begin(), expected.end(), 0.0);
    ASSERT_GT(totalExpected, 100.0);
    expectWithinBinomial(std::accumulate(observed.begin(), observed.end(), 0.0), totalExpected,
                         std::accumulate(variance.begin(), variance.end(), 0.0), 4.0, "all pairs");
    for (std::size_t cell = 0; cell < expected.size(); ++cell) {
        expectWithinBinomial(observed[cell], expected[cell], variance[cell], 5.0, "block " + std::to_string(cell));
    }
}

// The dsa block ranking re-implemented in double from the same projection: the block's summed
// projected query scores its keys, the top ceil(p·L) of the block's longest row are kept, and each
// row keeps those it may see (ties to the lower key).
std::vector<std::vector<int>> referenceBlockDsa(const attn::HeadInput& input, const attn::LowRankProjection& projection,
                                                double density, int block)
{
    const int n = input.nTokens;
    const int r = projection.rank;
    std::vector<std::vector<int>> rows(static_cast<std::size_t>(n));
    for (int rowBegin = 0; rowBegin < n; rowBegin += block) {
        const int rowEnd = std::min(n, rowBegin + block);
        const int keyBegin = attn::allowedKeys(input, rowBegin).first;
        const int keyEnd = attn::allowedKeys(input, rowEnd - 1).last + 1;
        std::vector<double> scores(static_cast<std::size_t>(keyEnd - keyBegin), 0.0);
        int budget = 0;
        for (int row = rowBegin; row < rowEnd; ++row) {
            const int keys = attn::allowedKeys(input, row).size();
            budget = std::max(budget, static_cast<int>(std::ceil(density * keys - 1e-9)));
            for (int key = keyBegin; key < keyEnd; ++key) {
                for (int dim = 0; dim < r; ++dim) {
                    scores[static_cast<std::size_t>(key - keyBegin)] +=
                        static_cast<double>(projection.query[static_cast<std::size_t>(row) * r + dim]) *
                        projection.key[static_cast<std::size_t>(key) * r + dim];
                }
            }
        }
        std::vector<int> order(scores.size());
        std::iota(order.begin(), order.end(), 0);
        std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
            return scores[static_cast<std::size_t>(a)] > scores[static_cast<std::size_t>(b)];
        });
        order.resize(static_cast<std::size_t>(std::min<int>(budget, static_cast<int>(order.size()))));
        std::sort(order.begin(), order.end());
        for (int row = rowBegin; row < rowEnd; ++row) {
            const attn::KeyRange range = attn::allowedKeys(input, row);
            for (int index : order) {
                if (keyBegin + index >= range.first && keyBegin + index <= range.last) {
                    rows[static_cast<std::size_t>(row)].push_back(keyBegin + index);
                }
            }
        }
    }
    return rows;
}

TEST(VariantEstimators, DsaQueryBlocksRankKeysByTheBlockQuery)
{
    for (bool causal : {true, false}) {
        testing::LayerShape shape;
        shape.nTokens = 200;
        shape.causal = causal;
        const LayerQkv layer = testing::makeStructuredLayer(shape);
        const LayerVariantResult blocked = run(layer, "dsa:density=0.1,rank=8,bits=0,block=16,seed=3");
        for (const HeadVariantResult& head : blocked.heads) {
            const attn::HeadInput input = attn::makeHeadInput(layer, head.head);
            const attn::LowRankProjection projection = attn::lowRankProjection(input, 8, 0, 3);
            const auto reference = referenceBlockDsa(input, projection, 0.1, 16);
            // Near-ties of the float and double scores may swap a key; everything else must agree.
            int mismatched = 0;
            for (int row = 0; row < shape.nTokens; ++row) {
                const std::vector<int> kept(head.attention.cols.begin() + head.attention.rowPtr[static_cast<std::size_t>(row)],
                                            head.attention.cols.begin() + head.attention.rowPtr[static_cast<std::size_t>(row) + 1]);
                mismatched += kept != reference[static_cast<std::size_t>(row)] ? 1 : 0;
            }
            EXPECT_LE(mismatched, shape.nTokens / 50) << "causal " << causal << " head " << head.head;
        }
        // block = 1 is the per-row prediction, unchanged.
        const LayerVariantResult perRow = run(layer, "dsa:density=0.1,rank=8,bits=0,seed=3");
        const LayerVariantResult one = run(layer, "dsa:density=0.1,rank=8,bits=0,block=1,seed=3");
        for (std::size_t head = 0; head < perRow.heads.size(); ++head) {
            EXPECT_EQ(perRow.heads[head].attention.cols, one.heads[head].attention.cols);
        }
        // Bidirectional rows of a block see the same keys: exactly ceil(p·N) each.
        if (!causal) {
            for (const HeadVariantResult& head : blocked.heads) {
                for (int kept : head.stats.keptPerRow) {
                    EXPECT_EQ(kept, static_cast<int>(std::ceil(0.1 * shape.nTokens)));
                }
            }
        }
    }
}

// The sea tiling re-implemented: rows in blocks of 16 share min(tm, L) bins over the union of their
// allowed ranges, bin(c) = floor((2c − 1)·bins / (2·L)) for the c-th key (1-based), cut by each
// row's own range.
TEST(VariantEstimators, SeaOracleCellsAreDenseMassInTheBlockTiling)
{
    for (int window : {0, 40}) {
        testing::LayerShape shape;
        shape.nTokens = 150;
        shape.slidingWindow = window;
        const LayerQkv layer = testing::makeStructuredLayer(shape);
        constexpr int kTm = 16;
        const LayerVariantResult result = run(layer, "sea:mode=oracle,k=12,tm=16,grouping=query");
        for (const HeadVariantResult& head : result.heads) {
            const attn::HeadInput input = attn::makeHeadInput(layer, head.head);
            std::vector<double> output;
            std::vector<double> probabilities;
            attn::referenceAttention(input, output, &probabilities);
            ASSERT_EQ(head.compressedEstimate.size(), static_cast<std::size_t>(shape.nTokens) * kTm);
            for (int row = 0; row < shape.nTokens; ++row) {
                const int blockBegin = row / 16 * 16;
                const int blockEnd = std::min(shape.nTokens, blockBegin + 16);
                const int first = attn::allowedKeys(input, blockBegin).first;
                const int length = attn::allowedKeys(input, blockEnd - 1).last - first + 1;
                const int bins = std::min(kTm, length);
                std::vector<double> cells(kTm, 0.0);
                const attn::KeyRange range = attn::allowedKeys(input, row);
                for (int key = range.first; key <= range.last; ++key) {
                    const int c = key - first + 1;
                    const int bin = static_cast<int>((2LL * c - 1) * bins / (2LL * length));
                    cells[static_cast<std::size_t>(bin)] += probabilities[static_cast<std::size_t>(row) * shape.nTokens + key];
                }
                for (int bin = 0; bin < kTm; ++bin) {
                    EXPECT_NEAR(head.compressedEstimate[static_cast<std::size_t>(row) * kTm + bin],
                                cells[static_cast<std::size_t>(bin)], 1e-5)
                        << "window " << window << " row " << row << " bin " << bin;
                }
                // The kept keys are whole bins (cut by the row's range) of the selected cells.
                for (auto entry = head.attention.rowPtr[static_cast<std::size_t>(row)];
                     entry < head.attention.rowPtr[static_cast<std::size_t>(row) + 1]; ++entry) {
                    const int key = head.attention.cols[static_cast<std::size_t>(entry)];
                    const int bin = static_cast<int>((2LL * (key - first + 1) - 1) * bins / (2LL * length));
                    EXPECT_EQ(head.compressedMask[static_cast<std::size_t>(row) * kTm + bin], 1);
                }
            }
        }
    }
}

// SAC's selection re-implemented in double: every allowed pair scored by its row's log-softmax of
// s·q~·k~ + beta·(−log(1 + |i − j|)) (proxy) or log A_ij (oracle), one stable global sort (ties to
// the earlier pair in row-major order), the first `budget` pairs.
std::vector<std::pair<int, int>> referenceSacEdges(const attn::HeadInput& input, const attn::LowRankProjection* projection,
                                                   double beta, std::int64_t budget)
{
    const int n = input.nTokens;
    std::vector<double> probabilities;
    std::vector<double> output;
    if (projection == nullptr) {
        attn::referenceAttention(input, output, &probabilities);
    }
    struct Scored {
        double key;
        int row;
        int col;
    };
    std::vector<Scored> all;
    for (int row = 0; row < n; ++row) {
        const attn::KeyRange range = attn::allowedKeys(input, row);
        std::vector<double> scores;
        for (int key = range.first; key <= range.last; ++key) {
            if (projection == nullptr) {
                scores.push_back(std::log(std::max(probabilities[static_cast<std::size_t>(row) * n + key], 1e-300)));
                continue;
            }
            double dot = 0.0;
            for (int dim = 0; dim < projection->rank; ++dim) {
                dot += static_cast<double>(projection->query[static_cast<std::size_t>(row) * projection->rank + dim]) *
                       projection->key[static_cast<std::size_t>(key) * projection->rank + dim];
            }
            scores.push_back(input.scale * dot - beta * std::log1p(std::abs(row - key)));
        }
        if (projection != nullptr) {
            const double top = *std::max_element(scores.begin(), scores.end());
            double total = 0.0;
            for (double score : scores) {
                total += std::exp(score - top);
            }
            for (double& score : scores) {
                score = std::max(score - top - std::log(total), std::log(1e-300));
            }
        }
        for (int key = range.first; key <= range.last; ++key) {
            all.push_back({scores[static_cast<std::size_t>(key - range.first)], row, key});
        }
    }
    std::stable_sort(all.begin(), all.end(), [](const Scored& a, const Scored& b) { return a.key > b.key; });
    all.resize(static_cast<std::size_t>(std::min<std::int64_t>(budget, static_cast<std::int64_t>(all.size()))));
    std::vector<std::pair<int, int>> edges;
    for (const Scored& scored : all) {
        edges.emplace_back(scored.row, scored.col);
    }
    std::sort(edges.begin(), edges.end());
    return edges;
}

// The streamed global selection (O(alpha·N) candidates, cut back whenever they reach twice the
// budget) must keep exactly the global top-(alpha·N) pairs, the same on one and two threads.
TEST(VariantEstimators, SacKeepsTheGlobalTopOfItsScores)
{
    for (bool causal : {true, false}) {
        testing::LayerShape shape;
        shape.nTokens = 520;
        shape.causal = causal;
        const LayerQkv layer = testing::makeStructuredLayer(shape);
        constexpr double kAlpha = 3.0;
        const auto budget = static_cast<std::int64_t>(std::llround(kAlpha * shape.nTokens));
        for (const char* text : {"sac:alpha=3,rank=8,bits=0,beta=0.5,selfloop=false,seed=4",
                                 "sac:mode=oracle,alpha=3,selfloop=false"}) {
            const bool oracle = std::string(text).find("oracle") != std::string::npos;
            VariantRunOptions one;
            one.threads = 1;
            VariantRunOptions two;
            two.threads = 2;
            const LayerVariantResult single = run(layer, text, one);
            const LayerVariantResult threaded = run(layer, text, two);
            for (std::size_t index = 0; index < single.heads.size(); ++index) {
                const HeadVariantResult& head = single.heads[index];
                EXPECT_EQ(head.attention.cols, threaded.heads[index].attention.cols) << text;
                EXPECT_EQ(head.attention.rowPtr, threaded.heads[index].attention.rowPtr) << text;
                ASSERT_EQ(head.stats.keptPairs, budget) << text;
                const attn::HeadInput input = attn::makeHeadInput(layer, head.head);
                const attn::LowRankProjection projection = attn::lowRankProjection(input, 8, 0, 4);
                const auto expected = referenceSacEdges(input, oracle ? nullptr : &projection, 0.5, budget);
                std::vector<std::pair<int, int>> kept;
                for (int row = 0; row < shape.nTokens; ++row) {
                    for (std::int64_t at = head.attention.rowPtr[static_cast<std::size_t>(row)];
                         at < head.attention.rowPtr[static_cast<std::size_t>(row) + 1]; ++at) {
                        kept.emplace_back(row, head.attention.cols[static_cast<std::size_t>(at)]);
                    }
                }
                // Float against double scores may swap near-tied pairs at the budget's edge.
                std::vector<std::pair<int, int>> missing;
                std::set_difference(expected.begin(), expected.end(), kept.begin(), kept.end(), std::back_inserter(missing));
                EXPECT_LE(missing.size(), static_cast<std::size_t>(budget / 100))
                    << text << " causal " << causal << " head " << head.head;
            }
        }
    }
}

TEST(VariantEstimators, SmallCountSelectionIsTheStableTopCount)
{
    // Counts up to 16 take the repeated-maxima path; rows of every length around the vector width,
    // with values from a small set (ties everywhere, ±0, −inf), must give what a stable sort gives.
    const std::array<float, 6> palette{-std::numeric_limits<float>::infinity(), -1.0f, -0.0f, 0.0f, 0.5f, 2.0f};
    attn::Rng rng(17);
    std::vector<int> selected;
    for (int n = 1; n <= 70; ++n) {
        for (int trial = 0; trial < 4; ++trial) {
            std::vector<float> values(static_cast<std::size_t>(n));
            for (float& value : values) {
                value = trial == 3 ? static_cast<float>(rng.normal())
                                   : palette[static_cast<std::size_t>(rng.uniform() * palette.size()) % palette.size()];
            }
            std::vector<int> order(static_cast<std::size_t>(n));
            std::iota(order.begin(), order.end(), 0);
            std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
                return values[static_cast<std::size_t>(a)] > values[static_cast<std::size_t>(b)];
            });
            for (int count = 1; count <= std::min(n, 17); ++count) {
                std::vector<int> expected(order.begin(), order.begin() + count);
                std::sort(expected.begin(), expected.end());
                attn::selectTopIndices(values.data(), n, count, selected);
                ASSERT_EQ(selected, expected) << "n " << n << " trial " << trial << " count " << count;
            }
        }
    }
}

} // namespace
} // namespace attnscope

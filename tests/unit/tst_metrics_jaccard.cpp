// The Jaccard metric (kept set vs the dense top-|kept| set, ties to the lower key) against a plain
// reference: rank every allowed key by its dense probability as a float with std::stable_sort and
// intersect the first |kept| with the variant's CSR columns. computeHeadMetrics skips the selection
// when the kept keys are strictly the most probable; these cases cover that shortcut (top-k), the
// full selection (window, random, top-p, DSA) and ties at the boundary (duplicated keys).
#include "attention/metrics.h"
#include "attention/variant_runner.h"
#include "attention/variants.h"
#include "tst_variant_fixture.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

namespace attnscope {
namespace {

double referenceJaccard(const LayerQkv& layer, int head, const CsrAttention& attention)
{
    const attn::HeadInput input = attn::makeHeadInput(layer, head);
    std::vector<float> scratch;
    std::vector<double> dense;
    double total = 0.0;
    int rows = 0;
    for (int queryPos = 0; queryPos < input.nTokens; ++queryPos) {
        const attn::KeyRange range = attn::allowedKeys(input, queryPos);
        if (range.size() <= 0) {
            continue;
        }
        ++rows;
        const std::int64_t begin = attention.rowPtr[static_cast<std::size_t>(queryPos)];
        const std::int64_t end = attention.rowPtr[static_cast<std::size_t>(queryPos) + 1];
        const int kept = static_cast<int>(end - begin);
        if (kept == 0) {
            continue;
        }
        attn::denseProbabilityRow(input, queryPos, range, scratch, dense);
        std::vector<int> order(dense.size());
        std::iota(order.begin(), order.end(), 0);
        std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
            return static_cast<float>(dense[static_cast<std::size_t>(a)]) > static_cast<float>(dense[static_cast<std::size_t>(b)]);
        });
        int intersection = 0;
        for (int rank = 0; rank < std::min<int>(kept, static_cast<int>(order.size())); ++rank) {
            const int key = range.first + order[static_cast<std::size_t>(rank)];
            intersection += std::find(attention.cols.begin() + begin, attention.cols.begin() + end, key) !=
                                    attention.cols.begin() + end
                                ? 1
                                : 0;
        }
        total += static_cast<double>(intersection) / (2.0 * kept - intersection);
    }
    return rows > 0 ? total / rows : 0.0;
}

void expectJaccardMatchesReference(const LayerQkv& layer, const char* text)
{
    VariantRunOptions options;
    options.keepAttention = true;
    options.computeMetrics = true;
    const LayerVariantResult result = testing::runVariantText(layer, text, options);
    ASSERT_EQ(result.heads.size(), static_cast<std::size_t>(layer.nHeads)) << text;
    ASSERT_EQ(result.metrics.size(), result.heads.size()) << text;
    for (int head = 0; head < layer.nHeads; ++head) {
        const CsrAttention& attention = result.heads[static_cast<std::size_t>(head)].attention;
        ASSERT_FALSE(attention.empty()) << text;
        EXPECT_NEAR(result.metrics[static_cast<std::size_t>(head)].jaccard, referenceJaccard(layer, head, attention), 1e-12)
            << text << " head " << head;
    }
}

TEST(MetricsJaccard, MatchesAStableSortReferenceForSelectorsAndPatterns)
{
    const LayerQkv layer = testing::makeStructuredLayer({});
    for (const char* text : {"topk:k=8", "topk:k=1", "window:w=7", "random:density=0.2,seed=3", "topp:p=0.8",
                             "dsa:density=0.15", "longformer:w=9,global=2"}) {
        expectJaccardMatchesReference(layer, text);
    }
}

TEST(MetricsJaccard, TiesAtTheBoundaryGoToTheLowerKey)
{
    // Every key is duplicated in the next position, so dense probabilities come in equal pairs and
    // a top-k boundary often splits a pair: the shortcut must not apply and the tie rule decides.
    LayerQkv layer = testing::makeStructuredLayer({});
    const int n = layer.nTokens;
    const int d = layer.headDim;
    for (int kvHead = 0; kvHead < layer.nKvHeads; ++kvHead) {
        for (int token = 1; token < n; token += 2) {
            const std::size_t from = (static_cast<std::size_t>(kvHead) * n + token - 1) * d;
            const std::size_t to = (static_cast<std::size_t>(kvHead) * n + token) * d;
            std::copy(layer.k.begin() + static_cast<std::ptrdiff_t>(from),
                      layer.k.begin() + static_cast<std::ptrdiff_t>(from + d), layer.k.begin() + static_cast<std::ptrdiff_t>(to));
        }
    }
    for (const char* text : {"topk:k=3", "topk:k=8", "window:w=5", "random:density=0.3,seed=5"}) {
        expectJaccardMatchesReference(layer, text);
    }
}

} // namespace
} // namespace attnscope

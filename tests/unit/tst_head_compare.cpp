// compareHead (one head from a capture, dense against variants) against the model-running paths it
// replaces in the GUI: Workspace::headAttention for the matrices and Workspace::compare for the
// metrics, plus recall recomputed here from the dense matrix and the kept mask.

#include "attnscope/head_compare.h"

#include <gtest/gtest.h>

using namespace attnscope;

namespace {

constexpr int kLayer = 2;
constexpr int kHead = 5;

} // namespace

TEST(HeadCompare, MatchesHeadAttentionAndCompareWithoutRunningTheModelAgain)
{
    auto opened = Workspace::open(OpenOptions{ATTNSCOPE_SOURCE_DIR "/assets/models/demo"});
    ASSERT_TRUE(opened) << opened.error().describe();
    Workspace& workspace = *opened.value();
    auto tokens = workspace.tokenize("In the beginning God created the heaven and the earth. And the earth was without "
                                     "form, and void; and darkness was upon the face of the deep.");
    ASSERT_TRUE(tokens);
    const std::vector<std::int32_t>& ids = tokens->ids;
    const int n = static_cast<int>(ids.size());
    auto capture = captureLayers(workspace, ids, {kLayer}, RunOptions{});
    ASSERT_TRUE(capture) << capture.error().describe();
    const std::vector<std::string> specs = {"topk:k=4", "window:w=3", "sea:k=4"};
    auto result = compareHead(capture.value(), kLayer, kHead, specs);
    ASSERT_TRUE(result) << result.error().describe();
    ASSERT_EQ(result->variants.size(), specs.size());

    auto dense = workspace.headAttention(ids, kLayer, kHead, "dense", RunOptions{});
    ASSERT_TRUE(dense);
    EXPECT_EQ(result->dense.attention, dense->attention);
    EXPECT_EQ(result->dense.mask, dense->mask);

    CompareRequest request;
    request.variants = specs;
    request.layers = {kLayer};
    request.heads = {kHead};
    request.perplexity = false;
    auto compared = workspace.compare(ids, request, RunOptions{});
    ASSERT_TRUE(compared) << compared.error().describe();
    for (std::size_t v = 0; v < specs.size(); ++v) {
        const HeadVariantAttention& variant = result->variants[v];
        auto reference = workspace.headAttention(ids, kLayer, kHead, specs[v], RunOptions{});
        ASSERT_TRUE(reference);
        EXPECT_EQ(variant.variant, reference->variant);
        EXPECT_EQ(variant.effective.nTokens, n);
        EXPECT_EQ(variant.effective.attention, reference->attention) << specs[v];
        EXPECT_EQ(variant.effective.mask, reference->mask) << specs[v];
        const VariantMetrics& expected = compared->variants[v].layers.front().heads.front();
        EXPECT_NEAR(variant.metrics.density, expected.density, 1e-12) << specs[v];
        EXPECT_NEAR(variant.metrics.recall, expected.recall, 1e-12) << specs[v];
        EXPECT_NEAR(variant.metrics.kl, expected.kl, 1e-12) << specs[v];
        EXPECT_NEAR(variant.metrics.outputError, expected.outputError, 1e-12) << specs[v];
        // Recall from the dense matrix and the kept mask, in double.
        double recall = 0.0;
        for (int row = 0; row < n; ++row) {
            for (int key = 0; key < n; ++key) {
                const std::size_t index = static_cast<std::size_t>(row) * n + key;
                recall += variant.effective.mask[index] ? dense->attention[index] : 0.0;
            }
        }
        EXPECT_NEAR(variant.metrics.recall, recall / n, 1e-5) << specs[v];
        EXPECT_GT(variant.metrics.density, 0.0);
        EXPECT_LT(variant.metrics.density, 1.0);
    }

    auto missing = compareHead(capture.value(), kLayer + 1, kHead, specs);
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, ErrorCode::InvalidArgument);
    auto badSpec = compareHead(capture.value(), kLayer, kHead, {"topk:k=0"});
    ASSERT_FALSE(badSpec);
    EXPECT_EQ(badSpec.error().code, ErrorCode::InvalidArgument);
}

TEST(HeadCompare, TheComparerReusesTheHeadUntilTheKeyChangesAndAnswersAsCompareHead)
{
    auto opened = Workspace::open(OpenOptions{ATTNSCOPE_SOURCE_DIR "/assets/models/demo"});
    ASSERT_TRUE(opened) << opened.error().describe();
    Workspace& workspace = *opened.value();
    auto tokens = workspace.tokenize("The quick brown fox jumps over the lazy dog, and the dog sleeps on.");
    auto other = workspace.tokenize("A different text: the keys and the queries change with it.");
    ASSERT_TRUE(tokens && other);
    auto capture = captureLayers(workspace, tokens->ids, {kLayer, kLayer + 1}, RunOptions{});
    auto otherCapture = captureLayers(workspace, other->ids, {kLayer}, RunOptions{});
    ASSERT_TRUE(capture && otherCapture);

    auto expectSame = [](const HeadCompareResult& got, const HeadCompareResult& expected, const std::string& what) {
        EXPECT_EQ(got.dense.attention, expected.dense.attention) << what;
        EXPECT_EQ(got.dense.layer, expected.dense.layer) << what;
        EXPECT_EQ(got.dense.head, expected.dense.head) << what;
        ASSERT_EQ(got.variants.size(), expected.variants.size()) << what;
        for (std::size_t v = 0; v < got.variants.size(); ++v) {
            EXPECT_EQ(got.variants[v].variant, expected.variants[v].variant) << what;
            EXPECT_EQ(got.variants[v].effective.attention, expected.variants[v].effective.attention) << what;
            EXPECT_EQ(got.variants[v].effective.mask, expected.variants[v].effective.mask) << what;
            EXPECT_NEAR(got.variants[v].metrics.recall, expected.variants[v].metrics.recall, 1e-12) << what;
            EXPECT_NEAR(got.variants[v].metrics.kl, expected.variants[v].metrics.kl, 1e-12) << what;
            EXPECT_NEAR(got.variants[v].metrics.tv, expected.variants[v].metrics.tv, 1e-12) << what;
            EXPECT_NEAR(got.variants[v].metrics.jaccard, expected.variants[v].metrics.jaccard, 1e-12) << what;
            EXPECT_NEAR(got.variants[v].metrics.outputError, expected.variants[v].metrics.outputError, 1e-12) << what;
        }
    };
    HeadComparer comparer;
    struct Step {
        const Capture* capture;
        int layer;
        int head;
        std::vector<std::string> specs;
        bool reused;
    };
    const std::vector<Step> steps = {
        {&capture.value(), kLayer, kHead, {"topk:k=4"}, false},
        {&capture.value(), kLayer, kHead, {"topk:k=2"}, true},                  // a knob change
        {&capture.value(), kLayer, kHead, {"topp:p=0.7", "window:w=3"}, true},  // other variants
        {&capture.value(), kLayer, kHead - 1, {"topk:k=2"}, false},             // another head
        {&capture.value(), kLayer + 1, kHead - 1, {"topk:k=2"}, false},         // another layer
        {&otherCapture.value(), kLayer, kHead - 1, {"topk:k=2"}, false},        // another text
        {&otherCapture.value(), kLayer, kHead - 1, {"topk:k=3"}, true},
    };
    for (std::size_t index = 0; index < steps.size(); ++index) {
        const Step& step = steps[index];
        const std::string what = "step " + std::to_string(index);
        auto got = comparer.compare(*step.capture, step.layer, step.head, step.specs);
        ASSERT_TRUE(got) << what << ": " << got.error().describe();
        EXPECT_EQ(comparer.reusedLast(), step.reused) << what;
        auto expected = compareHead(*step.capture, step.layer, step.head, step.specs);
        ASSERT_TRUE(expected) << what;
        expectSame(got.value(), expected.value(), what);
    }
    // Errors: a layer that is not captured, then a bad spec on the kept head (which stays kept).
    EXPECT_FALSE(comparer.compare(otherCapture.value(), kLayer + 1, kHead, {"topk:k=2"}));
    ASSERT_TRUE(comparer.compare(otherCapture.value(), kLayer, kHead, {"topk:k=2"}));
    auto bad = comparer.compare(otherCapture.value(), kLayer, kHead, {"topk:k=0"});
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, ErrorCode::InvalidArgument);
    ASSERT_TRUE(comparer.compare(otherCapture.value(), kLayer, kHead, {"topk:k=2"}));
    EXPECT_TRUE(comparer.reusedLast());
    comparer.clear();
    ASSERT_TRUE(comparer.compare(otherCapture.value(), kLayer, kHead, {"topk:k=2"}));
    EXPECT_FALSE(comparer.reusedLast());
}

// The GUI's backend menu reaches the variants through the comparer: Cpu never tries CUDA, Auto does
// and says where each step ran. On a machine without a usable GPU both give the same bits, and
// Auto records why CUDA was not used; on one with a GPU Auto reports "cuda" for the attention.
TEST(HeadCompare, TheComparerRunsOnItsBackendAndSaysWhereEachStepRan)
{
    auto opened = Workspace::open(OpenOptions{ATTNSCOPE_SOURCE_DIR "/assets/models/demo"});
    ASSERT_TRUE(opened) << opened.error().describe();
    Workspace& workspace = *opened.value();
    auto tokens = workspace.tokenize("The quick brown fox jumps over the lazy dog, and the dog sleeps on.");
    ASSERT_TRUE(tokens);
    auto capture = captureLayers(workspace, tokens->ids, {kLayer}, RunOptions{});
    ASSERT_TRUE(capture) << capture.error().describe();
    const std::vector<std::string> specs = {"topk:k=4", "window:w=3"};

    HeadComparer comparer;
    EXPECT_EQ(comparer.backend(), VariantBackend::Auto);
    comparer.setBackend(VariantBackend::Cpu);
    auto onCpu = comparer.compare(capture.value(), kLayer, kHead, specs);
    ASSERT_TRUE(onCpu) << onCpu.error().describe();
    for (const HeadVariantAttention& variant : onCpu->variants) {
        EXPECT_EQ(variant.stats.attentionBackend, "cpu") << variant.variant;
        EXPECT_TRUE(variant.stats.backendFallbackReason.empty()) << variant.variant;
        EXPECT_GT(variant.stats.keptPairs, 0) << variant.variant;
    }
    EXPECT_EQ(onCpu->variants.front().stats.selectionBackend, "cpu");

    comparer.setBackend(VariantBackend::Auto);
    auto onAuto = comparer.compare(capture.value(), kLayer, kHead, specs);
    ASSERT_TRUE(onAuto) << onAuto.error().describe();
    EXPECT_TRUE(comparer.reusedLast()) << "a backend change keeps the head's dense side";
    ASSERT_EQ(onAuto->variants.size(), onCpu->variants.size());
    for (std::size_t v = 0; v < onAuto->variants.size(); ++v) {
        const HeadVariantAttention& autoVariant = onAuto->variants[v];
        const std::string& ran = autoVariant.stats.attentionBackend;
        ASSERT_TRUE(ran == "cpu" || ran == "cuda") << ran;
        if (ran == "cpu") {
            EXPECT_FALSE(autoVariant.stats.backendFallbackReason.empty())
                << autoVariant.variant << ": Auto tried CUDA, so it must say why it was not used";
            EXPECT_EQ(autoVariant.effective.attention, onCpu->variants[v].effective.attention) << autoVariant.variant;
        }
    }
}

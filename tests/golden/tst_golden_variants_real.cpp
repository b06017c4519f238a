// Variant behaviour on real attention (issue 4): on stories260K and on the project's demo model, at
// about 10% density, the exact top-k is the upper bound of every selector with the same budget
// (sea, dsa, sac proxy, sbm and their random controls), and the training-free selectors (sea, dsa,
// sac proxy) recall strictly more dense attention mass than a random mask with their own per-row
// counts, and less than top-k. Averaged over all layers
// and heads of one real text. The parameters that give 10% are derived from N here, not hard-coded.

#include "attention/attention_common.h"
#include "attention/variant_runner.h"
#include "io/mapped_file.h"
#include "model/model.h"
#include "tokenizer/tokenizer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace attnscope {
namespace {

constexpr double kTargetDensity = 0.1;

// A few short TinyStories-style stories (written for this test): the vocabulary stories260K knows.
const char* const kStories =
    "Once upon a time, there was a little girl named Lily. She loved to play outside in the park. "
    "One day, she saw a big red ball under a tree. She ran to the ball and picked it up. "
    "\"Can I play with you?\" asked a small dog. Lily smiled and said, \"Yes, let's play!\" "
    "They played all day and had so much fun. When the sun went down, Lily went home to her mom. "
    "She told her mom about the dog and the ball. Her mom hugged her and said, \"I am happy you made "
    "a new friend.\"\n"
    "Tom was a boy who liked to build things. He had a box of blocks and a toy truck. One morning, "
    "he built a tall tower in his room. His sister Sue came in and wanted to help. Tom was sad "
    "because he wanted to build it alone. But then he saw that Sue was sad too. He said, \"You can "
    "help me, Sue.\" They built the biggest tower ever. Mom came in and clapped. Tom and Sue were "
    "proud and happy.\n"
    "One day, a little bird named Bob could not fly. He sat on the ground and cried. A kind cat saw "
    "him and said, \"Do not be sad, Bob. I will help you.\" The cat let Bob sit on her back and "
    "they went up the hill. From the top of the hill, Bob flapped his wings and flew into the sky. "
    "He was so happy. He thanked the cat and they became best friends.";

struct Capture {
    std::vector<LayerQkv> layers;
    int nTokens = 0;
};

Capture captureAllLayers(const Model& model, const std::vector<int>& ids)
{
    Capture capture;
    capture.nTokens = static_cast<int>(ids.size());
    ForwardOptions options;
    options.capture = LayerSelection::allLayers();
    options.onLayer = [&](LayerCapture&& layer) -> Result<void> {
        capture.layers.push_back(std::move(layer.qkv));
        return okResult();
    };
    auto output = model.forward(ids, options);
    EXPECT_TRUE(output.ok()) << (output.ok() ? "" : output.error().describe());
    return capture;
}

// Smallest k whose clamped per-row counts min(k, L_i) reach the target share of the allowed pairs.
long long kForDensity(const attn::HeadInput& input, double density)
{
    const std::int64_t allowed = attn::allowedPairCount(input);
    for (long long k = 1; k <= input.nTokens; ++k) {
        std::int64_t kept = 0;
        for (int queryPos = 0; queryPos < input.nTokens; ++queryPos) {
            kept += std::min<long long>(k, attn::allowedKeys(input, queryPos).size());
        }
        if (static_cast<double>(kept) >= density * static_cast<double>(allowed)) {
            return k;
        }
    }
    return input.nTokens;
}

struct Means {
    double recall = 0.0;
    double density = 0.0;
    int heads = 0;

    void add(const LayerVariantResult& layer)
    {
        for (const VariantMetrics& metrics : layer.metrics) {
            recall += metrics.recall;
            density += metrics.density;
            ++heads;
        }
    }
    double meanRecall() const { return heads ? recall / heads : 0.0; }
    double meanDensity() const { return heads ? density / heads : 0.0; }
};

void checkOrdering(const std::string& modelDir, const std::string& inputText)
{
    auto model = Model::openHfFolder(modelDir);
    ASSERT_TRUE(model.ok()) << model.error().describe();
    ASSERT_NE((*model)->tokenizer(), nullptr);
    auto encoded = (*model)->tokenizer()->encode(inputText);
    ASSERT_TRUE(encoded.ok()) << encoded.error().describe();
    std::vector<int> ids(encoded->begin(), encoded->end());
    const int maxTokens = (*model)->spec().maxPositions;
    if (maxTokens > 0 && static_cast<int>(ids.size()) > maxTokens) {
        ids.resize(static_cast<std::size_t>(maxTokens));
    }
    ASSERT_GE(ids.size(), 200u) << "the test text must give at least 200 tokens";
    const Capture capture = captureAllLayers(**model, ids);
    ASSERT_FALSE(capture.layers.empty());

    const attn::HeadInput shape = attn::makeHeadInput(capture.layers.front(), 0);
    const long long k = kForDensity(shape, kTargetDensity);
    // SAC's budget is global: the same number of edges as top-k keeps in total.
    std::int64_t topkPairs = 0;
    for (int queryPos = 0; queryPos < shape.nTokens; ++queryPos) {
        topkPairs += std::min<long long>(k, attn::allowedKeys(shape, queryPos).size());
    }
    const double alpha = static_cast<double>(topkPairs) / shape.nTokens;
    char alphaText[32];
    std::snprintf(alphaText, sizeof alphaText, "%.6f", alpha);

    const std::map<std::string, std::string> specs = {
        {"topk", "topk:k=" + std::to_string(k)},
        {"sea", "sea:k=" + std::to_string(k) + ",grouping=query"},
        {"dsa", "dsa:k=" + std::to_string(k)},
        {"sac", "sac:mode=proxy,selfloop=false,alpha=" + std::string(alphaText)},
        // sbm is only held to the top-k bound: its training-free block matrix is coarse (16
        // clusters) and its rows get Bernoulli counts, so it is not expected to beat the control.
        {"sbm", "sbm:density=0.1"},
    };
    std::map<std::string, Means> variant;
    std::map<std::string, Means> control;
    for (const LayerQkv& layer : capture.layers) {
        for (const auto& [name, text] : specs) {
            auto spec = parseVariantSpec(text);
            ASSERT_TRUE(spec.ok()) << spec.error().describe();
            auto result = attn::runLayerVariant(layer, *spec);
            ASSERT_TRUE(result.ok()) << result.error().describe();
            variant[name].add(*result);
            auto random = attn::runRandomMatched(layer, *result, 1);
            ASSERT_TRUE(random.ok()) << random.error().describe();
            control[name].add(*random);
        }
    }
    std::printf("%s: N = %d, %zu layers, k = %lld, alpha = %s\n", modelDir.c_str(), capture.nTokens,
                capture.layers.size(), k, alphaText);
    for (const auto& [name, text] : specs) {
        std::printf("  %-44s density %.4f recall %.4f | matched random density %.4f recall %.4f\n", text.c_str(),
                    variant[name].meanDensity(), variant[name].meanRecall(), control[name].meanDensity(),
                    control[name].meanRecall());
    }
    const double topkRecall = variant["topk"].meanRecall();
    for (const auto& [name, means] : variant) {
        EXPECT_NEAR(means.meanDensity(), kTargetDensity, 0.02) << name;
        EXPECT_LE(means.meanRecall(), topkRecall + 1e-12) << name << " exceeds top-k at the same density";
        EXPECT_LE(control[name].meanRecall(), topkRecall + 1e-12) << "random~" << name;
    }
    for (const char* name : {"sea", "dsa", "sac"}) {
        EXPECT_GT(variant[name].meanRecall(), control[name].meanRecall())
            << name << " is no better than a random mask with the same per-row counts";
        EXPECT_LT(variant[name].meanRecall(), topkRecall) << name;
    }
}

TEST(GoldenVariantsReal, Stories260KOrderingAtTenPercent)
{
    const std::string dir = std::string(ATTNSCOPE_SHARED_MODELS) + "/stories260K/hf";
    if (!std::filesystem::exists(dir + "/model.safetensors")) {
        FAIL() << "stories260K not found (../shared/models must sit beside the repository) in " << dir;
    }
    checkOrdering(dir, kStories);
}

TEST(GoldenVariantsReal, DemoModelOrderingAtTenPercent)
{
    const std::string dir = std::string(ATTNSCOPE_SOURCE_DIR) + "/assets/models/demo";
    if (!std::filesystem::exists(dir + "/model.safetensors")) {
        FAIL() << "the demo model is missing: " << dir << "/model.safetensors (tools/train_demo_model.py writes it)";
    }
    const std::string samples = std::string(ATTNSCOPE_SOURCE_DIR) + "/assets/samples";
    std::string text;
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(samples)) {
        if (entry.is_regular_file()) {
            files.push_back(entry.path());
        }
    }
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
        auto content = readTextFile(file.string());
        ASSERT_TRUE(content.ok()) << content.error().describe();
        text += *content + "\n";
        if (text.size() > 4000) {
            break;
        }
    }
    ASSERT_FALSE(text.empty()) << "no samples in " << samples;
    checkOrdering(dir, text);
}

} // namespace
} // namespace attnscope

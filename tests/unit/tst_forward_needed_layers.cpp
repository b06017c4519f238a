// A forward pass asked only for attention (captures, the attention override) stops after the last
// layer it needs: the captures it hands out are bit-identical to those of a pass over the whole
// stack, the layers after it do not run, and progress counts the layers that do. Pre-norm (Llama)
// and post-norm (BERT) fixtures.

#include "model/model.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace attnscope {
namespace {

std::string fixture(const std::string& name)
{
    return std::string(ATTNSCOPE_TEST_DATA) + "/models/" + name;
}

std::vector<int> someIds(const Model& model)
{
    std::vector<int> ids;
    for (int position = 0; position < 29; ++position) { // bert_tiny learned 32 positions
        ids.push_back(3 + (position * 11) % (model.spec().vocabSize - 3));
    }
    return ids;
}

// Every captured layer's Q, K, V and LSE, by layer.
struct Captured {
    std::map<int, std::vector<float>> layers;
    std::vector<std::string> backends;
    std::vector<double> progress;
};

Captured run(const Model& model, ForwardOptions options)
{
    Captured captured;
    options.threads = 1;
    options.backend = VariantBackend::Cpu;
    options.onLayer = [&](LayerCapture&& capture) -> Result<void> {
        std::vector<float>& values = captured.layers[capture.qkv.layer];
        for (const std::vector<float>* part : {&capture.qkv.q, &capture.qkv.k, &capture.qkv.v, &capture.lse}) {
            values.insert(values.end(), part->begin(), part->end());
        }
        return okResult();
    };
    options.progress = [&](double fraction, const std::string&) { captured.progress.push_back(fraction); };
    auto result = model.forward(someIds(model), options);
    EXPECT_TRUE(result.ok()) << result.error().describe();
    if (result.ok()) {
        captured.backends = result->layerAttentionBackends;
    }
    return captured;
}

class ForwardNeededLayers : public ::testing::TestWithParam<const char*> {};

TEST_P(ForwardNeededLayers, AttentionOnlyPassesStopAfterTheLastLayerTheyNeed)
{
    auto opened = Model::openHfFolder(fixture(GetParam()));
    ASSERT_TRUE(opened.ok()) << opened.error().describe();
    const Model& model = **opened;
    const int layers = model.spec().nLayers;
    ASSERT_GE(layers, 2);

    ForwardOptions whole;
    whole.capture = LayerSelection::allLayers();
    whole.logits = LogitsMode::None;
    whole.keepHiddenStates = true;
    const Captured reference = run(model, whole);
    ASSERT_EQ(static_cast<int>(reference.layers.size()), layers);
    EXPECT_EQ(reference.progress.size(), static_cast<std::size_t>(layers));

    // Every layer captured, nothing else: the last layer's output projection and MLP are skipped,
    // which changes no capture.
    ForwardOptions allCaptured = whole;
    allCaptured.keepHiddenStates = false;
    EXPECT_EQ(run(model, allCaptured).layers, reference.layers);

    // One early layer: only the layers up to it run.
    const int asked = layers - 2;
    ForwardOptions oneLayer;
    oneLayer.capture = LayerSelection::only({asked});
    oneLayer.logits = LogitsMode::None;
    const Captured early = run(model, oneLayer);
    ASSERT_EQ(early.layers.size(), 1u);
    EXPECT_EQ(early.layers.at(asked), reference.layers.at(asked));
    ASSERT_EQ(static_cast<int>(early.backends.size()), layers);
    for (int layer = 0; layer < layers; ++layer) {
        EXPECT_EQ(early.backends[static_cast<std::size_t>(layer)], layer <= asked ? "cpu" : "") << "layer " << layer;
    }
    ASSERT_EQ(early.progress.size(), static_cast<std::size_t>(asked + 1));
    EXPECT_DOUBLE_EQ(early.progress.back(), 1.0);

    // An override on the last layer keeps the pass going to it, and is called there.
    ForwardOptions overridden = oneLayer;
    overridden.overrideLayers = LayerSelection::only({layers - 1});
    std::vector<int> overrideCalls;
    overridden.attentionOverride = [&](const LayerQkv& qkv, std::vector<float>&) -> Result<void> {
        overrideCalls.push_back(qkv.layer);
        return okResult();
    };
    const Captured late = run(model, overridden);
    EXPECT_EQ(late.layers.at(asked), reference.layers.at(asked));
    EXPECT_EQ(overrideCalls, std::vector<int>{layers - 1});
    EXPECT_EQ(late.progress.size(), static_cast<std::size_t>(layers));

    // Nothing asked for: no layer runs.
    ForwardOptions nothing;
    nothing.logits = LogitsMode::None;
    const Captured none = run(model, nothing);
    EXPECT_TRUE(none.layers.empty());
    EXPECT_TRUE(none.progress.empty());
}

INSTANTIATE_TEST_SUITE_P(Fixtures, ForwardNeededLayers, ::testing::Values("llama_tiny", "bert_tiny"));

} // namespace
} // namespace attnscope

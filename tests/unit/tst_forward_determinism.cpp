// The same input and thread count give bit-identical captures whatever the heap layout: the
// pictures and the compare tables must not change between runs. (A vectorised exp over scratch
// whose alignment depended on the heap once changed the last bits between runs.) Different thread
// counts may split the GEMMs differently and legitimately differ in the last bits.

#include "model/dense_attention.h"
#include "model/model.h"

#include <gtest/gtest.h>
#include <memory>

namespace attnscope {
namespace {

std::vector<float> captureAll(const Model& model, const std::vector<int>& ids, int threads)
{
    std::vector<float> everything;
    ForwardOptions options;
    options.capture = LayerSelection::allLayers();
    options.logits = LogitsMode::AllPositions;
    options.threads = threads;
    options.onLayer = [&](LayerCapture&& capture) -> Result<void> {
        for (int head = 0; head < capture.qkv.nHeads; ++head) {
            std::vector<float> probabilities;
            ATTNSCOPE_TRY(denseProbabilities(capture.qkv, head, probabilities, nullptr));
            everything.insert(everything.end(), probabilities.begin(), probabilities.end());
        }
        everything.insert(everything.end(), capture.lse.begin(), capture.lse.end());
        return okResult();
    };
    auto result = model.forward(ids, options);
    EXPECT_TRUE(result.ok()) << result.error().describe();
    if (result.ok()) {
        everything.insert(everything.end(), result->logits.begin(), result->logits.end());
    }
    return everything;
}

TEST(ForwardDeterminism, BitIdenticalAcrossRunsAndHeapLayouts)
{
    auto model = Model::openHfFolder(ATTNSCOPE_SHARED_MODELS "/stories260K/hf");
    ASSERT_TRUE(model.ok()) << model.error().describe();
    std::vector<int> ids;
    for (int position = 0; position < 203; ++position) {
        ids.push_back(3 + (position * 37) % 509);
    }
    for (const int threads : {1, 2}) {
        const std::vector<float> reference = captureAll(*model.value(), ids, threads);
        ASSERT_FALSE(reference.empty());
        std::vector<std::unique_ptr<char[]>> heapNoise;
        for (int run = 0; run < 4; ++run) {
            heapNoise.emplace_back(new char[static_cast<std::size_t>(run) * 4099 + 17]);
            EXPECT_EQ(captureAll(*model.value(), ids, threads), reference) << threads << " threads, run " << run;
        }
    }
}

} // namespace
} // namespace attnscope

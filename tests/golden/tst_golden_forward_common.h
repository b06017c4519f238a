#pragma once
// Shared checks of the forward-pass parity tests: run a fixture of tests/data/models (written by
// tools/gen_fixtures.py from Hugging Face transformers in float64) and compare attention, logits
// or hidden states and loss under DESIGN.md §7.9's rule: our f32 error against the f64 reference
// must be at most 2× the error of a naive f32 run of the same model, plus a tiny absolute floor.

#include "io/safetensors_file.h"
#include "io/tensor_store.h"
#include "model/dense_attention.h"
#include "model/model.h"
#include "model/model_weights.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace attnscope::golden {

inline std::string fixtureDir(const std::string& name)
{
    return std::string(ATTNSCOPE_TEST_DATA) + "/models/" + name;
}

/// The reference file of a fixture: f64 expectations + naive-f32 errors in its metadata.
class Reference {
public:
    explicit Reference(const std::string& name)
    {
        auto file = SafetensorsFile::open(fixtureDir(name) + "/reference.safetensors");
        if (!file) {
            ADD_FAILURE() << file.error().describe();
            return;
        }
        m_file = std::move(*file);
    }

    bool ok() const { return m_file != nullptr; }
    bool has(const std::string& tensor) const { return m_file->find(tensor) != nullptr; }

    std::vector<double> f64(const std::string& tensor) const
    {
        const TensorView* view = m_file->find(tensor);
        EXPECT_NE(view, nullptr) << tensor;
        if (view == nullptr || view->dtype != DType::F64) {
            return {};
        }
        std::vector<double> values(static_cast<std::size_t>(view->numel()));
        std::memcpy(values.data(), view->data, values.size() * sizeof(double));
        return values;
    }

    std::vector<int> ids(const std::string& tensor) const
    {
        const TensorView* view = m_file->find(tensor);
        EXPECT_NE(view, nullptr) << tensor;
        std::vector<int> out;
        if (view == nullptr || view->dtype != DType::I64) {
            return out;
        }
        for (std::int64_t index = 0; index < view->numel(); ++index) {
            std::int64_t value;
            std::memcpy(&value, view->data + index * 8, 8);
            out.push_back(static_cast<int>(value));
        }
        return out;
    }

    double meta(const std::string& key) const
    {
        const auto found = m_file->metadata().find(key);
        EXPECT_NE(found, m_file->metadata().end()) << key;
        return found == m_file->metadata().end() ? 0.0 : std::stod(found->second);
    }

private:
    std::unique_ptr<SafetensorsFile> m_file;
};

inline double maxAbsDiff(const std::vector<float>& ours, const std::vector<double>& reference)
{
    EXPECT_EQ(ours.size(), reference.size());
    double worst = 0.0;
    for (std::size_t index = 0; index < std::min(ours.size(), reference.size()); ++index) {
        worst = std::max(worst, std::abs(static_cast<double>(ours[index]) - reference[index]));
    }
    return worst;
}

inline double maxAbs(const std::vector<double>& values)
{
    double worst = 0.0;
    for (double value : values) {
        worst = std::max(worst, std::abs(value));
    }
    return worst;
}

/// Runs the forward pass of fixture `name` with every layer captured and checks attention of every
/// layer and head, logits (causal models) or hidden states (encoders), and the loss.
inline void checkFixture(const std::string& name, double attentionFloor = 1e-6, double outputFloor = 1e-5)
{
    Reference reference(name);
    ASSERT_TRUE(reference.ok());
    auto model = Model::openHfFolder(fixtureDir(name));
    ASSERT_TRUE(model.ok()) << model.error().describe();
    const ModelSpec& spec = (*model)->spec();
    const std::vector<int> ids = reference.ids("ids");
    ASSERT_FALSE(ids.empty());
    const int nTokens = static_cast<int>(ids.size());

    std::vector<LayerCapture> captures;
    ForwardOptions options;
    options.capture = LayerSelection::allLayers();
    options.onLayer = [&](LayerCapture&& capture) -> Result<void> {
        captures.push_back(std::move(capture));
        return okResult();
    };
    options.logits = spec.hasLmHead ? LogitsMode::AllPositions : LogitsMode::None;
    options.keepHiddenStates = true;
    auto output = (*model)->forward(ids, options);
    ASSERT_TRUE(output.ok()) << output.error().describe();
    ASSERT_EQ(static_cast<int>(captures.size()), spec.nLayers);

    const double naiveAttention = reference.meta("naive_f32_err_attention");
    double worstAttention = 0.0;
    for (const LayerCapture& capture : captures) {
        EXPECT_EQ(capture.qkv.nTokens, nTokens);
        const std::vector<double> expected = reference.f64("attention." + std::to_string(capture.qkv.layer));
        ASSERT_EQ(expected.size(), static_cast<std::size_t>(spec.nHeads) * nTokens * nTokens);
        ASSERT_EQ(capture.lse.size(), static_cast<std::size_t>(spec.nHeads) * nTokens);
        for (int head = 0; head < spec.nHeads; ++head) {
            std::vector<float> probs;
            std::vector<float> lse;
            ASSERT_TRUE(denseProbabilities(capture.qkv, head, probs, &lse).ok());
            const std::size_t stride = static_cast<std::size_t>(nTokens) * nTokens;
            const std::vector<double> headExpected(expected.begin() + head * stride,
                                                   expected.begin() + (head + 1) * stride);
            const double error = maxAbsDiff(probs, headExpected);
            worstAttention = std::max(worstAttention, error);
            EXPECT_LE(error, 2.0 * naiveAttention + attentionFloor)
                << name << " layer " << capture.qkv.layer << " head " << head;
            // Non-triviality: rows sum to 1 and the reference is far from uniform attention.
            double fromUniform = 0.0;
            for (int row = 0; row < nTokens; ++row) {
                const int visible = spec.causal ? row + 1 : nTokens;
                for (int key = 0; key < visible; ++key) {
                    fromUniform = std::max(fromUniform, std::abs(headExpected[static_cast<std::size_t>(row) * nTokens + key] - 1.0 / visible));
                }
            }
            EXPECT_GT(fromUniform, 0.1) << name << " layer " << capture.qkv.layer << " head " << head;
            for (int row = 0; row < nTokens; ++row) {
                double sum = 0.0;
                for (int key = 0; key < nTokens; ++key) {
                    sum += probs[static_cast<std::size_t>(row) * nTokens + key];
                }
                EXPECT_NEAR(sum, 1.0, 1e-5);
                EXPECT_NEAR(lse[static_cast<std::size_t>(row)],
                            capture.lse[static_cast<std::size_t>(head) * nTokens + row], 1e-5);
            }
        }
    }
    std::printf("%s: attention max error %.3g (naive f32 %.3g)\n", name.c_str(), worstAttention, naiveAttention);

    const char* outputKey = spec.hasLmHead ? "logits" : "hidden";
    const std::vector<double> expected = reference.f64(outputKey);
    const std::vector<float>& ours = spec.hasLmHead ? output->logits : output->hiddenStates;
    const double naiveOutput = reference.meta(std::string("naive_f32_err_") + outputKey);
    ASSERT_GT(maxAbs(expected), 0.5);
    const double outputError = maxAbsDiff(ours, expected);
    std::printf("%s: %s max error %.3g (naive f32 %.3g)\n", name.c_str(), outputKey, outputError, naiveOutput);
    EXPECT_LE(outputError, 2.0 * naiveOutput + outputFloor) << name << " " << outputKey;

    if (reference.has("loss_ids")) {
        const std::vector<int> lossIds = reference.ids("loss_ids");
        auto loss = (*model)->loss(lossIds);
        ASSERT_TRUE(loss.ok()) << loss.error().describe();
        const double expectedLoss = reference.meta("loss");
        const double naiveLoss = reference.meta("naive_f32_err_loss");
        std::printf("%s: loss %.9f vs %.9f (naive f32 error %.3g), %d windows\n", name.c_str(), loss->loss,
                    expectedLoss, naiveLoss, loss->windows);
        EXPECT_LE(std::abs(loss->loss - expectedLoss), 2.0 * naiveLoss + 1e-6);
        EXPECT_EQ(loss->windows, static_cast<int>(reference.meta("loss_windows")));
        EXPECT_EQ(loss->predicted, static_cast<int>(reference.meta("loss_predicted")));
        EXPECT_EQ(loss->tokens, static_cast<int>(lossIds.size()));
        EXPECT_NEAR(loss->perplexity, std::exp(expectedLoss), 1e-5 * std::exp(expectedLoss));
    }
}

} // namespace attnscope::golden

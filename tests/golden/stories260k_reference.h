#pragma once
// The float64 reference of stories260K (../shared/models/stories260K/reference_stories260K.json),
// checked the same way for every format the model is opened from: argmax next token at every
// position, last-position logits and every attention row within the file's float32 tolerance.

#include "io/mapped_file.h"
#include "model/dense_attention.h"
#include "model/model.h"
#include "model/model_weights.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace attnscope {

inline const std::string kStoriesDir = std::string(ATTNSCOPE_SHARED_MODELS) + "/stories260K";

inline nlohmann::json storiesReference()
{
    auto text = readTextFile(kStoriesDir + "/reference_stories260K.json");
    EXPECT_TRUE(text.ok()) << (text.ok() ? "" : text.error().describe());
    return text.ok() ? nlohmann::json::parse(*text) : nlohmann::json::object();
}

/// Runs `model` on the reference prompt ids and compares logits and attention with the reference.
inline void expectMatchesStoriesReference(const Model& model, const char* label)
{
    const nlohmann::json reference = storiesReference();
    ASSERT_FALSE(reference.empty());
    const double tolerance = reference.at("suggested_tolerance_float32").get<double>();
    const std::vector<int> ids = reference.at("prompt_token_ids").get<std::vector<int>>();
    const std::vector<int> argmax = reference.at("argmax_next_token_per_position").get<std::vector<int>>();
    const std::vector<double> lastLogits = reference.at("last_position_logits").get<std::vector<double>>();
    const auto& attention = reference.at("attention");
    const ModelSpec& spec = model.spec();
    EXPECT_EQ(spec.nLayers, 5);
    EXPECT_EQ(spec.nHeads, 8);
    EXPECT_EQ(spec.nKvHeads, 4);

    std::vector<LayerCapture> captures;
    ForwardOptions options;
    options.capture = LayerSelection::allLayers();
    options.onLayer = [&](LayerCapture&& capture) -> Result<void> {
        captures.push_back(std::move(capture));
        return okResult();
    };
    auto output = model.forward(ids, options);
    ASSERT_TRUE(output.ok()) << output.error().describe();
    const int nTokens = static_cast<int>(ids.size());
    const int vocab = output->vocabSize;

    for (int pos = 0; pos < nTokens; ++pos) {
        const float* row = output->logits.data() + static_cast<std::size_t>(pos) * vocab;
        EXPECT_EQ(std::max_element(row, row + vocab) - row, argmax[static_cast<std::size_t>(pos)]) << "position " << pos;
    }
    ASSERT_EQ(static_cast<int>(lastLogits.size()), vocab);
    double worstLogit = 0.0;
    for (int token = 0; token < vocab; ++token) {
        const double ours = output->logits[static_cast<std::size_t>(nTokens - 1) * vocab + token];
        worstLogit = std::max(worstLogit, std::abs(ours - lastLogits[static_cast<std::size_t>(token)]));
    }
    EXPECT_LE(worstLogit, tolerance);

    ASSERT_EQ(captures.size(), attention.size());
    double worstAttention = 0.0;
    int rowsChecked = 0;
    for (const LayerCapture& capture : captures) {
        const auto& layerRef = attention.at(static_cast<std::size_t>(capture.qkv.layer));
        ASSERT_EQ(static_cast<int>(layerRef.size()), spec.nHeads);
        for (int head = 0; head < spec.nHeads; ++head) {
            std::vector<float> probs;
            ASSERT_TRUE(denseProbabilities(capture.qkv, head, probs, nullptr).ok());
            const auto& headRef = layerRef.at(static_cast<std::size_t>(head));
            ASSERT_EQ(static_cast<int>(headRef.size()), nTokens);
            for (int query = 0; query < nTokens; ++query) {
                const std::vector<double> row = headRef.at(static_cast<std::size_t>(query)).get<std::vector<double>>();
                ASSERT_EQ(static_cast<int>(row.size()), query + 1);
                for (int key = 0; key < nTokens; ++key) {
                    const double expected = key <= query ? row[static_cast<std::size_t>(key)] : 0.0;
                    const double ours = probs[static_cast<std::size_t>(query) * nTokens + key];
                    worstAttention = std::max(worstAttention, std::abs(ours - expected));
                }
                ++rowsChecked;
            }
        }
    }
    EXPECT_EQ(rowsChecked, 5 * 8 * nTokens);
    EXPECT_LE(worstAttention, tolerance);
    std::printf("%s: last-logit max error %.3g, attention max error %.3g over %d rows (tolerance %.g)\n", label,
                worstLogit, worstAttention, rowsChecked, tolerance);
}

} // namespace attnscope

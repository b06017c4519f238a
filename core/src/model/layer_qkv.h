#pragma once
// What the forward pass hands to the views and the variants for one layer: Q, K (after RoPE) and V
// in f32, the model's softmax scale and its mask rules. Shapes (row-major, outer → inner):
//   q: [nHeads, nTokens, headDim]    k, v: [nKvHeads, nTokens, headDim]
// Query head h reads KV head h / (nHeads / nKvHeads) (GQA; MHA is nKvHeads == nHeads).

#include <cstdint>
#include <string>
#include <vector>

namespace attnscope {

struct LayerQkv {
    int layer = 0;
    int nHeads = 0;
    int nKvHeads = 0;
    int nTokens = 0;
    int headDim = 0;
    float scale = 1.0f;     ///< multiplies q·k before the softmax
    bool causal = true;     ///< key j visible to query i only if j <= i
    int slidingWindow = 0;  ///< > 0: the model itself limits keys to i - j < slidingWindow (Gemma 3 local layers)
    float softcap = 0.0f;   ///< > 0: scores pass through softcap * tanh(s / softcap) (Gemma 2 style)
    /// The model's folder (or its file), where learned-mode variants also look for predictor files
    /// (`<folder>/predictors/`); empty when unknown.
    std::string modelFolder;
    std::vector<float> q;
    std::vector<float> k;
    std::vector<float> v;

    int kvHeadFor(int head) const { return head / (nHeads / nKvHeads); }
    const float* queryHead(int head) const
    {
        return q.data() + static_cast<std::size_t>(head) * nTokens * headDim;
    }
    const float* keyHead(int head) const
    {
        return k.data() + static_cast<std::size_t>(kvHeadFor(head)) * nTokens * headDim;
    }
    const float* valueHead(int head) const
    {
        return v.data() + static_cast<std::size_t>(kvHeadFor(head)) * nTokens * headDim;
    }
};

} // namespace attnscope

#include "model/forward_cpu.h"

#include "backend/dense_attention_dispatch.h"
#include "model/cpu_ops.h"
#include "model/dense_attention.h"
#include "model/gemma3_ops.h"
#include "model/model_weights.h"
#include "model/next_token_loss.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <new>
#include <string>

namespace attnscope {

bool LayerSelection::contains(int layer) const
{
    return all || std::find(layers.begin(), layers.end(), layer) != layers.end();
}

namespace {

// ---- Input checks ----

// Finite weights can still overflow f32 in the activations (a file whose values are near FLT_MAX);
// NaN attention would then be drawn and exported as if it were real, so the pass stops with an
// error that names the layer instead.
Result<void> requireFinite(const std::vector<float>& values, const char* what, int layer)
{
    const auto bad = std::find_if(values.begin(), values.end(), [](float value) { return !std::isfinite(value); });
    if (bad == values.end()) {
        return okResult();
    }
    return makeError(ErrorCode::FormatInvalid,
                     std::string(what) + " became " + (std::isnan(*bad) ? "NaN" : "infinite") +
                         " (the model's weights overflow float32 on this text)",
                     "layer " + std::to_string(layer), "activation_not_finite");
}

Result<void> checkInputs(const ModelSpec& spec, std::span<const int> ids, const ForwardOptions& options)
{
    if (ids.empty()) {
        return makeError(ErrorCode::InvalidArgument, "the forward pass needs at least one token");
    }
    const int nTokens = static_cast<int>(ids.size());
    if (nTokens > spec.maxPositions) {
        if (spec.hasHardContextLimit()) {
            return makeError(ErrorCode::InvalidArgument,
                             std::to_string(nTokens) + " tokens exceed the " + std::to_string(spec.maxPositions) +
                                 " learned positions of this " + spec.modelType + " model",
                             spec.modelType, "too_many_tokens");
        }
        if (!options.allowOverflow) {
            return makeError(ErrorCode::InvalidArgument,
                             std::to_string(nTokens) + " tokens exceed the model's context of " +
                                 std::to_string(spec.maxPositions) + " (allow overflow to run past it anyway)",
                             spec.modelType, "too_many_tokens");
        }
    }
    for (std::size_t pos = 0; pos < ids.size(); ++pos) {
        if (ids[pos] < 0 || ids[pos] >= spec.vocabSize) {
            return makeError(ErrorCode::InvalidArgument,
                             "token id " + std::to_string(ids[pos]) + " at position " + std::to_string(pos) +
                                 " is outside the vocabulary [0, " + std::to_string(spec.vocabSize) + ")");
        }
    }
    if (!options.tokenTypes.empty()) {
        if (options.tokenTypes.size() != ids.size()) {
            return makeError(ErrorCode::InvalidArgument, "token types must have one entry per token");
        }
        for (int type : options.tokenTypes) {
            if (type < 0 || type >= std::max(1, spec.typeVocabSize)) {
                return makeError(ErrorCode::InvalidArgument, "token type " + std::to_string(type) + " is out of range");
            }
        }
    }
    for (const LayerSelection* selection : {&options.capture, &options.overrideLayers}) {
        for (int layer : selection->layers) {
            if (layer < 0 || layer >= spec.nLayers) {
                return makeError(ErrorCode::InvalidArgument,
                                 "layer " + std::to_string(layer) + " is out of range (the model has " +
                                     std::to_string(spec.nLayers) + " layers)");
            }
        }
    }
    if (options.logits != LogitsMode::None && !spec.hasLmHead) {
        return makeError(ErrorCode::Unsupported,
                         "this " + spec.modelType + " checkpoint has no language-model head, so it has no logits",
                         spec.architecture, "no_lm_head");
    }
    return okResult();
}

// ---- Forward state ----

class Forward {
public:
    Forward(const ModelWeights& weights, std::span<const int> ids, const ForwardOptions& options)
        : m_weights(weights), m_spec(weights.spec()), m_ids(ids), m_options(options),
          m_nTokens(static_cast<int>(ids.size()))
    {
    }

    Result<ForwardResult> run()
    {
        auto globals = m_weights.globals();
        ATTNSCOPE_TRY(globals);
        m_globals = *globals;
        embed();
        const bool wholeStack = needsWholeStack();
        const int layers = wholeStack ? m_spec.nLayers : lastAttentionNeeded() + 1;
        for (int layer = 0; layer < layers; ++layer) {
            if (m_options.cancel != nullptr && m_options.cancel->cancelled()) {
                return makeError(ErrorCode::Cancelled, "forward pass cancelled", "layer " + std::to_string(layer));
            }
            auto layerWeights = m_weights.layer(layer);
            ATTNSCOPE_TRY(layerWeights);
            ATTNSCOPE_TRY(block(layer, **layerWeights, wholeStack || layer + 1 < layers));
            if (m_options.progress) {
                m_options.progress(static_cast<double>(layer + 1) / layers,
                                   "layer " + std::to_string(layer + 1) + "/" + std::to_string(layers));
            }
        }
        return finish(wholeStack);
    }

private:
    int hidden() const { return m_spec.hiddenSize; }

    // Logits and the final hidden states need every layer's output.
    bool needsWholeStack() const { return m_options.logits != LogitsMode::None || m_options.keepHiddenStates; }

    // Otherwise what is asked for is attention only: the captures and the override's calls. The
    // last such layer's output projection and MLP, and every layer after it, feed none of them,
    // so the pass stops after that layer's attention (-1: nothing asked for, no layer runs).
    int lastAttentionNeeded() const
    {
        int last = -1;
        const auto include = [&](const LayerSelection& selection) {
            if (selection.all) {
                last = m_spec.nLayers - 1;
            }
            for (const int layer : selection.layers) {
                last = std::max(last, layer);
            }
        };
        if (m_options.onLayer) {
            include(m_options.capture);
        }
        if (m_options.attentionOverride) {
            include(m_options.overrideLayers);
        }
        return last;
    }

    void embed()
    {
        const int width = hidden();
        m_x.assign(static_cast<std::size_t>(m_nTokens) * width, 0.0f);
        for (int pos = 0; pos < m_nTokens; ++pos) {
            float* row = m_x.data() + static_cast<std::size_t>(pos) * width;
            const float* token = m_globals->tokenEmbedding.data + static_cast<std::size_t>(m_ids[pos]) * width;
            for (int col = 0; col < width; ++col) {
                row[col] = token[col] * m_spec.embeddingScale;
            }
            if (!m_globals->positionEmbedding.empty()) {
                const float* position = m_globals->positionEmbedding.data + static_cast<std::size_t>(pos) * width;
                for (int col = 0; col < width; ++col) {
                    row[col] += position[col];
                }
            }
            if (!m_globals->tokenTypeEmbedding.empty()) {
                const int type = m_options.tokenTypes.empty() ? 0 : m_options.tokenTypes[pos];
                const float* typeRow = m_globals->tokenTypeEmbedding.data + static_cast<std::size_t>(type) * width;
                for (int col = 0; col < width; ++col) {
                    row[col] += typeRow[col];
                }
            }
        }
        if (!m_globals->embeddingNorm.empty()) {
            normalizeRows(m_spec.norm, m_x.data(), m_nTokens, width, m_globals->embeddingNorm,
                          m_globals->embeddingNormBias, m_spec.normEps, m_options.threads);
        }
    }

    // One transformer block; without outputNeeded only its attention (and capture) runs.
    Result<void> block(int layer, const LayerWeights& w, bool outputNeeded)
    {
        const int width = hidden();
        const int threads = m_options.threads;
        const std::size_t size = m_x.size();
        if (m_spec.normPlacement == NormPlacement::Pre) {
            m_normed = m_x;
            normalizeRows(m_spec.norm, m_normed.data(), m_nTokens, width, w.attnNorm, w.attnNormBias, m_spec.normEps,
                          threads);
            ATTNSCOPE_TRY(attention(layer, w, m_normed, outputNeeded));
            if (!outputNeeded) {
                return okResult();
            }
            for (std::size_t index = 0; index < size; ++index) {
                m_x[index] += m_delta[index];
            }
            m_normed = m_x;
            normalizeRows(m_spec.norm, m_normed.data(), m_nTokens, width, w.ffnNorm, w.ffnNormBias, m_spec.normEps,
                          threads);
            mlp(w, m_normed);
            for (std::size_t index = 0; index < size; ++index) {
                m_x[index] += m_delta[index];
            }
        } else {
            ATTNSCOPE_TRY(attention(layer, w, m_x, outputNeeded));
            if (!outputNeeded) {
                return okResult();
            }
            normalizeRows(m_spec.norm, m_x.data(), m_nTokens, width, w.attnNorm, w.attnNormBias, m_spec.normEps,
                          threads, m_delta.data());
            mlp(w, m_x);
            normalizeRows(m_spec.norm, m_x.data(), m_nTokens, width, w.ffnNorm, w.ffnNormBias, m_spec.normEps,
                          threads, m_delta.data());
        }
        return requireFinite(m_x, "the hidden states", layer);
    }

    // Attention sub-block: input [nTokens, hidden] → m_delta [nTokens, hidden] (with outputNeeded;
    // without, the heads' outputs are not projected back).
    Result<void> attention(int layer, const LayerWeights& w, const std::vector<float>& input, bool outputNeeded)
    {
        const int headDim = m_spec.headDim;
        const LayerSpec& layerSpec = m_spec.layers[static_cast<std::size_t>(layer)];
        LayerQkv qkv;
        qkv.layer = layer;
        qkv.nHeads = m_spec.nHeads;
        qkv.nKvHeads = m_spec.nKvHeads;
        qkv.nTokens = m_nTokens;
        qkv.headDim = headDim;
        qkv.scale = layerSpec.attentionScale;
        qkv.causal = m_spec.causal;
        qkv.slidingWindow = layerSpec.slidingWindow;
        qkv.softcap = layerSpec.softcap;
        qkv.modelFolder = m_spec.folder;

        project(input, w.query, w.queryBias, m_spec.nHeads, qkv.q);
        project(input, w.key, w.keyBias, m_spec.nKvHeads, qkv.k);
        project(input, w.value, w.valueBias, m_spec.nKvHeads, qkv.v);
        if (!w.queryNorm.empty()) {
            // Gemma 3 QK-norm: each head's query and key vectors are RMS-normalised before RoPE.
            rmsNormRowsInPlace(qkv.q.data(), qkv.q.size() / headDim, headDim, w.queryNorm, m_spec.normEps,
                               m_options.threads);
            rmsNormRowsInPlace(qkv.k.data(), qkv.k.size() / headDim, headDim, w.keyNorm, m_spec.normEps,
                               m_options.threads);
        }
        if (m_spec.rope != RopeStyle::None) {
            const RopeTable& rope = ropeTable(layerSpec.ropeTheta);
            applyRope(m_spec.rope, rope, qkv.q.data(), m_spec.nHeads, m_options.threads);
            applyRope(m_spec.rope, rope, qkv.k.data(), m_spec.nKvHeads, m_options.threads);
        }
        ATTNSCOPE_TRY(requireFinite(qkv.q, "the queries", layer));
        ATTNSCOPE_TRY(requireFinite(qkv.k, "the keys", layer));
        ATTNSCOPE_TRY(requireFinite(qkv.v, "the values", layer));

        std::vector<float> lse;
        std::vector<float> probabilities;
        std::vector<int> probabilityHeads;
        const bool overridden = m_options.attentionOverride && m_options.overrideLayers.contains(layer);
        if (overridden) {
            m_heads.assign(qkv.q.size(), 0.0f);
            ATTNSCOPE_TRY(m_options.attentionOverride(qkv, m_heads));
            if (m_heads.size() != qkv.q.size()) {
                return makeError(ErrorCode::InvalidArgument, "the attention override resized its output",
                                 "layer " + std::to_string(layer));
            }
        } else {
            const bool captured = m_options.onLayer && m_options.capture.contains(layer);
            const bool withProbabilities = captured && m_options.captureProbabilities;
            if (m_options.backend == VariantBackend::Auto && !withProbabilities) {
                // The dispatch computes the LSE on either backend; a layer not captured drops it.
                auto ran = runDenseAttentionPreferCuda(qkv, m_heads, lse, m_options.threads, m_options.gpuPrecision);
                ATTNSCOPE_TRY(ran);
                recordBackend(layer, ran->backend, ran->fallbackReason);
            } else {
                ATTNSCOPE_TRY(denseAttention(qkv, &m_heads, captured ? &lse : nullptr, m_options.threads,
                                             withProbabilities ? &probabilities : nullptr,
                                             m_options.probabilityHeads));
                recordBackend(layer, "cpu", {});
            }
            if (withProbabilities) {
                probabilityHeads = m_options.probabilityHeads;
                if (probabilityHeads.empty()) {
                    for (int head = 0; head < m_spec.nHeads; ++head) {
                        probabilityHeads.push_back(head);
                    }
                }
            }
        }
        if (outputNeeded) {
            mergeHeads(m_heads.data(), m_nTokens, m_spec.nHeads, headDim, m_merged, m_options.threads);
            m_delta.resize(m_x.size());
            linear(m_merged.data(), m_nTokens, w.attnOut, w.attnOutBias, m_delta.data(), m_options.threads);
            if (!w.postAttnNorm.empty()) {
                rmsNormRowsInPlace(m_delta.data(), static_cast<std::size_t>(m_nTokens), hidden(), w.postAttnNorm,
                                   m_spec.normEps, m_options.threads);
            }
        }

        if (m_options.onLayer && m_options.capture.contains(layer)) {
            ATTNSCOPE_TRY(m_options.onLayer(LayerCapture{std::move(qkv), std::move(lse), std::move(probabilities),
                                                       std::move(probabilityHeads)}));
        }
        return okResult();
    }

    // The pass's table for θ (Gemma 3 has two: local and global layers), made on first use.
    const RopeTable& ropeTable(double theta)
    {
        for (const RopeTable& table : m_ropeTables) {
            if (table.theta == theta) {
                return table;
            }
        }
        return m_ropeTables.emplace_back(theta, m_nTokens, m_spec.headDim);
    }

    void recordBackend(int layer, const std::string& backend, const std::string& fallbackReason)
    {
        m_layerBackends.resize(static_cast<std::size_t>(m_spec.nLayers));
        m_layerBackends[static_cast<std::size_t>(layer)] = backend;
        m_backendUse.add(backend, fallbackReason);
    }

    // input · Wᵀ + b as [nTokens, heads × headDim], then reordered to [heads, nTokens, headDim].
    void project(const std::vector<float>& input, const Weight& weight, const Weight& bias, int heads,
                 std::vector<float>& out)
    {
        m_projected.resize(static_cast<std::size_t>(m_nTokens) * weight.rows);
        linear(input.data(), m_nTokens, weight, bias, m_projected.data(), m_options.threads);
        splitHeads(m_projected.data(), m_nTokens, heads, m_spec.headDim, out, m_options.threads);
    }

    // Feed-forward sub-block: input [nTokens, hidden] → m_delta [nTokens, hidden].
    void mlp(const LayerWeights& w, const std::vector<float>& input)
    {
        const std::size_t interSize = static_cast<std::size_t>(m_nTokens) * m_spec.intermediateSize;
        m_up.resize(interSize);
        if (m_spec.gatedMlp) {
            linear(input.data(), m_nTokens, w.up, w.upBias, m_up.data(), m_options.threads);
            m_gate.resize(interSize);
            linear(input.data(), m_nTokens, w.gate, Weight{}, m_gate.data(), m_options.threads, m_spec.activation);
            for (std::size_t index = 0; index < interSize; ++index) {
                m_up[index] *= m_gate[index];
            }
        } else {
            linear(input.data(), m_nTokens, w.up, w.upBias, m_up.data(), m_options.threads, m_spec.activation);
        }
        m_delta.resize(m_x.size());
        linear(m_up.data(), m_nTokens, w.down, w.downBias, m_delta.data(), m_options.threads);
        if (!w.postFfnNorm.empty()) {
            rmsNormRowsInPlace(m_delta.data(), static_cast<std::size_t>(m_nTokens), hidden(), w.postFfnNorm,
                               m_spec.normEps, m_options.threads);
        }
    }

    Result<ForwardResult> finish(bool wholeStack)
    {
        const int width = hidden();
        if (wholeStack && !m_globals->outputNorm.empty()) {
            normalizeRows(m_spec.norm, m_x.data(), m_nTokens, width, m_globals->outputNorm,
                          m_globals->outputNormBias, m_spec.normEps, m_options.threads);
        }
        ForwardResult result;
        result.nTokens = m_nTokens;
        result.vocabSize = m_spec.vocabSize;
        const Weight& output = m_globals->output.empty() ? m_globals->tokenEmbedding : m_globals->output;
        if (m_options.logits == LogitsMode::NextTokenLoss) {
            result.nextTokenLoss = nextTokenLoss(m_x.data(), m_nTokens - 1, output, m_ids.subspan(1),
                                                 m_spec.finalLogitSoftcap, m_options.threads);
        } else if (m_options.logits != LogitsMode::None) {
            const int firstRow = m_options.logits == LogitsMode::LastPosition ? m_nTokens - 1 : 0;
            result.logitsRows = m_nTokens - firstRow;
            result.logits.resize(static_cast<std::size_t>(result.logitsRows) * m_spec.vocabSize);
            linear(m_x.data() + static_cast<std::size_t>(firstRow) * width, result.logitsRows, output, Weight{},
                   result.logits.data(), m_options.threads);
            if (m_spec.finalLogitSoftcap > 0.0f) {
                softcapInPlace(result.logits.data(), result.logits.size(), m_spec.finalLogitSoftcap);
            }
        }
        if (m_options.keepHiddenStates) {
            result.hiddenStates = std::move(m_x);
        }
        m_layerBackends.resize(static_cast<std::size_t>(m_spec.nLayers));
        result.layerAttentionBackends = std::move(m_layerBackends);
        result.attentionBackend = std::move(m_backendUse);
        return result;
    }

    const ModelWeights& m_weights;
    const ModelSpec& m_spec;
    std::span<const int> m_ids;
    const ForwardOptions& m_options;
    const int m_nTokens;
    const GlobalWeights* m_globals = nullptr;
    std::deque<RopeTable> m_ropeTables; // one per θ the pass met (a deque keeps references valid)
    std::vector<float> m_x;         // residual stream [nTokens, hidden]
    std::vector<float> m_normed;
    std::vector<float> m_delta;     // sub-block output to add to the stream
    std::vector<float> m_projected;
    std::vector<float> m_heads;     // attention output [nHeads, nTokens, headDim]
    std::vector<float> m_merged;
    std::vector<float> m_up;
    std::vector<float> m_gate;
    std::vector<std::string> m_layerBackends; // [nLayers], see ForwardResult::layerAttentionBackends
    AttentionBackendUse m_backendUse;
};

} // namespace

Result<ForwardResult> forwardCpu(const ModelWeights& weights, std::span<const int> ids, const ForwardOptions& options)
{
    ATTNSCOPE_TRY(checkInputs(weights.spec(), ids, options));
    try {
        return Forward(weights, ids, options).run();
    } catch (const std::bad_alloc&) {
        return makeError(ErrorCode::OutOfMemory,
                         "out of memory in the forward pass over " + std::to_string(ids.size()) + " tokens");
    }
}

} // namespace attnscope

#include "attention/variant_runner.h"

#include "attention/learned_predictor_file.h"
#include "attention/metrics.h"
#include "attention/variants.h"

#include <algorithm>
#include <string>

namespace attnscope::attn {

namespace {

HeadVariantFn headFunctionFor(const std::string& kind)
{
    struct Entry {
        const char* name;
        HeadVariantFn fn;
    };
    static const Entry entries[] = {
        {"dense", runDense},         {"topk", runTopk},           {"topp", runTopp},
        {"threshold", runThreshold}, {"window", runWindow},       {"strided", runStrided},
        {"bigbird", runBigbird},     {"longformer", runLongformer}, {"random", runRandom},
        {"performer", runPerformer}, {"sbm", runSbm},             {"dsa", runDsa},
        {"sac", runSac},             {"fast", runFast},
    };
    for (const Entry& entry : entries) {
        if (kind == entry.name) {
            return entry.fn;
        }
    }
    return nullptr;
}

Result<std::vector<int>> resolveHeads(const LayerQkv& layer, const std::vector<int>& requested)
{
    std::vector<int> heads = requested;
    if (heads.empty()) {
        heads.resize(static_cast<std::size_t>(layer.nHeads));
        for (int head = 0; head < layer.nHeads; ++head) {
            heads[static_cast<std::size_t>(head)] = head;
        }
    }
    for (int head : heads) {
        if (head < 0 || head >= layer.nHeads) {
            return makeError(ErrorCode::InvalidArgument,
                             "head " + std::to_string(head) + " out of range; expected 0.." +
                                 std::to_string(layer.nHeads - 1),
                             "layer " + std::to_string(layer.layer), "bad_head");
        }
    }
    return heads;
}

using HeadRunner = std::function<Result<std::vector<HeadVariantResult>>(const std::vector<HeadInput>&)>;

Result<LayerVariantResult> runWith(const LayerQkv& layer, const VariantSpec& spec, const VariantRunOptions& options,
                                   const CancelToken* cancel, const HeadRunner& runHeads,
                                   const DenseRows* denseRows = nullptr)
{
    ATTNSCOPE_TRY(validateLayer(layer));
    auto heads = resolveHeads(layer, options.heads);
    if (!heads) {
        return heads.error();
    }
    LayerVariantResult result;
    result.spec = spec;
    result.layer = layer.layer;
    result.nHeads = layer.nHeads;
    result.nTokens = layer.nTokens;
    result.headDim = layer.headDim;
    const std::size_t headSize = static_cast<std::size_t>(layer.nTokens) * layer.headDim;
    result.outputs.assign(headSize * layer.nHeads, 0.0f);

    std::vector<HeadInput> inputs;
    for (int head : *heads) {
        inputs.push_back(makeHeadInput(layer, head));
        inputs.back().denseRows = denseRows;  // read only by the head they belong to
    }
    auto produced = runHeads(inputs);
    if (!produced) {
        return produced.error();
    }
    result.heads = std::move(*produced);
    std::vector<bool> covered(static_cast<std::size_t>(layer.nHeads), false);
    for (std::size_t index = 0; index < result.heads.size(); ++index) {
        HeadVariantResult& head = result.heads[index];
        std::copy(head.output.begin(), head.output.end(),
                  result.outputs.begin() + static_cast<std::ptrdiff_t>(headSize * head.head));
        covered[static_cast<std::size_t>(head.head)] = true;
        if (options.computeMetrics) {
            if (cancel && cancel->cancelled()) {
                return makeError(ErrorCode::Cancelled, "cancelled", "layer " + std::to_string(layer.layer));
            }
            result.metrics.push_back(computeHeadMetrics(inputs[index], head, options.threads));
        }
        if (!options.keepAttention) {
            head.attention = CsrAttention{};
        }
    }
    // Heads not requested keep dense attention, so the output can stand in for the whole layer.
    for (int head = 0; head < layer.nHeads && options.denseForOtherHeads; ++head) {
        if (!covered[static_cast<std::size_t>(head)]) {
            denseAttention(makeHeadInput(layer, head), result.outputs.data() + headSize * head, nullptr,
                           options.threads);
        }
    }
    if (options.computeMetrics) {
        result.mean = meanMetrics(result.metrics);
    }
    return result;
}

VariantRunOptions internalOptions(const VariantRunOptions& options)
{
    VariantRunOptions internal = options;
    // Metrics read the effective attention; it is dropped afterwards when the caller did not ask.
    internal.keepAttention = options.keepAttention || options.computeMetrics;
    return internal;
}

} // namespace

Result<void> validateLayer(const LayerQkv& layer)
{
    const std::string context = "layer " + std::to_string(layer.layer);
    if (layer.nHeads <= 0 || layer.nKvHeads <= 0 || layer.nTokens < 0 || layer.headDim <= 0 ||
        layer.nHeads % layer.nKvHeads != 0) {
        return makeError(ErrorCode::ShapeMismatch,
                         "bad layer shape: nHeads " + std::to_string(layer.nHeads) + ", nKvHeads " +
                             std::to_string(layer.nKvHeads) + ", nTokens " + std::to_string(layer.nTokens) +
                             ", headDim " + std::to_string(layer.headDim),
                         context, "bad_shape");
    }
    const std::size_t perHead = static_cast<std::size_t>(layer.nTokens) * layer.headDim;
    if (layer.q.size() != perHead * layer.nHeads || layer.k.size() != perHead * layer.nKvHeads ||
        layer.v.size() != perHead * layer.nKvHeads) {
        return makeError(ErrorCode::ShapeMismatch, "q/k/v sizes do not match [heads, tokens, headDim]", context,
                         "bad_size");
    }
    return okResult();
}

Result<LayerVariantResult> runLayerVariant(const LayerQkv& layer, const VariantSpec& spec,
                                           const VariantRunOptions& options, const CancelToken* cancel,
                                           const DenseRows* denseRows)
{
    ATTNSCOPE_TRY(validateVariantSpec(spec));
    const VariantRunOptions internal = internalOptions(options);
    // Learned mode: the predictor file is loaded (cached), validated and checked against this
    // layer's shape once, before any head runs; each head reads it through HeadInput::learned.
    std::shared_ptr<const LearnedPredictorFile> learned;
    if (isLearnedMode(spec)) {
        auto loaded = loadLearnedPredictor(spec, layer.modelFolder);
        if (!loaded) {
            return loaded.error();
        }
        ATTNSCOPE_TRY(loaded.value()->checkFits(layer));
        learned = std::move(loaded.value());
    }
    auto withLearned = [&](std::vector<HeadInput> inputs) {
        for (HeadInput& input : inputs) {
            input.learned = learned.get();
        }
        return inputs;
    };
    HeadRunner runner;
    if (spec.kind == "sea") {
        runner = [&](const std::vector<HeadInput>& inputs) { return runSea(withLearned(inputs), spec, internal); };
    } else {
        const HeadVariantFn fn = headFunctionFor(spec.kind);
        if (!fn) {
            return makeError(ErrorCode::Unsupported, "variant '" + spec.kind + "' has no CPU implementation",
                             spec.kind);
        }
        runner = [&, fn](const std::vector<HeadInput>& inputs) -> Result<std::vector<HeadVariantResult>> {
            std::vector<HeadVariantResult> results;
            for (const HeadInput& input : withLearned(inputs)) {
                if (cancel && cancel->cancelled()) {
                    return makeError(ErrorCode::Cancelled, "cancelled", "layer " + std::to_string(input.layer));
                }
                auto head = fn(input, spec, internal);
                if (!head) {
                    Error error = head.error();
                    error.context = "layer " + std::to_string(input.layer) + " head " + std::to_string(input.head);
                    return error;
                }
                results.push_back(std::move(*head));
            }
            return results;
        };
    }
    auto result = runWith(layer, spec, internal, cancel, runner, denseRows);
    if (result && !options.keepAttention) {
        for (HeadVariantResult& head : result->heads) {
            head.attention = CsrAttention{};
        }
    }
    return result;
}

Result<LayerVariantResult> runRandomMatched(const LayerQkv& layer, const LayerVariantResult& reference,
                                            std::uint64_t seed, const VariantRunOptions& options,
                                            const CancelToken* cancel)
{
    VariantRunOptions internal = internalOptions(options);
    internal.heads.clear();
    for (const HeadVariantResult& head : reference.heads) {
        internal.heads.push_back(head.head);
    }
    VariantSpec spec;
    spec.kind = "random";
    spec.set("seed", std::to_string(seed));
    HeadRunner runner = [&](const std::vector<HeadInput>& inputs) -> Result<std::vector<HeadVariantResult>> {
        std::vector<HeadVariantResult> results;
        for (std::size_t index = 0; index < inputs.size(); ++index) {
            if (cancel && cancel->cancelled()) {
                return makeError(ErrorCode::Cancelled, "cancelled", "layer " + std::to_string(layer.layer));
            }
            auto head = runRandomWithCounts(inputs[index], reference.heads[index].stats.keptPerRow, seed, internal);
            if (!head) {
                return head.error();
            }
            results.push_back(std::move(*head));
        }
        return results;
    };
    auto result = runWith(layer, spec, internal, cancel, runner);
    if (result && !options.keepAttention) {
        for (HeadVariantResult& head : result->heads) {
            head.attention = CsrAttention{};
        }
    }
    return result;
}

LayerAttentionHook makeVariantHook(VariantSpec spec, VariantRunOptions options,
                                   std::function<void(LayerVariantResult&&)> sink)
{
    return [spec = std::move(spec), options = std::move(options),
            sink = std::move(sink)](const LayerQkv& layer, std::vector<float>& headOutputs) -> Result<void> {
        auto result = runLayerVariant(layer, spec, options);
        if (!result) {
            return result.error();
        }
        headOutputs = result->outputs;
        if (sink) {
            sink(std::move(*result));
        }
        return okResult();
    };
}

} // namespace attnscope::attn

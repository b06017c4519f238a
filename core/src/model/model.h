#pragma once
// A loaded model: its spec, its weights (mmap, converted per layer on use), the files behind them
// and, when the folder has one, its tokenizer. Read-only after opening; forward() and loss() may
// run from several threads at once.

#include "attnscope/status.h"
#include "model/forward_cpu.h"
#include "model/loss.h"
#include "model/model_spec.h"

#include <memory>
#include <span>
#include <string>

namespace attnscope {

class ModelWeights;
class TensorStore;
class Tokenizer;

class Model {
public:
    /// Opens an HF model: a folder with config.json and model.safetensors (or shards + index), or
    /// a path to a .safetensors file whose folder holds config.json. tokenizer.json is loaded when
    /// present. Errors: FileNotFound (no config.json / weights), FormatInvalid, ShapeMismatch,
    /// UnsupportedModel, UnsupportedDtype, Unsupported, and the tokenizer's errors.
    static Result<std::unique_ptr<Model>> openHfFolder(const std::string& path);
    /// Opens a GGUF file: spec from its metadata, weights from its tensors (quantised ones
    /// dequantised to f32), tokenizer from tokenizer.ggml.* when present. Errors: those of
    /// GgufFile::open, ModelSpec::fromGguf, ModelWeights::bind and tokenizerFromGguf.
    static Result<std::unique_ptr<Model>> openGguf(const std::string& path);

    ~Model();
    Model(const Model&) = delete;
    Model& operator=(const Model&) = delete;

    const ModelSpec& spec() const { return m_spec; }
    const ModelWeights& weights() const { return *m_weights; }
    const TensorStore& store() const { return *m_store; }
    /// The tokenizer, or nullptr when the folder has no tokenizer.json.
    const Tokenizer* tokenizer() const { return m_tokenizer.get(); }
    /// The folder the model came from (for a GGUF file, the folder holding it).
    const std::string& folder() const { return m_folder; }

    /// forwardCpu() over this model's weights (see forward_cpu.h for shapes and errors).
    Result<ForwardResult> forward(std::span<const int> ids, const ForwardOptions& options) const;
    /// evaluateLoss() over this model's weights (see loss.h).
    Result<LossResult> loss(std::span<const int> ids, const LossOptions& options = {}) const;

private:
    Model();
    ModelSpec m_spec;
    std::string m_folder;
    std::unique_ptr<TensorStore> m_store;
    std::unique_ptr<ModelWeights> m_weights;
    std::unique_ptr<Tokenizer> m_tokenizer;
};

} // namespace attnscope

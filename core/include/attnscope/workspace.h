#pragma once
// The small API that the CLI and the GUI share (DESIGN.md §7.2). A Workspace is one opened model
// (weights mapped, config parsed, tokenizer loaded) plus the backend that computes on it. Every call
// is synchronous; one call at a time per Workspace (the GUI's ComputeService owns it on a worker
// thread). Results are plain structs the caller owns.

#include "attnscope/backends.h"
#include "attnscope/gpu_precision.h"
#include "attnscope/head_scores.h"
#include "attnscope/progress.h"
#include "attnscope/status.h"
#include "attnscope/variant_result.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace attnscope {

/// What to open. modelPath: an HF folder, a .safetensors file beside its config.json, or "demo"
/// (the embedded demo model, found beside the installed binary or in the source tree).
struct OpenOptions {
    std::string modelPath;
};

/// One stored tensor, for `attnscope info`.
struct TensorInfo {
    std::string name;
    std::string dtype;
    std::vector<std::int64_t> shape;
};

/// What a model is: its architecture and sizes, and where it came from.
struct ModelInfo {
    std::string path;          ///< the folder or file that was opened
    std::string name;          ///< short display name (folder name, or "demo")
    std::string architecture;  ///< "llama", "bert", "gpt2", ...
    int nLayers = 0;
    int nHeads = 0;
    int nKvHeads = 0;
    int headDim = 0;
    int hiddenSize = 0;
    int vocabSize = 0;
    int maxPositions = 0;
    bool causal = true;
    std::int64_t parameterCount = 0;
    std::size_t fileBytes = 0;
    std::string weightDtypes;   ///< e.g. "F16" or "F32, BF16"
    std::string tokenizerKind;  ///< "bpe-bytelevel", "bpe-sentencepiece", "wordpiece", or "" when absent
    std::vector<TensorInfo> tensors;
};

/// A text as the model sees it: ids and a readable piece per id.
struct TokenizedText {
    std::vector<std::int32_t> ids;
    std::vector<std::string> tokens;
};

/// Options shared by computations over a text.
struct RunOptions {
    bool allowOverflow = false;        ///< run past the model's context (RoPE models only)
    const CancelToken* cancel = nullptr;
    ProgressFn progress;
};

/// One head's attention matrix, dense or the effective attention of a variant.
/// attention is [nTokens, nTokens] row-major: row = query, column = key; entries the model cannot
/// attend to (future keys of a causal model) are 0. mask (same shape, 0/1) is what the variant kept.
struct HeadAttention {
    int layer = 0;
    int head = 0;
    std::string variant;  ///< canonical spec ("dense" for the model's own attention)
    int nTokens = 0;
    std::vector<float> attention;
    std::vector<std::uint8_t> mask;
};

/// Mean next-token loss (nats) and perplexity of the model on a text, optionally with a variant
/// replacing attention in every layer or in chosen ones.
struct EvalResult {
    std::int64_t tokens = 0;      ///< tokens in the text
    std::int64_t predicted = 0;   ///< positions whose next token was scored
    int windows = 0;              ///< context-sized windows the text was split into
    double loss = 0.0;
    double perplexity = 0.0;
    std::string variant;
    std::vector<int> replacedLayers;  ///< the layers the variant replaced, ascending; empty = every layer
};

/// Where a variant replaced attention, for people: "every layer" for an empty list
/// (EvalResult::replacedLayers and the like), "layer 2", or "layers 1,3".
std::string replacedLayersPhrase(const std::vector<int>& layers);

/// What `compare` computes: each variant's metrics against dense attention on the same Q/K/V, per
/// layer and head, and (for causal LMs) the model's perplexity with the variant in every layer or in
/// CompareRequest::replacedLayers.
struct CompareRequest {
    std::vector<std::string> variants;  ///< specs ("topk:k=16", ...)
    std::vector<int> layers;            ///< empty = all layers
    std::vector<int> heads;             ///< empty = all heads
    bool randomControls = false;        ///< add, per variant, random keys matched to its kept counts per row
    bool perplexity = true;             ///< run the model with each variant (causal LMs only)
    std::vector<int> replacedLayers;    ///< layers each variant replaces for the perplexity; empty = all
};

struct LayerComparison {
    int layer = 0;
    std::vector<VariantMetrics> heads;
    VariantMetrics mean;  ///< over this layer's compared heads
};

struct VariantComparison {
    std::string variant;                ///< canonical spec; "random~SPEC" for a matched control
    std::vector<LayerComparison> layers;
    VariantMetrics mean;                ///< over every compared (layer, head)
    double perplexity = -1.0;           ///< -1 when not computed
    double loss = -1.0;
};

struct CompareResult {
    int nTokens = 0;
    double densePerplexity = -1.0;
    double denseLoss = -1.0;
    std::vector<int> replacedLayers;  ///< CompareRequest::replacedLayers, ascending; empty = every layer
    std::vector<VariantComparison> variants;
};

class WorkspaceImpl;

class Workspace {
public:
    /// Opens a model. Errors: FileNotFound, FileIo, FormatInvalid, UnsupportedDtype,
    /// UnsupportedModel, ShapeMismatch — each naming the file (and the tensor or key).
    static Result<std::unique_ptr<Workspace>> open(const OpenOptions& options);
    ~Workspace();
    Workspace(const Workspace&) = delete;
    Workspace& operator=(const Workspace&) = delete;

    const ModelInfo& info() const;

    /// Tokenizes text with the model's tokenizer (special tokens as its post-processor adds them).
    /// Errors: Unsupported (the model has no tokenizer.json), InvalidArgument.
    Result<TokenizedText> tokenize(std::string_view text) const;
    /// Readable pieces for ids (for pre-tokenised input).
    std::vector<std::string> tokenPieces(const std::vector<std::int32_t>& ids) const;

    /// Dense attention of one head, or a variant's effective attention when variantSpec is not
    /// empty and not "dense". Errors: InvalidArgument (layer/head out of range, empty text, text
    /// longer than the context without allowOverflow, bad variant), Cancelled.
    Result<HeadAttention> headAttention(const std::vector<std::int32_t>& ids, int layer, int head,
                                        const std::string& variantSpec, const RunOptions& options);

    /// Next-token loss and perplexity, texts longer than the context split into windows. A variant
    /// replaces attention in `replacedLayers` (empty: every layer; duplicates are merged).
    /// Errors: InvalidArgument (fewer than 2 tokens; encoder-only models; a layer out of range),
    /// Cancelled.
    Result<EvalResult> evaluate(const std::vector<std::int32_t>& ids, const std::string& variantSpec,
                                const RunOptions& options, const std::vector<int>& replacedLayers = {});

    /// What every head does on this text: scores per layer and head ([nLayers][nHeads]), from the
    /// dense attention of each head computed one at a time. Errors: InvalidArgument, Cancelled.
    Result<std::vector<std::vector<HeadScores>>> headScores(const std::vector<std::int32_t>& ids,
                                                            const RunOptions& options);

    /// Metrics of every variant against dense (see CompareRequest). Errors: InvalidArgument (bad
    /// spec, layer or head), Unsupported, Cancelled.
    Result<CompareResult> compare(const std::vector<std::int32_t>& ids, const CompareRequest& request,
                                  const RunOptions& options);

    /// Where attention runs in later calls: Auto (default: the model's own attention and the
    /// variants' kept-set attention on CUDA when it is compiled, a device is usable and the layer
    /// fits, else on the CPU) or Cpu (the CPU only, bit-reproducible).
    void setBackend(VariantBackend backend);
    /// The backend setBackend() chose (Auto after open).
    VariantBackend backend() const;

    /// Element type of the model's dense attention when it runs on CUDA in later forward passes:
    /// F32 (default after open) or Bf16 / F16 (16-bit tensor-core kernel, f32 accumulation; see
    /// gpu_precision.h). The CPU, the variants and the probability views stay f32.
    void setGpuPrecision(GpuPrecision precision);
    /// The precision setGpuPrecision() chose (F32 after open).
    GpuPrecision gpuPrecision() const;

    /// Which backend computed the model's own attention in the forward passes run since the
    /// previous call (or since open), and the first reason CUDA was tried and not used; then
    /// starts over. backend is "" when no pass ran.
    AttentionBackendUse takeAttentionBackendUse();

    /// Internal access for core's own modules (variants, exports); not part of the app's API.
    WorkspaceImpl& impl() { return *m_impl; }

private:
    explicit Workspace(std::unique_ptr<WorkspaceImpl> impl);
    std::unique_ptr<WorkspaceImpl> m_impl;
};

/// Where the embedded demo model is: $ATTNSCOPE_DEMO_MODEL, then share/attnscope/models/demo
/// beside the installed binary, then the source tree's assets/models/demo. Empty when none exists.
std::string findDemoModel();

/// attnscope's version string ("0.1.0").
const char* versionString();

} // namespace attnscope

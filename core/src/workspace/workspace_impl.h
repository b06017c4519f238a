#pragma once
// What a Workspace holds: the opened model (weights, spec, tokenizer) and the description of it
// that info() returns. Kept out of the public header so that app/ never sees core internals.

#include "attnscope/capture.h"
#include "attnscope/workspace.h"
#include "model/model.h"

#include <memory>

namespace attnscope {

class WorkspaceImpl {
public:
    std::unique_ptr<Model> model;
    ModelInfo info;
    VariantBackend backend = VariantBackend::Auto;  ///< Workspace::setBackend
    GpuPrecision gpuPrecision = GpuPrecision::F32;  ///< Workspace::setGpuPrecision
    mutable AttentionBackendUse backendUse;         ///< since the last takeAttentionBackendUse()

    /// model->forward with ForwardOptions::backend and gpuPrecision set from here; adds the pass's backend use
    /// to backendUse. Every forward pass of the workspace goes through here.
    Result<ForwardResult> forward(std::span<const int> ids, ForwardOptions& options) const;

    /// Checks a text against the model's context; the message tells the user how to go past it.
    /// Also refuses (OutOfMemory) a text whose pass would not fit in memory (checkMemoryFor).
    Result<void> checkLength(std::size_t nTokens, bool allowOverflow) const;
    /// OutOfMemory when estimateTextPassBytes(spec, nTokens) exceeds the available memory.
    Result<void> checkMemoryFor(std::size_t nTokens) const;
    /// Runs the forward pass over ids (logits skipped) handing each layer of `layers` to onLayer.
    Result<void> captureLayers(const std::vector<std::int32_t>& ids, const LayerSelection& layers,
                               const RunOptions& options, const LayerCallback& onLayer) const;
    /// Runs the forward pass over ids and returns the captured layer `layer`.
    Result<LayerCapture> captureLayer(const std::vector<std::int32_t>& ids, int layer, const RunOptions& options) const;
};

/// A variant's effective attention of one head into result (attention, mask, canonical variant).
/// Errors: InvalidArgument / Unsupported for a bad spec.
/// Errors: InvalidArgument naming `what`, the index and the range [0, count) for an index outside it.
Result<void> checkIndices(const std::vector<int>& indices, int count, const char* what);
/// `values` ascending, each once.
std::vector<int> sortedUnique(std::vector<int> values);

Result<void> effectiveAttention(const LayerQkv& qkv, int head, const std::string& variantSpec, HeadAttention& result,
                                VariantBackend backend = VariantBackend::Auto);

/// One head's dense attention (with the model's allowed-pair mask) or a variant's effective
/// attention, from a captured layer; shared by Workspace::headAttention and Capture.
/// Errors: InvalidArgument / Unsupported for a bad spec.
Result<HeadAttention> headAttentionFromQkv(const LayerQkv& qkv, int head, const std::string& variantSpec,
                                           VariantBackend backend = VariantBackend::Auto);

/// A captured layer's Q/K/V as the variants take them (copies the arrays); shared by Capture and
/// compareHead.
LayerQkv captureLayerQkv(const CaptureLayer& layer);

/// An attention override that runs the variant in place of the model's attention, and the
/// canonical spec text. Errors: InvalidArgument / Unsupported for a bad spec.
Result<std::pair<AttentionOverride, std::string>> variantAttentionHook(const std::string& variantSpec,
                                                                       VariantBackend backend = VariantBackend::Auto);

/// Fills ModelInfo from an opened model.
ModelInfo describeModel(const Model& model, const std::string& path, const std::string& name);

} // namespace attnscope

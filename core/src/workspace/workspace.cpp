#include "workspace/workspace_impl.h"

#include "analysis/head_structure.h"
#include "io/tensor_store.h"
#include "model/dense_attention.h"
#include "model/model_weights.h"
#include "tokenizer/tokenizer.h"
#include "util/memory_budget.h"
#include "attnscope_kernels/mask_predicates.h"

#include <algorithm>
#include <filesystem>
#include <set>
#include <utility>
#include <unistd.h>

namespace attnscope {

namespace fs = std::filesystem;

const char* versionString()
{
    return ATTNSCOPE_VERSION;
}

std::string findDemoModel()
{
    std::error_code ignored;
    auto isModel = [&](const fs::path& folder) { return fs::exists(folder / "config.json", ignored); };
    if (const char* configured = std::getenv("ATTNSCOPE_DEMO_MODEL")) {
        return isModel(configured) ? std::string(configured) : std::string();
    }
    const fs::path executable = fs::read_symlink("/proc/self/exe", ignored);
    if (!executable.empty()) {
        const fs::path installed = executable.parent_path().parent_path() / "share" / "attnscope" / "models" / "demo";
        if (isModel(installed)) {
            return installed.string();
        }
    }
    const fs::path sourceTree = fs::path(ATTNSCOPE_SOURCE_DIR) / "assets" / "models" / "demo";
    return isModel(sourceTree) ? sourceTree.string() : std::string();
}

ModelInfo describeModel(const Model& model, const std::string& path, const std::string& name)
{
    const ModelSpec& spec = model.spec();
    ModelInfo info;
    info.path = path;
    info.name = name;
    info.architecture = archFamilyName(spec.family);
    info.nLayers = spec.nLayers;
    info.nHeads = spec.nHeads;
    info.nKvHeads = spec.nKvHeads;
    info.headDim = spec.headDim;
    info.hiddenSize = spec.hiddenSize;
    info.vocabSize = spec.vocabSize;
    info.maxPositions = spec.maxPositions;
    info.causal = spec.causal;
    info.parameterCount = model.weights().parameterCount();
    info.fileBytes = model.store().totalBytes();
    std::set<std::string> dtypes;
    for (const TensorView* tensor : model.store().tensors()) {
        info.tensors.push_back({tensor->name, dtypeName(tensor->dtype), tensor->shape});
        dtypes.insert(dtypeName(tensor->dtype));
    }
    for (const std::string& dtype : dtypes) {
        info.weightDtypes += (info.weightDtypes.empty() ? "" : ", ") + dtype;
    }
    info.tokenizerKind = model.tokenizer() != nullptr ? model.tokenizer()->kindName() : std::string();
    return info;
}

Result<void> WorkspaceImpl::checkLength(std::size_t nTokens, bool allowOverflow) const
{
    const ModelSpec& spec = model->spec();
    if (nTokens <= static_cast<std::size_t>(spec.maxPositions)) {
        return checkMemoryFor(nTokens);
    }
    if (spec.hasHardContextLimit()) {
        return makeError(ErrorCode::InvalidArgument,
                         "the text has " + std::to_string(nTokens) + " tokens, more than the model's context of " +
                             std::to_string(spec.maxPositions) +
                             " (its learned position embeddings end there; shorten the text)",
                         info.name);
    }
    if (!allowOverflow) {
        return makeError(ErrorCode::InvalidArgument,
                         "the text has " + std::to_string(nTokens) + " tokens, more than the model's context of " +
                             std::to_string(spec.maxPositions) + " (use --allow-overflow to run past it anyway)",
                         info.name);
    }
    return checkMemoryFor(nTokens);
}

Result<void> WorkspaceImpl::checkMemoryFor(std::size_t nTokens) const
{
    // Refused before the forward pass allocates anything: past MemAvailable the OOM killer would
    // end the whole app (and any unsaved work) instead of this one request.
    return checkMemoryBudget(estimateTextPassBytes(model->spec(), nTokens),
                             "a pass over " + std::to_string(nTokens) + " tokens",
                             "shorten the text", info.name);
}

Result<void> WorkspaceImpl::captureLayers(const std::vector<std::int32_t>& ids, const LayerSelection& layers,
                                          const RunOptions& options, const LayerCallback& onLayer) const
{
    ATTNSCOPE_TRY(checkLength(ids.size(), options.allowOverflow));
    ForwardOptions forward;
    forward.capture = layers;
    forward.onLayer = onLayer;
    forward.logits = LogitsMode::None;
    forward.allowOverflow = options.allowOverflow;
    forward.cancel = options.cancel;
    forward.progress = options.progress;
    const std::vector<int> intIds(ids.begin(), ids.end());
    auto result = this->forward(intIds, forward);
    if (!result) {
        return result.error();
    }
    return okResult();
}

Result<ForwardResult> WorkspaceImpl::forward(std::span<const int> ids, ForwardOptions& options) const
{
    options.backend = backend;
    options.gpuPrecision = gpuPrecision;
    auto result = model->forward(ids, options);
    if (result) {
        backendUse.add(result->attentionBackend.backend, result->attentionBackend.fallbackReason);
    }
    return result;
}

Result<LayerCapture> WorkspaceImpl::captureLayer(const std::vector<std::int32_t>& ids, int layer,
                                                 const RunOptions& options) const
{
    LayerCapture kept;
    ATTNSCOPE_TRY(captureLayers(ids, LayerSelection::only({layer}), options, [&](LayerCapture&& capture) -> Result<void> {
        kept = std::move(capture);
        return okResult();
    }));
    return kept;
}

Workspace::Workspace(std::unique_ptr<WorkspaceImpl> impl) : m_impl(std::move(impl)) {}
Workspace::~Workspace() = default;

Result<std::unique_ptr<Workspace>> Workspace::open(const OpenOptions& options)
{
    std::string path = options.modelPath;
    std::string name;
    if (path == "demo") {
        path = findDemoModel();
        if (path.empty()) {
            return makeError(ErrorCode::FileNotFound,
                             "the embedded demo model was not found (set ATTNSCOPE_DEMO_MODEL to its folder)", "demo");
        }
        name = "demo";
    }
    if (path.empty()) {
        return makeError(ErrorCode::InvalidArgument, "no model path given");
    }
    auto model = fs::path(path).extension() == ".gguf" ? Model::openGguf(path) : Model::openHfFolder(path);
    if (!model) {
        return model.error();
    }
    if (name.empty()) {
        const fs::path asPath(path);
        name = fs::is_directory(asPath) ? fs::absolute(asPath).lexically_normal().filename().string()
                                         : asPath.stem().string();
        if (name.empty()) {
            name = fs::absolute(asPath).lexically_normal().parent_path().filename().string();
        }
    }
    auto impl = std::make_unique<WorkspaceImpl>();
    impl->info = describeModel(*model.value(), path, name);
    impl->model = std::move(model.value());
    return std::unique_ptr<Workspace>(new Workspace(std::move(impl)));
}

const ModelInfo& Workspace::info() const
{
    return m_impl->info;
}

void Workspace::setBackend(VariantBackend backend)
{
    m_impl->backend = backend;
}

VariantBackend Workspace::backend() const
{
    return m_impl->backend;
}

void Workspace::setGpuPrecision(GpuPrecision precision)
{
    m_impl->gpuPrecision = precision;
}

GpuPrecision Workspace::gpuPrecision() const
{
    return m_impl->gpuPrecision;
}

AttentionBackendUse Workspace::takeAttentionBackendUse()
{
    return std::exchange(m_impl->backendUse, AttentionBackendUse{});
}

Result<TokenizedText> Workspace::tokenize(std::string_view text) const
{
    const Tokenizer* tokenizer = m_impl->model->tokenizer();
    if (tokenizer == nullptr) {
        return makeError(ErrorCode::Unsupported, "the model folder has no tokenizer.json; pass token ids instead",
                         m_impl->info.path);
    }
    if (text.empty()) {
        return makeError(ErrorCode::InvalidArgument, "the input text is empty");
    }
    auto ids = tokenizer->encode(text);
    if (!ids) {
        return ids.error();
    }
    TokenizedText tokens;
    tokens.ids = std::move(ids.value());
    tokens.tokens = tokenPieces(tokens.ids);
    return tokens;
}

std::vector<std::string> Workspace::tokenPieces(const std::vector<std::int32_t>& ids) const
{
    const Tokenizer* tokenizer = m_impl->model->tokenizer();
    std::vector<std::string> pieces;
    pieces.reserve(ids.size());
    for (const std::int32_t id : ids) {
        pieces.push_back(tokenizer != nullptr ? tokenizer->tokenDisplay(id) : "#" + std::to_string(id));
    }
    return pieces;
}

Result<HeadAttention> Workspace::headAttention(const std::vector<std::int32_t>& ids, int layer, int head,
                                               const std::string& variantSpec, const RunOptions& options)
{
    ATTNSCOPE_TRY(analysis::checkHeadRequest(*this, ids, layer, head));
    auto capture = m_impl->captureLayer(ids, layer, options);
    if (!capture) {
        return capture.error();
    }
    return headAttentionFromQkv(capture->qkv, head, variantSpec, m_impl->backend);
}

Result<HeadAttention> headAttentionFromQkv(const LayerQkv& qkv, int head, const std::string& variantSpec,
                                           VariantBackend backend)
{
    HeadAttention result;
    result.layer = qkv.layer;
    result.head = head;
    result.nTokens = qkv.nTokens;
    const std::size_t n = static_cast<std::size_t>(qkv.nTokens);
    if (variantSpec.empty() || variantSpec == "dense") {
        result.variant = "dense";
        ATTNSCOPE_TRY(denseProbabilities(qkv, head, result.attention, nullptr));
        result.mask.resize(result.attention.size());
        for (std::size_t index = 0; index < result.attention.size(); ++index) {
            const int query = static_cast<int>(index / n);
            const int key = static_cast<int>(index % n);
            result.mask[index] = modelAllows(query, key, qkv.causal, qkv.slidingWindow) ? 1 : 0;
        }
        return result;
    }
    ATTNSCOPE_TRY(effectiveAttention(qkv, head, variantSpec, result, backend));
    return result;
}

Result<void> checkIndices(const std::vector<int>& indices, int count, const char* what)
{
    for (int index : indices) {
        if (index < 0 || index >= count) {
            return makeError(ErrorCode::InvalidArgument, std::string(what) + " " + std::to_string(index) +
                                                             " is out of range [0, " + std::to_string(count) + ")");
        }
    }
    return okResult();
}

std::string replacedLayersPhrase(const std::vector<int>& layers)
{
    if (layers.empty()) {
        return "every layer";
    }
    std::string text = layers.size() == 1 ? "layer " : "layers ";
    for (std::size_t index = 0; index < layers.size(); ++index) {
        text += (index ? "," : "") + std::to_string(layers[index]);
    }
    return text;
}

std::vector<int> sortedUnique(std::vector<int> values)
{
    std::sort(values.begin(), values.end());
    values.erase(std::unique(values.begin(), values.end()), values.end());
    return values;
}

Result<EvalResult> Workspace::evaluate(const std::vector<std::int32_t>& ids, const std::string& variantSpec,
                                       const RunOptions& options, const std::vector<int>& replacedLayers)
{
    ATTNSCOPE_TRY(checkIndices(replacedLayers, m_impl->info.nLayers, "replaced layer"));
    std::vector<int> layers = sortedUnique(replacedLayers);
    LossOptions lossOptions;
    lossOptions.cancel = options.cancel;
    lossOptions.progress = options.progress;
    lossOptions.backend = m_impl->backend;
    std::string canonical = "dense";
    if (!variantSpec.empty() && variantSpec != "dense") {
        auto hook = variantAttentionHook(variantSpec, m_impl->backend);
        if (!hook) {
            return hook.error();
        }
        lossOptions.overrideLayers = layers.empty() ? LayerSelection::allLayers() : LayerSelection::only(layers);
        lossOptions.attentionOverride = std::move(hook->first);
        canonical = hook->second;
    }
    // Refused before any window is run: a long text on a large-vocabulary model needs its logits
    // for a whole context-sized window at once (estimateEvalBytes).
    const ModelSpec& spec = m_impl->model->spec();
    ATTNSCOPE_TRY(checkMemoryBudget(estimateEvalBytes(spec, ids.size(), static_cast<std::uint64_t>(spec.maxPositions)),
                                    "scoring " + std::to_string(ids.size()) + " tokens (in windows of up to " +
                                        std::to_string(spec.maxPositions) + ")",
                                    "shorten the text", m_impl->info.name));
    const std::vector<int> intIds(ids.begin(), ids.end());
    auto loss = m_impl->model->loss(intIds, lossOptions);
    if (!loss) {
        return loss.error();
    }
    m_impl->backendUse.add(loss->attentionBackend.backend, loss->attentionBackend.fallbackReason);
    EvalResult result;
    result.tokens = loss->tokens;
    result.predicted = loss->predicted;
    result.windows = loss->windows;
    result.loss = loss->loss;
    result.perplexity = loss->perplexity;
    result.variant = canonical;
    result.replacedLayers = std::move(layers);
    return result;
}

} // namespace attnscope

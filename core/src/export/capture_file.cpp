// Captures: Q/K/V/LSE of chosen layers written as safetensors (attnscope/capture.h has the
// layout) and read back without the model, through the same validating reader as model weights.

#include "attnscope/capture.h"

#include "io/safetensors_file.h"
#include "model/forward_cpu.h"
#include "workspace/workspace_impl.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

namespace attnscope {

namespace {

constexpr const char* kCaptureFormat = "attnscope-capture";
constexpr const char* kCaptureVersion = "1";

std::string layerKey(int layer, const char* what)
{
    return "layers." + std::to_string(layer) + "." + what;
}

std::string floatText(float value)
{
    char text[32];
    std::snprintf(text, sizeof text, "%.9g", static_cast<double>(value));
    return text;
}

} // namespace

LayerQkv captureLayerQkv(const CaptureLayer& layer)
{
    LayerQkv qkv;
    qkv.layer = layer.layer;
    qkv.nHeads = layer.nHeads;
    qkv.nKvHeads = layer.nKvHeads;
    qkv.nTokens = layer.nTokens;
    qkv.headDim = layer.headDim;
    qkv.scale = layer.scale;
    qkv.causal = layer.causal;
    qkv.slidingWindow = layer.slidingWindow;
    qkv.softcap = layer.softcap;
    qkv.q = layer.q;
    qkv.k = layer.k;
    qkv.v = layer.v;
    return qkv;
}

const CaptureLayer* Capture::find(int layer) const
{
    for (const CaptureLayer& captured : layers) {
        if (captured.layer == layer) {
            return &captured;
        }
    }
    return nullptr;
}

Result<HeadAttention> Capture::headAttention(int layer, int head, const std::string& variantSpec) const
{
    const CaptureLayer* captured = find(layer);
    if (captured == nullptr) {
        return makeError(ErrorCode::InvalidArgument, "layer " + std::to_string(layer) + " is not in this capture");
    }
    if (head < 0 || head >= captured->nHeads) {
        return makeError(ErrorCode::InvalidArgument,
                         "head " + std::to_string(head) + " is out of range [0, " + std::to_string(captured->nHeads) + ")");
    }
    LayerQkv qkv = captureLayerQkv(*captured);
    qkv.modelFolder = model;  // learned-mode variants also find their predictor files beside the model
    return headAttentionFromQkv(qkv, head, variantSpec);
}

Result<Capture> captureLayers(Workspace& workspace, const std::vector<std::int32_t>& ids, const std::vector<int>& layers,
                              const RunOptions& options)
{
    WorkspaceImpl& impl = workspace.impl();
    const int nLayers = impl.info.nLayers;
    for (const int layer : layers) {
        if (layer < 0 || layer >= nLayers) {
            return makeError(ErrorCode::InvalidArgument,
                             "layer " + std::to_string(layer) + " is out of range [0, " + std::to_string(nLayers) + ")");
        }
    }
    if (ids.empty()) {
        return makeError(ErrorCode::InvalidArgument, "the input has no tokens");
    }
    Capture capture;
    capture.model = impl.info.path;
    capture.ids = ids;
    capture.tokens = workspace.tokenPieces(ids);
    const LayerSelection selection = layers.empty() ? LayerSelection::allLayers() : LayerSelection::only(layers);
    ATTNSCOPE_TRY(impl.captureLayers(ids, selection, options, [&](LayerCapture&& captured) -> Result<void> {
        CaptureLayer layer;
        layer.layer = captured.qkv.layer;
        layer.nHeads = captured.qkv.nHeads;
        layer.nKvHeads = captured.qkv.nKvHeads;
        layer.nTokens = captured.qkv.nTokens;
        layer.headDim = captured.qkv.headDim;
        layer.scale = captured.qkv.scale;
        layer.causal = captured.qkv.causal;
        layer.slidingWindow = captured.qkv.slidingWindow;
        layer.softcap = captured.qkv.softcap;
        layer.q = std::move(captured.qkv.q);
        layer.k = std::move(captured.qkv.k);
        layer.v = std::move(captured.qkv.v);
        layer.lse = std::move(captured.lse);
        capture.layers.push_back(std::move(layer));
        return okResult();
    }));
    std::sort(capture.layers.begin(), capture.layers.end(),
              [](const CaptureLayer& a, const CaptureLayer& b) { return a.layer < b.layer; });
    return capture;
}

Result<void> writeCapture(const std::string& path, const Capture& capture, bool overwrite)
{
    std::vector<TensorToWrite> tensors;
    TensorToWrite ids;
    ids.name = "ids";
    ids.dtype = DType::I32;
    ids.shape = {static_cast<std::int64_t>(capture.ids.size())};
    ids.bytes.resize(capture.ids.size() * sizeof(std::int32_t));
    std::memcpy(ids.bytes.data(), capture.ids.data(), ids.bytes.size());
    tensors.push_back(std::move(ids));
    std::map<std::string, std::string> metadata;
    metadata["format"] = kCaptureFormat;
    metadata["capture_version"] = kCaptureVersion;
    metadata["model"] = capture.model;
    metadata["tokens"] = nlohmann::json(capture.tokens).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    std::string layerList;
    for (const CaptureLayer& layer : capture.layers) {
        const std::int64_t heads = layer.nHeads;
        const std::int64_t kvHeads = layer.nKvHeads;
        const std::int64_t tokens = layer.nTokens;
        const std::int64_t dim = layer.headDim;
        tensors.push_back(makeF32Tensor(layerKey(layer.layer, "q"), {heads, tokens, dim}, layer.q));
        tensors.push_back(makeF32Tensor(layerKey(layer.layer, "k"), {kvHeads, tokens, dim}, layer.k));
        tensors.push_back(makeF32Tensor(layerKey(layer.layer, "v"), {kvHeads, tokens, dim}, layer.v));
        tensors.push_back(makeF32Tensor(layerKey(layer.layer, "lse"), {heads, tokens}, layer.lse));
        metadata[layerKey(layer.layer, "scale")] = floatText(layer.scale);
        metadata[layerKey(layer.layer, "causal")] = layer.causal ? "true" : "false";
        metadata[layerKey(layer.layer, "sliding_window")] = std::to_string(layer.slidingWindow);
        metadata[layerKey(layer.layer, "softcap")] = floatText(layer.softcap);
        layerList += (layerList.empty() ? "" : ",") + std::to_string(layer.layer);
    }
    metadata["layers"] = layerList;
    for (const TensorToWrite& tensor : tensors) {
        std::int64_t count = 1;
        for (const std::int64_t extent : tensor.shape) {
            count *= extent;
        }
        if (tensor.bytes.size() != static_cast<std::size_t>(count) * dtypeSize(tensor.dtype)) {
            return makeError(ErrorCode::InvalidArgument, "capture tensor " + tensor.name + " does not match its shape", path);
        }
    }
    if (!overwrite) {
        if (std::ifstream(path).good()) {
            return makeError(ErrorCode::FileIo, "file exists (use --force to overwrite)", path);
        }
    }
    return writeSafetensors(path, tensors, metadata);
}

namespace {

Error captureError(const std::string& path, const std::string& message)
{
    return makeError(ErrorCode::FormatInvalid, "not a valid attnscope capture: " + message, path, "capture_invalid");
}

Result<int> metadataInt(const std::map<std::string, std::string>& metadata, const std::string& key, const std::string& path)
{
    const auto found = metadata.find(key);
    if (found == metadata.end()) {
        return captureError(path, "metadata has no " + key);
    }
    char* end = nullptr;
    const long value = std::strtol(found->second.c_str(), &end, 10);
    if (found->second.empty() || *end != '\0' || value < 0 || value > (1L << 30)) {
        return captureError(path, key + " is not a count");
    }
    return static_cast<int>(value);
}

Result<float> metadataFloat(const std::map<std::string, std::string>& metadata, const std::string& key, const std::string& path)
{
    const auto found = metadata.find(key);
    if (found == metadata.end()) {
        return captureError(path, "metadata has no " + key);
    }
    char* end = nullptr;
    const float value = std::strtof(found->second.c_str(), &end);
    if (found->second.empty() || *end != '\0' || !std::isfinite(value)) {
        return captureError(path, key + " is not a number");
    }
    return value;
}

/// The f32 tensor `name` with exactly `shape`, copied out of the mapping.
Result<std::vector<float>> readTensor(const SafetensorsFile& file, const std::string& name,
                                      const std::vector<std::int64_t>& shape)
{
    const TensorView* view = file.find(name);
    if (view == nullptr) {
        return captureError(file.path(), "no tensor " + name);
    }
    if (view->dtype != DType::F32 || view->shape != shape) {
        return captureError(file.path(), name + " is " + dtypeName(view->dtype) + " " + view->shapeString() +
                                             ", expected F32 of the captured layer's shape");
    }
    std::vector<float> values;
    ATTNSCOPE_TRY(toFiniteFloat(*view, values));
    return values;
}

} // namespace

bool isCaptureFile(const std::string& path)
{
    if (path.size() < 12 || path.compare(path.size() - 12, 12, ".safetensors") != 0) {
        return false;
    }
    auto file = SafetensorsFile::open(path);
    if (!file) {
        return false;
    }
    const auto& metadata = file.value()->metadata();
    const auto format = metadata.find("format");
    return format != metadata.end() && format->second == kCaptureFormat;
}

Result<Capture> readCapture(const std::string& path)
{
    auto opened = SafetensorsFile::open(path);
    if (!opened) {
        return opened.error();
    }
    const SafetensorsFile& file = *opened.value();
    const auto& metadata = file.metadata();
    const auto format = metadata.find("format");
    if (format == metadata.end() || format->second != kCaptureFormat) {
        return captureError(path, "its metadata has no format = " + std::string(kCaptureFormat));
    }
    const auto version = metadata.find("capture_version");
    if (version == metadata.end() || version->second != kCaptureVersion) {
        return makeError(ErrorCode::Unsupported, "capture version is not " + std::string(kCaptureVersion), path);
    }
    Capture capture;
    capture.model = metadata.count("model") != 0 ? metadata.at("model") : std::string();
    const TensorView* ids = file.find("ids");
    if (ids == nullptr || ids->dtype != DType::I32 || ids->shape.size() != 1) {
        return captureError(path, "no I32 [N] tensor ids");
    }
    capture.ids.resize(static_cast<std::size_t>(ids->numel()));
    std::memcpy(capture.ids.data(), ids->data, ids->byteSize());
    const std::int64_t nTokens = ids->dim(0);
    try {
        const auto tokens = nlohmann::json::parse(metadata.count("tokens") != 0 ? metadata.at("tokens") : std::string("[]"));
        capture.tokens = tokens.get<std::vector<std::string>>();
    } catch (const nlohmann::json::exception& error) {
        return captureError(path, std::string("tokens is not a JSON list of strings: ") + error.what());
    }
    if (capture.tokens.size() != capture.ids.size()) {
        return captureError(path, "tokens and ids differ in length");
    }
    const auto layerList = metadata.find("layers");
    if (layerList == metadata.end()) {
        return captureError(path, "metadata has no layers");
    }
    std::string item;
    std::istringstream stream(layerList->second);
    while (std::getline(stream, item, ',')) {
        CaptureLayer layer;
        char* end = nullptr;
        layer.layer = static_cast<int>(std::strtol(item.c_str(), &end, 10));
        if (item.empty() || *end != '\0' || layer.layer < 0) {
            return captureError(path, "layers lists \"" + item + "\"");
        }
        const TensorView* q = file.find(layerKey(layer.layer, "q"));
        const TensorView* k = file.find(layerKey(layer.layer, "k"));
        if (q == nullptr || k == nullptr || q->shape.size() != 3 || k->shape.size() != 3) {
            return captureError(path, "layer " + item + " lacks q or k of rank 3");
        }
        layer.nHeads = static_cast<int>(q->dim(0));
        layer.nKvHeads = static_cast<int>(k->dim(0));
        layer.nTokens = static_cast<int>(nTokens);
        layer.headDim = static_cast<int>(q->dim(2));
        if (layer.nKvHeads <= 0 || layer.nHeads % layer.nKvHeads != 0) {
            return captureError(path, "layer " + item + ": query heads are not a multiple of KV heads");
        }
        const std::int64_t heads = layer.nHeads;
        const std::int64_t kvHeads = layer.nKvHeads;
        const std::int64_t dim = layer.headDim;
        auto qValues = readTensor(file, layerKey(layer.layer, "q"), {heads, nTokens, dim});
        auto kValues = readTensor(file, layerKey(layer.layer, "k"), {kvHeads, nTokens, dim});
        auto vValues = readTensor(file, layerKey(layer.layer, "v"), {kvHeads, nTokens, dim});
        auto lseValues = readTensor(file, layerKey(layer.layer, "lse"), {heads, nTokens});
        for (const auto* part : {&qValues, &kValues, &vValues, &lseValues}) {
            if (!part->ok()) {
                return part->error();
            }
        }
        auto scale = metadataFloat(metadata, layerKey(layer.layer, "scale"), path);
        auto softcap = metadataFloat(metadata, layerKey(layer.layer, "softcap"), path);
        auto window = metadataInt(metadata, layerKey(layer.layer, "sliding_window"), path);
        const auto causal = metadata.find(layerKey(layer.layer, "causal"));
        if (!scale || !softcap || !window || causal == metadata.end() ||
            (causal->second != "true" && causal->second != "false")) {
            return captureError(path, "layer " + item + " lacks scale, softcap, sliding_window or causal");
        }
        layer.scale = scale.value();
        layer.softcap = softcap.value();
        layer.slidingWindow = window.value();
        layer.causal = causal->second == "true";
        layer.q = std::move(qValues.value());
        layer.k = std::move(kValues.value());
        layer.v = std::move(vValues.value());
        layer.lse = std::move(lseValues.value());
        capture.layers.push_back(std::move(layer));
    }
    return capture;
}

} // namespace attnscope

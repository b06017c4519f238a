#include "attention/learned_predictor_file.h"

#include "io/safetensors_file.h"
#include "tensor/tensor_view.h"

#include <charconv>
#include <filesystem>
#include <mutex>
#include <system_error>
#include <tuple>

namespace attnscope::attn {

namespace {

namespace fs = std::filesystem;

constexpr std::string_view kFormat = "attnscope-predictors";
constexpr std::string_view kFormatVersion = "1";

std::string shapeText(const std::vector<std::int64_t>& shape)
{
    std::string text = "[";
    for (std::size_t index = 0; index < shape.size(); ++index) {
        text += (index ? ", " : "") + std::to_string(shape[index]);
    }
    return text + "]";
}

bool parsePositive(const std::string& text, int& value)
{
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    return ec == std::errc() && ptr == text.data() + text.size() && value > 0;
}

// `layers.<L>.<rest>` → (L, rest); false for any other name.
bool splitLayerName(const std::string& name, int& layer, std::string& rest)
{
    constexpr std::string_view kPrefix = "layers.";
    if (name.rfind(kPrefix, 0) != 0) {
        return false;
    }
    const std::size_t dot = name.find('.', kPrefix.size());
    if (dot == std::string::npos || dot + 1 >= name.size()) {
        return false;
    }
    const char* begin = name.data() + kPrefix.size();
    const auto [ptr, ec] = std::from_chars(begin, name.data() + dot, layer);
    if (ec != std::errc() || ptr != name.data() + dot || layer < 0) {
        return false;
    }
    rest = name.substr(dot + 1);
    return true;
}

std::string layerTensorName(int layer, std::string_view name)
{
    return "layers." + std::to_string(layer) + "." + std::string(name);
}

} // namespace

Error LearnedPredictorFile::formatError(const std::string& message, const std::string& reason) const
{
    return makeError(ErrorCode::FormatInvalid, "predictor file: " + message, m_path, reason);
}

Result<std::shared_ptr<const LearnedPredictorFile>> LearnedPredictorFile::open(const std::string& path,
                                                                               std::string_view method)
{
    auto opened = SafetensorsFile::open(path);
    if (!opened) {
        return opened.error();
    }
    const SafetensorsFile& source = *opened.value();
    std::shared_ptr<LearnedPredictorFile> file(new LearnedPredictorFile());
    file->m_path = path;
    file->m_metadata = source.metadata();
    auto meta = [&](const std::string& key) -> const std::string* {
        const auto found = file->m_metadata.find(key);
        return found == file->m_metadata.end() ? nullptr : &found->second;
    };
    const std::string* format = meta("format");
    if (!format || *format != kFormat) {
        return file->formatError("not an attnscope predictor file (metadata 'format' is not \"attnscope-predictors\"; "
                                 "write one with tools/fit_predictors.py)",
                                 "not_predictor_file");
    }
    const std::string* version = meta("format_version");
    if (!version || *version != kFormatVersion) {
        return file->formatError("unsupported format_version '" + (version ? *version : std::string()) +
                                     "' (this attnscope reads version 1)",
                                 "bad_version");
    }
    const std::string* fileMethod = meta("method");
    if (!fileMethod) {
        return file->formatError("metadata 'method' is missing", "missing_metadata");
    }
    file->m_method = *fileMethod;
    if (*fileMethod != method) {
        return makeError(ErrorCode::InvalidArgument,
                         "predictor file was fitted for method '" + *fileMethod + "', not '" + std::string(method) +
                             "'; use it with " + *fileMethod + ":learned=..., or fit one with "
                             "tools/fit_predictors.py --method " + std::string(method),
                         path, "wrong_method");
    }
    const std::pair<const char*, int*> sizes[] = {{"n_layers", &file->m_nLayers},
                                                  {"n_heads", &file->m_nHeads},
                                                  {"n_kv_heads", &file->m_nKvHeads},
                                                  {"head_dim", &file->m_headDim}};
    for (const auto& [key, target] : sizes) {
        const std::string* text = meta(key);
        if (!text || !parsePositive(*text, *target)) {
            return file->formatError(std::string("metadata '") + key + "' is missing or not a positive integer",
                                     "missing_metadata");
        }
    }
    for (const TensorView& view : source.tensors()) {
        int layer = 0;
        std::string rest;
        if (!splitLayerName(view.name, layer, rest)) {
            return file->formatError("tensor '" + view.name + "' is not named layers.<L>.<name>", "bad_tensor_name");
        }
        if (layer >= file->m_nLayers) {
            return file->formatError("tensor '" + view.name + "' is for layer " + std::to_string(layer) +
                                         " but the file says n_layers = " + std::to_string(file->m_nLayers),
                                     "bad_tensor_name");
        }
        PredictorTensor tensor;
        tensor.shape = view.shape;
        if (auto converted = toFiniteFloat(view, tensor.values); !converted) {
            Error error = converted.error();
            if (error.code != ErrorCode::UnsupportedDtype) {
                error.code = ErrorCode::FormatInvalid;
            }
            error.message = "predictor file: " + error.message;
            error.context = path;
            return error;
        }
        file->m_tensors.emplace(view.name, std::move(tensor));
    }
    const PredictorValidator validator = predictorValidatorFor(method);
    if (!validator) {
        return makeError(ErrorCode::Unsupported, "variant '" + std::string(method) + "' has no learned mode", path,
                         "no_learned_mode");
    }
    ATTNSCOPE_TRY(validator(*file));
    return std::shared_ptr<const LearnedPredictorFile>(std::move(file));
}

const PredictorTensor* LearnedPredictorFile::find(int layer, std::string_view name) const
{
    const auto found = m_tensors.find(layerTensorName(layer, name));
    return found == m_tensors.end() ? nullptr : &found->second;
}

Result<const PredictorTensor*> LearnedPredictorFile::require(int layer, std::string_view name,
                                                             const std::vector<std::int64_t>& shape) const
{
    const PredictorTensor* tensor = find(layer, name);
    const std::string fullName = layerTensorName(layer, name);
    if (!tensor) {
        return formatError("tensor '" + fullName + "' is missing (" + m_method + " needs it for every layer)",
                           "missing_tensor");
    }
    if (tensor->shape != shape) {
        return makeError(ErrorCode::ShapeMismatch,
                         "predictor file: tensor '" + fullName + "' has shape " + shapeText(tensor->shape) +
                             ", expected " + shapeText(shape),
                         m_path, "bad_tensor_shape");
    }
    return tensor;
}

Result<std::vector<const PredictorTensor*>> LearnedPredictorFile::requireAll(int layer,
                                                                          const std::vector<TensorRequest>& wanted) const
{
    std::vector<const PredictorTensor*> tensors;
    for (const auto& [name, shape] : wanted) {
        auto tensor = require(layer, name, shape);
        if (!tensor) {
            return tensor.error();
        }
        tensors.push_back(*tensor);
    }
    return tensors;
}

Result<int> LearnedPredictorFile::metadataInt(std::string_view key) const
{
    const auto found = m_metadata.find(std::string(key));
    int value = 0;
    if (found == m_metadata.end() || !parsePositive(found->second, value)) {
        return formatError("metadata '" + std::string(key) + "' is missing or not a positive integer",
                           "missing_metadata");
    }
    return value;
}

Result<void> LearnedPredictorFile::checkFits(const LayerQkv& layer) const
{
    if (layer.nHeads != m_nHeads || layer.nKvHeads != m_nKvHeads || layer.headDim != m_headDim ||
        layer.layer >= m_nLayers) {
        return makeError(ErrorCode::ShapeMismatch,
                         "predictor file was fitted for a model with " + std::to_string(m_nLayers) + " layers of " +
                             std::to_string(m_nHeads) + " heads (" + std::to_string(m_nKvHeads) +
                             " KV heads) of dim " + std::to_string(m_headDim) + "; this is layer " +
                             std::to_string(layer.layer) + " with " + std::to_string(layer.nHeads) + " heads (" +
                             std::to_string(layer.nKvHeads) + " KV heads) of dim " + std::to_string(layer.headDim) +
                             " (fit one for this model with tools/fit_predictors.py)",
                         m_path, "model_mismatch");
    }
    return okResult();
}

PredictorValidator predictorValidatorFor(std::string_view method)
{
    struct Entry {
        const char* method;
        PredictorValidator validator;
    };
    static const Entry entries[] = {
        {"dsa", validateDsaPredictors},
        {"sbm", validateSbmPredictors},
        {"sea", validateSeaPredictors},
        {"sac", validateSacPredictors},
    };
    for (const Entry& entry : entries) {
        if (method == entry.method) {
            return entry.validator;
        }
    }
    return nullptr;
}

bool isLearnedMode(const VariantSpec& spec)
{
    const ParamInfo* info = findVariantKind(spec.kind) ? findVariantKind(spec.kind)->param("mode") : nullptr;
    return info && specString(spec, "mode") == "learned";
}

Result<std::string> resolvePredictorPath(const std::string& written, const std::string& modelFolder)
{
    std::error_code ec;
    if (fs::is_regular_file(written, ec)) {
        return written;
    }
    std::string tried = "'" + written + "'";
    if (!modelFolder.empty() && fs::path(written).is_relative()) {
        fs::path folder(modelFolder);
        if (fs::is_regular_file(folder, ec)) {
            folder = folder.parent_path();
        }
        const fs::path candidate = folder / "predictors" / written;
        if (fs::is_regular_file(candidate, ec)) {
            return candidate.string();
        }
        tried += " and '" + candidate.string() + "'";
    }
    return makeError(ErrorCode::FileNotFound,
                     "no predictor file " + tried + " (fit one with tools/fit_predictors.py, or give learned=PATH)",
                     written, "no_predictor_file");
}

Result<std::shared_ptr<const LearnedPredictorFile>> loadLearnedPredictor(const VariantSpec& spec,
                                                                         const std::string& modelFolder)
{
    auto path = resolvePredictorPath(specString(spec, "learned"), modelFolder);
    if (!path) {
        return path.error();
    }
    std::error_code ec;
    const fs::path canonical = fs::weakly_canonical(path.value(), ec);
    const std::string key = (ec ? fs::path(path.value()) : canonical).string() + "\n" + spec.kind;
    const auto size = fs::file_size(path.value(), ec);
    const auto modified = fs::last_write_time(path.value(), ec).time_since_epoch().count();
    struct Cached {
        std::uintmax_t size = 0;
        long long modified = 0;
        std::shared_ptr<const LearnedPredictorFile> file;
    };
    // Small process-wide cache: a GUI session or a perplexity run calls this once per layer.
    static std::mutex mutex;
    static std::map<std::string, Cached> cache;
    {
        std::lock_guard lock(mutex);
        const auto found = cache.find(key);
        if (found != cache.end() && found->second.size == size &&
            found->second.modified == static_cast<long long>(modified)) {
            return found->second.file;
        }
    }
    auto opened = LearnedPredictorFile::open(path.value(), spec.kind);
    if (!opened) {
        return opened.error();
    }
    std::lock_guard lock(mutex);
    cache[key] = Cached{size, static_cast<long long>(modified), opened.value()};
    return opened.value();
}

} // namespace attnscope::attn

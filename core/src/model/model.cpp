#include "model/model.h"

#include "io/gguf_file.h"
#include "io/mapped_file.h"
#include "io/tensor_store.h"
#include "model/model_weights.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/tokenizer_gguf.h"

#include <filesystem>
#include <new>

namespace attnscope {

Model::Model() = default;
Model::~Model() = default;

Result<std::unique_ptr<Model>> Model::openHfFolder(const std::string& path)
{
    namespace fs = std::filesystem;
    std::error_code ignored;
    if (!fs::exists(path, ignored)) {
        return makeError(ErrorCode::FileNotFound, "no such model folder or file", path);
    }
    const bool isFile = !fs::is_directory(path, ignored);
    if (isFile && fs::path(path).extension() != ".safetensors") {
        return makeError(ErrorCode::Unsupported,
                         "expected an HF model folder or a .safetensors file beside its config.json", path);
    }
    try {
        std::unique_ptr<Model> model(new Model());
        model->m_folder = isFile ? fs::path(path).parent_path().string() : path;
        if (model->m_folder.empty()) {
            model->m_folder = ".";
        }
        const std::string configPath = (fs::path(model->m_folder) / "config.json").string();
        if (!fs::exists(configPath, ignored)) {
            return makeError(ErrorCode::FileNotFound, "config.json is missing beside the weights", configPath);
        }
        auto configText = readTextFile(configPath);
        ATTNSCOPE_TRY(configText);
        auto spec = ModelSpec::fromHfConfig(*configText, configPath);
        ATTNSCOPE_TRY(spec);
        model->m_spec = std::move(*spec);

        auto store = isFile ? TensorStore::openFile(path) : TensorStore::openFolder(path);
        ATTNSCOPE_TRY(store);
        model->m_store = std::move(*store);
        auto weights = ModelWeights::bind(model->m_spec, *model->m_store);
        ATTNSCOPE_TRY(weights);
        model->m_weights = std::move(*weights);

        const std::string tokenizerPath = (fs::path(model->m_folder) / "tokenizer.json").string();
        if (fs::exists(tokenizerPath, ignored)) {
            auto tokenizer = Tokenizer::fromFile(tokenizerPath);
            ATTNSCOPE_TRY(tokenizer);
            model->m_tokenizer = std::move(*tokenizer);
        }
        // A file truncated while its header was parsed read as zeros there (io/mapping_guard.h).
        ATTNSCOPE_TRY(model->m_store->checkUnchanged());
        return model;
    } catch (const std::bad_alloc&) {
        return makeError(ErrorCode::OutOfMemory, "out of memory opening the model", path);
    }
}

Result<std::unique_ptr<Model>> Model::openGguf(const std::string& path)
{
    auto file = GgufFile::open(path);
    ATTNSCOPE_TRY(file);
    try {
        std::shared_ptr<const GgufFile> gguf(std::move(*file));
        std::unique_ptr<Model> model(new Model());
        model->m_folder = std::filesystem::path(path).parent_path().string();
        if (model->m_folder.empty()) {
            model->m_folder = ".";
        }
        auto spec = ModelSpec::fromGguf(*gguf);
        ATTNSCOPE_TRY(spec);
        model->m_spec = std::move(*spec);
        auto tokenizer = tokenizerFromGguf(*gguf);
        ATTNSCOPE_TRY(tokenizer);
        model->m_tokenizer = std::move(*tokenizer);
        auto store = TensorStore::fromGguf(std::move(gguf));
        ATTNSCOPE_TRY(store);
        model->m_store = std::move(*store);
        auto weights = ModelWeights::bind(model->m_spec, *model->m_store);
        if (!weights.ok()) {
            // The message names the tensor; one file holds them all, so it is the context.
            Error error = weights.error();
            error.context = path;
            return error;
        }
        model->m_weights = std::move(*weights);
        // A file truncated while its header, tokenizer or quantised tensors were read.
        ATTNSCOPE_TRY(model->m_store->checkUnchanged());
        return model;
    } catch (const std::bad_alloc&) {
        return makeError(ErrorCode::OutOfMemory, "out of memory opening the model", path);
    }
}

// The weights are read in place from the mapped files during a pass. A file truncated or rewritten
// before the pass is refused here; one truncated during it reads as zeros from then on
// (io/mapping_guard.h) and one rewritten during it mixes old and new values, so the check after
// the pass discards such a result instead of returning numbers computed from garbage.
Result<ForwardResult> Model::forward(std::span<const int> ids, const ForwardOptions& options) const
{
    ATTNSCOPE_TRY(m_store->checkUnchanged());
    auto result = forwardCpu(*m_weights, ids, options);
    ATTNSCOPE_TRY(m_store->checkUnchanged());
    return result;
}

Result<LossResult> Model::loss(std::span<const int> ids, const LossOptions& options) const
{
    ATTNSCOPE_TRY(m_store->checkUnchanged());
    auto result = evaluateLoss(*m_weights, ids, options);
    ATTNSCOPE_TRY(m_store->checkUnchanged());
    return result;
}

} // namespace attnscope

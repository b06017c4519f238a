#include "io/tensor_store.h"

#include "io/gguf_file.h"
#include "io/mapped_file.h"

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

namespace attnscope {

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

constexpr const char* kIndexName = "model.safetensors.index.json";

// A shard name from an index must be a plain file name in the model folder: anything with a path
// component could make a downloaded model read arbitrary files.
bool isPlainBasename(const std::string& name)
{
    return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos &&
           name.find('\\') == std::string::npos && name.find('\0') == std::string::npos;
}

Result<std::vector<std::string>> shardNamesFromIndex(const std::string& indexPath,
                                                     std::map<std::string, std::string>& shardOfTensor)
{
    auto text = readTextFile(indexPath);
    if (!text) {
        return text.error();
    }
    Json index;
    try {
        index = Json::parse(text.value());
    } catch (const Json::exception& exception) {
        return makeError(ErrorCode::FormatInvalid, std::string("not valid JSON: ") + exception.what(), indexPath,
                         "index_json");
    }
    if (!index.is_object() || !index.contains("weight_map") || !index["weight_map"].is_object()) {
        return makeError(ErrorCode::FormatInvalid, "missing the \"weight_map\" object", indexPath, "index_json");
    }
    std::vector<std::string> shards;
    for (const auto& [tensorName, shardValue] : index["weight_map"].items()) {
        if (!shardValue.is_string()) {
            return makeError(ErrorCode::FormatInvalid, "weight_map entry of \"" + tensorName + "\" is not a string",
                             indexPath, "index_json");
        }
        const std::string shard = shardValue.get<std::string>();
        if (!isPlainBasename(shard)) {
            return makeError(ErrorCode::FormatInvalid,
                             "shard \"" + shard + "\" is not a plain file name in the model folder", indexPath,
                             "index_path");
        }
        shardOfTensor[tensorName] = shard;
        if (std::find(shards.begin(), shards.end(), shard) == shards.end()) {
            shards.push_back(shard);
        }
    }
    if (shards.empty()) {
        return makeError(ErrorCode::FormatInvalid, "weight_map is empty", indexPath, "index_json");
    }
    return shards;
}

} // namespace

Result<std::unique_ptr<TensorStore>> TensorStore::openFile(const std::string& path)
{
    auto file = SafetensorsFile::open(path);
    if (!file) {
        return file.error();
    }
    auto store = std::make_unique<TensorStore>();
    for (const TensorView& view : file.value()->tensors()) {
        store->m_byName.emplace(view.name, &view);
    }
    store->m_files.push_back(std::move(file.value()));
    return store;
}

Result<std::unique_ptr<TensorStore>> TensorStore::openFolder(const std::string& folder)
{
    std::error_code errorCode;
    if (!fs::is_directory(folder, errorCode)) {
        return makeError(fs::exists(folder, errorCode) ? ErrorCode::FileIo : ErrorCode::FileNotFound,
                         "not a model folder", folder);
    }
    const fs::path root(folder);
    if (fs::exists(root / kIndexName, errorCode)) {
        const std::string indexPath = (root / kIndexName).string();
        std::map<std::string, std::string> shardOfTensor;
        auto shards = shardNamesFromIndex(indexPath, shardOfTensor);
        if (!shards) {
            return shards.error();
        }
        auto store = std::make_unique<TensorStore>();
        for (const std::string& shard : shards.value()) {
            auto file = SafetensorsFile::open((root / shard).string());
            if (!file) {
                return file.error();
            }
            for (const TensorView& view : file.value()->tensors()) {
                if (!store->m_byName.emplace(view.name, &view).second) {
                    return makeError(ErrorCode::FormatInvalid,
                                     "tensor \"" + view.name + "\" is stored in two shards", indexPath,
                                     "duplicate_tensor");
                }
                const auto listed = shardOfTensor.find(view.name);
                if (listed == shardOfTensor.end() || listed->second != shard) {
                    return makeError(ErrorCode::FormatInvalid,
                                     "tensor \"" + view.name + "\" is in " + shard +
                                         " but the index does not list it there",
                                     indexPath, "index_mismatch");
                }
            }
            store->m_files.push_back(std::move(file.value()));
        }
        for (const auto& [tensorName, shard] : shardOfTensor) {
            if (!store->m_byName.count(tensorName)) {
                return makeError(ErrorCode::FormatInvalid,
                                 "index lists tensor \"" + tensorName + "\" in " + shard + " but that shard lacks it",
                                 indexPath, "index_mismatch");
            }
        }
        return store;
    }
    if (fs::exists(root / "model.safetensors", errorCode)) {
        return openFile((root / "model.safetensors").string());
    }
    std::vector<fs::path> candidates;
    for (const auto& entry : fs::directory_iterator(root, errorCode)) {
        if (entry.path().extension() == ".safetensors") {
            candidates.push_back(entry.path());
        }
    }
    if (candidates.size() == 1) {
        return openFile(candidates.front().string());
    }
    if (candidates.empty()) {
        return makeError(ErrorCode::FileNotFound, "no model.safetensors (or sharded index) in the folder", folder);
    }
    return makeError(ErrorCode::FormatInvalid,
                     "several .safetensors files but no model.safetensors.index.json to say which belong to the model",
                     folder);
}

const TensorView* TensorStore::find(std::string_view name) const
{
    const auto found = m_byName.find(name);
    return found == m_byName.end() ? nullptr : found->second;
}

std::vector<std::string> TensorStore::names() const
{
    std::vector<std::string> result;
    result.reserve(m_byName.size());
    for (const auto& [name, view] : m_byName) {
        result.push_back(name);
    }
    return result;
}

std::vector<const TensorView*> TensorStore::tensors() const
{
    std::vector<const TensorView*> result;
    for (const auto& file : m_files) {
        for (const TensorView& view : file->tensors()) {
            result.push_back(&view);
        }
    }
    for (const TensorView& view : m_ggufViews) {
        result.push_back(&view);
    }
    return result;
}

std::vector<std::string> TensorStore::files() const
{
    std::vector<std::string> result;
    for (const auto& file : m_files) {
        result.push_back(file->path());
    }
    if (m_gguf) {
        result.push_back(m_gguf->path());
    }
    return result;
}

std::size_t TensorStore::totalBytes() const
{
    std::size_t total = 0;
    for (const auto& file : m_files) {
        total += file->fileSize();
    }
    return total + (m_gguf ? m_gguf->fileSize() : 0);
}

Result<void> TensorStore::checkUnchanged() const
{
    for (const auto& file : m_files) {
        ATTNSCOPE_TRY(file->checkUnchanged());
    }
    if (m_gguf) {
        ATTNSCOPE_TRY(m_gguf->checkUnchanged());
    }
    return okResult();
}

std::map<std::string, std::string> TensorStore::metadata() const
{
    std::map<std::string, std::string> merged;
    for (const auto& file : m_files) {
        merged.insert(file->metadata().begin(), file->metadata().end());
    }
    return merged;
}

} // namespace attnscope

#include "attnscope/workspace_file.h"

#include "attnscope/variant_spec.h"
#include "io/atomic_write.h"

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>
#include <sys/stat.h>

namespace attnscope {

namespace {

constexpr const char* kFormat = "attnscope-workspace";
constexpr int kVersion = 1;

Error formatError(const std::string& message)
{
    return makeError(ErrorCode::FormatInvalid, "not a valid workspace: " + message, {}, "workspace_invalid");
}

} // namespace

std::string serializeWorkspaceJson(const WorkspaceState& state)
{
    // ordered_json keeps the keys in insertion order: the file reads in a fixed, documented order.
    nlohmann::ordered_json json;
    json["format"] = kFormat;
    json["version"] = kVersion;
    json["model"] = state.modelPath;
    json["text"] = state.text;
    json["layer"] = state.layer;
    json["head"] = state.head;
    json["variants"] = state.variants;
    json["active_variant"] = state.activeVariant;
    nlohmann::ordered_json view = nlohmann::ordered_json::object();
    for (const auto& [name, value] : state.view) {
        view[name] = value;
    }
    json["view"] = std::move(view);
    return json.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

Result<WorkspaceState> parseWorkspaceJson(std::string_view text)
{
    if (text.size() > kMaxWorkspaceBytes) {
        return formatError("larger than " + std::to_string(kMaxWorkspaceBytes >> 20) + " MiB");
    }
    nlohmann::json json;
    try {
        json = nlohmann::json::parse(text.begin(), text.end());
    } catch (const nlohmann::json::exception& error) {
        return formatError(std::string("JSON: ") + error.what());
    }
    if (!json.is_object()) {
        return formatError("the top level is not an object");
    }
    auto field = [&](const char* key, auto check, const char* what) -> Result<const nlohmann::json*> {
        const auto found = json.find(key);
        if (found == json.end()) {
            return formatError(std::string("no \"") + key + "\"");
        }
        if (!check(*found)) {
            return formatError(std::string("\"") + key + "\" is not " + what);
        }
        return &*found;
    };
    const auto isString = [](const nlohmann::json& value) { return value.is_string(); };
    const auto isIndex = [](const nlohmann::json& value) {
        return value.is_number_integer() && value.get<std::int64_t>() >= 0 && value.get<std::int64_t>() < (1 << 24);
    };
    auto format = field("format", isString, "a string");
    if (!format) {
        return format.error();
    }
    if (format.value()->get<std::string>() != kFormat) {
        return formatError(std::string("\"format\" is not \"") + kFormat + "\"");
    }
    auto version = field("version", [](const nlohmann::json& v) { return v.is_number_integer(); }, "an integer");
    if (!version) {
        return version.error();
    }
    if (version.value()->get<std::int64_t>() != kVersion) {
        return formatError("version " + version.value()->dump() + " is not supported (this attnscope reads version 1)");
    }
    WorkspaceState state;
    auto model = field("model", isString, "a string");
    auto body = field("text", isString, "a string");
    auto layer = field("layer", isIndex, "a non-negative integer");
    auto head = field("head", isIndex, "a non-negative integer");
    auto active = field("active_variant", isIndex, "a non-negative integer");
    auto variants = field("variants", [](const nlohmann::json& v) { return v.is_array(); }, "a list");
    auto view = field("view", [](const nlohmann::json& v) { return v.is_object(); }, "an object");
    for (const auto* part : {&model, &body, &layer, &head, &active, &variants, &view}) {
        if (!part->ok()) {
            return part->error();
        }
    }
    state.modelPath = model.value()->get<std::string>();
    state.text = body.value()->get<std::string>();
    state.layer = layer.value()->get<int>();
    state.head = head.value()->get<int>();
    state.activeVariant = active.value()->get<int>();
    for (const nlohmann::json& spec : *variants.value()) {
        if (!spec.is_string()) {
            return formatError("\"variants\" holds a non-string");
        }
        if (auto parsed = parseVariantSpec(spec.get<std::string>()); !parsed) {
            return formatError("variant \"" + spec.get<std::string>() + "\": " + parsed.error().message);
        }
        state.variants.push_back(spec.get<std::string>());
    }
    if (state.activeVariant > 0 && state.activeVariant >= static_cast<int>(state.variants.size())) {
        return formatError("\"active_variant\" " + std::to_string(state.activeVariant) + " is past the " +
                           std::to_string(state.variants.size()) + " variants");
    }
    for (const auto& [name, value] : view.value()->items()) {
        if (!value.is_string()) {
            return formatError("view setting \"" + name + "\" is not a string");
        }
        state.view[name] = value.get<std::string>();
    }
    return state;
}

Result<void> saveWorkspaceFile(const std::string& path, const WorkspaceState& state)
{
    return writeFileAtomic(path, serializeWorkspaceJson(state), true);
}

Result<WorkspaceState> loadWorkspaceFile(const std::string& path)
{
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0) {
        return makeError(ErrorCode::FileNotFound, "no such workspace file", path);
    }
    if (!S_ISREG(info.st_mode)) {
        return makeError(ErrorCode::FileIo, "not a regular file", path);
    }
    if (static_cast<std::size_t>(info.st_size) > kMaxWorkspaceBytes) {
        return makeError(ErrorCode::FormatInvalid, "not a valid workspace: larger than 64 MiB", path, "workspace_invalid");
    }
    std::ifstream stream(path, std::ios::binary);
    if (!stream) {
        return makeError(ErrorCode::FileIo, "cannot open the workspace file", path);
    }
    std::ostringstream contents;
    contents << stream.rdbuf();
    auto state = parseWorkspaceJson(contents.str());
    if (!state) {
        Error error = state.error();
        error.context = path;
        return error;
    }
    return state;
}

} // namespace attnscope

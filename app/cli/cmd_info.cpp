#include "commands.h"
#include "json_writer.h"

#include "attnscope/backends.h"

#include <cstdio>

namespace attnscope::cli {

namespace {

std::string humanBytes(std::size_t bytes)
{
    char buffer[32];
    if (bytes >= (1u << 20)) {
        std::snprintf(buffer, sizeof buffer, "%.1f MiB", bytes / 1048576.0);
    } else {
        std::snprintf(buffer, sizeof buffer, "%.1f KiB", bytes / 1024.0);
    }
    return buffer;
}

std::string shapeText(const std::vector<std::int64_t>& shape)
{
    std::string text = "[";
    for (std::size_t axis = 0; axis < shape.size(); ++axis) {
        text += (axis ? ", " : "") + std::to_string(shape[axis]);
    }
    return text + "]";
}

Result<int> runInfo(const ParsedArgs& args)
{
    auto workspace = openModelArgument(args);
    if (!workspace) {
        return workspace.error();
    }
    const ModelInfo& info = workspace.value()->info();
    std::string text;
    if (args.has("json")) {
        JsonWriter json;
        json.beginObject();
        json.key("path").value(info.path).key("name").value(info.name);
        json.key("architecture").value(info.architecture);
        json.key("layers").value(info.nLayers).key("heads").value(info.nHeads);
        json.key("kv_heads").value(info.nKvHeads).key("head_dim").value(info.headDim);
        json.key("hidden_size").value(info.hiddenSize).key("vocab_size").value(info.vocabSize);
        json.key("context").value(info.maxPositions).key("causal").value(info.causal);
        json.key("parameters").value(info.parameterCount);
        json.key("file_bytes").value(static_cast<std::int64_t>(info.fileBytes));
        json.key("dtypes").value(info.weightDtypes).key("tokenizer").value(info.tokenizerKind);
        json.key("tensors").beginArray();
        for (const TensorInfo& tensor : info.tensors) {
            json.beginObject().key("name").value(tensor.name).key("dtype").value(tensor.dtype);
            json.key("shape").array(tensor.shape).endObject();
        }
        json.endArray();
        json.key("backends").beginArray();
        for (const BackendInfo& backend : listBackends()) {
            json.beginObject().key("name").value(backend.name).key("available").value(backend.available);
            json.key("reason").value(backend.reason).key("detail").value(backend.detail).endObject();
        }
        json.endArray().endObject();
        text = json.text();
    } else {
        char line[256];
        text += "model        " + info.name + "  (" + info.path + ")\n";
        text += "architecture " + info.architecture + (info.causal ? " (causal)" : " (bidirectional)") + "\n";
        std::snprintf(line, sizeof line, "layers %d, heads %d, kv heads %d, head dim %d, hidden %d\n", info.nLayers,
                      info.nHeads, info.nKvHeads, info.headDim, info.hiddenSize);
        text += line;
        std::snprintf(line, sizeof line, "vocab %d, context %d, parameters %lld, weights %s in %s\n", info.vocabSize,
                      info.maxPositions, static_cast<long long>(info.parameterCount), info.weightDtypes.c_str(),
                      humanBytes(info.fileBytes).c_str());
        text += line;
        text += "tokenizer    " + (info.tokenizerKind.empty() ? std::string("none") : info.tokenizerKind) + "\n";
        for (const BackendInfo& backend : listBackends()) {
            text += "backend      " + backend.name + ": " +
                    (backend.available ? "available" + (backend.detail.empty() ? "" : " (" + backend.detail + ")")
                                       : "unavailable (" + backend.reason + ")") +
                    "\n";
        }
        text += "tensors (" + std::to_string(info.tensors.size()) + "):\n";
        for (const TensorInfo& tensor : info.tensors) {
            text += "  " + tensor.name + "  " + tensor.dtype + " " + shapeText(tensor.shape) + "\n";
        }
    }
    ATTNSCOPE_TRY(emitText(args, text));
    return 0;
}

} // namespace

Command infoCommand()
{
    return {"info",
            "info MODEL [--json]",
            "architecture, sizes, tensors, dtypes and parameter count of a model",
            {{"json", false, false, "machine-readable output"}, outputOptions()[0], outputOptions()[1]},
            runInfo};
}

} // namespace attnscope::cli

#include "commands.h"
#include "json_writer.h"

#include "attnscope/data_export.h"

#include <cstdio>

namespace attnscope::cli {

namespace {

std::string attentionCsv(const HeadAttention& attention, const TokenizedText& tokens)
{
    // First row: the key tokens; then one row per query: its token and its weights.
    std::string csv = "query\\key";
    for (const std::string& token : tokens.tokens) {
        csv += "," + jsonQuoted(token);
    }
    csv += "\n";
    char number[32];
    for (int query = 0; query < attention.nTokens; ++query) {
        csv += jsonQuoted(tokens.tokens[static_cast<std::size_t>(query)]);
        for (int key = 0; key < attention.nTokens; ++key) {
            std::snprintf(number, sizeof number, ",%.9g",
                          attention.attention[static_cast<std::size_t>(query) * attention.nTokens + key]);
            csv += number;
        }
        csv += "\n";
    }
    return csv;
}

Result<int> runAttention(const ParsedArgs& args)
{
    auto input = openModelAndText(args);
    if (!input) {
        return input.error();
    }
    Workspace& workspace = *input->workspace;
    const TokenizedText& tokens = input->tokens;
    auto layer = args.getInt("layer");
    auto head = args.getInt("head");
    if (!layer) {
        return layer.error();
    }
    if (!head) {
        return head.error();
    }
    if (!layer.value() || !head.value()) {
        return makeError(ErrorCode::InvalidArgument, "attention needs --layer L and --head H");
    }
    const std::string format = args.get("format").value_or("json");
    if (format != "json" && format != "csv" && format != "npy") {
        return makeError(ErrorCode::InvalidArgument, "--format must be json, csv or npy (got \"" + format + "\")");
    }
    if (format == "npy" && !args.has("out")) {
        return makeError(ErrorCode::InvalidArgument, "--format npy needs --out FILE.npy");
    }
    const std::string variant = args.get("variant").value_or("dense");
    RunOptions options;
    options.allowOverflow = args.has("allow-overflow");
    auto attention = workspace.headAttention(tokens.ids, static_cast<int>(*layer.value()),
                                                      static_cast<int>(*head.value()), variant, options);
    if (!attention) {
        return attention.error();
    }
    reportAttentionBackend(workspace);
    const HeadAttention& result = attention.value();
    if (format == "npy") {
        ATTNSCOPE_TRY(writeNpyFloat32(*args.get("out"), {result.nTokens, result.nTokens}, result.attention,
                                      args.has("force")));
        return 0;
    }
    if (format == "csv") {
        ATTNSCOPE_TRY(emitText(args, attentionCsv(result, tokens)));
        return 0;
    }
    JsonWriter json;
    json.beginObject();
    json.key("model").value(workspace.info().name);
    json.key("layer").value(result.layer).key("head").value(result.head);
    json.key("variant").value(result.variant);
    json.key("ids").array(tokens.ids).key("tokens").array(tokens.tokens);
    json.key("attention").matrix(result.attention, result.nTokens, result.nTokens);
    json.endObject();
    ATTNSCOPE_TRY(emitText(args, json.text()));
    return 0;
}

} // namespace

Command attentionCommand()
{
    auto options = textOptions();
    options.push_back({"layer", true, false, "layer index (0-based)"});
    options.push_back({"head", true, false, "query head index (0-based)"});
    options.push_back({"variant", true, false, "variant spec, e.g. topk:k=16 (default dense)"});
    options.push_back({"format", true, false, "json (default), csv or npy"});
    const auto output = outputOptions();
    options.insert(options.end(), output.begin(), output.end());
    return {"attention",
            "attention MODEL --text T --layer L --head H [--variant SPEC] [--format json|csv|npy] [--out F]",
            "one head's attention matrix (dense or a variant's effective attention), with tokens",
            options,
            runAttention};
}

} // namespace attnscope::cli

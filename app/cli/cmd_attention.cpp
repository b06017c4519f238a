#include "commands.h"
#include "json_writer.h"

#include "attnscope/data_export.h"

#include <cstdio>

namespace attnscope::cli {

namespace {

// The matrix that --format csv|npy writes: the weights, or with --mask the kept pairs as 0/1.
std::vector<float> chosenMatrix(const HeadAttention& attention, bool mask)
{
    return mask ? std::vector<float>(attention.mask.begin(), attention.mask.end()) : attention.attention;
}

std::string attentionCsv(const std::vector<float>& matrix, int nTokens, const TokenizedText& tokens)
{
    // First row: the key tokens; then one row per query: its token and its values.
    std::string csv = "query\\key";
    for (const std::string& token : tokens.tokens) {
        csv += "," + jsonQuoted(token);
    }
    csv += "\n";
    char number[32];
    for (int query = 0; query < nTokens; ++query) {
        csv += jsonQuoted(tokens.tokens[static_cast<std::size_t>(query)]);
        for (int key = 0; key < nTokens; ++key) {
            std::snprintf(number, sizeof number, ",%.9g", matrix[static_cast<std::size_t>(query) * nTokens + key]);
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
    const bool mask = args.has("mask");
    if (format == "npy") {
        ATTNSCOPE_TRY(writeNpyFloat32(*args.get("out"), {result.nTokens, result.nTokens}, chosenMatrix(result, mask),
                                      args.has("force")));
        return 0;
    }
    if (format == "csv") {
        ATTNSCOPE_TRY(emitText(args, attentionCsv(chosenMatrix(result, mask), result.nTokens, tokens)));
        return 0;
    }
    JsonWriter json;
    json.beginObject();
    json.key("model").value(workspace.info().name);
    json.key("layer").value(result.layer).key("head").value(result.head);
    json.key("variant").value(result.variant);
    json.key("ids").array(tokens.ids).key("tokens").array(tokens.tokens);
    json.key("attention").matrix(result.attention, result.nTokens, result.nTokens);
    // What the variant kept (1) among the pairs the model allows; a kept pair's weight can round to
    // 0, so the weights alone do not say it.
    json.key("mask").matrix(result.mask, result.nTokens, result.nTokens);
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
    options.push_back({"format", true, false, "json (default; has both the attention and the mask), csv or npy"});
    options.push_back({"mask", false, false,
                       "csv/npy: write the mask (1 = a pair the variant kept, 0 = dropped or not allowed) instead of the weights"});
    const auto output = outputOptions();
    options.insert(options.end(), output.begin(), output.end());
    return {"attention",
            "attention MODEL --text T --layer L --head H [--variant SPEC] [--format json|csv|npy] [--mask] [--out F]",
            "one head's attention matrix (dense or a variant's effective attention) and mask, with tokens",
            options,
            runAttention};
}

} // namespace attnscope::cli

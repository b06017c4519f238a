#include "commands.h"
#include "json_writer.h"

#include <cstdio>

namespace attnscope::cli {

namespace {

Result<int> runEval(const ParsedArgs& args)
{
    auto input = openModelAndText(args);
    if (!input) {
        return input.error();
    }
    Workspace& workspace = *input->workspace;
    const TokenizedText& tokens = input->tokens;
    RunOptions options;
    options.allowOverflow = args.has("allow-overflow");
    const std::string variant = args.get("variant").value_or("dense");
    auto replaced = replacedLayersOption(args, workspace.info().nLayers);
    if (!replaced) {
        return replaced.error();
    }
    if (!replaced->empty() && variant == "dense") {
        return makeError(ErrorCode::InvalidArgument, "--replace-layers needs a --variant to put in those layers");
    }
    auto result = workspace.evaluate(tokens.ids, variant, options, replaced.value());
    if (!result) {
        return result.error();
    }
    reportAttentionBackend(workspace);
    std::string text;
    if (args.has("json")) {
        JsonWriter json;
        json.beginObject();
        json.key("tokens").value(result->tokens).key("predicted").value(result->predicted);
        json.key("windows").value(result->windows);
        json.key("loss").value(result->loss).key("perplexity").value(result->perplexity);
        json.key("variant").value(result->variant);
        json.key("replaced_layers");
        result->replacedLayers.empty() ? json.value("all") : json.array(result->replacedLayers);
        json.endObject();
        text = json.text();
    } else {
        char line[256];
        std::snprintf(line, sizeof line, "tokens %lld (%lld predicted, %d window%s)\nloss %.6f nats/token\nperplexity %.4f\nvariant %s\n",
                      static_cast<long long>(result->tokens), static_cast<long long>(result->predicted),
                      result->windows, result->windows == 1 ? "" : "s", result->loss, result->perplexity,
                      result->variant.c_str());
        text = line;
        if (result->variant != "dense") {
            text += "in " + replacedLayersPhrase(result->replacedLayers) + "\n";
        }
    }
    ATTNSCOPE_TRY(emitText(args, text));
    return 0;
}

} // namespace

Command evalCommand()
{
    auto options = textOptions();
    options.push_back({"variant", true, false, "replace attention by this variant (in every layer, or --replace-layers)"});
    options.push_back({"replace-layers", true, false, "layers the variant replaces: all (default), 3, 0-3, 0-3,7"});
    const auto output = outputOptions();
    options.insert(options.end(), output.begin(), output.end());
    return {"eval", "eval MODEL --text-file F [--variant SPEC [--replace-layers L]] [--json]",
            "mean next-token loss and perplexity on a text", options, runEval};
}

} // namespace attnscope::cli

#include "commands.h"
#include "json_writer.h"

#include <cmath>
#include <cstdio>
#include <sstream>

namespace attnscope::cli {

Result<std::vector<int>> parseIndexList(const std::string& option, const std::string& text, int count)
{
    std::vector<int> indices;
    if (text == "all") {
        return indices;
    }
    std::stringstream stream(text);
    std::string item;
    while (std::getline(stream, item, ',')) {
        int first = 0;
        int last = 0;
        char dash = 0;
        std::istringstream itemStream(item);
        if (!(itemStream >> first)) {
            return makeError(ErrorCode::InvalidArgument, "--" + option + ": \"" + item + "\" is not an index or a range A-B");
        }
        last = first;
        if (itemStream >> dash) {
            if (dash != '-' || !(itemStream >> last)) {
                return makeError(ErrorCode::InvalidArgument,
                                 "--" + option + ": \"" + item + "\" is not an index or a range A-B");
            }
        }
        if (first < 0 || last >= count || first > last) {
            return makeError(ErrorCode::InvalidArgument, "--" + option + ": \"" + item + "\" is outside [0, " +
                                                             std::to_string(count) + ")");
        }
        for (int index = first; index <= last; ++index) {
            indices.push_back(index);
        }
    }
    return indices;
}

Result<std::vector<int>> replacedLayersOption(const ParsedArgs& args, int nLayers)
{
    const auto text = args.get("replace-layers");
    return text ? parseIndexList("replace-layers", *text, nLayers) : Result<std::vector<int>>(std::vector<int>{});
}

namespace {

void writeMetrics(JsonWriter& json, const VariantMetrics& metrics)
{
    json.key("density").value(metrics.density).key("recall").value(metrics.recall);
    json.key("kl").value(metrics.kl).key("kl_dense_effective").value(metrics.klDenseEffective);
    json.key("tv").value(metrics.tv).key("jaccard").value(metrics.jaccard);
    json.key("output_error").value(metrics.outputError).key("empty_rows").value(metrics.emptyRows);
    json.key("sparse_flops").value(metrics.sparseFlops).key("dense_flops").value(metrics.denseFlops);
    json.key("sparse_bytes").value(metrics.sparseBytes).key("dense_bytes").value(metrics.denseBytes);
}

} // namespace

std::string compareJson(const CompareResult& result)
{
    JsonWriter json;
    json.beginObject();
    json.key("tokens").value(result.nTokens);
    json.key("dense_perplexity");
    result.densePerplexity >= 0 ? json.value(result.densePerplexity) : json.null();
    json.key("replaced_layers");
    result.replacedLayers.empty() ? json.value("all") : json.array(result.replacedLayers);
    json.key("variants").beginArray();
    for (const VariantComparison& variant : result.variants) {
        json.beginObject().key("variant").value(variant.variant);
        json.key("layers").beginArray();
        for (const LayerComparison& layer : variant.layers) {
            json.beginObject().key("layer").value(layer.layer).key("heads").beginArray();
            for (const VariantMetrics& head : layer.heads) {
                json.beginObject().key("head").value(head.head);
                writeMetrics(json, head);
                json.endObject();
            }
            json.endArray().key("mean").beginObject();
            writeMetrics(json, layer.mean);
            json.endObject().endObject();
        }
        json.endArray();
        json.key("mean").beginObject();
        writeMetrics(json, variant.mean);
        json.endObject();
        json.key("perplexity");
        variant.perplexity >= 0 ? json.value(variant.perplexity) : json.null();
        json.endObject();
    }
    json.endArray().endObject();
    return json.text();
}

namespace {

std::string compareTable(const CompareResult& result, bool perLayer)
{
    std::string text;
    char line[512];
    // flops: the variant's FLOPs (kept pairs + its estimate) as a fraction of dense attention's.
    std::snprintf(line, sizeof line, "%-34s %6s %8s %8s %8s %8s %8s %8s %8s %10s\n", "variant", "layer", "density",
                  "recall", "kl", "tv", "jaccard", "out_err", "flops", "perplexity");
    text += line;
    auto row = [&](const std::string& name, const std::string& layer, const VariantMetrics& metrics, double perplexity) {
        char ppl[32] = "-";
        if (perplexity >= 0) {
            std::snprintf(ppl, sizeof ppl, "%.4f", perplexity);
        }
        const double flops = metrics.denseFlops > 0.0 ? metrics.sparseFlops / metrics.denseFlops : 0.0;
        // Four decimals: a KL of −1e-12 (rounding, dense-equal variants) prints as 0.0000, not −0.0000.
        const auto shown = [](double value) { return std::abs(value) < 0.5e-4 ? 0.0 : value; };
        std::snprintf(line, sizeof line, "%-34s %6s %8.4f %8.4f %8.4f %8.4f %8.4f %8.4f %8.4f %10s\n", name.c_str(),
                      layer.c_str(), shown(metrics.density), shown(metrics.recall), shown(metrics.kl),
                      shown(metrics.tv), shown(metrics.jaccard), shown(metrics.outputError), shown(flops), ppl);
        text += line;
    };
    for (const VariantComparison& variant : result.variants) {
        if (perLayer) {
            for (const LayerComparison& layer : variant.layers) {
                row(variant.variant, std::to_string(layer.layer), layer.mean, -1.0);
            }
        }
        row(variant.variant, "all", variant.mean, variant.perplexity);
    }
    if (result.densePerplexity >= 0) {
        std::snprintf(line, sizeof line, "dense perplexity %.4f on %d tokens; each variant replaces attention in %s\n",
                      result.densePerplexity, result.nTokens, replacedLayersPhrase(result.replacedLayers).c_str());
        text += line;
    }
    return text;
}

Result<int> runCompare(const ParsedArgs& args)
{
    auto input = openModelAndText(args);
    if (!input) {
        return input.error();
    }
    Workspace& workspace = *input->workspace;
    const TokenizedText& tokens = input->tokens;
    const ModelInfo& info = workspace.info();
    CompareRequest request;
    request.variants = args.all("variant");
    if (const auto layers = args.get("layers")) {
        auto parsed = parseIndexList("layers", *layers, info.nLayers);
        if (!parsed) {
            return parsed.error();
        }
        request.layers = parsed.value();
    }
    if (const auto heads = args.get("heads")) {
        auto parsed = parseIndexList("heads", *heads, info.nHeads);
        if (!parsed) {
            return parsed.error();
        }
        request.heads = parsed.value();
    }
    auto replaced = replacedLayersOption(args, info.nLayers);
    if (!replaced) {
        return replaced.error();
    }
    request.replacedLayers = replaced.value();
    request.randomControls = args.has("controls");
    request.perplexity = !args.has("no-perplexity");
    RunOptions options;
    options.allowOverflow = args.has("allow-overflow");
    auto result = workspace.compare(tokens.ids, request, options);
    if (!result) {
        return result.error();
    }
    reportAttentionBackend(workspace);
    ATTNSCOPE_TRY(emitText(args, args.has("json") ? compareJson(result.value())
                                                  : compareTable(result.value(), args.has("per-layer"))));
    return 0;
}

} // namespace

Command compareCommand()
{
    auto options = textOptions();
    options.push_back({"variant", true, true, "variant spec; repeat for several"});
    options.push_back({"layers", true, false, "layers to compare: all (default), 3, 0-3, 0-3,7"});
    options.push_back({"heads", true, false, "query heads to compare (same syntax)"});
    options.push_back({"controls", false, false, "add a random control matched to each variant's kept keys per row"});
    options.push_back({"no-perplexity", false, false, "skip running the model with each variant"});
    options.push_back({"replace-layers", true, false,
                       "layers each variant replaces for the perplexity: all (default), 3, 0-3, 0-3,7"});
    options.push_back({"per-layer", false, false, "table: one line per layer as well as the overall mean"});
    const auto output = outputOptions();
    options.insert(options.end(), output.begin(), output.end());
    return {"compare", "compare MODEL --text T --variant SPEC [--variant SPEC ...] [--layers L] [--heads H] [--replace-layers L] [--json]",
            "quality of each variant against dense attention: density, recall, KL, TV, Jaccard, output error, perplexity",
            options, runCompare};
}

} // namespace attnscope::cli

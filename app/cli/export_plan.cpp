#include "export_plan.h"

#include "commands.h"

#include "attnscope/figure_graph.h"
#include "attnscope/variant_spec.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>

namespace attnscope::cli {

std::string specSlug(const std::string& spec)
{
    std::string slug;
    for (const char character : spec) {
        if (character == ':' || character == ',') {
            slug.push_back('_');
        } else if (character == '=') {
            continue;
        } else if (std::isalnum(static_cast<unsigned char>(character)) || character == '.' || character == '-') {
            slug.push_back(character);
        } else {
            slug.push_back('-');
        }
    }
    return slug;
}

namespace {

std::string headPart(int layer, int head)
{
    return "L" + std::to_string(layer) + "_H" + std::to_string(head);
}

bool hasFigureExtension(const std::string& path)
{
    for (const char* extension : {".png", ".svg", ".pdf"}) {
        const std::size_t length = std::strlen(extension);
        if (path.size() > length && path.compare(path.size() - length, length, extension) == 0) {
            return true;
        }
    }
    return false;
}

Result<std::vector<int>> indexOption(const ParsedArgs& args, const char* list, const char* single, int count)
{
    if (args.has(list) && args.has(single)) {
        return makeError(ErrorCode::InvalidArgument, std::string("give --") + list + " or --" + single + ", not both");
    }
    if (auto text = args.get(list)) {
        auto parsed = parseIndexList(list, *text, count);
        if (!parsed) {
            return parsed.error();
        }
        if (parsed->empty()) {
            for (int index = 0; index < count; ++index) {
                parsed->push_back(index);
            }
        }
        return parsed;
    }
    auto value = args.getInt(single);
    if (!value) {
        return value.error();
    }
    const long long index = value->value_or(0);
    if (index < 0 || index >= count) {
        return makeError(ErrorCode::InvalidArgument, std::string("--") + single + " " + std::to_string(index) +
                                                         " is out of range [0, " + std::to_string(count) + ")");
    }
    return std::vector<int>{static_cast<int>(index)};
}

/// The figures of the grid, rollout, curves and structure views: grid_{metric}[_{spec}] (a variant
/// metric per variant, a head score once), rollout_L{layer}_{spec} per layer and variant,
/// curves_L{layer}_H{head}_{spec}+{spec} per head with every variant, and
/// structure_, graph_ and embedding_L{layer}_H{head}_{spec} per head and variant.
template <typename AddFigure>
void planModelViewFigures(const ExportRequest& request, AddFigure&& figure)
{
    if (request.view == ExportView::Grid) {
        for (const HeadGridMetric metric : request.gridMetrics) {
            const HeadGridMetricInfo& info = headGridMetricInfo(metric);
            for (const std::string& variant : info.ofVariant ? request.variants : std::vector<std::string>{""}) {
                figure(std::string("grid_") + info.name + (variant.empty() ? "" : "_" + specSlug(variant)), -1, -1, variant,
                       info.name);
            }
        }
    } else if (request.view == ExportView::Rollout) {
        for (const int layer : request.layers) {
            for (const std::string& variant : request.variants) {
                figure("rollout_L" + std::to_string(layer) + "_" + specSlug(variant), layer, -1, variant);
            }
        }
    } else if (request.view == ExportView::Structure || request.view == ExportView::Graph ||
               request.view == ExportView::Embedding) {
        const std::string prefix = request.view == ExportView::Structure ? "structure_"
                                   : request.view == ExportView::Graph   ? "graph_"
                                                                         : "embedding_";
        for (const int layer : request.layers) {
            for (const int head : request.heads) {
                for (const std::string& variant : request.variants) {
                    figure(prefix + headPart(layer, head) + "_" + specSlug(variant), layer, head, variant);
                }
            }
        }
    } else if (request.view == ExportView::Curves) {
        std::string slugs;
        std::string specs;
        for (const std::string& variant : request.variants) {
            slugs += (slugs.empty() ? "" : "+") + specSlug(variant);
            specs += (specs.empty() ? "" : "; ") + variant;
        }
        for (const int layer : request.layers) {
            for (const int head : request.heads) {
                figure("curves_" + headPart(layer, head) + "_" + slugs, layer, head, specs);
            }
        }
    }
}

} // namespace

Result<ExportRequest> readRequest(const ParsedArgs& args, int nLayers, int nHeads)
{
    ExportRequest request;
    const std::string view = args.get("view").value_or("compare");
    const std::pair<const char*, ExportView> kViews[] = {{"compare", ExportView::Compare}, {"heatmap", ExportView::Heatmap},
                                                         {"lines", ExportView::Lines},     {"grid", ExportView::Grid},
                                                         {"rollout", ExportView::Rollout}, {"curves", ExportView::Curves},
                                                         {"structure", ExportView::Structure}, {"graph", ExportView::Graph},
                                                         {"embedding", ExportView::Embedding}};
    const auto chosen = std::find_if(std::begin(kViews), std::end(kViews), [&](const auto& entry) { return view == entry.first; });
    if (chosen == std::end(kViews)) {
        return makeError(ErrorCode::InvalidArgument,
                         "--view must be compare, heatmap, lines, grid, rollout, curves, structure, graph or embedding (got \"" +
                                                         view + "\")");
    }
    request.view = chosen->second;
    if (const auto metric = args.get("metric")) {
        if (request.view != ExportView::Grid) {
            return makeError(ErrorCode::InvalidArgument, "--metric colours the head grid: give it with --view grid");
        }
        if (*metric == "all") {
            for (const HeadGridMetricInfo& info : headGridMetrics()) {
                request.gridMetrics.push_back(info.metric);
            }
        } else {
            auto parsed = parseHeadGridMetric(*metric);
            if (!parsed) {
                return parsed.error();
            }
            request.gridMetrics.push_back(parsed.value());
        }
    } else {
        request.gridMetrics.push_back(HeadGridMetric::Recall);  // the window's default
    }
    request.graphLayout = defaultGraphLayout();  // the window's graph tab starts with it
    if (const auto layout = args.get("layout")) {
        if (request.view != ExportView::Graph) {
            return makeError(ErrorCode::InvalidArgument, "--layout lays out the graph: give it with --view graph");
        }
        auto parsed = parseGraphLayout(*layout);
        if (!parsed) {
            return parsed.error();
        }
        request.graphLayout = parsed.value();
    }
    if (const auto colouring = args.get("colour-by")) {
        if (request.view != ExportView::Embedding) {
            return makeError(ErrorCode::InvalidArgument, "--colour-by colours the Q/K embedding: give it with --view embedding");
        }
        auto parsed = parseEmbeddingColouring(*colouring);
        if (!parsed) {
            return parsed.error();
        }
        request.embeddingStyle.colouring = parsed.value();
    }
    request.embeddingStyle.keptEdges = args.has("kept-edges");
    if (request.embeddingStyle.keptEdges && request.view != ExportView::Embedding) {
        return makeError(ErrorCode::InvalidArgument, "--kept-edges draws on the Q/K embedding: give it with --view embedding");
    }
    std::vector<std::string> specs = args.all("variant");
    if (specs.empty() && request.view != ExportView::Heatmap) {
        specs.push_back("topk:k=8");  // the GUI's default
    }
    for (const std::string& text : specs) {
        auto spec = parseVariantSpec(text);
        if (!spec) {
            return spec.error();
        }
        request.variants.push_back(formatVariantSpec(spec.value()));
    }
    auto layers = indexOption(args, "layers", "layer", nLayers);
    auto heads = indexOption(args, "heads", "head", nHeads);
    if (!layers) {
        return layers.error();
    }
    if (!heads) {
        return heads.error();
    }
    request.layers = layers.value();
    request.heads = heads.value();
    auto replaced = replacedLayersOption(args, nLayers);
    if (!replaced) {
        return replaced.error();
    }
    request.replacedLayers = replaced.value();
    auto scale = parseColourScale(args.get("scale").value_or("sqrt"));
    if (!scale) {
        return scale.error();
    }
    request.scale = scale.value();
    request.colormap = args.get("colormap").value_or("viridis");
    auto dpi = args.getInt("dpi");
    if (!dpi) {
        return dpi.error();
    }
    request.dpi = static_cast<int>(dpi->value_or(150));
    request.caption = args.has("caption");
    request.together = args.has("together");
    if (request.together && (request.view != ExportView::Compare || request.variants.size() > 4)) {
        return makeError(ErrorCode::InvalidArgument, "--together draws 1 to 4 variants in one compare figure");
    }
    request.figures = !args.has("no-figures");
    request.npy = args.has("npy");
    request.graph = args.has("graph");
    request.metrics = args.has("metrics");
    request.capture = args.has("capture");
    request.force = args.has("force");
    request.json = args.has("json");
    const auto out = args.get("out");
    if (!out || out->empty()) {
        return makeError(ErrorCode::InvalidArgument, "export needs --out DIR (or --out FILE.png|svg|pdf for one figure)");
    }
    request.out = *out;
    request.singleFile = hasFigureExtension(request.out);
    request.format = args.get("format").value_or(request.singleFile ? request.out.substr(request.out.size() - 3) : "png");
    if (request.format != "png" && request.format != "svg" && request.format != "pdf") {
        return makeError(ErrorCode::InvalidArgument, "--format must be png, svg or pdf (got \"" + request.format + "\")");
    }
    if (request.singleFile) {
        const std::size_t figures = isModelView(request.view)
                                        ? planFiles(request).size()
                                        : request.layers.size() * request.heads.size() *
                                              (request.view == ExportView::Heatmap ? request.variants.size() + 1
                                                                                   : request.together ? 1 : request.variants.size());
        if (figures != 1 || request.npy || request.graph || request.metrics || request.capture || !request.figures) {
            return makeError(ErrorCode::InvalidArgument, "--out " + request.out +
                                                             " names one figure; give --out DIR for several files or data");
        }
        if (request.out.substr(request.out.size() - 3) != request.format) {
            return makeError(ErrorCode::InvalidArgument, "--format " + request.format + " disagrees with --out " + request.out);
        }
    }
    if (!request.figures && !request.npy && !request.graph && !request.metrics && !request.capture) {
        return makeError(ErrorCode::InvalidArgument, "--no-figures and no --npy, --graph, --metrics or --capture: nothing to export");
    }
    return request;
}

std::vector<PlannedFile> planFiles(const ExportRequest& request)
{
    std::vector<PlannedFile> files;
    auto inDir = [&](const std::string& name) { return request.out + "/" + name; };
    auto figure = [&](const std::string& stem, int layer, int head, const std::string& variant, const std::string& metric = {}) {
        const std::string path = request.singleFile ? request.out : inDir(stem + "." + request.format);
        files.push_back({path, "figure", layer, head, variant, metric});
        if (request.json && !request.singleFile) {
            files.push_back({inDir(stem + ".json"), "provenance", layer, head, variant, metric});
        }
    };
    if (request.figures) {
        planModelViewFigures(request, figure);
    }
    for (const int layer : request.layers) {
        for (const int head : request.heads) {
            const std::string part = headPart(layer, head);
            if (request.figures && !isModelView(request.view)) {
                if (request.view == ExportView::Heatmap) {
                    figure("heatmap_" + part + "_dense", layer, head, "dense");
                }
                if (request.together) {
                    std::string slugs;
                    std::string specs;
                    for (const std::string& variant : request.variants) {
                        slugs += (slugs.empty() ? "" : "+") + specSlug(variant);
                        specs += (specs.empty() ? "" : "; ") + variant;
                    }
                    figure("compare_" + part + "_" + slugs, layer, head, specs);
                }
                for (const std::string& variant : request.together ? std::vector<std::string>{} : request.variants) {
                    const char* prefix = request.view == ExportView::Compare ? "compare_"
                                         : request.view == ExportView::Lines ? "lines_"
                                                                             : "heatmap_";
                    figure(prefix + part + "_" + specSlug(variant), layer, head, variant);
                }
            }
            if (request.npy) {
                files.push_back({inDir("attention_" + part + "_dense.npy"), "attention", layer, head, "dense"});
                for (const std::string& variant : request.variants) {
                    files.push_back({inDir("attention_" + part + "_" + specSlug(variant) + ".npy"), "attention", layer, head, variant});
                    files.push_back({inDir("mask_" + part + "_" + specSlug(variant) + ".npy"), "mask", layer, head, variant});
                }
            }
            if (request.graph) {
                for (const std::string& variant : request.variants) {
                    const std::string stem = inDir("graph_" + part + "_" + specSlug(variant));
                    files.push_back({stem + ".graphml", "graphml", layer, head, variant});
                    files.push_back({stem + ".dot", "dot", layer, head, variant});
                }
            }
        }
    }
    if (request.metrics) {
        files.push_back({inDir("metrics.csv"), "metrics_csv", -1, -1, {}});
        files.push_back({inDir("metrics.json"), "metrics_json", -1, -1, {}});
    }
    if (request.capture) {
        files.push_back({inDir("capture.safetensors"), "capture", -1, -1, {}});
    }
    return files;
}

Result<void> prepareOutputs(const ExportRequest& request, const std::vector<PlannedFile>& files)
{
    std::error_code error;
    if (!request.singleFile) {
        const std::filesystem::path directory(request.out);
        if (std::filesystem::exists(directory, error) && !std::filesystem::is_directory(directory, error)) {
            return makeError(ErrorCode::FileIo, "exists and is not a directory", request.out);
        }
        if (!std::filesystem::exists(directory, error) && !std::filesystem::create_directory(directory, error)) {
            return makeError(ErrorCode::FileIo, "cannot create the output directory: " + error.message(), request.out);
        }
    }
    for (const PlannedFile& file : files) {
        if (std::filesystem::exists(file.path, error)) {
            if (std::filesystem::is_directory(file.path, error)) {
                return makeError(ErrorCode::FileIo, "is a directory, not a file", file.path);
            }
            if (!request.force) {
                return makeError(ErrorCode::FileIo, "file exists (use --force to overwrite)", file.path);
            }
        }
    }
    return okResult();
}


} // namespace attnscope::cli

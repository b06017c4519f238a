// `attnscope export`: the GUI's figures and the numbers behind them, in batches, headless.
// Figures go through app/figure (the same FigureModel → QPainter path as the GUI's Export action)
// on Qt's offscreen platform, so no display is needed. One forward pass captures every requested
// layer; each (layer, head, variant) then comes from that capture, exactly as
// Workspace::headAttention computes it. Every file is written atomically, and every target name is
// checked before any work, so an existing file without --force stops the run before it writes.

#include "commands.h"
#include "export_plan.h"
#include "export_views.h"
#include "json_writer.h"

#include "attnscope/capture.h"
#include "attnscope/data_export.h"
#include "attnscope/figure_model.h"
#include "attnscope/figure_token_lines.h"
#include "attnscope/variant_spec.h"

#ifdef ATTNSCOPE_HAVE_FIGURE
#include "figure_colormap.h"
#include "figure_export.h"

#include <QGuiApplication>
#endif

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <unistd.h>

namespace attnscope::cli {

namespace {

/// A one-line bar on stderr, redrawn in place; only on a terminal, so logs and pipes stay clean.
class ProgressBar {
public:
    explicit ProgressBar(std::size_t total) : m_total(total), m_enabled(::isatty(STDERR_FILENO) == 1 && total > 1) {}
    ~ProgressBar()
    {
        if (m_enabled && m_drawn) {
            std::fputc('\n', stderr);
        }
    }
    void step(const std::string& label)
    {
        ++m_done;
        if (!m_enabled) {
            return;
        }
        constexpr int kWidth = 30;
        const int filled = static_cast<int>(kWidth * m_done / std::max<std::size_t>(1, m_total));
        std::fprintf(stderr, "\r[%s%s] %zu/%zu %-40.40s", std::string(static_cast<std::size_t>(filled), '#').c_str(),
                     std::string(static_cast<std::size_t>(kWidth - filled), '-').c_str(), m_done, m_total, label.c_str());
        std::fflush(stderr);
        m_drawn = true;
    }

private:
    std::size_t m_total = 0;
    std::size_t m_done = 0;
    bool m_enabled = false;
    bool m_drawn = false;
};

/// The input: the model and text, or a capture file that stands in for both.
struct ExportSource {
    std::unique_ptr<Workspace> workspace;  ///< null for a capture
    Capture capture;
    std::string textHash;
    std::string modelHash;
    std::string modelPath;
};

Result<ExportSource> openSource(const ParsedArgs& args)
{
    ExportSource source;
    if (args.positionals.size() == 1 && isCaptureFile(args.positionals[0])) {
        if (args.has("text") || args.has("text-file") || args.has("ids")) {
            return makeError(ErrorCode::InvalidArgument, "a capture holds its own tokens: give no --text, --text-file or --ids");
        }
        auto capture = readCapture(args.positionals[0]);
        if (!capture) {
            return capture.error();
        }
        source.capture = std::move(capture.value());
        source.modelPath = args.positionals[0];
        auto hash = modelFingerprint(source.modelPath);
        if (!hash) {
            return hash.error();
        }
        source.modelHash = hash.value();
        return source;
    }
    auto input = openModelAndText(args);
    if (!input) {
        return input.error();
    }
    source.workspace = std::move(input->workspace);
    source.capture.ids = input->tokens.ids;
    source.capture.tokens = input->tokens.tokens;
    source.modelPath = source.workspace->info().path;
    auto hash = modelFingerprint(source.modelPath);
    if (!hash) {
        return hash.error();
    }
    source.modelHash = hash.value();
    // The hash of what the user gave: the text (a --text-file's bytes are its text) or the id list.
    if (const auto text = args.get("text")) {
        source.textHash = sha256Hex(*text);
    } else if (const auto file = args.get("text-file")) {
        std::ifstream stream(*file, std::ios::binary);
        std::ostringstream contents;
        contents << stream.rdbuf();
        source.textHash = sha256Hex(contents.str());
    } else if (const auto ids = args.get("ids")) {
        source.textHash = sha256Hex("ids:" + *ids);
    }
    return source;
}

std::string provenanceJson(const FigureProvenance& provenance, const std::string& file)
{
    JsonWriter json;
    json.beginObject().key("file").value(file);
    for (const auto& [key, value] : provenance.entries()) {
        json.key(key).value(value);
    }
    json.endObject();
    return json.text() + "\n";
}

std::vector<float> maskValues(const HeadAttention& attention)
{
    return std::vector<float>(attention.mask.begin(), attention.mask.end());
}

/// Writes the files of one (layer, head): its figures, NPY arrays and graphs, in plan order.
class HeadExporter {
public:
    HeadExporter(const ExportRequest& request, const ExportSource& source) : m_request(request), m_source(source) {}

    /// `effective` holds every requested variant's map of the file's head, by canonical spec.
    Result<void> write(const PlannedFile& file, const HeadAttention& dense, const std::map<std::string, HeadAttention>& effective)
    {
        if (file.kind == "figure") {
            return writeFigureFile(file, dense, effective);
        }
        const auto found = effective.find(file.variant);
        const HeadAttention& chosen = found != effective.end() ? found->second : dense;
        if (file.kind == "provenance") {
            return writeTextFileAtomic(file.path, provenanceJson(provenanceFor(file), figureNameFor(file)), m_request.force);
        }
        if (file.kind == "attention") {
            return writeNpyFloat32(file.path, {chosen.nTokens, chosen.nTokens}, chosen.attention, m_request.force);
        }
        if (file.kind == "mask") {
            return writeNpyFloat32(file.path, {chosen.nTokens, chosen.nTokens}, maskValues(chosen), m_request.force);
        }
        auto text = file.kind == "graphml" ? attentionGraphml(chosen, m_source.capture.tokens)
                                           : attentionDot(chosen, m_source.capture.tokens);
        if (!text) {
            return text.error();
        }
        return writeTextFileAtomic(file.path, text.value(), m_request.force);
    }

private:
    FigureProvenance provenanceFor(const PlannedFile& file) const
    {
        return headProvenance(m_source.modelPath, m_source.modelHash, m_source.textHash, file.layer, file.head, file.variant);
    }

    /// The figure a provenance sidecar (STEM.json) describes: STEM.png|svg|pdf.
    std::string figureNameFor(const PlannedFile& file) const
    {
        return std::filesystem::path(file.path).stem().string() + "." + m_request.format;
    }

    Result<void> writeFigureFile(const PlannedFile& file, const HeadAttention& dense, const std::map<std::string, HeadAttention>& effective)
    {
#ifdef ATTNSCOPE_HAVE_FIGURE
        // The file's variants: one spec, or "spec; spec" for --together.
        std::vector<const HeadAttention*> shown;
        for (std::size_t start = 0; start < file.variant.size();) {
            std::size_t end = file.variant.find("; ", start);
            end = end == std::string::npos ? file.variant.size() : end;
            if (const auto found = effective.find(file.variant.substr(start, end - start)); found != effective.end()) {
                shown.push_back(&found->second);
            }
            start = end + 2;
        }
        figure::FigureOutputOptions options;
        options.format = figure::parseFigureFormat(m_request.format).value();
        options.dpi = m_request.dpi;
        options.overwrite = m_request.force;
        if (m_request.view == ExportView::Lines) {
            // The token-lines tab's figure, from the builder its Export action calls.
            auto model = shown.empty() ? Result<FigureModel>(makeError(ErrorCode::Internal, "no variant map for " + file.variant))
                                       : buildTokenLinesFigure(dense, *shown.front(), m_source.capture.tokens);
            if (!model) {
                return Error{model.error().code, model.error().message, file.path, model.error().reason};
            }
            return figure::exportFigureModel(std::move(model.value()), provenanceFor(file), m_request.colormap, m_request.caption,
                                             file.path, options);
        }
        figure::HeadFigure request;
        // Compare: dense | variants | differences. Heatmap: the variant alone (or dense alone).
        if (m_request.view == ExportView::Compare) {
            request.attention = &dense;
            request.variants = shown;
        } else {
            request.attention = shown.empty() ? &dense : shown.front();
        }
        request.pieces = m_source.capture.tokens;
        request.scale = m_request.scale;
        request.colormap = m_request.colormap;
        request.provenance = provenanceFor(file);
        request.caption = m_request.caption;
        return figure::exportHeadFigure(request, file.path, options);
#else
        (void)dense;
        (void)effective;
        return makeError(ErrorCode::Unsupported, "this attnscope was built without Qt 6 Gui/Svg: no figures (use --no-figures for data)",
                         file.path);
#endif
    }

    const ExportRequest& m_request;
    const ExportSource& m_source;
};

Result<int> runExport(const ParsedArgs& args)
{
    auto opened = openSource(args);
    if (!opened) {
        return opened.error();
    }
    ExportSource& source = opened.value();
    int nLayers = 0;
    int nHeads = 0;
    if (source.workspace) {
        nLayers = source.workspace->info().nLayers;
        nHeads = source.workspace->info().nHeads;
    } else {
        for (const CaptureLayer& layer : source.capture.layers) {
            nLayers = std::max(nLayers, layer.layer + 1);
            nHeads = std::max(nHeads, layer.nHeads);
        }
    }
    auto request = readRequest(args, nLayers, nHeads);
    if (!request) {
        return request.error();
    }
    if (!source.workspace && (request->metrics || request->capture)) {
        return makeError(ErrorCode::InvalidArgument, "--metrics and --capture need the model, not a capture");
    }
    if (!source.workspace && request->figures && isModelView(request->view)) {
        return makeError(ErrorCode::InvalidArgument,
                         "--view grid, rollout, curves, structure, graph and embedding run the model: give the model, not a capture");
    }
#ifdef ATTNSCOPE_HAVE_FIGURE
    if (!figure::Colormap::sequentialNames().contains(QString::fromStdString(request->colormap))) {
        return makeError(ErrorCode::InvalidArgument, "--colormap " + request->colormap + " is not one of " +
                                                         figure::Colormap::sequentialNames().join(QStringLiteral(", ")).toStdString());
    }
    if (request->dpi < figure::kMinFigureDpi || request->dpi > figure::kMaxFigureDpi) {
        return makeError(ErrorCode::InvalidArgument, "--dpi " + std::to_string(request->dpi) + " is outside [" +
                                                         std::to_string(figure::kMinFigureDpi) + ", " +
                                                         std::to_string(figure::kMaxFigureDpi) + "]");
    }
#endif
    const std::vector<PlannedFile> files = planFiles(request.value());
    ATTNSCOPE_TRY(prepareOutputs(request.value(), files));
    RunOptions options;
    options.allowOverflow = args.has("allow-overflow");
    if (source.workspace) {
        auto capture = captureLayers(*source.workspace, source.capture.ids, request->layers, options);
        if (!capture) {
            return capture.error();
        }
        source.capture = std::move(capture.value());
    }
#ifdef ATTNSCOPE_HAVE_FIGURE
    const auto application = request->figures ? figure::ensureGuiApplication() : nullptr;
#endif
    HeadExporter exporter(request.value(), source);
    std::optional<ModelViewExporter> views;
    if (source.workspace) {
        views.emplace(request.value(), *source.workspace, source.capture.ids, source.capture.tokens,
                      headProvenance(source.modelPath, source.modelHash, source.textHash, -1, -1, {}), options);
    }
    ProgressBar progress(files.size());
    // Files of one head are contiguous in the plan: compute its dense and variant maps once.
    int currentLayer = -1;
    int currentHead = -1;
    HeadAttention dense;
    std::map<std::string, HeadAttention> effective;
    std::optional<CompareResult> metrics;
    for (const PlannedFile& file : files) {
        if (isModelView(request->view) && (file.kind == "figure" || file.kind == "provenance")) {
            // The grid, rollout and curves figures come from the model, not from one head's maps.
            ATTNSCOPE_TRY(file.kind == "figure"
                              ? views->write(file)
                              : writeTextFileAtomic(file.path,
                                                    provenanceJson(views->provenanceFor(file),
                                                                   std::filesystem::path(file.path).stem().string() + "." +
                                                                       request->format),
                                                    request->force));
            progress.step(std::filesystem::path(file.path).filename().string());
            continue;
        }
        if (file.layer >= 0 && (file.layer != currentLayer || file.head != currentHead)) {
            currentLayer = file.layer;
            currentHead = file.head;
            auto computed = source.capture.headAttention(file.layer, file.head, "dense");
            if (!computed) {
                return computed.error();
            }
            dense = std::move(computed.value());
            effective.clear();
            for (const std::string& variant : request->variants) {
                auto result = source.capture.headAttention(file.layer, file.head, variant);
                if (!result) {
                    return result.error();
                }
                effective.emplace(variant, std::move(result.value()));
            }
        }
        if (file.kind == "metrics_csv" || file.kind == "metrics_json") {
            if (!metrics) {
                CompareRequest compare;
                compare.variants = request->variants;
                compare.layers = request->layers;
                compare.heads = request->heads;
                compare.perplexity = false;
                auto computed = source.workspace->compare(source.capture.ids, compare, options);
                if (!computed) {
                    return computed.error();
                }
                metrics = std::move(computed.value());
            }
            ATTNSCOPE_TRY(writeTextFileAtomic(file.path, file.kind == "metrics_csv" ? compareResultCsv(*metrics)
                                                                                   : compareJson(*metrics) + "\n",
                                              request->force));
        } else if (file.kind == "capture") {
            ATTNSCOPE_TRY(writeCapture(file.path, source.capture, request->force));
        } else {
            ATTNSCOPE_TRY(exporter.write(file, dense, effective));
        }
        progress.step(std::filesystem::path(file.path).filename().string());
    }
    if (request->json) {
        JsonWriter json;
        json.beginObject().key("model").value(source.modelPath).key("model_sha256").value(source.modelHash);
        json.key("text_sha256").value(source.textHash).key("tokens").value(static_cast<int>(source.capture.ids.size()));
        json.key("files").beginArray();
        for (const PlannedFile& file : files) {
            json.beginObject().key("path").value(file.path).key("kind").value(file.kind);
            if (file.layer >= 0) {
                json.key("layer").value(file.layer).key("head").value(file.head).key("variant").value(file.variant);
            } else if (!file.metric.empty()) {
                json.key("metric").value(file.metric).key("variant").value(file.variant);
            }
            json.endObject();
        }
        json.endArray().endObject();
        std::printf("%s\n", json.text().c_str());
    } else {
        std::printf("wrote %zu file%s to %s\n", files.size(), files.size() == 1 ? "" : "s", request->out.c_str());
    }
    return 0;
}

} // namespace

Command exportCommand()
{
    auto options = textOptions();
    options.push_back({"view", true, false,
                       "compare (dense | variant | difference, default), heatmap (one map per file), lines (token lines: "
                       "dense and variant), grid (every layer x head by --metric), rollout (per layer), curves (recall vs "
                       "density of every variant, per head), structure (the variant's structure panels, per head), graph "
                       "(the kept edges in --layout, per head) or embedding (the head's queries and keys, PCA to 2-D, per "
                       "head)"});
    options.push_back({"layout", true, false,
                       "graph view: fruchterman-reingold (default where built with Boost.Graph, else circle), kamada-kawai, "
                       "circle or position"});
    options.push_back({"colour-by", true, false, "embedding view: position (default) or token"});
    options.push_back({"kept-edges", false, false, "embedding view: draw the variant's kept query -> key pairs"});
    options.push_back({"metric", true, false,
                       "grid view: recall (default), kl, output_error, density, previous_token, first_token, induction, "
                       "normalised_entropy or all"});
    options.push_back({"variant", true, true, "variant spec; repeat for several (default topk:k=8)"});
    options.push_back({"layers", true, false, "layers: all, 3, 0-3, 0-3,7 (default 0)"});
    options.push_back({"heads", true, false, "query heads, same syntax (default 0)"});
    options.push_back({"replace-layers", true, false,
                       "curves view: layers each variant replaces for its perplexity: all (default), 3, 0-3, 0-3,7"});
    options.push_back({"layer", true, false, "one layer (same as --layers L)"});
    options.push_back({"head", true, false, "one head (same as --heads H)"});
    options.push_back({"format", true, false, "png (default), svg or pdf"});
    options.push_back({"dpi", true, false, "PNG resolution in pixels per inch (default 150)"});
    options.push_back({"scale", true, false, "colour scale: sqrt (default, as the GUI), linear or log"});
    options.push_back({"colormap", true, false, "attention colour map: viridis (default), magma or cividis"});
    options.push_back({"caption", false, false, "print the provenance under each figure"});
    options.push_back({"together", false, false, "compare view: all variants (1-4) of a head in one figure, as the window shows them"});
    options.push_back({"no-figures", false, false, "write only the data files asked for"});
    options.push_back({"npy", false, false, "each head's dense and effective attention and mask as NPY"});
    options.push_back({"graph", false, false, "each variant's kept edges as GraphML and DOT"});
    options.push_back({"metrics", false, false, "metrics of every variant, layer and head as metrics.csv and metrics.json"});
    options.push_back({"capture", false, false, "Q/K/V/LSE of the layers as capture.safetensors (reopens without the model)"});
    options.push_back({"out", true, false, "output directory (created if missing), or FILE.png|svg|pdf for one figure"});
    options.push_back({"force", false, false, "overwrite existing files"});
    return {"export",
            "export MODEL|CAPTURE --text T --out DIR [--view compare|heatmap|lines|grid|rollout|curves|structure|graph|embedding] [--variant SPEC ...] [--layers L] [--heads H] "
            "[--format png|svg|pdf] [--dpi N] [--npy] [--graph] [--metrics] [--capture] [--json]",
            "publication figures (PNG/SVG/PDF, the GUI's figure) and data (NPY, GraphML/DOT, metrics CSV/JSON, captures)",
            options, runExport};
}

} // namespace attnscope::cli

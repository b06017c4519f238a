#pragma once
// What `attnscope export` will write, decided before any computation: the options read into an
// ExportRequest, the list of files with their predictable names, and the check that none of them
// exists (without --force) and that the output directory can be made.

#include "cli_args.h"

#include "attnscope/analysis.h"
#include "attnscope/figure_embedding.h"
#include "attnscope/figure_model.h"
#include "attnscope/head_grid.h"
#include "attnscope/status.h"

#include <string>
#include <vector>

namespace attnscope::cli {

/// compare, heatmap and lines (token lines) draw one head's maps; grid (every layer × head by a
/// metric), rollout (per layer), curves (per head, every variant's sweep), structure, graph and
/// embedding (per head and variant) draw the window's other views and need the model.
enum class ExportView { Compare, Heatmap, Lines, Grid, Rollout, Curves, Structure, Graph, Embedding };

/// True for the views drawn from the model rather than from one head's attention maps.
inline bool isModelView(ExportView view)
{
    return view == ExportView::Grid || view == ExportView::Rollout || view == ExportView::Curves ||
           view == ExportView::Structure || view == ExportView::Graph || view == ExportView::Embedding;
}

/// One file the run will write, planned before any work so that name clashes stop it early.
struct PlannedFile {
    std::string path;
    std::string kind;  ///< figure, provenance, attention, mask, graphml, dot, metrics_csv, metrics_json, capture
    int layer = -1;
    int head = -1;
    std::string variant;
    std::string metric;  ///< the head grid's metric (HeadGridMetricInfo::name), grid figures only
};

struct ExportRequest {
    ExportView view = ExportView::Compare;
    std::vector<std::string> variants;  ///< canonical specs
    std::vector<HeadGridMetric> gridMetrics;  ///< --metric (grid view): one, or every metric for "all"
    GraphLayoutKind graphLayout = GraphLayoutKind::Circle;  ///< --layout (graph view), defaultGraphLayout() unless given
    EmbeddingStyle embeddingStyle;  ///< --colour-by, --kept-edges (embedding view): the tab's defaults unless given
    std::vector<int> layers;
    std::vector<int> heads;
    std::vector<int> replacedLayers;  ///< --replace-layers (curves view): where each variant runs for its perplexity; empty = all
    ColourScale scale = ColourScale::Sqrt;
    std::string colormap = "viridis";
    std::string format = "png";
    int dpi = 150;
    bool caption = false;
    bool together = false;  ///< compare view: all variants of a head in one figure
    bool figures = true;
    bool npy = false;
    bool graph = false;
    bool metrics = false;
    bool capture = false;
    bool force = false;
    bool json = false;
    std::string out;
    bool singleFile = false;  ///< --out names the figure itself
};

/// A variant spec as a file-name part: "sbm:clusters=8,density=0.1" → "sbm_clusters8_density0.1".
std::string specSlug(const std::string& spec);

/// Reads export's options for a source with nLayers × nHeads. Errors: InvalidArgument (exit 2).
Result<ExportRequest> readRequest(const ParsedArgs& args, int nLayers, int nHeads);

/// Every file of the run, in the order it will be written; a head's files are contiguous.
std::vector<PlannedFile> planFiles(const ExportRequest& request);

/// Creates the output directory if only it is missing, and refuses (FileIo) a planned file that
/// exists without --force, so that a refused run writes nothing.
Result<void> prepareOutputs(const ExportRequest& request, const std::vector<PlannedFile>& files);

} // namespace attnscope::cli

#pragma once
// The window's Export actions: the figure of a view written through app/figure, with the core
// builder `attnscope export` uses, so that the same model, text, selection and settings give the
// same file from the GUI and from the command line. Takes core types only, so that it does not
// depend on how the views hold their results. The model's fingerprint comes in with the scene
// (ModelFingerprints hashes it off the UI thread).

#include "attnscope/analysis.h"
#include "attnscope/figure_embedding.h"
#include "attnscope/figure_model.h"
#include "attnscope/head_grid.h"
#include "attnscope/status.h"
#include "attnscope/sweep.h"
#include "attnscope/workspace.h"
#include "figure_export.h"

#include <QString>

#include <functional>
#include <string>
#include <vector>

class QWidget;

namespace attnscope::gui {

/// Where a figure came from: what its provenance records and how its maps are coloured.
struct FigureSource {
    std::string modelPath;  ///< ModelInfo::path of the open model (what the CLI records too)
    std::string modelHash;  ///< modelFingerprint(modelPath)
    std::string text;       ///< the text as typed, hashed into the provenance
    std::vector<std::string> pieces;  ///< token pieces of the text
    ColourScale scale = ColourScale::Sqrt;
    std::string colormap = "viridis";  ///< the compare view's sequential map
};

/// What the compare view shows, in core types.
struct FigureScene : FigureSource {
    const HeadAttention* dense = nullptr;
    std::vector<const HeadAttention*> variants;  ///< the compared variants (1–4); empty: dense alone
    int activeVariant = 0;                       ///< its kept mask is outlined on the dense map
};

/// Writes the scene to `path` (format from options). Errors: as figure::exportHeadFigure,
/// InvalidArgument (nothing computed yet, no model fingerprint).
Result<void> exportSceneFigure(const FigureScene& scene, const std::string& path, const figure::FigureOutputOptions& options,
                               bool caption);

/// The head grid coloured by `metric` (the `attnscope export --view grid --metric` figure).
Result<void> exportHeadGridFigure(const HeadGridValues& grid, HeadGridMetric metric, const FigureSource& source,
                                  const std::string& path, const figure::FigureOutputOptions& options);

/// The rollout tab's dense | variant | difference (the `--view rollout` figure).
Result<void> exportRolloutFigure(const AttentionRollout& dense, const AttentionRollout& variant, const FigureSource& source,
                                 const std::string& path, const figure::FigureOutputOptions& options);

/// The metrics panel's recall-vs-density curves (the `--view curves` figure).
Result<void> exportCurvesFigure(const VariantCurveSet& curves, const FigureSource& source, const std::string& path,
                                const figure::FigureOutputOptions& options);

/// The structure tab's panels of one head (the `--view structure` figure).
Result<void> exportStructureFigure(const HeadStructure& structure, const FigureSource& source, const std::string& path,
                                   const figure::FigureOutputOptions& options);

/// The token-lines tab: dense's and the variant's lines of one head (the `--view lines` figure).
Result<void> exportTokenLinesFigure(const HeadAttention& dense, const HeadAttention& effective, const FigureSource& source,
                                    const std::string& path, const figure::FigureOutputOptions& options);

/// The graph tab: the variant's kept edges of one head in their layout (the `--view graph` figure).
Result<void> exportGraphFigure(const AttentionGraph& graph, const FigureSource& source, const std::string& path,
                               const figure::FigureOutputOptions& options);

/// The Q/K embedding tab with its switches (the `--view embedding [--colour-by] [--kept-edges]`
/// figure).
Result<void> exportEmbeddingFigure(const EmbeddingScene& scene, const EmbeddingStyle& style, const FigureSource& source,
                                   const std::string& path, const figure::FigureOutputOptions& options);

/// Writes a figure to a file.
using FigureWriter = std::function<Result<void>(const std::string& path, const figure::FigureOutputOptions& options)>;

/// Asks for a file name (.png, .svg or .pdf; PNG at 300 dpi) and returns it with its options
/// (replacing a file the user confirmed in the dialog); "" on cancel.
QString askFigurePath(QWidget* parent, const QString& title, figure::FigureOutputOptions& options);

/// The options the window exports with for `path`: its format, 300 dpi, replacing a file.
/// Errors: InvalidArgument (no .png, .svg or .pdf extension).
Result<figure::FigureOutputOptions> windowFigureOptions(const std::string& path);

} // namespace attnscope::gui

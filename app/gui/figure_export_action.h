#pragma once
// The window's Export… action: the figure on screen written through app/figure, the code
// `attnscope export` uses, so that the same model, text, head, variant and colour scale give the
// same file from the GUI and from the command line. Takes core types only, so that it does not
// depend on how the views hold their results.

#include "attnscope/figure_model.h"
#include "attnscope/status.h"
#include "attnscope/workspace.h"
#include "figure_export.h"

#include <QString>

#include <string>
#include <vector>

class QWidget;

namespace attnscope::gui {

/// What the compare view shows, in core types.
struct FigureScene {
    const HeadAttention* dense = nullptr;
    std::vector<const HeadAttention*> variants;  ///< the compared variants (1–4); empty: dense alone
    int activeVariant = 0;                       ///< its kept mask is outlined on the dense map
    std::vector<std::string> pieces;         ///< token pieces of the text
    ColourScale scale = ColourScale::Sqrt;
    std::string colormap = "viridis";  ///< the compare view's sequential map
    std::string modelPath;  ///< ModelInfo::path of the open model (what the CLI records too)
    std::string text;       ///< the text as typed, hashed into the provenance
};

/// Writes the scene to `path` (format from options). The model's fingerprint is computed once per
/// path and remembered. Errors: as figure::exportHeadFigure, FileNotFound for a vanished model.
Result<void> exportSceneFigure(const FigureScene& scene, const std::string& path, const figure::FigureOutputOptions& options,
                               bool caption);

/// Asks for a file name (.png, .svg or .pdf; PNG at 300 dpi) and exports the scene, replacing a file
/// the user confirmed in the dialog. Returns the error to show, or "" on success or cancel.
QString exportSceneWithDialog(QWidget* parent, const FigureScene& scene);

} // namespace attnscope::gui

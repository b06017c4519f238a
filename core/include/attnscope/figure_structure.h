#pragma once
// The structure view's panels (issue #6) as pure data, and their figure (issue #8): what a variant
// exposes for one head (sbm's memberships, block matrix and cluster-reordered maps; sea's estimated
// and compressed matrices; dsa's predicted next to the true scores; kept keys per query). The
// window's Structure tab draws headStructurePanels(); its Export action and `attnscope export
// --view structure` write buildStructureFigure() of the same panels, so screen and file agree.

#include "attnscope/analysis.h"
#include "attnscope/figure_model.h"
#include "attnscope/status.h"

#include <cstdint>
#include <string>
#include <vector>

namespace attnscope {

/// One panel: a rows × cols matrix, or a bar chart of values[rows] (one bar per row) when `bars`.
struct StructurePanelData {
    std::string title;
    int rows = 0;
    int cols = 0;                       ///< 1 for bars
    std::vector<float> values;          ///< [rows, cols] row-major
    std::vector<std::uint8_t> valid;    ///< [rows, cols] 0 = no value (the model does not allow the key); empty: all
    bool bars = false;
    bool tokenRows = false;             ///< rows are token positions in order (the view reports hovered rows)
    bool diverging = false;             ///< signed values: 0 in the middle, ±max|value| at the ends
    std::vector<int> rowTokens;         ///< token position of each row, or empty when rows are not tokens
    std::vector<int> columnTokens;      ///< token position of each column, or empty
    bool clusterColumns = false;        ///< columns are clusters (C0, C1, …)
    bool clusterRows = false;           ///< rows are clusters
};

/// The panels of a head's structure, in display order. Panels whose data the variant did not
/// return (wrong size or absent) are left out.
std::vector<StructurePanelData> headStructurePanels(const HeadStructure& structure);

/// The values a panel's colours (or bars) span, low → high.
struct StructureRange {
    float low = 0.0f;
    float high = 1.0f;
};

/// The range of a panel's values: min → max of its valid cells (`valid` empty or of another size:
/// every cell; low = high when all are equal; 0 → 1 without a valid cell), ±max|value| (at least
/// 1e-12) when diverging, 0 → max (at least 1e-6) for bars. The view and the figure both use it.
StructureRange structureRange(const std::vector<float>& values, const std::vector<std::uint8_t>& valid, bool diverging,
                              bool bars);

/// Where `value` sits on `range`: t in [0, 1] ((value − low) / (high − low); 0 when high = low).
float structureColourPosition(float value, const StructureRange& range);

/// The structure figure: every panel of headStructurePanels on a grid with one cell size, each on
/// its own colour bar (min, middle, max), bars scaled to their largest value (named in the title),
/// token labels on token axes (reordered with the rows and columns they name), C0… on cluster
/// axes. `pieces` are the raw token pieces or empty. Errors: ShapeMismatch (pieces for another
/// length), InvalidArgument (the variant exposes no panel).
Result<FigureModel> buildStructureFigure(const HeadStructure& structure, const std::vector<std::string>& pieces);

} // namespace attnscope

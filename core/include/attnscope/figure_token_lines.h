#pragma once
// Token lines (the BertViz head view) as a figure (issue #8): queries on the left, keys on the
// right, one line per (query, key) whose opacity and width follow the attention, dense in blue and
// the variant in orange on top at half the width, so that a pair both keep shows an orange core in a
// blue band and neither hides the other (at equal widths the variant covered dense wherever they
// agreed, which is where a good variant agrees most). The window's Token lines tab draws its lines with tokenLineStyle and
// these colours; its Export action and `attnscope export --view lines` write buildTokenLinesFigure,
// so the rule that decides a line's look is written once.

#include "attnscope/figure_model.h"
#include "attnscope/status.h"
#include "attnscope/workspace.h"

#include <string>
#include <vector>

namespace attnscope {

/// Lines of weights under this are not drawn.
constexpr double kMinTokenLineWeight = 0.01;

constexpr FigureColour kDenseLineColour{86, 156, 255};    ///< blue
constexpr FigureColour kVariantLineColour{255, 140, 60};  ///< orange

/// The widest line (weight 1) for rows `rowHeight` apart: 0.8 of a row, between 1 and 6.
double tokenLineMaxWidth(double rowHeight);

/// Which map a line belongs to: dense's lines are drawn first at full width, the variant's on top
/// at half of it.
enum class TokenLineSet { Dense, Variant };

/// How one token line is drawn.
struct TokenLineStyle {
    bool drawn = false;
    float alpha = 0.0f;  ///< opacity in [0, 1]
    float width = 0.0f;  ///< in the units of maxWidth
};

/// The line of attention `weight`: not drawn under kMinTokenLineWeight (or NaN), else at opacity
/// min(1, weight) and width max(0.5, weight · maxWidth), or max(0.5, weight · maxWidth / 2) for
/// the variant's set.
TokenLineStyle tokenLineStyle(double weight, double maxWidth, TokenLineSet set = TokenLineSet::Dense);

/// The token-lines figure of one head: dense's lines, then the variant's effective attention's on
/// top at half the width, rows of clamp(320 / n, 2, 14) points. `pieces` are the raw token pieces or empty.
/// Errors: ShapeMismatch (the maps or the pieces disagree in size).
Result<FigureModel> buildTokenLinesFigure(const HeadAttention& dense, const HeadAttention& effective,
                                          const std::vector<std::string>& pieces);

} // namespace attnscope

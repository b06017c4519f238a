#pragma once
// FigureModels of the window's other views (issue #8: every view exports): the head grid, the
// rollout tab and the metrics panel's recall-vs-density curves. Like the compare figure they are
// pure data built here from core results, painted by app/figure, and built by the same calls in
// the GUI's Export action and in `attnscope export --view grid|rollout|curves`.

#include "attnscope/analysis.h"
#include "attnscope/figure_model.h"
#include "attnscope/head_grid.h"
#include "attnscope/status.h"
#include "attnscope/sweep.h"

#include <string>
#include <vector>

namespace attnscope {

/// Layers × heads, each cell coloured by `metric` on the grid's own min → max (viridis), as the
/// window shows it: the numbers stay absolute on the colour bar's ticks, printed in the cells when
/// they fit; rows labelled L0…, columns H0…. Errors: InvalidArgument (an empty or ragged grid).
Result<FigureModel> buildHeadGridFigure(const HeadGridValues& grid, HeadGridMetric metric);

/// Rollout through a layer: dense | variant | difference on one shared scale (the largest value of
/// either), one bar for rollout and one (diverging) for the difference; row = output position,
/// column = input token. Errors: ShapeMismatch (sizes or tokens disagree).
Result<FigureModel> buildRolloutFigure(const AttentionRollout& dense, const AttentionRollout& variant,
                                       const std::vector<std::string>& pieces, ColourScale scale);

/// The metrics panel's curves: recall against density for each variant's budget sweep on one
/// head, one line per variant; the legend gives each variant's perplexity and its change against
/// dense when known. Errors: InvalidArgument (no curve).
Result<FigureModel> buildCurvesFigure(const VariantCurveSet& curves);

} // namespace attnscope

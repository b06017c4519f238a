#pragma once
// The painters of a figure's token-lines and graph blocks (figure_painter.cpp paints the panels,
// colour bars and charts and calls these), in points like the rest of the figure.

#include "attnscope/figure_model.h"
#include "figure_colormap.h"
#include "figure_layout.h"

class QPainter;

namespace attnscope::figure {

/// Token lines: labels down both sides, the lines between the rows' anchors (later on top), and a
/// legend line per set.
void paintTokenLines(QPainter& painter, const FigureTokenLines& block, const TokenLinesPlacement& placement);

/// A graph: edges (lines, or arcs above the baseline), then nodes with a thin dark rim, then labels
/// to the upper right of each node; node fills at t >= 0 come from `sequential`.
void paintGraph(QPainter& painter, const FigureGraph& graph, const QRectF& plot, const Colormap& sequential);

} // namespace attnscope::figure

#pragma once
// The painters of a figure's token-lines, graph and scatter blocks (figure_painter.cpp paints the panels,
// colour bars and charts and calls these), in points like the rest of the figure.

#include "attnscope/figure_model.h"
#include "figure_colormap.h"
#include "figure_layout.h"

#include <string>

class QPainter;

namespace attnscope::figure {

/// Token lines: labels down both sides, the lines between the rows' anchors (later on top), and a
/// legend line per set.
void paintTokenLines(QPainter& painter, const FigureTokenLines& block, const TokenLinesPlacement& placement);

/// A plot's axis titles (8 pt): `xTitle` centred at the top of `xBox`, `yTitle` turned a quarter
/// left along the plot's height, its top at x = yLeft.
void paintAxisTitles(QPainter& painter, const QRectF& plot, const QRectF& xBox, double yLeft, const std::string& xTitle,
                     const std::string& yTitle);

/// A graph: edges (lines, or arcs above the baseline), then nodes with a thin dark rim, then labels
/// to the upper right of each node; node fills at t >= 0 come from `sequential`.
void paintGraph(QPainter& painter, const FigureGraph& graph, const QRectF& plot, const Colormap& sequential);

/// A scatter: title and frame, axis titles, the edges in one colour, then the points in order
/// (circles or squares with a rim; fills at t >= 0 from `sequential`), then the legend lines.
void paintScatter(QPainter& painter, const FigureScatter& scatter, const ScatterPlacement& placement, const Colormap& sequential);

} // namespace attnscope::figure

#pragma once
// Where everything of a FigureModel goes, in points (1/72 inch). Computed once per figure and
// shared by every backend, so PNG, SVG and PDF place the same things at the same coordinates.

#include "attnscope/figure_model.h"

#include <QPointF>
#include <QRectF>
#include <QSizeF>

#include <vector>

namespace attnscope::figure {

/// Where a token-lines block goes: the query anchors on box's left edge, the key anchors on its
/// right edge, labels outside it.
struct TokenLinesPlacement {
    QRectF box;
    QRectF legend;          ///< one line per set
    double labelRoom = 0.0; ///< left and right of the box; 0 without labels
    int labelPixelSize = 0; ///< 0: rows too close for labels
};

/// Where a scatter block goes: its square plot, the x title under it, legend lines under that.
struct ScatterPlacement {
    QRectF plot;
    QRectF xTitle;
    QRectF legend;
};

struct FigureLayout {
    QSizeF size;                    ///< the whole figure
    QRectF title;
    std::vector<QRectF> plots;      ///< one square per panel: the cells
    std::vector<QRectF> panelTitles;  ///< one per panel: over its grid column's width
    std::vector<QRectF> barRects;   ///< one per colour bar (same order): the gradient
    std::vector<QRectF> chartPlots; ///< one per chart: the axes' box
    std::vector<QRectF> chartLegends; ///< one per chart: legend (and note) lines under its axis titles
    std::vector<TokenLinesPlacement> tokenLines;  ///< one per token-lines block
    std::vector<QRectF> graphPlots;  ///< one per graph block: where its nodes are placed
    std::vector<ScatterPlacement> scatters;  ///< one per scatter block
    QRectF caption;                 ///< empty without a caption
    double cell = 0.0;              ///< side of one cell
    bool labels = false;            ///< token labels fit at this cell size
    double labelRoom = 0.0;         ///< space left of and below a plot for labels
    int labelPixelSize = 0;         ///< label font size (points)
};

/// Where a node of `graph` drawn in `plot` goes: the unit disc scaled into the plot (28 pt in from
/// its edges), or for arcs the x axis across it on a baseline 28 pt above its bottom.
QPointF placeGraphNode(const FigureGraph& graph, const FigureGraphNode& node, const QRectF& plot);

/// (x, y) of [-1, 1]² in the square centred in `plot`, `inset` in from its shorter side (y up).
QPointF placeInSquare(double x, double y, const QRectF& plot, double inset);

/// Where a scatter point drawn in `plot` goes: placeInSquare with the scatter inset.
QPointF placeScatterPoint(const FigureScatterPoint& point, const QRectF& plot);

/// Lays a figure out. Token labels appear when a cell is at least 6 pt. Charts go in one row under
/// the panels, token-lines blocks in one row under the charts, graphs in one row under those, scatters in
/// one row under the graphs.
FigureLayout layoutFigure(const FigureModel& figure);

} // namespace attnscope::figure

#pragma once
// The one figure-composition path (DESIGN.md §7.11): paints a FigureModel with QPainter onto any
// paint device (QImage for PNG, QSvgGenerator, QPdfWriter), in points. Heatmap cells are one
// full-resolution image per panel scaled without smoothing (no blur, no seams); titles, labels,
// ticks and outlines are vector.

#include "attnscope/figure_model.h"
#include "figure_layout.h"

class QPainter;

namespace attnscope::figure {

/// Paints `figure` at `layout` with the painter's current transform mapping points to the device.
void paintFigure(QPainter& painter, const FigureModel& figure, const FigureLayout& layout);

} // namespace attnscope::figure

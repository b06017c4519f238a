#pragma once
// Sizes (points), inks and fonts of exported figures, shared by the layout and the painters.

#include <QColor>
#include <QFont>

namespace attnscope::figure::style {

constexpr double kMargin = 10.0;
constexpr double kTitleHeight = 20.0;
constexpr double kPanelTitleHeight = 14.0;
constexpr double kPanelGap = 12.0;
constexpr double kBarGap = 8.0;
constexpr double kBarWidth = 10.0;
constexpr double kBarTickRoom = 36.0;
constexpr double kCaptionHeight = 14.0;
constexpr double kMinPlotSide = 160.0;
constexpr double kMaxPlotSide = 320.0;
constexpr double kPreferredCell = 14.0;
constexpr double kMinLabelCell = 6.0;
constexpr double kMaxLabelRoom = 72.0;
constexpr double kMinCellTextCell = 18.0;  ///< cells print their number from this side on
constexpr double kChartWidth = 300.0;
constexpr double kChartHeight = 200.0;
constexpr double kChartAxisRoom = 44.0;    ///< left of a chart: tick labels and the rotated y title
constexpr double kChartTickRoom = 14.0;    ///< under a chart: tick labels
constexpr double kChartTitleRoom = 14.0;   ///< under the tick labels: the x title
constexpr double kLegendLine = 12.0;
constexpr double kTokenLinesWidth = 200.0; ///< between a token-lines block's two label columns
constexpr double kGraphSide = 320.0;       ///< a graph's square plot (force and circle layouts)
constexpr double kArcWidth = 480.0;        ///< a by-position graph's plot: arcs over one line
constexpr double kArcHeight = 200.0;
constexpr double kGraphInset = 28.0;       ///< nodes stay this far inside a graph's plot
constexpr double kScatterSide = 320.0;     ///< a scatter's square plot
constexpr double kScatterInset = 12.0;     ///< the extent (±1) lies this far inside a scatter's plot
constexpr double kScatterAxisRoom = 16.0;  ///< left of a scatter: its rotated y title

const QColor kInk(32, 32, 36);        ///< titles and tick labels
const QColor kMutedInk(80, 80, 88);   ///< token labels, captions
const QColor kFrame(120, 120, 128);   ///< plot frames

/// A font of `pixelSize` points; pixel sizes keep text the same size on every paint device
/// (a QImage at any DPI under a scaling transform, SVG, PDF at 72 units per inch).
inline QFont font(int pixelSize, bool bold = false)
{
    QFont result(QStringLiteral("DejaVu Sans"));
    result.setPixelSize(pixelSize);
    result.setBold(bold);
    result.setHintingPreference(QFont::PreferNoHinting);
    return result;
}

} // namespace attnscope::figure::style

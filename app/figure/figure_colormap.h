#pragma once
// The colour maps of assets/colormaps (compiled in as Qt resources). One table feeds the GUI's GL
// LUT texture, its QPainter paths and every exported figure, so screen and file agree.

#include <QColor>
#include <QImage>
#include <QStringList>

#include <array>
#include <cstddef>
#include <vector>

namespace attnscope::figure {

class Colormap {
public:
    static const Colormap& viridis();
    static const Colormap& magma();
    static const Colormap& cividis();
    static const Colormap& diverging();
    /// The perceptually uniform sequential maps the views offer, in menu order.
    static QStringList sequentialNames();
    /// The sequential map called `name` (one of sequentialNames()); viridis for any other name.
    static const Colormap& sequential(const QString& name);

    /// Colour at t in [0, 1] (clamped), nearest of the 256 entries.
    QRgb map(float t) const;
    const std::array<QRgb, 256>& table() const { return m_table; }
    /// The table as a 256×1 RGBA8888 image, ready to upload as a LUT texture.
    QImage lutImage() const;

private:
    explicit Colormap(const char* resource);
    std::array<QRgb, 256> m_table{};
};

/// A rows × columns image of `values` (row-major) coloured with `sequential` ([0, 1]) or the
/// diverging map ([-1, 1]), one pixel per value; empty when the sizes disagree.
QImage colourImage(const std::vector<float>& values, int rows, int columns, bool diverging, const Colormap& sequential);

/// An n × n image of `values` (row-major, row = query) coloured with `sequential` ([0, 1]) or the
/// diverging map ([-1, 1]); one pixel per cell, so a painter scales it without resampling seams.
QImage heatmapImage(const std::vector<float>& values, int n, bool diverging,
                    const Colormap& sequential = Colormap::viridis());

} // namespace attnscope::figure

#pragma once
// The colour maps of assets/colormaps (compiled in as Qt resources). One table feeds the GUI's GL
// LUT texture, its QPainter paths and every exported figure, so screen and file agree.

#include <QColor>
#include <QImage>

#include <array>
#include <cstddef>
#include <vector>

namespace attnscope::figure {

class Colormap {
public:
    static const Colormap& viridis();
    static const Colormap& diverging();

    /// Colour at t in [0, 1] (clamped), nearest of the 256 entries.
    QRgb map(float t) const;
    const std::array<QRgb, 256>& table() const { return m_table; }
    /// The table as a 256×1 RGBA8888 image, ready to upload as a LUT texture.
    QImage lutImage() const;

private:
    explicit Colormap(const char* resource);
    std::array<QRgb, 256> m_table{};
};

/// An n × n image of `values` (row-major, row = query) coloured with viridis ([0, 1]) or the
/// diverging map ([-1, 1]); one pixel per cell, so a painter scales it without resampling seams.
QImage heatmapImage(const std::vector<float>& values, int n, bool diverging);

} // namespace attnscope::figure

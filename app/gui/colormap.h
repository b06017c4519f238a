#pragma once
// The colour maps of assets/colormaps (compiled in as Qt resources). One table feeds the GL LUT
// texture and every QPainter path (fallback heatmap, colour bars, head grid), so both agree.

#include <QColor>
#include <QImage>

#include <QStringList>

#include <array>

namespace attnscope::gui {

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

} // namespace attnscope::gui

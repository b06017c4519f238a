#include "figure_colormap.h"

#include <QFile>
#include <QTextStream>

#include <algorithm>
#include <cmath>

namespace attnscope::figure {

Colormap::Colormap(const char* resource)
{
    // A grey ramp if the resource is missing keeps the views readable rather than black.
    for (int i = 0; i < 256; ++i) {
        m_table[i] = qRgb(i, i, i);
    }
    QFile file(QString::fromLatin1(resource));
    if (!file.open(QIODevice::ReadOnly | QIODevice::Text)) {
        qWarning("attnscope: colour map %s missing; using grey", resource);
        return;
    }
    QTextStream stream(&file);
    int index = 0;
    while (!stream.atEnd() && index < 256) {
        const QString line = stream.readLine().trimmed();
        if (line.isEmpty() || line.startsWith(QLatin1Char('#'))) {
            continue;
        }
        const QStringList parts = line.split(QLatin1Char(' '), Qt::SkipEmptyParts);
        if (parts.size() == 3) {
            m_table[index++] = qRgb(parts[0].toInt(), parts[1].toInt(), parts[2].toInt());
        }
    }
}

const Colormap& Colormap::viridis()
{
    static const Colormap map(":/colormaps/viridis.txt");
    return map;
}

const Colormap& Colormap::magma()
{
    static const Colormap map(":/colormaps/magma.txt");
    return map;
}

const Colormap& Colormap::cividis()
{
    static const Colormap map(":/colormaps/cividis.txt");
    return map;
}

QStringList Colormap::sequentialNames()
{
    return {QStringLiteral("viridis"), QStringLiteral("magma"), QStringLiteral("cividis")};
}

const Colormap& Colormap::sequential(const QString& name)
{
    if (name == QLatin1String("magma")) {
        return magma();
    }
    if (name == QLatin1String("cividis")) {
        return cividis();
    }
    return viridis();
}

const Colormap& Colormap::diverging()
{
    static const Colormap map(":/colormaps/diverging.txt");
    return map;
}

QRgb Colormap::map(float t) const
{
    if (!std::isfinite(t)) {
        t = 0.0f;
    }
    const int index = static_cast<int>(std::lround(std::clamp(t, 0.0f, 1.0f) * 255.0f));
    return m_table[static_cast<std::size_t>(index)];
}

QImage Colormap::lutImage() const
{
    QImage image(256, 1, QImage::Format_RGBA8888);
    for (int i = 0; i < 256; ++i) {
        image.setPixel(i, 0, m_table[static_cast<std::size_t>(i)] | 0xff000000u);
    }
    return image;
}

QImage colourImage(const std::vector<float>& values, int rows, int columns, bool diverging, const Colormap& sequential)
{
    if (rows <= 0 || columns <= 0 || values.size() != static_cast<std::size_t>(rows) * static_cast<std::size_t>(columns)) {
        return {};
    }
    const Colormap& map = diverging ? Colormap::diverging() : sequential;
    QImage image(columns, rows, QImage::Format_RGB32);
    for (int row = 0; row < rows; ++row) {
        auto* line = reinterpret_cast<QRgb*>(image.scanLine(row));
        for (int column = 0; column < columns; ++column) {
            const float v = values[static_cast<std::size_t>(row) * columns + column];
            line[column] = map.map(diverging ? (v + 1.0f) * 0.5f : v);
        }
    }
    return image;
}

QImage heatmapImage(const std::vector<float>& values, int n, bool diverging, const Colormap& sequential)
{
    return colourImage(values, n, n, diverging, sequential);
}

} // namespace attnscope::figure

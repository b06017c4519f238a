#pragma once
// Shared by the figure tests: a small synthetic compare scene with known values, the pixel
// position of a cell in a rendered figure, the LUT entry a value should take, and an SVG reader.

#include "attnscope/figure_model.h"
#include "figure_export.h"
#include "figure_layout.h"

#include <QColor>
#include <QImage>
#include <QPoint>
#include <QXmlStreamReader>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace attnscope::testing {

/// A causal 6-token head: dense rows spread over the allowed keys, the variant keeps the two
/// largest keys of each row (renormalised). Values differ cell to cell so that colours do too.
struct SyntheticScene {
    HeadAttention dense;
    HeadAttention effective;
    std::vector<std::string> pieces{"<s>", " In", " the", " begin", "ning", "\n"};
};

inline SyntheticScene makeSyntheticScene(int n = 6)
{
    SyntheticScene scene;
    scene.pieces.resize(static_cast<std::size_t>(n), "tok");
    for (HeadAttention* attention : {&scene.dense, &scene.effective}) {
        attention->layer = 1;
        attention->head = 2;
        attention->nTokens = n;
        attention->attention.assign(static_cast<std::size_t>(n) * n, 0.0f);
    }
    scene.dense.variant = "dense";
    scene.effective.variant = "topk:k=2";
    scene.effective.mask.assign(static_cast<std::size_t>(n) * n, 0);
    for (int row = 0; row < n; ++row) {
        double total = 0.0;
        for (int column = 0; column <= row; ++column) {
            total += 1.0 + column * 0.7 + (row % 3) * 0.3 * column;
        }
        std::vector<float> weights(static_cast<std::size_t>(row) + 1);
        for (int column = 0; column <= row; ++column) {
            weights[static_cast<std::size_t>(column)] = static_cast<float>((1.0 + column * 0.7 + (row % 3) * 0.3 * column) / total);
            scene.dense.attention[static_cast<std::size_t>(row) * n + column] = weights[static_cast<std::size_t>(column)];
        }
        // The two largest are the last two columns (weights grow with the column).
        const int first = std::max(0, row - 1);
        double kept = 0.0;
        for (int column = first; column <= row; ++column) {
            kept += weights[static_cast<std::size_t>(column)];
        }
        for (int column = first; column <= row; ++column) {
            scene.effective.attention[static_cast<std::size_t>(row) * n + column] =
                static_cast<float>(weights[static_cast<std::size_t>(column)] / kept);
            scene.effective.mask[static_cast<std::size_t>(row) * n + column] = 1;
        }
    }
    return scene;
}

/// The pixel at the centre of cell (row, column) of panel `panel` in a rendering at `pixelsPerPoint`.
inline QPoint cellCentre(const figure::FigureLayout& layout, int panel, int row, int column, double pixelsPerPoint)
{
    const QRectF plot = layout.plots[static_cast<std::size_t>(panel)];
    const double x = (plot.left() + (column + 0.5) * layout.cell) * pixelsPerPoint;
    const double y = (plot.top() + (row + 0.5) * layout.cell) * pixelsPerPoint;
    return {static_cast<int>(std::floor(x)), static_cast<int>(std::floor(y))};
}

/// A colour map's 256 entries read from assets/colormaps/NAME ("r g b" lines, # comments),
/// independently of the app's loader.
inline std::array<QRgb, 256> readLut(const std::string& name)
{
    std::array<QRgb, 256> table{};
    std::ifstream stream(std::string(ATTNSCOPE_SOURCE_DIR) + "/assets/colormaps/" + name);
    std::string line;
    int index = 0;
    while (std::getline(stream, line) && index < 256) {
        if (line.empty() || line[0] == '#') {
            continue;
        }
        std::istringstream fields(line);
        int r = 0, g = 0, b = 0;
        if (fields >> r >> g >> b) {
            table[static_cast<std::size_t>(index++)] = qRgb(r, g, b);
        }
    }
    return table;
}

/// `figure` rendered as PNG at `dpi` and decoded (RGB32); a null image when rendering failed.
inline QImage renderPng(const FigureModel& figure, int dpi)
{
    auto bytes = figure::renderFigure(figure, {figure::FigureFormat::Png, dpi, false});
    QImage image;
    if (!bytes.ok() || !image.loadFromData(bytes.value(), "PNG")) {
        return {};
    }
    return image.convertToFormat(QImage::Format_RGB32);
}

/// Largest per-channel difference of two colours.
inline int colourDistance(QRgb a, QRgb b)
{
    return std::max({std::abs(qRed(a) - qRed(b)), std::abs(qGreen(a) - qGreen(b)), std::abs(qBlue(a) - qBlue(b))});
}

/// The LUT entry a value takes on a min → max scale, computed here in double precision (entry 0
/// when min = max). `alternative` is the neighbouring entry when t·255 sits within rounding of a
/// half (float and double may round it either way), else the same entry.
struct ExpectedEntry {
    std::size_t index;
    std::size_t alternative;
};

inline ExpectedEntry lutEntry(double value, double low, double high)
{
    const double scaled = (high > low ? std::clamp((value - low) / (high - low), 0.0, 1.0) : 0.0) * 255.0;
    const auto index = static_cast<std::size_t>(std::lround(scaled));
    const double fraction = scaled - std::floor(scaled);
    std::size_t alternative = index;
    if (std::abs(fraction - 0.5) < 1e-3) {
        alternative = fraction < 0.5 ? index + 1 : index - 1;
    }
    return {index, alternative};
}

inline bool matchesEntry(QRgb seen, const std::array<QRgb, 256>& lut, ExpectedEntry entry, int tolerance)
{
    return colourDistance(seen, lut[entry.index]) <= tolerance || colourDistance(seen, lut[entry.alternative]) <= tolerance;
}

/// What an exported SVG holds, read with an XML parser.
struct SvgContents {
    std::vector<QImage> images;    ///< embedded images, decoded
    std::set<std::string> texts;   ///< every <text>'s content
    std::map<std::string, std::string> provenance;  ///< <attnscope:provenance>'s attributes
    std::map<std::string, int> strokedLines;  ///< <polyline>/<path> elements by their group's stroke colour
    bool wellFormed = false;
};

inline SvgContents parseSvg(const QByteArray& bytes)
{
    SvgContents svg;
    QXmlStreamReader xml(bytes);
    std::vector<std::string> strokes{""};
    while (!xml.atEnd()) {
        xml.readNext();
        if (xml.isEndElement() && xml.name() == QLatin1String("g")) {
            strokes.pop_back();
            continue;
        }
        if (!xml.isStartElement()) {
            continue;
        }
        if (xml.name() == QLatin1String("g")) {
            const QString stroke = xml.attributes().value(QLatin1String("stroke")).toString();
            strokes.push_back(stroke.isEmpty() ? strokes.back() : stroke.toStdString());
        } else if (xml.name() == QLatin1String("polyline") || xml.name() == QLatin1String("path")) {
            ++svg.strokedLines[strokes.back()];
        } else if (xml.name() == QLatin1String("image")) {
            const QString href = xml.attributes().value(QLatin1String("http://www.w3.org/1999/xlink"), QLatin1String("href")).toString();
            QImage image;
            image.loadFromData(QByteArray::fromBase64(href.mid(href.indexOf(QLatin1Char(',')) + 1).toLatin1()));
            svg.images.push_back(image);
        } else if (xml.name() == QLatin1String("text")) {
            svg.texts.insert(xml.readElementText(QXmlStreamReader::IncludeChildElements).trimmed().toStdString());
        } else if (xml.name() == QLatin1String("provenance")) {
            for (const QXmlStreamAttribute& attribute : xml.attributes()) {
                svg.provenance[attribute.name().toString().toStdString()] = attribute.value().toString().toStdString();
            }
        }
    }
    svg.wellFormed = !xml.hasError();
    return svg;
}

} // namespace attnscope::testing

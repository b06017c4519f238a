#include "attnscope/figure_embedding.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace attnscope {

namespace {

std::string percent(double fraction)
{
    char text[32];
    std::snprintf(text, sizeof text, "%.1f%%", fraction * 100.0);
    return text;
}

/// hue in degrees, saturation and value in [0, 1] to sRGB bytes.
FigureColour fromHsv(double hue, double saturation, double value)
{
    const double chroma = value * saturation;
    const double sector = hue / 60.0;
    const double second = chroma * (1.0 - std::abs(std::fmod(sector, 2.0) - 1.0));
    double red = 0.0, green = 0.0, blue = 0.0;
    switch (static_cast<int>(sector) % 6) {
    case 0: red = chroma, green = second; break;
    case 1: red = second, green = chroma; break;
    case 2: green = chroma, blue = second; break;
    case 3: green = second, blue = chroma; break;
    case 4: red = second, blue = chroma; break;
    default: red = chroma, blue = second; break;
    }
    const double lift = value - chroma;
    auto byte = [&](double channel) { return static_cast<std::uint8_t>(std::lround(std::clamp(channel + lift, 0.0, 1.0) * 255.0)); };
    return {byte(red), byte(green), byte(blue)};
}

} // namespace

const char* embeddingColouringName(EmbeddingColouring colouring)
{
    return colouring == EmbeddingColouring::Token ? "token" : "position";
}

Result<EmbeddingColouring> parseEmbeddingColouring(std::string_view name)
{
    for (const EmbeddingColouring colouring : {EmbeddingColouring::Position, EmbeddingColouring::Token}) {
        if (name == embeddingColouringName(colouring)) {
            return colouring;
        }
    }
    return makeError(ErrorCode::InvalidArgument, "unknown embedding colouring \"" + std::string(name) + "\" (position, token)");
}

double embeddingExtent(const QkEmbedding& embedding)
{
    double extent = 1e-9;
    for (const auto* set : {&embedding.queries, &embedding.keys}) {
        for (const Point2& point : *set) {
            extent = std::max({extent, std::abs(point.x), std::abs(point.y)});
        }
    }
    return extent;
}

double embeddingPointRadius(int nTokens)
{
    return std::clamp(90.0 / std::sqrt(std::max(1, nTokens)), 2.5, 6.0);
}

FigureColour embeddingTokenColour(std::int32_t id)
{
    const std::uint32_t hash = static_cast<std::uint32_t>(id) * 2654435761u;
    return fromHsv(static_cast<double>(hash % 360u), 170.0 / 255.0, 235.0 / 255.0);
}

Result<FigureScatter> embeddingScatter(const EmbeddingScene& scene, const EmbeddingStyle& style)
{
    const QkEmbedding& embedding = scene.embedding;
    const int n = embedding.nTokens;
    const auto count = static_cast<std::size_t>(std::max(0, n));
    const bool byToken = style.colouring == EmbeddingColouring::Token;
    if (n < 1 || embedding.queries.size() != count || embedding.keys.size() != count || (byToken && scene.ids.size() != count) ||
        (style.keptEdges && scene.kept.size() != count * count)) {
        return makeError(ErrorCode::ShapeMismatch,
                         "the embedding of layer " + std::to_string(embedding.layer) + " head " + std::to_string(embedding.head) +
                             " has " + std::to_string(embedding.queries.size()) + " queries, " +
                             std::to_string(embedding.keys.size()) + " keys, " + std::to_string(scene.ids.size()) +
                             " token ids and a kept mask of " + std::to_string(scene.kept.size()) + " for " + std::to_string(n) +
                             " tokens");
    }
    FigureScatter scatter;
    scatter.pointRadius = embeddingPointRadius(n);
    scatter.rimColour = kEmbeddingRimColour;
    scatter.rimWidth = kEmbeddingRimWidth;
    scatter.edgeColour = kEmbeddingEdgeColour;
    scatter.edgeAlpha = kEmbeddingEdgeAlpha;
    scatter.edgeWidth = kEmbeddingEdgeWidth;
    const double extent = embeddingExtent(embedding);
    for (int position = 0; position < n; ++position) {
        FigureScatterPoint point;
        point.position = position;
        if (byToken) {
            point.t = -1.0f;
            point.colour = embeddingTokenColour(scene.ids[static_cast<std::size_t>(position)]);
        } else {
            point.t = n > 1 ? static_cast<float>(position) / static_cast<float>(n - 1) : 0.0f;
        }
        for (const FigureMark mark : {FigureMark::Circle, FigureMark::Square}) {
            const Point2& at = (mark == FigureMark::Circle ? embedding.queries : embedding.keys)[static_cast<std::size_t>(position)];
            point.x = at.x / extent;
            point.y = at.y / extent;
            point.mark = mark;
            scatter.points.push_back(point);
        }
    }
    if (style.keptEdges) {
        for (int query = 0; query < n; ++query) {
            for (int key = 0; key < n; ++key) {
                if (scene.kept[static_cast<std::size_t>(query) * count + static_cast<std::size_t>(key)] != 0) {
                    scatter.edges.push_back({2 * query, 2 * key + 1});
                }
            }
        }
    }
    return scatter;
}

Result<FigureModel> buildEmbeddingFigure(const EmbeddingScene& scene, const EmbeddingStyle& style)
{
    auto scatter = embeddingScatter(scene, style);
    if (!scatter) {
        return scatter.error();
    }
    const QkEmbedding& embedding = scene.embedding;
    FigureScatter& block = scatter.value();
    block.title = "queries and keys of " + std::to_string(embedding.nTokens) + " tokens, projected together (PCA)";
    block.xTitle = "PC1 \xC2\xB7 " + percent(embedding.explained[0]) + " of the variance";
    block.yTitle = "PC2 \xC2\xB7 " + percent(embedding.explained[1]) + " of the variance";
    block.legend.push_back("\xE2\x97\x8F query   \xE2\x96\xA0 key");
    block.legend.push_back(style.colouring == EmbeddingColouring::Token
                               ? "colour: token (repeated tokens share a colour)"
                               : "colour: position 0 \xE2\x86\x92 " + std::to_string(embedding.nTokens - 1) + " on the colour map");
    if (style.keptEdges) {
        block.legend.push_back("lines: " + scene.variant + "'s kept query \xE2\x86\x92 key pairs (" +
                               std::to_string(block.edges.size()) + ")");
    }
    FigureModel figure;
    figure.title = "layer " + std::to_string(embedding.layer) + " \xC2\xB7 head " + std::to_string(embedding.head) +
                   " \xC2\xB7 Q/K embedding" + (style.keptEdges ? " \xC2\xB7 " + scene.variant : std::string());
    figure.scatters.push_back(std::move(block));
    figure.provenance = headProvenance({}, {}, {}, embedding.layer, embedding.head, scene.variant);
    return figure;
}

} // namespace attnscope

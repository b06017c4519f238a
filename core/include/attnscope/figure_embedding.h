#pragma once
// The Q/K embedding tab (a head's queries and keys projected together by core's PCA) as a figure
// (issue #8). Where each point goes (both sets on one scale, the largest coordinate at the edge),
// its mark (query circle, key square), its colour (position on the sequential map, or a hue per
// token id), its size and the kept-edge look are decided here: the tab draws embeddingScatter and
// its Export action and `attnscope export --view embedding` write buildEmbeddingFigure.

#include "attnscope/analysis.h"
#include "attnscope/figure_model.h"
#include "attnscope/status.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace attnscope {

/// The kept (query → key) edges' colour, their opacity and width (points in a figure, pixels on
/// screen).
constexpr FigureColour kEmbeddingEdgeColour{255, 170, 90};
constexpr float kEmbeddingEdgeAlpha = 60.0f / 255.0f;
constexpr float kEmbeddingEdgeWidth = 1.0f;
/// The points' dark rim and its width.
constexpr FigureColour kEmbeddingRimColour{10, 10, 12};
constexpr double kEmbeddingRimWidth = 0.8;

/// What the embedding tab shows of one head.
struct EmbeddingScene {
    QkEmbedding embedding;
    std::string variant;             ///< canonical spec whose kept pairs the edges are
    std::vector<std::uint8_t> kept;  ///< [N, N] the variant's kept mask (query row, key column), or empty
    std::vector<std::int32_t> ids;   ///< the N token ids (colour by token)
};

/// How the points are coloured: by position (t = i / (N − 1) on the sequential map) or by token id.
enum class EmbeddingColouring { Position, Token };

/// The tab's two switches, which the figure follows.
struct EmbeddingStyle {
    EmbeddingColouring colouring = EmbeddingColouring::Position;
    bool keptEdges = false;  ///< draw the variant's kept (query → key) pairs under the points
};

/// "position", "token".
const char* embeddingColouringName(EmbeddingColouring colouring);
/// Parses a colouring name. Errors: InvalidArgument naming the accepted names.
Result<EmbeddingColouring> parseEmbeddingColouring(std::string_view name);

/// The half-width of the shared square both point sets are drawn in: the largest |x| or |y| of any
/// query or key (at least 1e-9), so a query and a key keep their distance and the farthest
/// coordinate touches the edge.
double embeddingExtent(const QkEmbedding& embedding);

/// Point radius for N tokens: clamp(90 / sqrt(N), 2.5, 6).
double embeddingPointRadius(int nTokens);

/// The colour of token `id`: hue = (id · 2654435761 mod 2^32) mod 360, saturation 170/255,
/// value 235/255, so repeated tokens share a colour.
FigureColour embeddingTokenColour(std::int32_t id);

/// The points (query i, then key i, for i = 0..N−1: the tab's drawing order) at their coordinates
/// divided by embeddingExtent, coloured by `style`, and with style.keptEdges one edge per kept
/// (query, key) pair. Errors: ShapeMismatch (queries, keys, ids or the kept mask of another length
/// than N; ids are needed only to colour by token, the mask only for edges).
Result<FigureScatter> embeddingScatter(const EmbeddingScene& scene, const EmbeddingStyle& style);

/// The embedding figure of one head: embeddingScatter under the title "layer L · head H · queries
/// and keys (PCA)", axis titles with the variance each principal axis explains, a legend of the
/// marks and of the colouring. Errors: as embeddingScatter.
Result<FigureModel> buildEmbeddingFigure(const EmbeddingScene& scene, const EmbeddingStyle& style);

} // namespace attnscope

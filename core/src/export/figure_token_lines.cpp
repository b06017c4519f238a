#include "attnscope/figure_token_lines.h"

#include "export/figure_labels.h"

#include <algorithm>

namespace attnscope {

double tokenLineMaxWidth(double rowHeight)
{
    return std::max(1.0, std::min(6.0, rowHeight * 0.8));
}

TokenLineStyle tokenLineStyle(double weight, double maxWidth, TokenLineSet set)
{
    if (!(weight >= kMinTokenLineWeight)) {  // NaN too
        return {};
    }
    const double scale = set == TokenLineSet::Variant ? 0.5 : 1.0;
    return {true, static_cast<float>(std::min(1.0, weight)), static_cast<float>(std::max(0.5, weight * maxWidth * scale))};
}

Result<FigureModel> buildTokenLinesFigure(const HeadAttention& dense, const HeadAttention& effective,
                                          const std::vector<std::string>& pieces)
{
    const int n = dense.nTokens;
    const auto cells = static_cast<std::size_t>(n) * static_cast<std::size_t>(n);
    if (n <= 0 || dense.attention.size() != cells || effective.nTokens != n || effective.attention.size() != cells) {
        return makeError(ErrorCode::ShapeMismatch, "token lines need two maps of one length: dense has " +
                                                       std::to_string(dense.attention.size()) + " values, " + effective.variant +
                                                       " " + std::to_string(effective.attention.size()) + ", for " +
                                                       std::to_string(n) + " tokens");
    }
    auto labels = displayLabels(pieces, n);
    if (!labels) {
        return labels.error();
    }
    FigureTokenLines block;
    block.title = "token lines: queries \xE2\x86\x92 keys";
    block.n = n;
    block.rowHeight = std::clamp(320.0 / n, 2.0, 14.0);
    block.tokens = std::move(labels.value());
    const double maxWidth = tokenLineMaxWidth(block.rowHeight);
    // The legend's swatches are the sets' lines at weight 1/2: the variant's half as thick as dense's.
    block.sets = {{"dense", kDenseLineColour, tokenLineStyle(0.5, maxWidth, TokenLineSet::Dense).width},
                  {effective.variant, kVariantLineColour, tokenLineStyle(0.5, maxWidth, TokenLineSet::Variant).width}};
    for (const int set : {0, 1}) {
        const std::vector<float>& weights = set == 0 ? dense.attention : effective.attention;
        for (int query = 0; query < n; ++query) {
            for (int key = 0; key < n; ++key) {
                const TokenLineStyle style = tokenLineStyle(weights[static_cast<std::size_t>(query) * n + key], maxWidth,
                                                            set == 0 ? TokenLineSet::Dense : TokenLineSet::Variant);
                if (style.drawn) {
                    block.lines.push_back({query, key, set, style.alpha, style.width});
                }
            }
        }
    }
    FigureModel figure;
    figure.title = "layer " + std::to_string(dense.layer) + " \xC2\xB7 head " + std::to_string(dense.head) +
                   " \xC2\xB7 " + effective.variant + " over dense";
    figure.tokenLines.push_back(std::move(block));
    figure.provenance = headProvenance({}, {}, {}, dense.layer, dense.head, effective.variant);
    return figure;
}

} // namespace attnscope

#include "views/heatmap_pyramid.h"

#include <algorithm>
#include <cmath>

namespace attnscope::gui {

namespace {

float peakOf(float a, float b)
{
    return std::abs(b) > std::abs(a) ? b : a;
}

} // namespace

HeatmapPyramid::HeatmapPyramid(std::vector<float> values, int n) : m_n(std::max(0, n))
{
    if (values.size() != static_cast<std::size_t>(m_n) * m_n) {
        m_n = 0;
        values.clear();
    }
    m_levels.push_back(Level{m_n, std::move(values), {}});
    // Each level pools 2×2 blocks of the one below: every cell is read once per level, so all the
    // levels together cost 4/3 of one pass over the matrix.
    while (m_levels.back().side > 1) {
        const Level& below = m_levels.back();
        const bool bottom = m_levels.size() == 1;
        Level level;
        level.side = (below.side + 1) / 2;
        const std::size_t cells = static_cast<std::size_t>(level.side) * level.side;
        level.peak.assign(cells, 0.0f);
        level.sum.assign(cells, 0.0f);
        const float* belowSum = bottom ? below.peak.data() : below.sum.data();
        // A block's cells in the order (0,0), (0,1), (1,0), (1,1); blocks past an odd edge pool
        // the cells that exist. Whole blocks take the branch-free path, with the same order.
        auto poolEdgeBlock = [&](int row, int column) {
            float peak = 0.0f;
            double sum = 0.0;
            for (int dr = 0; dr < 2; ++dr) {
                const int r = row * 2 + dr;
                if (r >= below.side) {
                    continue;
                }
                for (int dc = 0; dc < 2; ++dc) {
                    const int c = column * 2 + dc;
                    if (c >= below.side) {
                        continue;
                    }
                    const std::size_t index = static_cast<std::size_t>(r) * below.side + c;
                    peak = peakOf(peak, below.peak[index]);
                    sum += belowSum[index];
                }
            }
            const std::size_t index = static_cast<std::size_t>(row) * level.side + column;
            level.peak[index] = peak;
            level.sum[index] = static_cast<float>(sum);
        };
        const int wholeColumns = below.side / 2;
        for (int row = 0; row < level.side; ++row) {
            int column = 0;
            if (row * 2 + 1 < below.side) {
                const std::size_t top = static_cast<std::size_t>(row) * 2 * below.side;
                const float* peakTop = below.peak.data() + top;
                const float* peakBottom = peakTop + below.side;
                const float* sumTop = belowSum + top;
                const float* sumBottom = sumTop + below.side;
                float* peakOut = level.peak.data() + static_cast<std::size_t>(row) * level.side;
                float* sumOut = level.sum.data() + static_cast<std::size_t>(row) * level.side;
                for (; column < wholeColumns; ++column) {
                    const int c = column * 2;
                    peakOut[column] =
                        peakOf(peakOf(peakOf(peakOf(0.0f, peakTop[c]), peakTop[c + 1]), peakBottom[c]), peakBottom[c + 1]);
                    sumOut[column] = static_cast<float>(((static_cast<double>(sumTop[c]) + sumTop[c + 1]) + sumBottom[c]) +
                                                        sumBottom[c + 1]);
                }
            }
            for (; column < level.side; ++column) {
                poolEdgeBlock(row, column);
            }
        }
        m_levels.push_back(std::move(level));
    }
}

int HeatmapPyramid::side(int level) const
{
    return level >= 0 && level < levels() ? m_levels[static_cast<std::size_t>(level)].side : 0;
}

float HeatmapPyramid::at(int level, int blockRow, int blockColumn, Pooling pooling) const
{
    const Level& l = m_levels[static_cast<std::size_t>(level)];
    const std::size_t index = static_cast<std::size_t>(blockRow) * l.side + blockColumn;
    return pooling == Pooling::Sum && level > 0 ? l.sum[index] : l.peak[index];
}

int HeatmapPyramid::levelFor(double cellsPerPixel) const
{
    int level = 0;
    while (level + 1 < levels() && blockSize(level + 1) <= cellsPerPixel) {
        ++level;
    }
    return level;
}

} // namespace attnscope::gui

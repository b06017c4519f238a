#pragma once
// Block-pooled levels of one N×N matrix for drawing long inputs (DESIGN.md §4): level L pools
// blocks of 2^L × 2^L cells. Two poolings per block: the peak (the entry of largest magnitude, sign
// kept: the maximum for probabilities) so that one-pixel lines survive zooming out, and the sum so
// that mass is preserved. Pooling is drawing, not attention: it reads the matrix the core computed.

#include <cstddef>
#include <memory>
#include <vector>

namespace attnscope::gui {

enum class Pooling {
    Peak,  ///< entry of largest |value| in the block (max for non-negative data)
    Sum,   ///< sum over the block
};

class HeatmapPyramid {
public:
    /// Builds every level from `values` ([n, n] row-major); level 0 is `values` itself.
    HeatmapPyramid(std::vector<float> values, int n);

    int n() const { return m_n; }
    int levels() const { return static_cast<int>(m_levels.size()); }
    /// Cells per side of one block at `level` (2^level).
    static int blockSize(int level) { return 1 << level; }
    /// Blocks per side at `level`: ceil(n / 2^level); a last partial block pools what exists.
    int side(int level) const;
    /// The pooled value of block (blockRow, blockColumn) at `level`.
    float at(int level, int blockRow, int blockColumn, Pooling pooling) const;
    /// Level 0 cell (row, column).
    float cell(int row, int column) const { return m_levels[0].peak[static_cast<std::size_t>(row) * m_n + column]; }
    /// The finest level whose blocks are at least `cellsPerPixel` cells wide (0 when zoomed in).
    int levelFor(double cellsPerPixel) const;

private:
    struct Level {
        int side = 0;
        std::vector<float> peak;  // level 0: the matrix (peak = sum = value)
        std::vector<float> sum;   // empty at level 0
    };
    int m_n = 0;
    std::vector<Level> m_levels;
};

} // namespace attnscope::gui

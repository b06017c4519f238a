#include "model/gemma3_ops.h"

#include "util/parallel.h"

#include <algorithm>
#include <cmath>

namespace attnscope {

void rmsNormRowsInPlace(float* x, std::size_t nRows, int width, const Weight& weight, float eps, int threads)
{
    const auto normalizeRow = [&](std::size_t row) {
        float* values = x + row * static_cast<std::size_t>(width);
        double sumSquares = 0.0;
        for (int col = 0; col < width; ++col) {
            sumSquares += static_cast<double>(values[col]) * values[col];
        }
        const auto inverse = static_cast<float>(1.0 / std::sqrt(sumSquares / width + eps));
        for (int col = 0; col < width; ++col) {
            values[col] = values[col] * inverse * weight.data[col];
        }
    };
    // Rows are independent, so the split changes no bit; small inputs stay on this thread.
    constexpr std::size_t kRowsPerItem = 32;
    constexpr std::size_t kParallelFloats = 1 << 16;
    parallelFor(
        static_cast<std::int64_t>((nRows + kRowsPerItem - 1) / kRowsPerItem),
        [&](std::int64_t item) {
            const std::size_t begin = static_cast<std::size_t>(item) * kRowsPerItem;
            for (std::size_t row = begin; row < std::min(nRows, begin + kRowsPerItem); ++row) {
                normalizeRow(row);
            }
        },
        nRows * static_cast<std::size_t>(width) < kParallelFloats ? 1 : threads);
}

void softcapInPlace(float* x, std::size_t count, float cap)
{
    for (std::size_t index = 0; index < count; ++index) {
        x[index] = cap * std::tanh(x[index] / cap);
    }
}

} // namespace attnscope

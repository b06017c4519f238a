#include "model/gemma3_ops.h"

#include <cmath>

namespace attnscope {

void rmsNormRowsInPlace(float* x, std::size_t nRows, int width, const Weight& weight, float eps)
{
    for (std::size_t row = 0; row < nRows; ++row) {
        float* values = x + row * static_cast<std::size_t>(width);
        double sumSquares = 0.0;
        for (int col = 0; col < width; ++col) {
            sumSquares += static_cast<double>(values[col]) * values[col];
        }
        const auto inverse = static_cast<float>(1.0 / std::sqrt(sumSquares / width + eps));
        for (int col = 0; col < width; ++col) {
            values[col] = values[col] * inverse * weight.data[col];
        }
    }
}

void softcapInPlace(float* x, std::size_t count, float cap)
{
    for (std::size_t index = 0; index < count; ++index) {
        x[index] = cap * std::tanh(x[index] / cap);
    }
}

} // namespace attnscope

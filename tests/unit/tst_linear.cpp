// The model's linear layer (cpu_ops.h `linear`: y = x·Wᵀ + b, then an optional activation) on
// OpenBLAS or on Eigen, whichever the build chose, against a double-precision loop over the same
// float inputs: odd shapes, one row (a matrix-vector product), fewer and more rows than output
// features, with and without bias and each activation, on 1 and 2 threads. Shapes above linear's
// 4e6 multiply-add threshold are split into bands, by columns or by rows, on 2 threads.
//
// Bound: a float dot product of depth K plus a bias, summed in any order (blocked, FMA or not), is
// within γ(K + 2)·(|b| + Σ|x·w|) of the exact value, γ(n) ≈ n·2⁻²⁴ (Higham, Accuracy and Stability
// of Numerical Algorithms, §3.1). An activation f with |f'| ≤ 1.13 (SiLU 1.10, both GELUs 1.13)
// carries that through scaled by 1.13, plus its own approximation error, a few float ulps of |y| + 1.
#include "model/cpu_ops.h"

#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <limits>
#include <numbers>
#include <optional>
#include <string>
#include <vector>

namespace attnscope {
namespace {

std::vector<float> uniformValues(std::size_t count, unsigned seed, float scale)
{
    std::vector<float> values(count);
    for (float& value : values) {
        seed = seed * 1664525u + 1013904223u;
        value = scale * (static_cast<float>(seed >> 8) / 8388608.0f - 1.0f);
    }
    return values;
}

double activationDouble(Activation activation, double x)
{
    switch (activation) {
    case Activation::Silu:
        return x / (1.0 + std::exp(-x));
    case Activation::GeluErf:
        return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0)));
    case Activation::GeluTanh:
        return 0.5 * x * (1.0 + std::tanh(std::sqrt(2.0 / std::numbers::pi) * (x + 0.044715 * x * x * x)));
    }
    return x;
}

struct Shape {
    int rows;
    int features;
    int depth;
};

TEST(Linear, MatchesADoublePrecisionLoopOnEveryPathAndThreadCount)
{
    const Shape shapes[] = {
        {1, 7, 5},        // one row: a matrix-vector product
        {1, 301, 131},
        {2, 3, 1},        // depth 1
        {37, 301, 131},   // fewer rows than features, on the calling thread
        {301, 37, 131},   // more rows than features, on the calling thread
        {67, 517, 129},   // 4.47e6 multiply-adds: column bands on 2 threads
        {523, 67, 131},   // 4.59e6: row bands on 2 threads
        {3, 2003, 701},   // 4.21e6 with three rows: column bands of a short input
    };
    const struct {
        std::optional<Activation> activation;
        const char* name;
    } activations[] = {{std::nullopt, "none"},
                       {Activation::Silu, "silu"},
                       {Activation::GeluErf, "gelu-erf"},
                       {Activation::GeluTanh, "gelu-tanh"}};
    constexpr double kUnit = 0.5 * FLT_EPSILON; // 2⁻²⁴
    constexpr double kLipschitz = 1.13;
    unsigned seed = 1;
    for (const Shape& shape : shapes) {
        // Pre-activations of a few units either side of zero, where the activations bend.
        const float scale = 3.0f / std::sqrt(static_cast<float>(shape.depth));
        const std::vector<float> x = uniformValues(static_cast<std::size_t>(shape.rows) * shape.depth, ++seed, 1.0f);
        Weight weight;
        weight.owned = uniformValues(static_cast<std::size_t>(shape.features) * shape.depth, ++seed, scale);
        weight.data = weight.owned.data();
        weight.rows = shape.features;
        weight.cols = shape.depth;
        Weight bias;
        bias.owned = uniformValues(static_cast<std::size_t>(shape.features), ++seed, 1.0f);
        bias.data = bias.owned.data();
        bias.rows = shape.features;
        bias.cols = 1;

        for (const bool withBias : {false, true}) {
            // The exact product of the float inputs, in double, and the magnitude that bounds its rounding.
            const std::size_t outputs = static_cast<std::size_t>(shape.rows) * shape.features;
            std::vector<double> exact(outputs);
            std::vector<double> magnitude(outputs);
            for (int row = 0; row < shape.rows; ++row) {
                for (int feature = 0; feature < shape.features; ++feature) {
                    double sum = withBias ? bias.data[feature] : 0.0;
                    double size = std::abs(sum);
                    for (int k = 0; k < shape.depth; ++k) {
                        const double term = static_cast<double>(x[static_cast<std::size_t>(row) * shape.depth + k]) *
                                            weight.data[static_cast<std::size_t>(feature) * shape.depth + k];
                        sum += term;
                        size += std::abs(term);
                    }
                    exact[static_cast<std::size_t>(row) * shape.features + feature] = sum;
                    magnitude[static_cast<std::size_t>(row) * shape.features + feature] = size;
                }
            }
            const double gamma = (shape.depth + 2) * kUnit / (1.0 - (shape.depth + 2) * kUnit);
            for (const auto& [activation, activationName] : activations) {
                for (const int threads : {1, 2}) {
                    SCOPED_TRACE(std::to_string(shape.rows) + "x" + std::to_string(shape.features) + "x" +
                                 std::to_string(shape.depth) + (withBias ? " bias" : " no bias") + ", activation " +
                                 activationName + ", threads " + std::to_string(threads));
                    // NaN in the output beforehand: every element must be written, none read.
                    std::vector<float> y(outputs, std::numeric_limits<float>::quiet_NaN());
                    linear(x.data(), shape.rows, weight, withBias ? bias : Weight{}, y.data(), threads, activation);
                    int failures = 0;
                    for (std::size_t index = 0; index < outputs && failures < 5; ++index) {
                        const double gemmBound = gamma * magnitude[index];
                        double expected = exact[index];
                        double bound = gemmBound;
                        if (activation) {
                            expected = activationDouble(*activation, exact[index]);
                            bound = kLipschitz * gemmBound + 4.0 * FLT_EPSILON * (std::abs(exact[index]) + 1.0);
                        }
                        if (!(std::abs(y[index] - expected) <= bound)) {
                            ADD_FAILURE() << "output " << index / shape.features << "," << index % shape.features
                                          << ": " << y[index] << " vs " << expected << " (bound " << bound << ")";
                            ++failures;
                        }
                    }
                }
            }
        }
    }
}

} // namespace
} // namespace attnscope

#include "model/cpu_ops.h"

#include "util/parallel.h"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>

namespace attnscope {

namespace {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Below this many multiply-adds a product runs on the calling thread: spawning threads costs more.
constexpr double kParallelLinearWork = 4.0e6;

void linearRows(const float* x, int rowBegin, int rowEnd, const Weight& weight, const Weight& bias, float* y)
{
    const int rows = rowEnd - rowBegin;
    Eigen::Map<const RowMatrix> input(x + static_cast<std::size_t>(rowBegin) * weight.cols, rows, weight.cols);
    Eigen::Map<const RowMatrix> matrix(weight.data, weight.rows, weight.cols);
    Eigen::Map<RowMatrix> output(y + static_cast<std::size_t>(rowBegin) * weight.rows, rows, weight.rows);
    output.noalias() = input * matrix.transpose();
    if (!bias.empty()) {
        output.rowwise() += Eigen::Map<const Eigen::RowVectorXf>(bias.data, weight.rows);
    }
}

} // namespace

void linear(const float* x, int nRows, const Weight& weight, const Weight& bias, float* y, int threads)
{
    const double work = static_cast<double>(nRows) * weight.rows * weight.cols;
    const int workers = threads > 0 ? threads : defaultThreadCount();
    if (work < kParallelLinearWork || workers <= 1 || nRows < 2 * workers) {
        linearRows(x, 0, nRows, weight, bias, y);
        return;
    }
    const int chunk = (nRows + workers - 1) / workers;
    parallelFor(
        workers,
        [&](std::int64_t part) {
            const int begin = static_cast<int>(part) * chunk;
            const int end = std::min(nRows, begin + chunk);
            if (begin < end) {
                linearRows(x, begin, end, weight, bias, y);
            }
        },
        workers);
}

void normalizeRows(NormKind kind, float* x, int nRows, int width, const Weight& weight, const Weight& bias,
                   float eps)
{
    for (int row = 0; row < nRows; ++row) {
        float* values = x + static_cast<std::size_t>(row) * width;
        double mean = 0.0;
        if (kind == NormKind::LayerNorm) {
            for (int col = 0; col < width; ++col) {
                mean += values[col];
            }
            mean /= width;
        }
        double variance = 0.0;
        for (int col = 0; col < width; ++col) {
            const double centred = values[col] - mean;
            variance += centred * centred;
        }
        variance /= width;
        const double inverse = 1.0 / std::sqrt(variance + eps);
        for (int col = 0; col < width; ++col) {
            double value = (values[col] - mean) * inverse * weight.data[col];
            if (!bias.empty()) {
                value += bias.data[col];
            }
            values[col] = static_cast<float>(value);
        }
    }
}

void activate(Activation activation, float* x, std::size_t count)
{
    switch (activation) {
    case Activation::Silu:
        for (std::size_t index = 0; index < count; ++index) {
            x[index] = x[index] / (1.0f + std::exp(-x[index]));
        }
        return;
    case Activation::GeluErf:
        for (std::size_t index = 0; index < count; ++index) {
            x[index] = 0.5f * x[index] * (1.0f + std::erf(x[index] * 0.70710678118654752f));
        }
        return;
    case Activation::GeluTanh:
        for (std::size_t index = 0; index < count; ++index) {
            const float value = x[index];
            const float inner = 0.79788456080286536f * (value + 0.044715f * value * value * value);
            x[index] = 0.5f * value * (1.0f + std::tanh(inner));
        }
        return;
    }
}

void applyRope(RopeStyle style, double theta, float* x, int nHeads, int nTokens, int headDim)
{
    if (style == RopeStyle::None) {
        return;
    }
    const int pairs = headDim / 2;
    std::vector<float> cosTable(static_cast<std::size_t>(nTokens) * pairs);
    std::vector<float> sinTable(cosTable.size());
    for (int pair = 0; pair < pairs; ++pair) {
        const double inverseFrequency = std::pow(theta, -2.0 * pair / headDim);
        for (int pos = 0; pos < nTokens; ++pos) {
            const double angle = pos * inverseFrequency;
            cosTable[static_cast<std::size_t>(pos) * pairs + pair] = static_cast<float>(std::cos(angle));
            sinTable[static_cast<std::size_t>(pos) * pairs + pair] = static_cast<float>(std::sin(angle));
        }
    }
    // HF rotate_half pairs dimension i with i + headDim/2; GGUF/llama2.c pair 2i with 2i + 1.
    const int stride = style == RopeStyle::HalfSplit ? 1 : 2;
    const int partner = style == RopeStyle::HalfSplit ? pairs : 1;
    for (int head = 0; head < nHeads; ++head) {
        for (int pos = 0; pos < nTokens; ++pos) {
            float* row = x + (static_cast<std::size_t>(head) * nTokens + pos) * headDim;
            const float* cosRow = cosTable.data() + static_cast<std::size_t>(pos) * pairs;
            const float* sinRow = sinTable.data() + static_cast<std::size_t>(pos) * pairs;
            for (int pair = 0; pair < pairs; ++pair) {
                float& first = row[pair * stride];
                float& second = row[pair * stride + partner];
                const float a = first;
                const float b = second;
                first = a * cosRow[pair] - b * sinRow[pair];
                second = b * cosRow[pair] + a * sinRow[pair];
            }
        }
    }
}

void splitHeads(const float* x, int nTokens, int nHeads, int headDim, std::vector<float>& out)
{
    out.resize(static_cast<std::size_t>(nTokens) * nHeads * headDim);
    for (int head = 0; head < nHeads; ++head) {
        for (int pos = 0; pos < nTokens; ++pos) {
            const float* source = x + (static_cast<std::size_t>(pos) * nHeads + head) * headDim;
            std::copy(source, source + headDim, out.data() + (static_cast<std::size_t>(head) * nTokens + pos) * headDim);
        }
    }
}

void mergeHeads(const float* x, int nTokens, int nHeads, int headDim, std::vector<float>& out)
{
    out.resize(static_cast<std::size_t>(nTokens) * nHeads * headDim);
    for (int head = 0; head < nHeads; ++head) {
        for (int pos = 0; pos < nTokens; ++pos) {
            const float* source = x + (static_cast<std::size_t>(head) * nTokens + pos) * headDim;
            std::copy(source, source + headDim, out.data() + (static_cast<std::size_t>(pos) * nHeads + head) * headDim);
        }
    }
}

} // namespace attnscope

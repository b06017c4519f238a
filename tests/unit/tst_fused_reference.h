#pragma once
// The float64 reference of the fused-attention tests (tst_fused_attention.cpp,
// tst_block_sparse_attention.cpp): random inputs, exact rows, the fp32 rounding bound every output
// element and LSE must meet, and the naive fp32 implementation whose error the kernels may at most
// double (DESIGN §7.9).

#include "attention/fused_attention_kernel.h"
#include "attnscope_kernels/mask_predicates.h"
#include "model/layer_qkv.h"
#include "util/cpu_features.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <ostream>
#include <random>
#include <string>
#include <vector>

namespace attnscope::attn {
namespace {

/// An extra restriction on top of the model's mask: keep(head, query, key), or empty for none.
using KeyFilter = std::function<bool(int head, int query, int key)>;

inline bool visibleKey(const LayerQkv& qkv, const KeyFilter& keep, int head, int query, int key)
{
    return modelAllows(query, key, qkv.causal, qkv.slidingWindow) && (!keep || keep(head, query, key));
}

constexpr double kUnitRoundoff = 0x1p-24; // u: fp32 rounds to nearest with relative error ≤ u

// γ_n = n·u / (1 − n·u): the relative error bound of an n-term fp32 sum or dot product.
inline double gamma(double terms)
{
    return terms * kUnitRoundoff / (1.0 - terms * kUnitRoundoff);
}

struct Case {
    std::string name;
    int nHeads;
    int nKvHeads;
    int nTokens;
    int headDim;
    bool causal;
    int slidingWindow;
    float softcap;
    float scoreSpread; ///< scale = scoreSpread / sqrt(headDim): score standard deviation ≈ scoreSpread
};

// gtest prints a failing parameter with this instead of its bytes.
inline void PrintTo(const Case& c, std::ostream* stream)
{
    *stream << c.name;
}

inline LayerQkv makeInput(const Case& c, unsigned seed)
{
    LayerQkv qkv;
    qkv.nHeads = c.nHeads;
    qkv.nKvHeads = c.nKvHeads;
    qkv.nTokens = c.nTokens;
    qkv.headDim = c.headDim;
    qkv.causal = c.causal;
    qkv.slidingWindow = c.slidingWindow;
    qkv.softcap = c.softcap;
    qkv.scale = c.scoreSpread / std::sqrt(static_cast<float>(c.headDim));
    std::mt19937 generator(seed);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    const auto fill = [&](std::vector<float>& values, int heads) {
        values.resize(static_cast<std::size_t>(heads) * c.nTokens * c.headDim);
        for (float& value : values) {
            value = normal(generator);
        }
    };
    fill(qkv.q, c.nHeads);
    fill(qkv.k, c.nKvHeads);
    fill(qkv.v, c.nKvHeads);
    return qkv;
}

// Float64 attention of one row, plus the ingredients of the rounding bound.
struct ReferenceRow {
    std::vector<double> output;
    double lse = 0.0;
    std::vector<double> weightedAbsValue; ///< Σ_j p_j·|v_jd| per dim
    std::vector<double> probabilities;    ///< [nTokens], 0 where masked
    double maxScoreError = 0.0;           ///< max_j bound on |fp32 score − exact score|
    int visible = 0;
};

inline ReferenceRow referenceRow(const LayerQkv& qkv, int head, int query, const KeyFilter& keep = {})
{
    const int d = qkv.headDim;
    const float* q = qkv.queryHead(head) + static_cast<std::size_t>(query) * d;
    const float* keys = qkv.keyHead(head);
    const float* values = qkv.valueHead(head);
    ReferenceRow row;
    std::vector<double> scores(static_cast<std::size_t>(qkv.nTokens), -std::numeric_limits<double>::infinity());
    double maxScore = -std::numeric_limits<double>::infinity();
    for (int key = 0; key < qkv.nTokens; ++key) {
        if (!visibleKey(qkv, keep, head, query, key)) {
            continue;
        }
        double dot = 0.0;
        double absDot = 0.0;
        for (int dim = 0; dim < d; ++dim) {
            const double term = static_cast<double>(q[dim]) * keys[static_cast<std::size_t>(key) * d + dim];
            dot += term;
            absDot += std::abs(term);
        }
        // The kernel computes (q·scale)·k in fp32: the scale and q·scale round (u each), the d-term dot
        // product rounds within γ_d; with a softcap, tanh's argument carries that error and tanh
        // (Lipschitz 1, scaled by softcap) adds a few ulp of its value.
        double scoreError = (gamma(d) + 2.0 * kUnitRoundoff) * absDot * qkv.scale;
        double score = dot * qkv.scale;
        if (qkv.softcap > 0.0f) {
            score = qkv.softcap * std::tanh(score / qkv.softcap);
            scoreError += 4.0 * kUnitRoundoff * std::abs(score);
        }
        scores[static_cast<std::size_t>(key)] = score;
        row.maxScoreError = std::max(row.maxScoreError, scoreError);
        maxScore = std::max(maxScore, score);
        ++row.visible;
    }
    row.output.assign(static_cast<std::size_t>(d), 0.0);
    row.weightedAbsValue.assign(static_cast<std::size_t>(d), 0.0);
    row.probabilities.assign(static_cast<std::size_t>(qkv.nTokens), 0.0);
    if (row.visible == 0) {
        row.lse = -std::numeric_limits<double>::infinity(); // DenseAttnParams: output 0, lse −inf
        return row;
    }
    double sum = 0.0;
    for (double& score : scores) {
        score = std::exp(score - maxScore); // exp(−inf) = 0 for masked keys
        sum += score;
    }
    row.lse = maxScore + std::log(sum);
    for (int key = 0; key < qkv.nTokens; ++key) {
        const double p = scores[static_cast<std::size_t>(key)] / sum;
        row.probabilities[static_cast<std::size_t>(key)] = p;
        for (int dim = 0; dim < d; ++dim) {
            const double value = values[static_cast<std::size_t>(key) * d + dim];
            row.output[static_cast<std::size_t>(dim)] += p * value;
            row.weightedAbsValue[static_cast<std::size_t>(dim)] += p * std::abs(value);
        }
    }
    return row;
}

// The obvious fp32 implementation (scores, std::exp, sequential sums): the error budget of
// DESIGN §7.9 is twice what this makes against float64.
inline void naiveFloatRow(const LayerQkv& qkv, int head, int query, std::vector<float>& output, float& lse,
                   const KeyFilter& keep = {})
{
    const int d = qkv.headDim;
    const float* q = qkv.queryHead(head) + static_cast<std::size_t>(query) * d;
    std::vector<float> scores(static_cast<std::size_t>(qkv.nTokens), 0.0f);
    float maxScore = -std::numeric_limits<float>::infinity();
    for (int key = 0; key < qkv.nTokens; ++key) {
        if (!visibleKey(qkv, keep, head, query, key)) {
            continue;
        }
        float dot = 0.0f;
        for (int dim = 0; dim < d; ++dim) {
            dot += q[dim] * qkv.keyHead(head)[static_cast<std::size_t>(key) * d + dim];
        }
        float score = dot * qkv.scale;
        if (qkv.softcap > 0.0f) {
            score = qkv.softcap * std::tanh(score / qkv.softcap);
        }
        scores[static_cast<std::size_t>(key)] = score;
        maxScore = std::max(maxScore, score);
    }
    float sum = 0.0f;
    for (int key = 0; key < qkv.nTokens; ++key) {
        const float p = visibleKey(qkv, keep, head, query, key)
                            ? std::exp(scores[static_cast<std::size_t>(key)] - maxScore)
                            : 0.0f;
        scores[static_cast<std::size_t>(key)] = p;
        sum += p;
    }
    output.assign(static_cast<std::size_t>(d), 0.0f);
    if (sum == 0.0f) {
        lse = -std::numeric_limits<float>::infinity();
        return;
    }
    for (int key = 0; key < qkv.nTokens; ++key) {
        const float p = scores[static_cast<std::size_t>(key)] / sum;
        for (int dim = 0; dim < d; ++dim) {
            output[static_cast<std::size_t>(dim)] += p * qkv.valueHead(head)[static_cast<std::size_t>(key) * d + dim];
        }
    }
    lse = maxScore + std::log(sum);
}

// Relative error bound of the kernel's exp: 1.5 ulp of fp32 (ulp = 2^-23 relative at worst).
// Measured worst on the grid of WithinBoundOfDoubleExp: 0.99 ulp (AVX2, AVX-512), 0.50 (std::exp).
constexpr double kExpRelativeError = 1.5 * 0x1p-23;

// Rounding bound of one output element (first order, worst case). A probability
//   p_j = exp(s_j − m) / Σ_k exp(s_k − m)
// inherits the score errors twice (its own and, through the sum, the others': ≤ 2·E_s), the exp's
// relative error twice, the n-term row sum's γ_n, and one rounding per rescale of the running sum
// (at most one per key tile, ≤ n) and for the final division. The output Σ_j p_j v_j adds its own
// n-term sum (γ_n) and one rounding per rescale of the accumulator. With W = Σ_j p_j |v_j|:
//   |o − o*| ≤ W · (2·E_s + 2·ε_exp + 2·γ_n + 2·n·u + 2u).
inline double outputBound(const ReferenceRow& row, int dim)
{
    const double n = row.visible;
    const double relative = 2.0 * row.maxScoreError + 2.0 * kExpRelativeError + 2.0 * gamma(n) +
                            2.0 * n * kUnitRoundoff + 2.0 * kUnitRoundoff;
    return row.weightedAbsValue[static_cast<std::size_t>(dim)] * relative;
}

// lse = m + log l: the score error, l's relative error (exp, sum, rescales) passed through log,
// and the final additions' rounding.
inline double lseBound(const ReferenceRow& row)
{
    const double n = row.visible;
    return row.maxScoreError + kExpRelativeError + gamma(n) + n * kUnitRoundoff +
           2.0 * kUnitRoundoff * (std::abs(row.lse) + 1.0);
}

// A probability recomputed as exp(score − lse): its score's and the LSE's errors (the bounds
// above), the exp's, and the rounding of score − lse.
inline double probabilityBound(const ReferenceRow& row, double expected)
{
    const double exponent = std::abs(std::log(expected));
    return expected * (row.maxScoreError + lseBound(row) + kExpRelativeError + kUnitRoundoff * (exponent + 1.0));
}

inline std::vector<CpuIsa> availableIsas()
{
    std::vector<CpuIsa> isas{CpuIsa::Portable};
    const CpuIsa widest = widestIsa(cpuFeatures());
    if (widest >= CpuIsa::Avx2) {
        isas.push_back(CpuIsa::Avx2);
    }
    if (widest >= CpuIsa::Avx512) {
        isas.push_back(CpuIsa::Avx512);
    }
    return isas;
}

/// Each ISA's output and LSE (run(options, output, lse) with 1, 2 and 3 threads) must be the same
/// bits whatever the thread count: work items never share a row.
template <typename Run>
void expectThreadCountKeepsBits(const LayerQkv& qkv, Run run)
{
    for (const CpuIsa isa : availableIsas()) {
        std::vector<std::vector<float>> outputs;
        for (const int threads : {1, 2, 3}) {
            std::vector<float> output(qkv.q.size());
            std::vector<float> lse(static_cast<std::size_t>(qkv.nHeads) * qkv.nTokens);
            FusedAttentionOptions options;
            options.isa = isa;
            options.threads = threads;
            ASSERT_TRUE(run(options, output, lse));
            output.insert(output.end(), lse.begin(), lse.end());
            outputs.push_back(std::move(output));
        }
        EXPECT_EQ(outputs[0], outputs[1]) << cpuIsaName(isa);
        EXPECT_EQ(outputs[0], outputs[2]) << cpuIsaName(isa);
    }
}

/// Every output element and LSE of `output` [nHeads, nTokens, headDim] and `lse` [nHeads, nTokens]
/// within the fp32 bound of the float64 reference restricted to `keep`, and on the whole input at
/// most twice the naive fp32 error (+ 1e-6 floor: some cases are small enough for the naive loop to
/// be nearly exact). A row that sees no key must give output 0 and lse −inf exactly. Returns the
/// number of such rows.
inline int expectMatchesFloat64(const LayerQkv& qkv, const std::vector<float>& output, const std::vector<float>& lse,
                         const KeyFilter& keep = {})
{
    const int d = qkv.headDim;
    double referenceNorm = 0.0;
    double worstRatio = 0.0; // error / bound
    double fusedMaxError = 0.0;
    double naiveMaxError = 0.0;
    double fusedLseError = 0.0;
    double naiveLseError = 0.0;
    int emptyRows = 0;
    std::vector<float> naive;
    for (int head = 0; head < qkv.nHeads; ++head) {
        for (int query = 0; query < qkv.nTokens; ++query) {
            const ReferenceRow row = referenceRow(qkv, head, query, keep);
            const std::size_t rowIndex = static_cast<std::size_t>(head) * qkv.nTokens + query;
            if (row.visible == 0) {
                ++emptyRows;
                for (int dim = 0; dim < d; ++dim) {
                    EXPECT_EQ(output[rowIndex * d + dim], 0.0f) << "empty row: head " << head << " query " << query;
                }
                EXPECT_EQ(lse[rowIndex], -std::numeric_limits<float>::infinity()) << "head " << head << " query " << query;
                continue;
            }
            float naiveLse = 0.0f;
            naiveFloatRow(qkv, head, query, naive, naiveLse, keep);
            for (int dim = 0; dim < d; ++dim) {
                const double expected = row.output[static_cast<std::size_t>(dim)];
                const double actual = output[rowIndex * d + dim];
                const double error = std::abs(actual - expected);
                referenceNorm += expected * expected;
                EXPECT_LE(error, outputBound(row, dim))
                    << "head " << head << " query " << query << " dim " << dim << ": " << actual << " vs " << expected;
                if (error > outputBound(row, dim)) {
                    return emptyRows;
                }
                worstRatio = std::max(worstRatio, error / outputBound(row, dim));
                fusedMaxError = std::max(fusedMaxError, error);
                naiveMaxError = std::max(naiveMaxError, std::abs(naive[static_cast<std::size_t>(dim)] - expected));
            }
            const double lseError = std::abs(lse[rowIndex] - row.lse);
            EXPECT_LE(lseError, lseBound(row)) << "lse of head " << head << " query " << query;
            if (lseError > lseBound(row)) {
                return emptyRows;
            }
            fusedLseError = std::max(fusedLseError, lseError);
            naiveLseError = std::max(naiveLseError, std::abs(naiveLse - row.lse));
        }
    }
    EXPECT_GT(referenceNorm, 0.0);
    EXPECT_LE(fusedMaxError, 2.0 * naiveMaxError + 1e-6) << "worst error/bound " << worstRatio;
    EXPECT_LE(fusedLseError, 2.0 * naiveLseError + 1e-6);
    return emptyRows;
}

} // namespace
} // namespace attnscope::attn

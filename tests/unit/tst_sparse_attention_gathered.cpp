// CSR sparse attention (sparseAttention, attention_common.h) on kept sets whose rows share most of
// their keys, where chunks of rows run the fused micro-kernels on the gathered union of their keys
// (gatheredSparseRows): outputs within the fp32 bound of the float64 reference restricted to the
// kept pairs, every kept pair's weight within the bound of exp(score − lse), empty rows 0, on every
// ISA this CPU runs. Also: chunks whose rows share few keys (a random set) are left to the per-row
// kernel, and both paths agree on a set that mixes them.

#include "tst_fused_reference.h"

#include "attention/attention_common.h"
#include "attention/fused_attention_kernel.h"
#include "util/cpu_features.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace attnscope::attn {
namespace {

constexpr int kChunk = 32; // the rows sparseAttention hands to gatheredSparseRows at once

// Rows keep what `keep(query, key)` says among the keys the model allows.
template <typename Keep>
KeptSet makeSet(const HeadInput& input, Keep keep)
{
    KeptSet set;
    set.rowPtr.assign(static_cast<std::size_t>(input.nTokens) + 1, 0);
    for (int query = 0; query < input.nTokens; ++query) {
        const KeyRange range = allowedKeys(input, query);
        for (int key = range.first; key <= range.last; ++key) {
            if (keep(query, key)) {
                set.cols.push_back(key);
            }
        }
        set.rowPtr[static_cast<std::size_t>(query) + 1] = static_cast<std::int64_t>(set.cols.size());
    }
    return set;
}

KeyFilter setFilter(const KeptSet& set)
{
    return [&set](int, int query, int key) {
        const auto begin = set.cols.begin() + set.rowPtr[static_cast<std::size_t>(query)];
        const auto end = set.cols.begin() + set.rowPtr[static_cast<std::size_t>(query) + 1];
        return std::binary_search(begin, end, key);
    };
}

// Deterministic pseudo-random bit of a pair.
bool pairBit(int query, int key, int percent)
{
    return static_cast<int>((static_cast<unsigned>(query) * 2654435761u ^ static_cast<unsigned>(key) * 40503u) % 100u) <
           percent;
}

void expectSparseMatchesFloat64(const LayerQkv& qkv, const KeptSet& set, CpuIsa isa, int threads)
{
    const HeadInput input = makeHeadInput(qkv, 0);
    std::vector<float> output(qkv.q.size(), std::numeric_limits<float>::quiet_NaN());
    std::vector<float> weights(set.cols.size(), std::numeric_limits<float>::quiet_NaN());
    sparseAttention(input, set, output.data(), weights.data(), threads, isa);
    // The LSE is not an output of sparseAttention: take the reference's, so only outputs are checked
    // here and weights below.
    std::vector<float> lse(static_cast<std::size_t>(qkv.nTokens));
    for (int query = 0; query < qkv.nTokens; ++query) {
        lse[static_cast<std::size_t>(query)] = static_cast<float>(referenceRow(qkv, 0, query, setFilter(set)).lse);
    }
    expectMatchesFloat64(qkv, output, lse, setFilter(set));
    for (int query = 0; query < qkv.nTokens && !::testing::Test::HasFailure(); ++query) {
        const ReferenceRow row = referenceRow(qkv, 0, query, setFilter(set));
        for (std::int64_t index = set.rowPtr[static_cast<std::size_t>(query)];
             index < set.rowPtr[static_cast<std::size_t>(query) + 1]; ++index) {
            const double expected = row.probabilities[static_cast<std::size_t>(set.cols[static_cast<std::size_t>(index)])];
            const double actual = weights[static_cast<std::size_t>(index)];
            // The per-row kernel normalises by a double sum: its weights meet the same bound.
            ASSERT_LE(std::abs(actual - expected), probabilityBound(row, expected))
                << "query " << query << " key " << set.cols[static_cast<std::size_t>(index)];
        }
    }
}

struct GatheredCase {
    Case shape;
    const char* pattern;
};

void PrintTo(const GatheredCase& c, std::ostream* stream)
{
    *stream << c.shape.name << "_" << c.pattern;
}

// "window": each row keeps most of its last 40 allowed keys (rows differ by a few pairs), and rows
// 64–95 keep nothing; "shared": the rows of each 32-row chunk keep one common random selection of
// the keys they may see (as dsa's query blocks do).
KeptSet patternSet(const HeadInput& input, const std::string& pattern)
{
    if (pattern == "window") {
        return makeSet(input, [](int query, int key) {
            return (query < 64 || query >= 96) && std::abs(query - key) < 40 && !pairBit(query, key, 15);
        });
    }
    return makeSet(input, [](int query, int key) { return pairBit(query / kChunk, key, 30); });
}

class GatheredSparseCase : public ::testing::TestWithParam<GatheredCase> {};

TEST_P(GatheredSparseCase, MatchesFloat64WithWeights)
{
    const GatheredCase& c = GetParam();
    const LayerQkv qkv = makeInput(c.shape, 555u);
    const HeadInput input = makeHeadInput(qkv, 0);
    const KeptSet set = patternSet(input, c.pattern);
    for (const CpuIsa isa : availableIsas()) {
        SCOPED_TRACE(std::string("isa ") + cpuIsaName(isa));
        // The chunks of this set do take the gathered path (rows 64–95 of "window" keep nothing and
        // are left to the per-row kernel).
        std::vector<float> probe(qkv.q.size());
        EXPECT_TRUE(gatheredSparseRows(input, set, 0, kChunk, probe.data(), nullptr, isa));
        EXPECT_TRUE(gatheredSparseRows(input, set, 3 * kChunk, 4 * kChunk, probe.data(), nullptr, isa));
        for (const int threads : {1, 2}) {
            SCOPED_TRACE(std::to_string(threads) + " threads");
            expectSparseMatchesFloat64(qkv, set, isa, threads);
            if (HasFailure()) {
                return;
            }
        }
    }
}

const std::vector<GatheredCase>& gatheredCases()
{
    static const std::vector<GatheredCase> all = {
        {{"causal_d64", 1, 1, 300, 64, true, 0, 0.0f, 1.0f}, "window"},
        {{"causal_d64", 1, 1, 300, 64, true, 0, 0.0f, 1.0f}, "shared"},
        {{"bidirectional_d128_softcap", 1, 1, 200, 128, false, 0, 5.0f, 4.0f}, "window"},
        {{"bidirectional_d128_softcap", 1, 1, 200, 128, false, 0, 5.0f, 4.0f}, "shared"},
        {{"causal_d20_portable_only", 1, 1, 150, 20, true, 0, 0.0f, 2.0f}, "shared"},
        {{"causal_d8", 1, 1, 170, 8, true, 0, 0.0f, 1.0f}, "window"},
    };
    return all;
}

INSTANTIATE_TEST_SUITE_P(Sets, GatheredSparseCase, ::testing::ValuesIn(gatheredCases()),
                         [](const ::testing::TestParamInfo<GatheredCase>& caseInfo) {
                             return caseInfo.param.shape.name + "_" + caseInfo.param.pattern;
                         });

// A random 10 % set: a chunk's union is nearly every key, so the gathered path declines and the
// per-row kernel computes the rows; a set of random rows next to windowed ones mixes both paths.
TEST(GatheredSparseRows, DeclinesRowsThatShareFewKeys)
{
    const LayerQkv qkv = makeInput(Case{"mixed", 1, 1, 256, 64, true, 0, 0.0f, 1.0f}, 77u);
    const HeadInput input = makeHeadInput(qkv, 0);
    const KeptSet random = makeSet(input, [](int query, int key) { return key == query || pairBit(query, key, 10); });
    std::vector<float> probe(qkv.q.size(), 0.0f);
    for (int chunk = 1; chunk < 8; ++chunk) {
        EXPECT_FALSE(gatheredSparseRows(input, random, chunk * kChunk, (chunk + 1) * kChunk, probe.data(), nullptr,
                                        activeCpuIsa()))
            << "chunk " << chunk;
    }
    EXPECT_TRUE(std::all_of(probe.begin(), probe.end(), [](float value) { return value == 0.0f; }));
    const KeptSet mixed = makeSet(input, [](int query, int key) {
        return (query / kChunk) % 2 == 0 ? query - key < 30 : key == query || pairBit(query, key, 10);
    });
    for (const CpuIsa isa : availableIsas()) {
        SCOPED_TRACE(cpuIsaName(isa));
        expectSparseMatchesFloat64(qkv, mixed, isa, 2);
    }
}

} // namespace
} // namespace attnscope::attn

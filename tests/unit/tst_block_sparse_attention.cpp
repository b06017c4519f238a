// Block-sparse attention (blockSparseAttention, core/src/attention/fused_attention_*) against the
// float64 reference restricted to the kept blocks: every ISA this CPU runs, causal and
// bidirectional, GQA with shared and per-head layouts, block sizes below, between and above the
// kernels' tile sizes, a sliding window with softcap, rows that see no kept key (output 0, lse
// −inf), 1 and 2 threads. Also: with every block kept it is the dense fused kernel bit for bit,
// thread counts do not change bits, and malformed layouts are refused.

#include "tst_fused_reference.h"

#include "attention/fused_attention_kernel.h"
#include "util/cpu_features.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace attnscope::attn {
namespace {

struct SparseCase {
    Case shape;
    int blockSize;
    bool perHead;
    double keepProbability;
    int emptyQueryBlock; ///< a query block kept with no key block at all (−1: none)
};

void PrintTo(const SparseCase& c, std::ostream* stream)
{
    *stream << c.shape.name;
}

int blockCount(const LayerQkv& qkv, int blockSize)
{
    return (qkv.nTokens + blockSize - 1) / blockSize;
}

// Each key block kept with `keepProbability`; under a causal mask query block 1 keeps only a
// future block when there is one, so that its rows see nothing.
BlockSparseLayout randomLayout(const LayerQkv& qkv, const SparseCase& c, unsigned seed)
{
    const int blocks = blockCount(qkv, c.blockSize);
    BlockSparseLayout layout;
    layout.blockSize = c.blockSize;
    layout.perHead = c.perHead;
    layout.rowPtr.push_back(0);
    std::mt19937 generator(seed);
    std::bernoulli_distribution keep(c.keepProbability);
    for (int head = 0; head < (c.perHead ? qkv.nHeads : 1); ++head) {
        for (int queryBlock = 0; queryBlock < blocks; ++queryBlock) {
            if (queryBlock == c.emptyQueryBlock) {
            } else if (qkv.causal && queryBlock == 1 && blocks > 2) {
                layout.keyBlocks.push_back(blocks - 1);
            } else {
                for (int keyBlock = 0; keyBlock < blocks; ++keyBlock) {
                    if (keep(generator)) {
                        layout.keyBlocks.push_back(keyBlock);
                    }
                }
            }
            layout.rowPtr.push_back(static_cast<std::int64_t>(layout.keyBlocks.size()));
        }
    }
    return layout;
}

KeyFilter layoutFilter(const LayerQkv& qkv, const BlockSparseLayout& layout)
{
    const int blocks = blockCount(qkv, layout.blockSize);
    return [&qkv, &layout, blocks](int head, int query, int key) {
        const std::size_t row =
            static_cast<std::size_t>(layout.perHead ? head : 0) * blocks + query / layout.blockSize;
        for (std::int64_t index = layout.rowPtr[row]; index < layout.rowPtr[row + 1]; ++index) {
            if (layout.keyBlocks[static_cast<std::size_t>(index)] == key / layout.blockSize) {
                return true;
            }
        }
        return false;
    };
}

const std::vector<SparseCase>& sparseCases()
{
    static const std::vector<SparseCase> all = {
        {{"causal_gqa2_shared_b48", 4, 2, 300, 64, true, 0, 0.0f, 1.0f}, 48, false, 0.4, 3},
        {{"causal_gqa2_per_head_b128", 4, 2, 419, 64, true, 0, 0.0f, 2.0f}, 128, true, 0.5, -1},
        {{"bidirectional_gqa2_per_head_b200", 2, 1, 333, 128, false, 0, 0.0f, 1.0f}, 200, true, 0.6, -1},
        {{"bidirectional_d128_b32", 2, 2, 250, 128, false, 0, 0.0f, 1.0f}, 32, false, 0.3, 5},
        {{"causal_window_softcap_b16", 2, 2, 257, 32, true, 70, 5.0f, 4.0f}, 16, true, 0.5, -1},
        {{"causal_d8_gqa4_b33", 4, 1, 203, 8, true, 0, 0.0f, 1.0f}, 33, false, 0.5, -1},
        {{"bidirectional_d20_portable_only_b7", 2, 2, 70, 20, false, 0, 0.0f, 1.0f}, 7, true, 0.3, 2},
    };
    return all;
}

class BlockSparseCase : public ::testing::TestWithParam<SparseCase> {};

TEST_P(BlockSparseCase, MatchesFloat64OnKeptBlocks)
{
    const SparseCase& c = GetParam();
    const LayerQkv qkv = makeInput(c.shape, 4321u + static_cast<unsigned>(c.shape.nTokens));
    const BlockSparseLayout layout = randomLayout(qkv, c, 99u);
    const KeyFilter keep = layoutFilter(qkv, layout);
    for (const CpuIsa isa : availableIsas()) {
        SCOPED_TRACE(std::string("requested isa ") + cpuIsaName(isa) + ", kernel " +
                     cpuIsaName(fusedAttentionIsa(isa, c.shape.headDim)));
        for (const int threads : {1, 2}) {
            SCOPED_TRACE(std::to_string(threads) + " threads");
            std::vector<float> output(qkv.q.size(), std::numeric_limits<float>::quiet_NaN());
            std::vector<float> lse(static_cast<std::size_t>(qkv.nHeads) * qkv.nTokens,
                                   std::numeric_limits<float>::quiet_NaN());
            FusedAttentionOptions options;
            options.isa = isa;
            options.threads = threads;
            const auto result = blockSparseAttention(qkv, layout, output.data(), lse.data(), options);
            ASSERT_TRUE(result.ok()) << result.error().describe();
            const int emptyRows = expectMatchesFloat64(qkv, output, lse, keep);
            if (c.emptyQueryBlock >= 0 || qkv.causal) {
                EXPECT_GT(emptyRows, 0) << "the case must cover rows that see no kept key";
            }
            if (HasFailure()) {
                return;
            }
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Layouts, BlockSparseCase, ::testing::ValuesIn(sparseCases()),
                         [](const ::testing::TestParamInfo<SparseCase>& caseInfo) { return caseInfo.param.shape.name; });

BlockSparseLayout everyBlock(const LayerQkv& qkv, int blockSize)
{
    const int blocks = blockCount(qkv, blockSize);
    BlockSparseLayout layout;
    layout.blockSize = blockSize;
    layout.rowPtr.push_back(0);
    for (int queryBlock = 0; queryBlock < blocks; ++queryBlock) {
        for (int keyBlock = 0; keyBlock < blocks; ++keyBlock) {
            layout.keyBlocks.push_back(keyBlock);
        }
        layout.rowPtr.push_back(static_cast<std::int64_t>(layout.keyBlocks.size()));
    }
    return layout;
}

// Every block kept: the kept keys merge into one run per row block, walked over the same packed
// tiles as the dense kernel, and the extra columns a different row split computes are masked to
// exact zeros, so the result is the dense kernel's bit for bit.
TEST(BlockSparseAttention, EveryBlockKeptIsTheDenseKernel)
{
    for (const Case& shape : {Case{"causal_gqa", 4, 2, 389, 64, true, 0, 0.0f, 1.0f},
                              Case{"bidirectional", 2, 2, 260, 32, false, 0, 0.0f, 1.0f}}) {
        const LayerQkv qkv = makeInput(shape, 17u);
        for (const CpuIsa isa : availableIsas()) {
            for (const int blockSize : {40, 128, 300}) {
                SCOPED_TRACE(shape.name + " " + cpuIsaName(isa) + " block " + std::to_string(blockSize));
                FusedAttentionOptions options;
                options.isa = isa;
                std::vector<float> dense(qkv.q.size());
                std::vector<float> denseLse(static_cast<std::size_t>(qkv.nHeads) * qkv.nTokens);
                ASSERT_TRUE(fusedAttention(qkv, dense.data(), denseLse.data(), options).ok());
                std::vector<float> sparse(dense.size());
                std::vector<float> sparseLse(denseLse.size());
                ASSERT_TRUE(
                    blockSparseAttention(qkv, everyBlock(qkv, blockSize), sparse.data(), sparseLse.data(), options)
                        .ok());
                EXPECT_EQ(sparse, dense);
                EXPECT_EQ(sparseLse, denseLse);
            }
        }
    }
}

TEST(BlockSparseAttention, ThreadCountDoesNotChangeBits)
{
    const SparseCase c{{"gqa", 4, 2, 300, 64, true, 0, 0.0f, 1.0f}, 64, true, 0.5, -1};
    const LayerQkv qkv = makeInput(c.shape, 8u);
    const BlockSparseLayout layout = randomLayout(qkv, c, 5u);
    expectThreadCountKeepsBits(qkv, [&](const FusedAttentionOptions& options, std::vector<float>& output,
                                        std::vector<float>& lse) {
        return blockSparseAttention(qkv, layout, output.data(), lse.data(), options).ok();
    });
}

TEST(BlockSparseAttention, RejectsMalformedLayouts)
{
    const LayerQkv qkv = makeInput(Case{"bad", 2, 2, 50, 16, true, 0, 0.0f, 1.0f}, 1u);
    std::vector<float> output(qkv.q.size());
    const auto refused = [&](const BlockSparseLayout& layout) {
        const auto result = blockSparseAttention(qkv, layout, output.data(), nullptr);
        return !result.ok() && result.error().code == ErrorCode::InvalidArgument;
    };
    const BlockSparseLayout good = everyBlock(qkv, 20); // 3 blocks
    ASSERT_TRUE(blockSparseAttention(qkv, good, output.data(), nullptr).ok());
    BlockSparseLayout layout = good;
    layout.blockSize = 0;
    EXPECT_TRUE(refused(layout));
    layout = good;
    layout.perHead = true; // needs nHeads × blocks rows
    EXPECT_TRUE(refused(layout));
    layout = good;
    layout.rowPtr.back() -= 1;
    EXPECT_TRUE(refused(layout));
    layout = good;
    layout.keyBlocks[1] = 3; // past the last block
    EXPECT_TRUE(refused(layout));
    layout = good;
    layout.keyBlocks[1] = 0; // repeated
    EXPECT_TRUE(refused(layout));
    layout = good;
    std::swap(layout.rowPtr[1], layout.rowPtr[2]); // offsets decrease
    EXPECT_TRUE(refused(layout));
    EXPECT_FALSE(blockSparseAttention(qkv, good, nullptr, nullptr).ok());
}

} // namespace
} // namespace attnscope::attn

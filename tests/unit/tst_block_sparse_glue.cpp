// The host side of the block-sparse CUDA kernels (issue #7), on every machine:
//  - the block arithmetic the kernels share with the host (block_sparse_params.h, and
//    modelKeyRangeOfRows in mask_predicates.h) against brute force: the chunks of every query
//    block cover each of its rows exactly once, the key range of a tile of rows is exactly the
//    union of the rows' visible keys, keysVisibleToRows says whether a block holds a visible key;
//  - validateBlockMask's refusals, one per reason tag, and blockMaskCsr against the dense mask;
//  - the device byte counts in closed form;
//  - the bigbird wiring: with CUDA disabled (ATTNSCOPE_DISABLE_CUDA, so the test means the same
//    with or without a GPU) a run without kept weights falls back with the reason and gives the
//    CPU's bits; with kept weights the block path does not even try (the CSR path owns that case).
// The GPU side is tests/backend/tst_backend_cuda_block_sparse.cpp.

#include "tst_variant_fixture.h"

#include "attention/attention_backend.h"
#include "attnscope/variant_spec.h"
#include "attnscope_kernels/block_sparse_params.h"
#include "attnscope_kernels/mask_predicates.h"
#include "backend/cuda/cuda_block_sparse.h"
#include "backend/cuda/device_memory_budget.h"
#include "model/layer_qkv.h"
#include "test_support/variant_runs.h"

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

namespace attnscope {
namespace {

TEST(BlockSparseParams, ChunksCoverEveryRowOfTheirQueryBlockOnce)
{
    for (int nTokens : {1, 5, 31, 32, 33, 100, 257}) {
        for (int blockSize : {1, 7, 16, 32, 33, 64, 100, 128, 300}) {
            SCOPED_TRACE("N " + std::to_string(nTokens) + " block " + std::to_string(blockSize));
            const int blocks = blockCount(nTokens, blockSize);
            ASSERT_EQ(blocks, (nTokens + blockSize - 1) / blockSize);
            std::vector<int> seen(static_cast<std::size_t>(nTokens), 0);
            const int chunks = blocks * blockSparseChunksPerBlock(blockSize);
            for (int chunk = 0; chunk < chunks; ++chunk) {
                int queryBlock = -1;
                int rowBegin = 0;
                int rowEnd = 0;
                blockSparseChunkRows(chunk, blockSize, nTokens, &queryBlock, &rowBegin, &rowEnd);
                ASSERT_GE(queryBlock, 0);
                ASSERT_LT(queryBlock, blocks);
                ASSERT_LE(rowBegin, rowEnd);
                ASSERT_LE(rowEnd - rowBegin, kBlockSparseChunkRows);
                for (int row = rowBegin; row < rowEnd; ++row) {
                    ASSERT_EQ(row / blockSize, queryBlock) << "row " << row;
                    ++seen[static_cast<std::size_t>(row)];
                }
            }
            for (int row = 0; row < nTokens; ++row) {
                EXPECT_EQ(seen[static_cast<std::size_t>(row)], 1) << "row " << row;
            }
            int begin = 0;
            int end = 0;
            blockTokenRange(blocks - 1, blockSize, nTokens, &begin, &end);
            EXPECT_EQ(end, nTokens);
            EXPECT_EQ(begin, (blocks - 1) * blockSize);
        }
    }
    EXPECT_EQ(blockCount(0, 16), 0);
    EXPECT_EQ(blockCount(10, 0), 0);
}

TEST(BlockSparseParams, KeyRangeOfRowsIsTheUnionOfTheRowsVisibleKeys)
{
    const int nTokens = 70;
    for (bool causal : {true, false}) {
        for (int window : {0, 1, 5, 32, 100}) {
            for (int rowBegin = 0; rowBegin < nTokens; rowBegin += 3) {
                for (int rows : {1, 2, 17, 32}) {
                    const int rowEnd = std::min(nTokens, rowBegin + rows);
                    int keyBegin = 0;
                    int keyEnd = 0;
                    modelKeyRangeOfRows(rowBegin, rowEnd, nTokens, causal, window, &keyBegin, &keyEnd);
                    for (int key = 0; key < nTokens; ++key) {
                        bool visible = false;
                        for (int row = rowBegin; row < rowEnd; ++row) {
                            visible = visible || modelAllows(row, key, causal, window);
                        }
                        ASSERT_EQ(visible, key >= keyBegin && key < keyEnd)
                            << "causal " << causal << " window " << window << " rows " << rowBegin << ".."
                            << rowEnd << " key " << key;
                    }
                    // keysVisibleToRows on every key block of a few sizes, against the pairs.
                    for (int keyBlockSize : {1, 8, 13}) {
                        for (int key0 = 0; key0 < nTokens; key0 += keyBlockSize) {
                            const int key1 = std::min(nTokens, key0 + keyBlockSize);
                            bool any = false;
                            for (int row = rowBegin; row < rowEnd; ++row) {
                                for (int key = key0; key < key1; ++key) {
                                    any = any || modelAllows(row, key, causal, window);
                                }
                            }
                            ASSERT_EQ(keysVisibleToRows(rowBegin, rowEnd, key0, key1, nTokens, causal, window), any);
                        }
                    }
                }
            }
        }
    }
    int keyBegin = -1;
    int keyEnd = -1;
    modelKeyRangeOfRows(5, 5, nTokens, true, 0, &keyBegin, &keyEnd);
    EXPECT_EQ(keyBegin, keyEnd);
}

LayerQkv shapeOnly(int nTokens)
{
    LayerQkv layer;
    layer.nHeads = 1;
    layer.nKvHeads = 1;
    layer.nTokens = nTokens;
    layer.headDim = 8;
    return layer;
}

std::string reasonOf(const Result<void>& result)
{
    return result.ok() ? std::string("ok") : result.error().reason;
}

TEST(BlockSparseGlue, ValidateBlockMaskNamesEachProblem)
{
    const LayerQkv layer = shapeOnly(50);  // blocks of 16: 4 blocks, the last one 2 tokens
    using Ints = std::vector<std::int32_t>;
    const Ints rowPtr{0, 1, 3, 3, 5};
    const Ints cols{0, 0, 1, 0, 3};
    EXPECT_TRUE(validateBlockMask(layer, 16, rowPtr, cols).ok());
    EXPECT_EQ(reasonOf(validateBlockMask(layer, 0, rowPtr, cols)), "block_size");
    EXPECT_EQ(reasonOf(validateBlockMask(layer, 16, Ints{0, 1, 3, 5}, cols)), "block_row_ptr_size");
    EXPECT_EQ(reasonOf(validateBlockMask(layer, 16, Ints{1, 1, 3, 3, 5}, cols)), "block_row_ptr_bounds");
    EXPECT_EQ(reasonOf(validateBlockMask(layer, 16, Ints{0, 1, 3, 3, 4}, cols)), "block_row_ptr_bounds");
    EXPECT_EQ(reasonOf(validateBlockMask(layer, 16, Ints{0, 3, 1, 3, 5}, Ints{0, 1, 2, 0, 3})), "block_row_ptr_order");
    EXPECT_EQ(reasonOf(validateBlockMask(layer, 16, rowPtr, Ints{0, 0, 1, 0, 4})), "block_col_range");
    EXPECT_EQ(reasonOf(validateBlockMask(layer, 16, rowPtr, Ints{0, 0, 1, -1, 3})), "block_col_range");
    EXPECT_EQ(reasonOf(validateBlockMask(layer, 16, rowPtr, Ints{0, 1, 1, 0, 3})), "block_col_order");
    EXPECT_EQ(reasonOf(validateBlockMask(layer, 16, rowPtr, Ints{0, 1, 0, 0, 3})), "block_col_order");
    const Result<void> refused = validateBlockMask(layer, 16, rowPtr, Ints{0, 0, 1, 0, 4});
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, ErrorCode::InvalidArgument);
    // A block larger than the sequence is one block; an empty sequence has none.
    EXPECT_TRUE(validateBlockMask(layer, 1000, Ints{0, 1}, Ints{0}).ok());
    EXPECT_TRUE(validateBlockMask(shapeOnly(0), 16, Ints{0}, Ints{}).ok());
}

TEST(BlockSparseGlue, BlockMaskCsrListsTheKeptBlocksInOrder)
{
    const int blocks = 3;
    const std::vector<std::uint8_t> mask{1, 0, 1,   //
                                         0, 0, 0,   //
                                         1, 1, 1};
    const attn::BlockMaskCsr csr = attn::blockMaskCsr(mask, blocks);
    EXPECT_EQ(csr.rowPtr, (std::vector<std::int64_t>{0, 2, 2, 5}));
    EXPECT_EQ(csr.cols, (std::vector<std::int32_t>{0, 2, 0, 1, 2}));
    const attn::BlockMaskCsr none = attn::blockMaskCsr({}, 0);
    EXPECT_EQ(none.rowPtr, (std::vector<std::int64_t>{0}));
    EXPECT_TRUE(none.cols.empty());
}

TEST(BlockSparseGlue, DeviceBytesInClosedForm)
{
    // q, k, v, out [N·d], lse [N], row offsets [blocks + 1], key blocks: 4 bytes each.
    EXPECT_EQ(blockSparseAttentionDeviceBytes(1000, 64, 16, 40), 4u * (4u * 1000 * 64 + 1000 + 17 + 40));
    // q, k [N·d], lse [N], max and sum [blocks²].
    EXPECT_EQ(blockPooledProbsDeviceBytes(1000, 64, 16), 4u * (2u * 1000 * 64 + 1000 + 2u * 16 * 16));
    EXPECT_EQ(blockSparseAttentionDeviceBytes(-1, 64, -1, 0), 4u);
    EXPECT_GT(blockPooledProbsDeviceBytes(1 << 30, 128, 1 << 30), std::uint64_t{1} << 62);  // saturates
}

class BlockSparseWiring : public ::testing::Test {
protected:
    void SetUp() override { ASSERT_EQ(setenv("ATTNSCOPE_DISABLE_CUDA", "1", 1), 0); }
    void TearDown() override { unsetenv("ATTNSCOPE_DISABLE_CUDA"); }

    static LayerVariantResult run(const LayerQkv& layer, const std::string& text, VariantBackend backend,
                                  bool keepWeights)
    {
        VariantRunOptions options;
        options.backend = backend;
        options.keepAttention = keepWeights;
        options.computeMetrics = keepWeights;
        return runVariantText(layer, text, options);
    }
};

TEST_F(BlockSparseWiring, BigbirdWithoutWeightsFallsBackWithReasonAndSameBits)
{
    const LayerQkv layer = testing::makeStructuredLayer({4, 2, 100, 32, true, 0, 11});
    for (const std::string text : {"bigbird", "bigbird:block=32,window=0,global=1,random=1"}) {
        SCOPED_TRACE(text);
        const LayerVariantResult automatic = run(layer, text, VariantBackend::Auto, false);
        const LayerVariantResult cpu = run(layer, text, VariantBackend::Cpu, false);
        ASSERT_EQ(automatic.heads.size(), static_cast<std::size_t>(layer.nHeads));
        ASSERT_EQ(cpu.heads.size(), automatic.heads.size());
        EXPECT_EQ(automatic.outputs, cpu.outputs);
        for (std::size_t index = 0; index < cpu.heads.size(); ++index) {
            const VariantStats& fallback = automatic.heads[index].stats;
            EXPECT_EQ(fallback.attentionBackend, "cpu");
            EXPECT_NE(fallback.backendFallbackReason.find("ATTNSCOPE_DISABLE_CUDA"), std::string::npos)
                << fallback.backendFallbackReason;
            EXPECT_TRUE(cpu.heads[index].stats.backendFallbackReason.empty());
            EXPECT_EQ(fallback.keptPairs, cpu.heads[index].stats.keptPairs);
            EXPECT_GT(fallback.keptPairs, 0);
        }
    }
}

TEST_F(BlockSparseWiring, KeptWeightsLeaveTheBlockPathUntried)
{
    const LayerQkv layer = testing::makeStructuredLayer({});
    const attn::HeadInput input = attn::makeHeadInput(layer, 0);
    const int block = 16;
    const int blocks = (layer.nTokens + block - 1) / block;
    const std::vector<std::uint8_t> mask(static_cast<std::size_t>(blocks) * blocks, 1);
    VariantRunOptions options;
    std::vector<float> output;
    VariantStats stats;
    options.keepAttention = true;
    EXPECT_FALSE(attn::blockSparseAttentionOnCuda(input, mask, block, options, output, stats));
    EXPECT_TRUE(stats.backendFallbackReason.empty()) << stats.backendFallbackReason;
    options.keepAttention = false;
    options.backend = VariantBackend::Cpu;
    EXPECT_FALSE(attn::blockSparseAttentionOnCuda(input, mask, block, options, output, stats));
    EXPECT_TRUE(stats.backendFallbackReason.empty()) << stats.backendFallbackReason;
    options.backend = VariantBackend::Auto;
    EXPECT_FALSE(attn::blockSparseAttentionOnCuda(input, mask, block, options, output, stats));
    EXPECT_NE(stats.backendFallbackReason.find("ATTNSCOPE_DISABLE_CUDA"), std::string::npos)
        << stats.backendFallbackReason;
}

} // namespace
} // namespace attnscope

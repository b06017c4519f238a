#pragma once
// What the fused-attention driver (fused_attention_kernel.cpp) and the per-ISA translation units
// (fused_attention_{portable,avx2,avx512}.cpp) share: plain pointers and sizes, nothing templated,
// so that no standard-library template is instantiated inside a TU compiled for a wider ISA (its
// weak symbols could be the copy the linker keeps and fault on a narrower CPU).

#include "attnscope_kernels/dense_attn_params.h"

#include <cstddef>
#include <cstdint>

namespace attnscope::attn {

/// One layer's attention problem: the dense-attention parameters the CUDA kernels take (host
/// pointers here, any row and head strides), plus the keys of every KV head repacked by
/// FusedKernel::packKeyTile: tile t of KV head h at packedKeys + (h·tilesPerHead + t)·headDim·keyBlock.
struct FusedProblem {
    DenseAttnParams attn;
    const float* packedKeys = nullptr;
    /// Query rows the per-thread scratch was laid out for (fusedScratchLayout's queryBlock): at
    /// least the rows of any work item.
    int scratchRows = 0;
};

/// A block-sparse layout as the kernels read it (BlockSparseLayout, fused_attention_kernel.h): the
/// kept key blocks of layout row r (ascending, no repeats) are keyBlocks[rowPtr[r], rowPtr[r + 1]).
/// Row r is query block r of every head, or with perHead, query block r % blocks of head r / blocks.
struct BlockSparsePlan {
    int blockSize = 0;
    int blocks = 0;
    bool perHead = false;
    const std::int64_t* rowPtr = nullptr;
    const std::int32_t* keyBlocks = nullptr;
};

/// Which gathered keys each row of a chunk keeps: keep[row·stride + key] != 0.
struct RowKeyMask {
    const unsigned char* keep = nullptr;
    int stride = 0;
};

/// One ISA's kernel: its tile sizes and entry points.
struct FusedKernel {
    int queryBlock = 0; ///< query rows per work item of the sparse paths; dense items take multiples
    int keyBlock = 0;   ///< keys per tile
    /// Transposes keys [tile·keyBlock, +keyBlock) of one KV head (rows `rowStride` floats apart) to
    /// dst [headDim][keyBlock], zero-padding keys past nTokens. With rowIndex, key i is row
    /// rowIndex[i] of `keys` (a gather).
    void (*packKeyTile)(const float* keys, long long rowStride, const std::int32_t* rowIndex, int nTokens, int headDim,
                        int tile, float* dst) = nullptr;
    /// Output and LSE of every query head of `kvHead` for query rows [rowBegin, rowBegin + rows)
    /// (rows ≤ problem.scratchRows); scratch holds fusedScratchLayout(problem.scratchRows, …).total
    /// floats, 64-byte aligned.
    void (*runBlock)(const FusedProblem& problem, int kvHead, int rowBegin, int rows, float* scratch) = nullptr;
    /// The same for query rows [rowBegin, rowBegin + rows) (≤ queryBlock rows, all in layout block
    /// `queryBlock`) over the key blocks `plan` keeps for them.
    void (*runSparseChunk)(const FusedProblem& problem, const BlockSparsePlan& plan, int kvHead, int queryBlock,
                           int rowBegin, int rows, float* scratch) = nullptr;
    /// CSR sparse attention on one chunk of rows over the union of their keys, gathered
    /// (FusedTiles::runGatheredRows); weights and cursor may be null.
    void (*runGatheredRows)(const FusedProblem& problem, int rows, const RowKeyMask& pairs, float* weights,
                            std::int64_t* cursor, float* scratch) = nullptr;
    void (*exp)(const float* in, float* out, std::size_t count) = nullptr;
};

/// Offsets (in floats) of the per-thread scratch parts, shared by the driver (which allocates
/// `total`) and the kernels: queries and output accumulators of every head in a GQA group, one score
/// tile, running max and sum.
struct FusedScratchLayout {
    std::size_t headStride = 0; ///< floats from one head's queries (or outputs) to the next
    std::size_t statStride = 0; ///< floats from one head's row max (or sum) to the next
    std::size_t queries = 0; ///< [group][queryBlock][headDim] scaled queries
    std::size_t outputs = 0; ///< [group][queryBlock][headDim] unnormalised outputs
    std::size_t scores = 0;  ///< [queryBlock][keyBlock]
    std::size_t rowMax = 0;  ///< [group][queryBlock]
    std::size_t rowSum = 0;  ///< [group][queryBlock]
    std::size_t total = 0;
};

inline FusedScratchLayout fusedScratchLayout(int queryBlock, int keyBlock, int groupSize, int headDim)
{
    // 16 floats = 64 bytes: every part aligned for AVX-512 loads.
    const auto roundUp = [](std::size_t floats) { return (floats + 15) / 16 * 16; };
    const std::size_t perHeadRows = roundUp(static_cast<std::size_t>(queryBlock) * headDim);
    const std::size_t rowStats = roundUp(static_cast<std::size_t>(queryBlock));
    FusedScratchLayout layout;
    layout.headStride = perHeadRows;
    layout.statStride = rowStats;
    layout.queries = 0;
    layout.outputs = layout.queries + perHeadRows * groupSize;
    layout.scores = layout.outputs + perHeadRows * groupSize;
    layout.rowMax = layout.scores + roundUp(static_cast<std::size_t>(queryBlock) * keyBlock);
    layout.rowSum = layout.rowMax + rowStats * groupSize;
    layout.total = layout.rowSum + rowStats * groupSize;
    return layout;
}

/// The kernels of each ISA. The AVX ones exist only in x86 builds.
FusedKernel fusedKernelPortable();
FusedKernel fusedKernelAvx2();
FusedKernel fusedKernelAvx512();

} // namespace attnscope::attn

#include "attention/fused_attention_kernel.h"

#include "attention/fused_attention_isa.h"
#include "model/dense_attention.h"
#include "util/parallel.h"

#include <algorithm>
#include <atomic>
#include <new>
#include <string>
#include <vector>

namespace attnscope::attn {

namespace {

// The kernel table is read only for an ISA the CPU runs: fusedKernelAvx2/512 are themselves
// compiled for their ISA.
FusedKernel kernelFor(CpuIsa isa)
{
#if defined(__x86_64__) || defined(__i386__)
    switch (isa) {
    case CpuIsa::Avx512:
        return fusedKernelAvx512();
    case CpuIsa::Avx2:
        return fusedKernelAvx2();
    case CpuIsa::Portable:
        break;
    }
#else
    (void)isa;
#endif
    return fusedKernelPortable();
}

int vectorWidth(CpuIsa isa)
{
    switch (isa) {
    case CpuIsa::Avx512:
        return 16;
    case CpuIsa::Avx2:
        return 8;
    case CpuIsa::Portable:
        return 1;
    }
    return 1;
}

// One growing 64-byte-aligned buffer per thread, reused across calls and layers.
float* threadScratch(std::size_t floats)
{
    thread_local AttentionScratch scratch;
    if (scratch.size() < floats) {
        scratch.resize(floats);
    }
    return scratch.data();
}

} // namespace

CpuIsa fusedAttentionIsa(CpuIsa available, int headDim)
{
#if !defined(__x86_64__) && !defined(__i386__)
    available = CpuIsa::Portable;
#endif
    for (CpuIsa isa = available; isa != CpuIsa::Portable; isa = static_cast<CpuIsa>(static_cast<int>(isa) - 1)) {
        if (headDim > 0 && headDim % vectorWidth(isa) == 0) {
            return isa;
        }
    }
    return CpuIsa::Portable;
}

namespace {

DenseAttnParams layerParams(const LayerQkv& qkv, float* output, float* lse)
{
    DenseAttnParams attn;
    attn.q = qkv.q.data();
    attn.k = qkv.k.data();
    attn.v = qkv.v.data();
    attn.out = output;
    attn.lse = lse;
    const long long headFloats = static_cast<long long>(qkv.nTokens) * qkv.headDim;
    attn.qHeadStride = attn.kHeadStride = attn.vHeadStride = attn.outHeadStride = headFloats;
    attn.qRowStride = attn.kRowStride = attn.vRowStride = attn.outRowStride = qkv.headDim;
    attn.lseHeadStride = qkv.nTokens;
    attn.nHeads = qkv.nHeads;
    attn.nKvHeads = qkv.nKvHeads;
    attn.nTokens = qkv.nTokens;
    attn.headDim = qkv.headDim;
    attn.scale = qkv.scale;
    attn.softcap = qkv.softcap;
    attn.causal = qkv.causal;
    attn.slidingWindow = qkv.slidingWindow;
    return attn;
}

// What fusedAttention and blockSparseAttention share: the checks, the keys packed once per KV
// head, and `items` work items over the threads, each run as runItem(problem, item, scratch) with
// its thread's scratch.
template <typename RunItem>
Result<void> runFusedItems(const LayerQkv& qkv, const FusedKernel& kernel, float* output, float* lse, int threads,
                           int scratchRows, std::int64_t items, RunItem&& runItem)
{
    if (output == nullptr) {
        return makeError(ErrorCode::InvalidArgument, "fused attention needs an output buffer",
                         "layer " + std::to_string(qkv.layer));
    }
    const int tilesPerHead = (qkv.nTokens + kernel.keyBlock - 1) / kernel.keyBlock;
    const int group = qkv.nHeads / qkv.nKvHeads;
    const std::size_t tileFloats = static_cast<std::size_t>(qkv.headDim) * kernel.keyBlock;
    const std::size_t scratchFloats =
        fusedScratchLayout(scratchRows, kernel.keyBlock, group, qkv.headDim).total;
    try {
        FusedProblem problem;
        problem.attn = layerParams(qkv, output, lse);
        const DenseAttnParams& attn = problem.attn;
        // Keys transposed once per KV head (O(N·d), like K itself) so that the score micro-kernel
        // loads contiguous vectors of keys; every query head of the group reuses them.
        AttentionScratch packedKeys(static_cast<std::size_t>(qkv.nKvHeads) * tilesPerHead * tileFloats);
        parallelFor(
            static_cast<std::int64_t>(qkv.nKvHeads) * tilesPerHead,
            [&](std::int64_t item) {
                const int kvHead = static_cast<int>(item / tilesPerHead);
                const int tile = static_cast<int>(item % tilesPerHead);
                kernel.packKeyTile(attn.k + kvHead * attn.kHeadStride, attn.kRowStride, nullptr, qkv.nTokens,
                                   qkv.headDim, tile, packedKeys.data() + static_cast<std::size_t>(item) * tileFloats);
            },
            threads);
        problem.packedKeys = packedKeys.data();
        problem.scratchRows = scratchRows;

        std::atomic<bool> outOfMemory{false};
        parallelFor(
            items,
            [&](std::int64_t item) {
                float* scratch = nullptr;
                try {
                    scratch = threadScratch(scratchFloats);
                } catch (const std::bad_alloc&) {
                    outOfMemory.store(true, std::memory_order_relaxed);
                    return;
                }
                runItem(problem, item, scratch);
            },
            threads);
        if (outOfMemory.load()) {
            throw std::bad_alloc();
        }
    } catch (const std::bad_alloc&) {
        return makeError(ErrorCode::OutOfMemory, "out of memory in fused attention",
                         "layer " + std::to_string(qkv.layer));
    }
    return okResult();
}

Result<void> validateLayout(const LayerQkv& qkv, const BlockSparseLayout& layout)
{
    const std::string context = "block-sparse attention, layer " + std::to_string(qkv.layer);
    if (layout.blockSize < 1) {
        return makeError(ErrorCode::InvalidArgument,
                         "block size " + std::to_string(layout.blockSize) + " must be at least 1 token", context);
    }
    const std::int64_t blocks = (qkv.nTokens + layout.blockSize - 1) / layout.blockSize;
    const std::int64_t rows = (layout.perHead ? qkv.nHeads : 1) * blocks;
    if (static_cast<std::int64_t>(layout.rowPtr.size()) != rows + 1 || layout.rowPtr.front() != 0 ||
        layout.rowPtr.back() != static_cast<std::int64_t>(layout.keyBlocks.size())) {
        return makeError(ErrorCode::InvalidArgument,
                         "the layout needs " + std::to_string(rows + 1) + " row offsets from 0 to its " +
                             std::to_string(layout.keyBlocks.size()) + " key blocks (" + std::to_string(blocks) +
                             " blocks of " + std::to_string(layout.blockSize) + " tokens" +
                             (layout.perHead ? " per head" : "") + "), got " + std::to_string(layout.rowPtr.size()),
                         context);
    }
    for (std::int64_t row = 0; row < rows; ++row) {
        const std::int64_t begin = layout.rowPtr[static_cast<std::size_t>(row)];
        const std::int64_t end = layout.rowPtr[static_cast<std::size_t>(row) + 1];
        if (end < begin) {
            return makeError(ErrorCode::InvalidArgument,
                             "layout row offsets decrease at row " + std::to_string(row), context);
        }
        for (std::int64_t index = begin; index < end; ++index) {
            const std::int32_t keyBlock = layout.keyBlocks[static_cast<std::size_t>(index)];
            if (keyBlock < 0 || keyBlock >= blocks ||
                (index > begin && keyBlock <= layout.keyBlocks[static_cast<std::size_t>(index) - 1])) {
                return makeError(ErrorCode::InvalidArgument,
                                 "layout row " + std::to_string(row) + " keeps key block " + std::to_string(keyBlock) +
                                     ": key blocks must be ascending, without repeats, in [0, " +
                                     std::to_string(blocks) + ")",
                                 context);
            }
        }
    }
    return okResult();
}

} // namespace

int denseRowsPerItem(const LayerQkv& qkv, int queryBlock, int threads)
{
    const std::int64_t kvBytesPerHead = 2 * static_cast<std::int64_t>(qkv.nTokens) * qkv.headDim * sizeof(float);
    if (kvBytesPerHead <= kFusedCacheResidentKvBytes) {
        return queryBlock;
    }
    const int group = qkv.nHeads / qkv.nKvHeads;
    const bool masked = qkv.causal || qkv.slidingWindow > 0;
    const int visibleSpan = qkv.slidingWindow > 0 ? std::min(qkv.slidingWindow, qkv.nTokens) : qkv.nTokens;
    const int workers = threads > 0 ? threads : defaultThreadCount();
    for (int multiple = kFusedMaxRowsMultiple; multiple > 1; multiple /= 2) {
        const int rows = multiple * queryBlock;
        const std::int64_t items = static_cast<std::int64_t>(qkv.nKvHeads) * ((qkv.nTokens + rows - 1) / rows);
        if (group * multiple <= kFusedMaxRowsMultiple && items >= 8LL * workers &&
            (!masked || 16LL * rows <= visibleSpan)) {
            return rows;
        }
    }
    return queryBlock;
}

int fusedQueryBlock(CpuIsa isa)
{
    return kernelFor(isa).queryBlock;
}

Result<void> fusedAttention(const LayerQkv& qkv, float* output, float* lse, const FusedAttentionOptions& options)
{
    ATTNSCOPE_TRY(validateLayerQkv(qkv));
    const FusedKernel kernel = kernelFor(fusedAttentionIsa(resolveIsa(activeCpuIsa(), options.isa), qkv.headDim));
    // A requested size is capped at the whole sequence (so rounding it up cannot overflow).
    const int requestedRows = std::min(options.rowsPerItem, qkv.nTokens);
    const int rowsPerItem = requestedRows > 0
                                ? (requestedRows + kernel.queryBlock - 1) / kernel.queryBlock * kernel.queryBlock
                                : denseRowsPerItem(qkv, kernel.queryBlock, options.threads);
    const int itemsPerHead = (qkv.nTokens + rowsPerItem - 1) / rowsPerItem;
    // Items run last query rows first: under a causal mask those are the most expensive, and
    // handing them out first keeps the threads' finishing times close.
    return runFusedItems(qkv, kernel, output, lse, options.threads, rowsPerItem,
                         static_cast<std::int64_t>(qkv.nKvHeads) * itemsPerHead,
                         [&](const FusedProblem& problem, std::int64_t item, float* scratch) {
                             const int rowBegin = (itemsPerHead - 1 - static_cast<int>(item / qkv.nKvHeads)) * rowsPerItem;
                             kernel.runBlock(problem, static_cast<int>(item % qkv.nKvHeads), rowBegin,
                                             std::min(rowsPerItem, qkv.nTokens - rowBegin), scratch);
                         });
}

Result<void> blockSparseAttention(const LayerQkv& qkv, const BlockSparseLayout& layout, float* output, float* lse,
                                  const FusedAttentionOptions& options)
{
    ATTNSCOPE_TRY(validateLayerQkv(qkv));
    ATTNSCOPE_TRY(validateLayout(qkv, layout));
    const FusedKernel kernel = kernelFor(fusedAttentionIsa(resolveIsa(activeCpuIsa(), options.isa), qkv.headDim));
    BlockSparsePlan plan;
    plan.blockSize = layout.blockSize;
    plan.blocks = (qkv.nTokens + layout.blockSize - 1) / layout.blockSize;
    plan.perHead = layout.perHead;
    plan.rowPtr = layout.rowPtr.data();
    plan.keyBlocks = layout.keyBlocks.data();
    // A layout block taller than the kernel's query block is split into equal chunks.
    const int chunksPerBlock = (layout.blockSize + kernel.queryBlock - 1) / kernel.queryBlock;
    const int chunkRows = (layout.blockSize + chunksPerBlock - 1) / chunksPerBlock;
    const std::int64_t chunks = static_cast<std::int64_t>(plan.blocks) * chunksPerBlock;
    return runFusedItems(qkv, kernel, output, lse, options.threads, kernel.queryBlock, qkv.nKvHeads * chunks,
                         [&](const FusedProblem& problem, std::int64_t item, float* scratch) {
                             // Last chunk first, as in fusedAttention.
                             const std::int64_t chunk = chunks - 1 - item / qkv.nKvHeads;
                             const int block = static_cast<int>(chunk / chunksPerBlock);
                             const int rowBegin =
                                 block * layout.blockSize + static_cast<int>(chunk % chunksPerBlock) * chunkRows;
                             const int blockEnd = std::min(qkv.nTokens, (block + 1) * layout.blockSize);
                             const int rows = std::min(chunkRows, blockEnd - rowBegin);
                             if (rows > 0) {
                                 kernel.runSparseChunk(problem, plan, static_cast<int>(item % qkv.nKvHeads), block,
                                                       rowBegin, rows, scratch);
                             }
                         });
}

namespace {

// One thread's buffers for gathered rows, reused across chunks and calls.
struct GatherBuffers {
    std::vector<std::int32_t> slot;  // [N] key → its place in the union, −1 when not in it
    std::vector<std::int32_t> keys;  // the union of the chunk's kept keys, ascending
    std::vector<unsigned char> keep; // [rows][union] 1 where the row keeps the key
    AttentionScratch packedKeys;
    AttentionScratch values;
    std::vector<float> lse;
    std::vector<std::int64_t> cursor;
};

} // namespace

bool gatheredSparseRows(const HeadInput& input, const KeptSet& set, int rowBegin, int rowEnd, float* output,
                        float* weights, CpuIsa isa)
{
    const int rows = rowEnd - rowBegin;
    const int d = input.headDim;
    const FusedKernel kernel = kernelFor(fusedAttentionIsa(isa, d));
    const std::int64_t pairs =
        set.rowPtr[static_cast<std::size_t>(rowEnd)] - set.rowPtr[static_cast<std::size_t>(rowBegin)];
    if (rows <= 0 || rows > kernel.queryBlock || pairs == 0) {
        return false;
    }
    thread_local GatherBuffers buffers;
    if (buffers.slot.size() < static_cast<std::size_t>(input.nTokens)) {
        buffers.slot.assign(static_cast<std::size_t>(input.nTokens), -1);
    }
    const std::int32_t* cols = set.cols.data() + set.rowPtr[static_cast<std::size_t>(rowBegin)];
    // Stops as soon as the union outgrows what the density floor allows: rows that share few
    // keys pay for a fraction of one pass over their pairs, not for the whole union.
    const auto maxUnion = static_cast<std::size_t>(static_cast<double>(pairs) / (kGatheredMinDensity * rows));
    buffers.keys.clear();
    for (std::int64_t index = 0; index < pairs && buffers.keys.size() <= maxUnion; ++index) {
        std::int32_t& slot = buffers.slot[static_cast<std::size_t>(cols[index])];
        if (slot < 0) {
            slot = 0;
            buffers.keys.push_back(cols[index]);
        }
    }
    const int unionSize = static_cast<int>(buffers.keys.size());
    const bool worthIt = buffers.keys.size() <= maxUnion;
    if (worthIt) {
        std::sort(buffers.keys.begin(), buffers.keys.end());
        for (int place = 0; place < unionSize; ++place) {
            buffers.slot[static_cast<std::size_t>(buffers.keys[static_cast<std::size_t>(place)])] = place;
        }
        buffers.keep.assign(static_cast<std::size_t>(rows) * unionSize, 0);
        for (int row = 0; row < rows; ++row) {
            for (std::int64_t index = set.rowPtr[static_cast<std::size_t>(rowBegin + row)];
                 index < set.rowPtr[static_cast<std::size_t>(rowBegin + row) + 1]; ++index) {
                const std::int32_t key = set.cols[static_cast<std::size_t>(index)];
                buffers.keep[static_cast<std::size_t>(row) * unionSize + buffers.slot[static_cast<std::size_t>(key)]] = 1;
            }
        }
    }
    for (const std::int32_t key : buffers.keys) {
        buffers.slot[static_cast<std::size_t>(key)] = -1;
    }
    if (!worthIt) {
        return false;
    }

    const int tiles = (unionSize + kernel.keyBlock - 1) / kernel.keyBlock;
    const std::size_t tileFloats = static_cast<std::size_t>(d) * kernel.keyBlock;
    buffers.packedKeys.resize(static_cast<std::size_t>(tiles) * tileFloats);
    for (int tile = 0; tile < tiles; ++tile) {
        kernel.packKeyTile(input.k, d, buffers.keys.data(), unionSize, d, tile,
                           buffers.packedKeys.data() + static_cast<std::size_t>(tile) * tileFloats);
    }
    buffers.values.resize(static_cast<std::size_t>(unionSize) * d);
    for (int place = 0; place < unionSize; ++place) {
        const float* row = input.v + static_cast<std::size_t>(buffers.keys[static_cast<std::size_t>(place)]) * d;
        std::copy(row, row + d, buffers.values.data() + static_cast<std::size_t>(place) * d);
    }
    buffers.lse.resize(static_cast<std::size_t>(rows));
    buffers.cursor.assign(set.rowPtr.begin() + rowBegin, set.rowPtr.begin() + rowEnd);

    FusedProblem problem;
    DenseAttnParams& attn = problem.attn;
    attn.q = input.q + static_cast<std::size_t>(rowBegin) * d;
    attn.v = buffers.values.data();
    attn.out = output + static_cast<std::size_t>(rowBegin) * d;
    attn.lse = buffers.lse.data();
    attn.qRowStride = attn.kRowStride = attn.vRowStride = attn.outRowStride = d;
    attn.nHeads = attn.nKvHeads = 1;
    attn.nTokens = unionSize;
    attn.headDim = d;
    attn.scale = input.scale;
    attn.softcap = input.softcap;
    attn.causal = false; // the kept set already holds only keys the model allows
    problem.packedKeys = buffers.packedKeys.data();
    problem.scratchRows = kernel.queryBlock;
    float* scratch = threadScratch(fusedScratchLayout(kernel.queryBlock, kernel.keyBlock, 1, d).total);
    kernel.runGatheredRows(problem, rows, RowKeyMask{buffers.keep.data(), unionSize}, weights,
                           weights != nullptr ? buffers.cursor.data() : nullptr, scratch);
    return true;
}

void fusedAttentionExp(CpuIsa isa, const float* in, float* out, std::size_t count)
{
    kernelFor(resolveIsa(widestIsa(cpuFeatures()), isa)).exp(in, out, count);
}

} // namespace attnscope::attn

#include "attention/fused_attention_kernel.h"

#include "attention/fused_attention_isa.h"
#include "model/dense_attention.h"
#include "util/parallel.h"

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

Result<void> fusedAttention(const LayerQkv& qkv, float* output, float* lse, const FusedAttentionOptions& options)
{
    ATTNSCOPE_TRY(validateLayerQkv(qkv));
    if (output == nullptr) {
        return makeError(ErrorCode::InvalidArgument, "fused attention needs an output buffer",
                         "layer " + std::to_string(qkv.layer));
    }
    const CpuIsa isa = fusedAttentionIsa(resolveIsa(activeCpuIsa(), options.isa), qkv.headDim);
    const FusedKernel kernel = kernelFor(isa);
    const int tilesPerHead = (qkv.nTokens + kernel.keyBlock - 1) / kernel.keyBlock;
    const int queryBlocks = (qkv.nTokens + kernel.queryBlock - 1) / kernel.queryBlock;
    const int group = qkv.nHeads / qkv.nKvHeads;
    const std::size_t tileFloats = static_cast<std::size_t>(qkv.headDim) * kernel.keyBlock;
    const std::size_t scratchFloats =
        fusedScratchLayout(kernel.queryBlock, kernel.keyBlock, group, qkv.headDim).total;
    try {
        FusedProblem problem;
        DenseAttnParams& attn = problem.attn;
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

        // Keys transposed once per KV head (O(N·d), like K itself) so that the score micro-kernel
        // loads contiguous vectors of keys; every query head of the group reuses them.
        AttentionScratch packedKeys(static_cast<std::size_t>(qkv.nKvHeads) * tilesPerHead * tileFloats);
        parallelFor(
            static_cast<std::int64_t>(qkv.nKvHeads) * tilesPerHead,
            [&](std::int64_t item) {
                const int kvHead = static_cast<int>(item / tilesPerHead);
                const int tile = static_cast<int>(item % tilesPerHead);
                kernel.packKeyTile(attn.k + kvHead * attn.kHeadStride, attn.kRowStride, qkv.nTokens, qkv.headDim,
                                   tile, packedKeys.data() + static_cast<std::size_t>(item) * tileFloats);
            },
            options.threads);
        problem.packedKeys = packedKeys.data();

        // Items run last query block first: under a causal mask those are the most expensive,
        // and handing them out first keeps the threads' finishing times close.
        std::atomic<bool> outOfMemory{false};
        parallelFor(
            static_cast<std::int64_t>(qkv.nKvHeads) * queryBlocks,
            [&](std::int64_t item) {
                const int block = queryBlocks - 1 - static_cast<int>(item / qkv.nKvHeads);
                const int kvHead = static_cast<int>(item % qkv.nKvHeads);
                float* scratch = nullptr;
                try {
                    scratch = threadScratch(scratchFloats);
                } catch (const std::bad_alloc&) {
                    outOfMemory.store(true, std::memory_order_relaxed);
                    return;
                }
                kernel.runBlock(problem, kvHead, block, scratch);
            },
            options.threads);
        if (outOfMemory.load()) {
            throw std::bad_alloc();
        }
    } catch (const std::bad_alloc&) {
        return makeError(ErrorCode::OutOfMemory, "out of memory in fused attention",
                         "layer " + std::to_string(qkv.layer));
    }
    return okResult();
}

void fusedAttentionExp(CpuIsa isa, const float* in, float* out, std::size_t count)
{
    kernelFor(resolveIsa(widestIsa(cpuFeatures()), isa)).exp(in, out, count);
}

} // namespace attnscope::attn

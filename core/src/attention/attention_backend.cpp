#include "attention/attention_backend.h"

#include "backend/cuda/cuda_attention.h"

#include <limits>
#include <string>

namespace attnscope::attn {

namespace {

// Whether this head may try CUDA at all: not when the caller asked for the CPU, and not for a
// hand-built input (no LayerQkv to upload from).
bool cudaSelected(const HeadInput& input, const VariantRunOptions& options)
{
    return options.backend == VariantBackend::Auto && input.layerQkv != nullptr;
}

void recordFallback(VariantStats& stats, std::string reason)
{
    if (stats.backendFallbackReason.empty()) {
        stats.backendFallbackReason = std::move(reason);
    }
}

} // namespace

bool sparseAttentionOnCuda(const HeadInput& input, const KeptSet& set, const VariantRunOptions& options,
                           std::vector<float>& output, std::vector<float>& weights, VariantStats& stats)
{
    if (!cudaSelected(input, options)) {
        return false;
    }
    // Asked first so that a machine without a GPU pays nothing for the int32 copy below.
    if (const Result<void> supported = checkCudaAttentionSupported(*input.layerQkv); !supported.ok()) {
        recordFallback(stats, supported.error().describe());
        return false;
    }
    // The CPU keeps int64 row offsets; the kernels index entries with int32.
    if (!set.rowPtr.empty() && set.rowPtr.back() > std::numeric_limits<std::int32_t>::max()) {
        recordFallback(stats, "the kept set holds " + std::to_string(set.rowPtr.back()) +
                                  " entries, beyond the CUDA kernels' 32-bit CSR indexing");
        return false;
    }
    const std::vector<std::int32_t> rowPtr(set.rowPtr.begin(), set.rowPtr.end());
    const Result<void> run = runSparseAttentionCuda(*input.layerQkv, input.head, rowPtr, set.cols, output, weights);
    if (!run.ok()) {
        recordFallback(stats, run.error().describe());
        return false;
    }
    if (!options.keepAttention) {
        weights.clear();
    }
    return true;
}

std::optional<KeptSet> topkSetOnCuda(const HeadInput& input, long long k, const VariantRunOptions& options,
                                     VariantStats& stats)
{
    if (!cudaSelected(input, options)) {
        return std::nullopt;
    }
    KeptSet set;
    const Result<void> run = runTopkSelectCuda(*input.layerQkv, input.head, k, set.rowPtr, set.cols);
    if (!run.ok()) {
        recordFallback(stats, run.error().describe());
        return std::nullopt;
    }
    return set;
}

} // namespace attnscope::attn

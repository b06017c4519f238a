#include "attention/attention_backend.h"

#include "backend/cuda/cuda_attention.h"
#include "backend/cuda/cuda_feature_maps.h"
#include "backend/cuda/cuda_host_common.h"
#include "backend/cuda/cuda_sbm.h"
#include "backend/cuda/cuda_block_sparse.h"

#include <algorithm>
#include <limits>
#include <span>
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

BlockMaskCsr blockMaskCsr(const std::vector<std::uint8_t>& blockMask, int blocks)
{
    BlockMaskCsr csr;
    csr.rowPtr.assign(static_cast<std::size_t>(std::max(blocks, 0)) + 1, 0);
    for (int queryBlock = 0; queryBlock < blocks; ++queryBlock) {
        const std::uint8_t* row = blockMask.data() + static_cast<std::size_t>(queryBlock) * blocks;
        for (int keyBlock = 0; keyBlock < blocks; ++keyBlock) {
            if (row[keyBlock] != 0) {
                csr.cols.push_back(keyBlock);
            }
        }
        csr.rowPtr[static_cast<std::size_t>(queryBlock) + 1] = static_cast<std::int64_t>(csr.cols.size());
    }
    return csr;
}

bool blockSparseAttentionOnCuda(const HeadInput& input, const std::vector<std::uint8_t>& blockMask, int blockSize,
                                const VariantRunOptions& options, std::vector<float>& output, VariantStats& stats)
{
    if (options.keepAttention || !cudaSelected(input, options)) {
        return false;
    }
    if (const Result<void> supported = checkCudaAttentionSupported(*input.layerQkv); !supported.ok()) {
        recordFallback(stats, supported.error().describe());
        return false;
    }
    const int blocks = blockSize > 0 ? (input.nTokens + blockSize - 1) / blockSize : 0;
    if (blockMask.size() != static_cast<std::size_t>(blocks) * blocks) {
        recordFallback(stats, "the block mask does not hold blocks x blocks entries");
        return false;
    }
    const BlockMaskCsr csr = blockMaskCsr(blockMask, blocks);
    if (csr.rowPtr.back() > std::numeric_limits<std::int32_t>::max()) {
        recordFallback(stats, "the block mask keeps " + std::to_string(csr.rowPtr.back()) +
                                  " blocks, beyond the CUDA kernels' 32-bit indexing");
        return false;
    }
    const std::vector<std::int32_t> rowPtr(csr.rowPtr.begin(), csr.rowPtr.end());
    std::vector<float> lse;
    const Result<void> run =
        runBlockSparseAttentionCuda(*input.layerQkv, input.head, blockSize, rowPtr, csr.cols, output, lse);
    if (!run.ok()) {
        recordFallback(stats, run.error().describe());
        return false;
    }
    return true;
}

namespace {

// The shared steps of the selections below: CUDA selected, run(rowPtr, cols), the set or the reason.
template <typename Run>
std::optional<KeptSet> keptSetOnCuda(const HeadInput& input, const VariantRunOptions& options, VariantStats& stats,
                                     Run run)
{
    if (!cudaSelected(input, options)) {
        return std::nullopt;
    }
    KeptSet set;
    const Result<void> result = run(set.rowPtr, set.cols);
    if (!result.ok()) {
        recordFallback(stats, result.error().describe());
        return std::nullopt;
    }
    return set;
}

} // namespace

std::optional<KeptSet> thresholdSetOnCuda(const HeadInput& input, bool byProbability, double delta,
                                          double minProbability, const VariantRunOptions& options,
                                          VariantStats& stats)
{
    return keptSetOnCuda(input, options, stats, [&](std::vector<std::int64_t>& rowPtr, std::vector<std::int32_t>& cols) {
        return runThresholdSelectCuda(*input.layerQkv, input.head, byProbability, delta, minProbability, rowPtr, cols);
    });
}

std::optional<KeptSet> lowRankSetOnCuda(const HeadInput& input, const LowRankSelection& selection,
                                        const VariantRunOptions& options, VariantStats& stats)
{
    return keptSetOnCuda(input, options, stats, [&](std::vector<std::int64_t>& rowPtr, std::vector<std::int32_t>& cols) {
        return runLowRankSelectCuda(*input.layerQkv, input.head, selection, rowPtr, cols);
    });
}

std::optional<KeptSet> sacProxySetOnCuda(const HeadInput& input, const SacProxySelection& selection,
                                         const VariantRunOptions& options, VariantStats& stats)
{
    return keptSetOnCuda(input, options, stats, [&](std::vector<std::int64_t>& rowPtr, std::vector<std::int32_t>& cols) {
        return runSacProxySelectCuda(*input.layerQkv, input.head, selection, rowPtr, cols);
    });
}

bool sbmCudaUsable(const HeadInput& input, const VariantRunOptions& options, VariantStats& stats)
{
    if (!cudaSelected(input, options)) {
        return false;
    }
    if (const Result<void> supported = checkCudaAttentionSupported(*input.layerQkv); !supported.ok()) {
        recordFallback(stats, supported.error().describe());
        return false;
    }
    return true;
}

bool sbmAssignOnCuda(const HeadInput& input, const VariantRunOptions& options, const float* points, int count,
                     int dim, const float* centroids, int clusters, std::vector<float>& logits,
                     std::vector<std::int32_t>& assignment, VariantStats& stats)
{
    if (!sbmCudaUsable(input, options, stats)) {
        return false;
    }
    const Result<void> run = runSbmAssignCuda(
        std::span<const float>(points, static_cast<std::size_t>(count) * static_cast<std::size_t>(dim)), count, dim,
        std::span<const float>(centroids, static_cast<std::size_t>(clusters) * static_cast<std::size_t>(dim)),
        clusters, logits, assignment, cuda_host::layerContext(*input.layerQkv, input.head));
    if (!run.ok()) {
        recordFallback(stats, run.error().describe());
        return false;
    }
    return true;
}

std::optional<KeptSet> sbmSampleOnCuda(const HeadInput& input, const VariantRunOptions& options,
                                       const SbmSampleRequest& request, VariantStats& stats)
{
    if (!cudaSelected(input, options)) {
        return std::nullopt;
    }
    KeptSet set;
    const Result<void> run =
        runSbmSampleCuda(request, set.rowPtr, set.cols, cuda_host::layerContext(*input.layerQkv, input.head));
    if (!run.ok()) {
        recordFallback(stats, run.error().describe());
        return std::nullopt;
    }
    return set;
}

bool performerFeaturesOnCuda(const HeadInput& input, const float* projection, int features,
                             const std::vector<float>& keyMean, const VariantRunOptions& options,
                             std::vector<float>& queryFeatures, std::vector<float>& keyFeatures, VariantStats& stats)
{
    if (!cudaSelected(input, options)) {
        return false;
    }
    const std::span<const float> omega(projection, static_cast<std::size_t>(std::max(features, 0)) * input.headDim);
    const Result<void> run =
        runPerformerFeaturesCuda(*input.layerQkv, input.head, omega, features, keyMean, queryFeatures, keyFeatures);
    if (!run.ok()) {
        recordFallback(stats, run.error().describe());
        return false;
    }
    return true;
}

bool performerAttentionOnCuda(const HeadInput& input, const float* projection, int features,
                              const VariantRunOptions& options, std::vector<float>& output,
                              std::vector<double>& denominators, std::vector<float>* queryFeatures,
                              std::vector<float>* keyFeatures, VariantStats& stats)
{
    if (!cudaSelected(input, options)) {
        return false;
    }
    const std::span<const float> omega(projection, static_cast<std::size_t>(std::max(features, 0)) * input.headDim);
    const Result<void> run = runPerformerAttentionCuda(*input.layerQkv, input.head, omega, features, output,
                                                       denominators, queryFeatures, keyFeatures);
    if (!run.ok()) {
        recordFallback(stats, run.error().describe());
        return false;
    }
    return true;
}

bool fastmaxAttentionOnCuda(const HeadInput& input, const double* queries, const double* keys, int order,
                            const VariantRunOptions& options, std::vector<float>& output,
                            std::vector<double>& denominators, VariantStats& stats)
{
    if (!cudaSelected(input, options)) {
        return false;
    }
    const std::size_t values = static_cast<std::size_t>(input.nTokens) * input.headDim;
    const Result<void> run = runFastmaxAttentionCuda(*input.layerQkv, input.head, std::span(queries, values),
                                                     std::span(keys, values), order, output, denominators);
    if (!run.ok()) {
        recordFallback(stats, run.error().describe());
        return false;
    }
    return true;
}

} // namespace attnscope::attn

// Host glue of the sbm kernels: checks, byte counts, uploads, launch, download (DESIGN.md §7.7:
// every runtime call is checked and becomes an Error here).

#include "backend/cuda/cuda_sbm.h"

#include <limits>

#include "backend/cuda/cuda_device.h"
#include "backend/cuda/cuda_host_common.h"
#include "backend/cuda/device_memory_budget.h"

#include "attnscope_kernels/sbm_params.h"

#if ATTNSCOPE_HAVE_CUDA
#include "attnscope_kernels/launch.h"
#include "backend/cuda/cuda_check.h"
#include "backend/cuda/device_buffer.h"
#endif

namespace attnscope {

namespace {

Error badRequest(const std::string& what, const std::string& context)
{
    return makeError(ErrorCode::InvalidArgument, "sbm sampling request: " + what, context, "sbm_request");
}

} // namespace

Result<void> checkSbmSampleRequest(const SbmSampleRequest& request, const std::string& context)
{
    if (request.nTokens < 0 || request.clusters <= 0) {
        return badRequest("needs nTokens >= 0 and clusters >= 1", context);
    }
    const auto n = static_cast<std::size_t>(request.nTokens);
    const auto k = static_cast<std::size_t>(request.clusters);
    if (request.prefix.size() != k * (n + 1) || request.aliasKeep.size() != n * k ||
        request.aliasIndex.size() != n * k || request.drawCounts.size() != n) {
        return badRequest("array sizes disagree with nTokens = " + std::to_string(n) + " and clusters = " +
                              std::to_string(k),
                          context);
    }
    for (const std::int32_t draws : request.drawCounts) {
        if (draws < 0) {
            return badRequest("negative draw count", context);
        }
    }
    for (const std::int32_t alias : request.aliasIndex) {
        if (alias < 0 || static_cast<std::size_t>(alias) >= k) {
            return badRequest("alias entry " + std::to_string(alias) + " outside [0, " + std::to_string(k) + ")",
                              context);
        }
    }
    if (!(request.floor >= 0.0 && request.floor <= 1.0)) {
        return badRequest("floor outside [0, 1]", context);
    }
    if (request.floor > 0.0 && request.floor < 1.0 && !(request.logSkip < 0.0)) {
        return badRequest("logSkip must be log1p(-floor) < 0", context);
    }
    if (sbmSampleSharedBytes(request.nTokens) > kSbmMaxSharedBytes) {
        return makeError(ErrorCode::Unsupported,
                         "sbm sampling on CUDA keeps a row's keys in shared memory: at most " +
                             std::to_string(kSbmMaxSharedBytes * 8) + " keys per row, this text has " +
                             std::to_string(request.nTokens),
                         context, "sbm_row_length");
    }
    return okResult();
}

#if ATTNSCOPE_HAVE_CUDA

Result<void> runSbmAssignCuda(std::span<const float> points, int count, int dim, std::span<const float> centroids,
                              int clusters, std::vector<float>& logits, std::vector<std::int32_t>& assignment,
                              const std::string& context)
{
    if (!cudaBackendUsable()) {
        return cuda_host::unavailableError();
    }
    if (count < 0 || dim <= 0 || clusters <= 0 ||
        points.size() != static_cast<std::size_t>(count) * static_cast<std::size_t>(dim) ||
        centroids.size() != static_cast<std::size_t>(clusters) * static_cast<std::size_t>(dim)) {
        return makeError(ErrorCode::InvalidArgument, "sbm k-means assignment: sizes disagree with the counts",
                         context, "sbm_request");
    }
    const std::size_t logitCount = static_cast<std::size_t>(count) * static_cast<std::size_t>(clusters);
    logits.assign(logitCount, 0.0f);
    assignment.assign(static_cast<std::size_t>(count), 0);
    if (count == 0) {
        return okResult();
    }
    ATTNSCOPE_TRY(checkDeviceMemory(sbmAssignDeviceBytes(count, dim, clusters), cudaFreeMemoryBytes(),
                                    "sbm k-means assignment of " + std::to_string(count) + " points",
                                    context));
    ATTNSCOPE_TRY(cuda_host::selectDevice());
    auto pointsDevice = DeviceBuffer<float>::fromHost(points.data(), points.size());
    ATTNSCOPE_TRY(pointsDevice);
    auto centroidsDevice = DeviceBuffer<float>::fromHost(centroids.data(), centroids.size());
    ATTNSCOPE_TRY(centroidsDevice);
    auto logitsDevice = DeviceBuffer<float>::allocate(logitCount);
    ATTNSCOPE_TRY(logitsDevice);
    auto assignmentDevice = DeviceBuffer<std::int32_t>::allocate(assignment.size());
    ATTNSCOPE_TRY(assignmentDevice);

    SbmAssignParams params;
    params.points = pointsDevice->data();
    params.centroids = centroidsDevice->data();
    params.logits = logitsDevice->data();
    params.assignment = assignmentDevice->data();
    params.pointCount = count;
    params.dim = dim;
    params.clusters = clusters;
    ATTNSCOPE_CUDA_CHECK(static_cast<cudaError_t>(launchSbmAssign(params, nullptr)));
    ATTNSCOPE_CUDA_CHECK(cudaDeviceSynchronize());
    ATTNSCOPE_TRY(logitsDevice->toHost(logits.data(), logits.size()));
    ATTNSCOPE_TRY(assignmentDevice->toHost(assignment.data(), assignment.size()));
    return okResult();
}

Result<void> runSbmSampleCuda(const SbmSampleRequest& request, std::vector<std::int64_t>& rowPtr,
                              std::vector<std::int32_t>& cols, const std::string& context)
{
    if (!cudaBackendUsable()) {
        return cuda_host::unavailableError();
    }
    ATTNSCOPE_TRY(checkSbmSampleRequest(request, context));
    const auto n = static_cast<std::size_t>(request.nTokens);
    rowPtr.assign(n + 1, 0);
    cols.clear();
    if (n == 0) {
        return okResult();
    }
    ATTNSCOPE_TRY(checkDeviceMemory(sbmSampleDeviceBytes(request.nTokens, request.clusters, 0), cudaFreeMemoryBytes(),
                                    "sbm sampling over " + std::to_string(n) + " tokens", context));
    ATTNSCOPE_TRY(cuda_host::selectDevice());
    auto prefix = DeviceBuffer<double>::fromHost(request.prefix.data(), request.prefix.size());
    ATTNSCOPE_TRY(prefix);
    auto aliasKeep = DeviceBuffer<double>::fromHost(request.aliasKeep.data(), request.aliasKeep.size());
    ATTNSCOPE_TRY(aliasKeep);
    auto aliasIndex = DeviceBuffer<std::int32_t>::fromHost(request.aliasIndex.data(), request.aliasIndex.size());
    ATTNSCOPE_TRY(aliasIndex);
    auto drawCounts = DeviceBuffer<std::int32_t>::fromHost(request.drawCounts.data(), request.drawCounts.size());
    ATTNSCOPE_TRY(drawCounts);
    auto rowCounts = DeviceBuffer<std::int32_t>::allocate(n);
    ATTNSCOPE_TRY(rowCounts);

    SbmSampleParams params;
    params.prefix = prefix->data();
    params.aliasKeep = aliasKeep->data();
    params.aliasIndex = aliasIndex->data();
    params.drawCount = drawCounts->data();
    params.rowCounts = rowCounts->data();
    params.clusterKey = request.clusterKey;
    params.targetKey = request.targetKey;
    params.floorKey = request.floorKey;
    params.floorMode = request.floor <= 0.0 ? kSbmFloorNone : request.floor >= 1.0 ? kSbmFloorEvery : kSbmFloorGeometric;
    params.logSkip = request.logSkip;
    params.nTokens = request.nTokens;
    params.clusters = request.clusters;
    params.causal = request.causal;
    params.slidingWindow = request.slidingWindow;

    // Count pass, then the offsets on the host (int64, checked against the kernels' int32 CSR).
    ATTNSCOPE_CUDA_CHECK(static_cast<cudaError_t>(launchSbmSample(params, nullptr)));
    ATTNSCOPE_CUDA_CHECK(cudaDeviceSynchronize());
    std::vector<std::int32_t> counts(n);
    ATTNSCOPE_TRY(rowCounts->toHost(counts.data(), n));
    for (std::size_t row = 0; row < n; ++row) {
        rowPtr[row + 1] = rowPtr[row] + counts[row];
    }
    if (rowPtr.back() > std::numeric_limits<std::int32_t>::max()) {
        return makeError(ErrorCode::InvalidArgument,
                         "the sampled mask holds " + std::to_string(rowPtr.back()) +
                             " entries, beyond the CUDA kernels' 32-bit CSR indexing",
                         context, "csr_too_large");
    }
    const auto entries = static_cast<std::size_t>(rowPtr.back());
    cols.assign(entries, 0);
    if (entries == 0) {
        return okResult();
    }
    ATTNSCOPE_TRY(checkDeviceMemory(sbmSampleDeviceBytes(request.nTokens, request.clusters, entries) -
                                        sbmSampleDeviceBytes(request.nTokens, request.clusters, 0),
                                    cudaFreeMemoryBytes(), "sbm mask of " + std::to_string(entries) + " entries",
                                    context));
    const std::vector<std::int32_t> rowPtr32(rowPtr.begin(), rowPtr.end());
    auto rowPtrDevice = DeviceBuffer<std::int32_t>::fromHost(rowPtr32.data(), rowPtr32.size());
    ATTNSCOPE_TRY(rowPtrDevice);
    auto colsDevice = DeviceBuffer<std::int32_t>::allocate(entries);
    ATTNSCOPE_TRY(colsDevice);

    // Write pass: the same draws (counter-based), the keys at their offsets.
    params.rowPtr = rowPtrDevice->data();
    params.colIdx = colsDevice->data();
    params.rowCounts = nullptr;
    ATTNSCOPE_CUDA_CHECK(static_cast<cudaError_t>(launchSbmSample(params, nullptr)));
    ATTNSCOPE_CUDA_CHECK(cudaDeviceSynchronize());
    ATTNSCOPE_TRY(colsDevice->toHost(cols.data(), entries));
    return okResult();
}

#else // !ATTNSCOPE_HAVE_CUDA

Result<void> runSbmAssignCuda(std::span<const float>, int, int, std::span<const float>, int, std::vector<float>&,
                              std::vector<std::int32_t>&, const std::string&)
{
    return cuda_host::unavailableError();
}

Result<void> runSbmSampleCuda(const SbmSampleRequest&, std::vector<std::int64_t>&, std::vector<std::int32_t>&,
                              const std::string&)
{
    return cuda_host::unavailableError();
}

#endif // ATTNSCOPE_HAVE_CUDA

} // namespace attnscope

// Host glue of the feature-map kernels: checks, uploads, the chunk loop of the linear attention,
// download. Every runtime call is checked and converted to an Error here (DESIGN.md §7.7).

#include "backend/cuda/cuda_feature_maps.h"

#include <algorithm>
#include <limits>
#include <string>

#include "attnscope_kernels/feature_map_math.h"
#include "backend/cuda/cuda_device.h"
#include "backend/cuda/cuda_host_common.h"
#include "backend/cuda/device_memory_budget.h"
#include "model/layer_qkv.h"

#if ATTNSCOPE_HAVE_CUDA
#include "attnscope_kernels/launch_feature_map.h"
#include "backend/cuda/cuda_check.h"
#include "backend/cuda/device_buffer.h"
#endif

namespace attnscope {

using cuda_host::layerContext;

namespace {

// Argument checks that need no device (also run in a build without CUDA, after the selector).
Result<void> checkPerformerArguments(const LayerQkv& qkv, int head, std::span<const float> projection, int features,
                                     std::span<const float> keyMean)
{
    const std::string context = layerContext(qkv, head);
    if (features < 1) {
        return makeError(ErrorCode::InvalidArgument, "performer features must be at least 1", context);
    }
    if (projection.size() != static_cast<std::size_t>(features) * static_cast<std::size_t>(qkv.headDim)) {
        return makeError(ErrorCode::InvalidArgument, "the projection must hold features x headDim values", context);
    }
    if (!keyMean.empty() && keyMean.size() != static_cast<std::size_t>(qkv.headDim)) {
        return makeError(ErrorCode::InvalidArgument, "the key mean must hold headDim values", context);
    }
    return okResult();
}

} // namespace

#if ATTNSCOPE_HAVE_CUDA

Result<void> checkCudaFeatureMapsSupported(const LayerQkv& qkv, int head)
{
    if (!cudaBackendUsable()) {
        return cuda_host::unavailableError();
    }
    ATTNSCOPE_TRY(cuda_host::checkShapes(qkv));
    ATTNSCOPE_TRY(cuda_host::checkHead(qkv, head));
    if (qkv.headDim > kFeatureMapMaxHeadDim) {
        return makeError(ErrorCode::Unsupported,
                         "head_dim " + std::to_string(qkv.headDim) + " above the feature-map kernels' " +
                             std::to_string(kFeatureMapMaxHeadDim),
                         layerContext(qkv, head), "head_dim");
    }
    return okResult();
}

namespace {

/// Device features of one head's queries and keys ([nTokens, features] each).
struct FeaturesOnDevice {
    DeviceBuffer<float> query;
    DeviceBuffer<float> key;
};

Result<FeaturesOnDevice> performerFeaturesOnDevice(const LayerQkv& qkv, const cuda_host::HeadQkvOnDevice& head,
                                                   std::span<const float> projection, int features,
                                                   std::span<const float> keyMean)
{
    const int n = qkv.nTokens;
    const int d = qkv.headDim;
    // ω transposed, [d, m]: the logits kernel's threads (one per feature) then read along a row.
    std::vector<float> projectionT(projection.size());
    for (int feature = 0; feature < features; ++feature) {
        for (int dim = 0; dim < d; ++dim) {
            projectionT[static_cast<std::size_t>(dim) * features + feature] =
                projection[static_cast<std::size_t>(feature) * d + dim];
        }
    }
    auto projectionDevice = DeviceBuffer<float>::fromHost(projectionT.data(), projectionT.size());
    ATTNSCOPE_TRY(projectionDevice);
    auto meanDevice = DeviceBuffer<float>::fromHost(keyMean.data(), keyMean.size());
    ATTNSCOPE_TRY(meanDevice);
    const std::size_t values = static_cast<std::size_t>(n) * features;
    FeaturesOnDevice result;
    auto query = DeviceBuffer<float>::allocate(values);
    ATTNSCOPE_TRY(query);
    result.query = std::move(*query);
    auto key = DeviceBuffer<float>::allocate(values);
    ATTNSCOPE_TRY(key);
    result.key = std::move(*key);
    auto rowMax = DeviceBuffer<float>::allocate(static_cast<std::size_t>(n) + 1);
    ATTNSCOPE_TRY(rowMax);

    for (const bool isQuery : {true, false}) {
        PerformerLogitsParams logits;
        logits.x = isQuery ? head.q : head.k;
        logits.mean = !isQuery && !keyMean.empty() ? meanDevice->data() : nullptr;
        logits.projectionT = projectionDevice->data();
        logits.logits = isQuery ? result.query.data() : result.key.data();
        logits.rowMax = rowMax->data();
        logits.nRows = n;
        logits.headDim = d;
        logits.features = features;
        logits.scale = qkv.scale;
        ATTNSCOPE_CUDA_CHECK(static_cast<cudaError_t>(launchPerformerLogits(logits, nullptr)));
        PerformerExpParams exp;
        exp.logits = logits.logits;
        exp.rowMax = rowMax->data();
        exp.globalMax = rowMax->data() + n;
        exp.nRows = n;
        exp.features = features;
        exp.perRowShift = isQuery;
        ATTNSCOPE_CUDA_CHECK(static_cast<cudaError_t>(launchPerformerExp(exp, nullptr)));
    }
    // The row maxima are reused between the two passes: wait before rowMax goes out of scope.
    ATTNSCOPE_CUDA_CHECK(cudaDeviceSynchronize());
    return result;
}

/// The linear attention of one head over device features: the host steps the running state's key
/// interval chunk by chunk (linearStateInterval), the kernels add what enters and remove what
/// leaves, then answer the chunk's rows.
Result<void> linearAttentionOnDevice(const LayerQkv& qkv, const float* queryFeatures, const float* keyFeatures,
                                     const float* values, int features, bool positiveOnly, std::vector<float>& out,
                                     std::vector<double>& denominators)
{
    const int n = qkv.nTokens;
    const int d = qkv.headDim;
    auto state = DeviceBuffer<double>::allocate(static_cast<std::size_t>(features) * (static_cast<std::size_t>(d) + 1));
    ATTNSCOPE_TRY(state);
    ATTNSCOPE_CUDA_CHECK(cudaMemset(state->data(), 0, state->size() * sizeof(double)));
    auto outDevice = DeviceBuffer<float>::allocate(out.size());
    ATTNSCOPE_TRY(outDevice);
    auto denominatorsDevice = DeviceBuffer<double>::allocate(denominators.size());
    ATTNSCOPE_TRY(denominatorsDevice);

    LinearAttnParams params;
    params.queryFeatures = queryFeatures;
    params.keyFeatures = keyFeatures;
    params.values = values;
    params.state = state->data();
    params.out = outDevice->data();
    params.denominators = denominatorsDevice->data();
    params.nTokens = n;
    params.headDim = d;
    params.features = features;
    params.causal = qkv.causal;
    params.slidingWindow = qkv.slidingWindow;
    params.positiveOnly = positiveOnly;
    LinearStateStep step;
    for (int rowBegin = 0; rowBegin < n; rowBegin += kLinearAttnChunkRows) {
        const int rowEnd = std::min(n, rowBegin + kLinearAttnChunkRows);
        step = linearStateStep(rowBegin, rowEnd, n, qkv.causal, qkv.slidingWindow, step.stateBegin, step.stateEnd);
        params.addBegin = step.addBegin;
        params.addEnd = step.addEnd;
        params.removeBegin = step.removeBegin;
        params.removeEnd = step.removeEnd;
        ATTNSCOPE_CUDA_CHECK(static_cast<cudaError_t>(launchLinearAttnUpdate(params, nullptr)));
        params.rowBegin = rowBegin;
        params.rowCount = rowEnd - rowBegin;
        params.stateBegin = step.stateBegin;
        params.stateEnd = step.stateEnd;
        ATTNSCOPE_CUDA_CHECK(static_cast<cudaError_t>(launchLinearAttnChunk(params, nullptr)));
    }
    ATTNSCOPE_CUDA_CHECK(cudaDeviceSynchronize());
    ATTNSCOPE_TRY(outDevice->toHost(out.data(), out.size()));
    ATTNSCOPE_TRY(denominatorsDevice->toHost(denominators.data(), denominators.size()));
    return okResult();
}

} // namespace

Result<void> runPerformerFeaturesCuda(const LayerQkv& qkv, int head, std::span<const float> projection, int features,
                                      std::span<const float> keyMean, std::vector<float>& queryFeatures,
                                      std::vector<float>& keyFeatures)
{
    ATTNSCOPE_TRY(checkCudaFeatureMapsSupported(qkv, head));
    ATTNSCOPE_TRY(checkPerformerArguments(qkv, head, projection, features, keyMean));
    const std::size_t values = static_cast<std::size_t>(qkv.nTokens) * features;
    queryFeatures.assign(values, 0.0f);
    keyFeatures.assign(values, 0.0f);
    if (qkv.nTokens == 0) {
        return okResult();
    }
    ATTNSCOPE_TRY(checkDeviceMemory(performerDeviceBytes(qkv.nTokens, qkv.headDim, features, false),
                                    cudaFreeMemoryBytes(),
                                    "Performer features (m = " + std::to_string(features) + ") of " +
                                        std::to_string(qkv.nTokens) + " tokens",
                                    layerContext(qkv, head)));
    ATTNSCOPE_TRY(cuda_host::selectDevice());
    auto headBuffers = cuda_host::uploadHeadQkv(qkv, head, false);
    ATTNSCOPE_TRY(headBuffers);
    auto onDevice = performerFeaturesOnDevice(qkv, *headBuffers, projection, features, keyMean);
    ATTNSCOPE_TRY(onDevice);
    ATTNSCOPE_TRY(onDevice->query.toHost(queryFeatures.data(), values));
    ATTNSCOPE_TRY(onDevice->key.toHost(keyFeatures.data(), values));
    return okResult();
}

Result<void> runPerformerAttentionCuda(const LayerQkv& qkv, int head, std::span<const float> projection, int features,
                                       std::vector<float>& out, std::vector<double>& denominators,
                                       std::vector<float>* queryFeatures, std::vector<float>* keyFeatures)
{
    ATTNSCOPE_TRY(checkCudaFeatureMapsSupported(qkv, head));
    ATTNSCOPE_TRY(checkPerformerArguments(qkv, head, projection, features, {}));
    const std::size_t values = static_cast<std::size_t>(qkv.nTokens) * features;
    out.assign(static_cast<std::size_t>(qkv.nTokens) * qkv.headDim, 0.0f);
    denominators.assign(static_cast<std::size_t>(qkv.nTokens), 0.0);
    for (std::vector<float>* target : {queryFeatures, keyFeatures}) {
        if (target != nullptr) {
            target->assign(values, 0.0f);
        }
    }
    if (qkv.nTokens == 0) {
        return okResult();
    }
    ATTNSCOPE_TRY(checkDeviceMemory(performerDeviceBytes(qkv.nTokens, qkv.headDim, features, true),
                                    cudaFreeMemoryBytes(),
                                    "Performer attention (m = " + std::to_string(features) + ") over " +
                                        std::to_string(qkv.nTokens) + " tokens",
                                    layerContext(qkv, head)));
    ATTNSCOPE_TRY(cuda_host::selectDevice());
    auto headBuffers = cuda_host::uploadHeadQkv(qkv, head, true);
    ATTNSCOPE_TRY(headBuffers);
    auto onDevice = performerFeaturesOnDevice(qkv, *headBuffers, projection, features, {});
    ATTNSCOPE_TRY(onDevice);
    ATTNSCOPE_TRY(linearAttentionOnDevice(qkv, onDevice->query.data(), onDevice->key.data(), headBuffers->v, features,
                                          true, out, denominators));
    if (queryFeatures != nullptr) {
        ATTNSCOPE_TRY(onDevice->query.toHost(queryFeatures->data(), values));
    }
    if (keyFeatures != nullptr) {
        ATTNSCOPE_TRY(onDevice->key.toHost(keyFeatures->data(), values));
    }
    return okResult();
}

Result<void> runFastmaxAttentionCuda(const LayerQkv& qkv, int head, std::span<const double> queries,
                                     std::span<const double> keys, int order, std::vector<float>& out,
                                     std::vector<double>& denominators)
{
    ATTNSCOPE_TRY(checkCudaFeatureMapsSupported(qkv, head));
    const std::string context = layerContext(qkv, head);
    if (order != 1 && order != 2) {
        return makeError(ErrorCode::InvalidArgument, "Fastmax order must be 1 or 2", context);
    }
    const std::size_t perHead = static_cast<std::size_t>(qkv.nTokens) * qkv.headDim;
    if (queries.size() != perHead || keys.size() != perHead) {
        return makeError(ErrorCode::InvalidArgument, "normalised queries and keys must hold nTokens x headDim values",
                         context);
    }
    const long long featureCount = fastmaxFeatureCount(qkv.headDim, order);
    if (featureCount > std::numeric_limits<int>::max()) {
        return makeError(ErrorCode::Unsupported, "Fastmax's order-2 state is too large for head_dim " +
                                                     std::to_string(qkv.headDim),
                         context, "head_dim");
    }
    out.assign(perHead, 0.0f);
    denominators.assign(static_cast<std::size_t>(qkv.nTokens), 0.0);
    if (qkv.nTokens == 0) {
        return okResult();
    }
    ATTNSCOPE_TRY(checkDeviceMemory(fastmaxDeviceBytes(qkv.nTokens, qkv.headDim, order), cudaFreeMemoryBytes(),
                                    "Fastmax attention (order " + std::to_string(order) + ") over " +
                                        std::to_string(qkv.nTokens) + " tokens",
                                    context));
    ATTNSCOPE_TRY(cuda_host::selectDevice());
    auto queryDevice = DeviceBuffer<double>::fromHost(queries.data(), queries.size());
    ATTNSCOPE_TRY(queryDevice);
    auto keyDevice = DeviceBuffer<double>::fromHost(keys.data(), keys.size());
    ATTNSCOPE_TRY(keyDevice);
    auto valueDevice = DeviceBuffer<float>::fromHost(qkv.valueHead(head), perHead);
    ATTNSCOPE_TRY(valueDevice);
    const std::size_t featureValues = static_cast<std::size_t>(qkv.nTokens) * static_cast<std::size_t>(featureCount);
    auto queryFeatures = DeviceBuffer<float>::allocate(featureValues);
    ATTNSCOPE_TRY(queryFeatures);
    auto keyFeatures = DeviceBuffer<float>::allocate(featureValues);
    ATTNSCOPE_TRY(keyFeatures);

    // The query carries the polynomial's coefficients, the key plain monomials (fastmaxFeature).
    const FastmaxCoefficients a = fastmaxCoefficients(order);
    FastmaxFeaturesParams params;
    params.nRows = qkv.nTokens;
    params.headDim = qkv.headDim;
    params.featureCount = featureCount;
    params.x = queryDevice->data();
    params.features = queryFeatures->data();
    params.c0 = a.a0;
    params.c1 = a.a1;
    params.c2 = a.a2;
    ATTNSCOPE_CUDA_CHECK(static_cast<cudaError_t>(launchFastmaxFeatures(params, nullptr)));
    params.x = keyDevice->data();
    params.features = keyFeatures->data();
    params.c0 = params.c1 = params.c2 = 1.0;
    ATTNSCOPE_CUDA_CHECK(static_cast<cudaError_t>(launchFastmaxFeatures(params, nullptr)));
    return linearAttentionOnDevice(qkv, queryFeatures->data(), keyFeatures->data(), valueDevice->data(),
                                   static_cast<int>(featureCount), false, out, denominators);
}

#else // !ATTNSCOPE_HAVE_CUDA

Result<void> checkCudaFeatureMapsSupported(const LayerQkv&, int)
{
    return cuda_host::unavailableError();
}

Result<void> runPerformerFeaturesCuda(const LayerQkv& qkv, int head, std::span<const float> projection, int features,
                                      std::span<const float> keyMean, std::vector<float>&, std::vector<float>&)
{
    ATTNSCOPE_TRY(checkCudaFeatureMapsSupported(qkv, head));
    return checkPerformerArguments(qkv, head, projection, features, keyMean);
}

Result<void> runPerformerAttentionCuda(const LayerQkv& qkv, int head, std::span<const float>, int,
                                       std::vector<float>&, std::vector<double>&, std::vector<float>*,
                                       std::vector<float>*)
{
    return checkCudaFeatureMapsSupported(qkv, head);
}

Result<void> runFastmaxAttentionCuda(const LayerQkv& qkv, int head, std::span<const double>, std::span<const double>,
                                     int, std::vector<float>&, std::vector<double>&)
{
    return checkCudaFeatureMapsSupported(qkv, head);
}

#endif // ATTNSCOPE_HAVE_CUDA

} // namespace attnscope

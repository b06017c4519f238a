#pragma once
// Shared host-side steps of every CUDA entry point (cuda_attention.cpp and the other cuda_*.cpp
// files): the shape and CSR checks, the error for an unusable backend, device selection and the
// upload of one head's Q/K/V. Only for the backend's .cpp files; no CUDA headers here, so the
// checks compile in every build.

#include <cstdint>
#include <span>
#include <string>

#include "attnscope/status.h"

namespace attnscope {

struct LayerQkv;

namespace cuda_host {

/// "layer L" (and ", head H" when head >= 0): the context of every error of a call.
std::string layerContext(const LayerQkv& qkv, int head = -1);

/// InvalidArgument for a non-positive count, nHeads not a multiple of nKvHeads or a head beyond
/// 32-bit indexing; ShapeMismatch when q/k/v sizes disagree with the counts.
Result<void> checkShapes(const LayerQkv& qkv);

/// InvalidArgument "head out of range" unless 0 <= head < nHeads.
Result<void> checkHead(const LayerQkv& qkv, int head);

/// BackendUnavailable with cudaDeviceInfo().reason.
Error unavailableError();

/// A CSR over the layer's tokens: rowPtr [nTokens + 1] from 0, non-decreasing, to cols.size();
/// every column in [0, nTokens). InvalidArgument with a reason tag otherwise.
Result<void> validateCsr(const LayerQkv& qkv, std::span<const std::int32_t> rowPtr,
                         std::span<const std::int32_t> cols);

/// cudaSetDevice(0), checked (the backend uses the first device).
Result<void> selectDevice();

} // namespace cuda_host
} // namespace attnscope

#if ATTNSCOPE_HAVE_CUDA

#include <memory>

namespace attnscope::cuda_host {

/// One head's Q, K and V on the device ([nTokens, headDim] each, row stride headDim; K and V are
/// the head's KV group under GQA). Non-owning pointers plus the handle that keeps them alive:
/// callers see the same type whether the data was uploaded for this call or is shared with
/// earlier calls on the same layer.
struct HeadQkvOnDevice {
    const float* q = nullptr;
    const float* k = nullptr;
    const float* v = nullptr;  ///< null unless asked for
    std::shared_ptr<const void> keepAlive;
};

/// Uploads what is asked of head `head` (V only when withValues).
Result<HeadQkvOnDevice> uploadHeadQkv(const LayerQkv& qkv, int head, bool withValues);

/// Sets the fields that the whole-layer dense kernels' params share (DenseAttnParams,
/// DenseAttnHalfParams): strides of q, k, v, out laid out as LayerQkv's contiguous
/// [heads, nTokens, headDim] and of lse [nHeads, nTokens], the counts and the model's mask.
/// The pointers stay the caller's.
template <typename Params, typename Layer>
void setDenseLayerFields(Params& params, const Layer& qkv)
{
    const long long rowStride = qkv.headDim;
    const long long headStride = static_cast<long long>(qkv.nTokens) * qkv.headDim;
    params.qHeadStride = params.kHeadStride = params.vHeadStride = params.outHeadStride = headStride;
    params.qRowStride = params.kRowStride = params.vRowStride = params.outRowStride = rowStride;
    params.lseHeadStride = qkv.nTokens;
    params.nHeads = qkv.nHeads;
    params.nKvHeads = qkv.nKvHeads;
    params.nTokens = qkv.nTokens;
    params.headDim = qkv.headDim;
    params.scale = qkv.scale;
    params.softcap = qkv.softcap;
    params.causal = qkv.causal;
    params.slidingWindow = qkv.slidingWindow;
}

} // namespace attnscope::cuda_host

#endif // ATTNSCOPE_HAVE_CUDA

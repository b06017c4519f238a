#pragma once
// Host launchers of the sbm variant's kernels (conventions of launch.h: cudaError_t as int, 0 =
// success, asynchronous on `stream`, device pointers in the params). Defined only when the CUDA
// backend is built.

#include "attnscope_kernels/sbm_params.h"

namespace attnscope {

/// k-means logits and nearest centroid of every point. cudaErrorInvalidValue for null pointers or
/// non-positive dim / clusters.
int launchSbmAssign(const SbmAssignParams& params, void* stream);

/// One pass of the sbm sampling (count pass when params.rowPtr is null, else write pass).
/// cudaErrorInvalidValue for null pointers, non-positive clusters, an unknown floor mode, or
/// rows longer than the shared-memory bitset holds (sbmSampleSharedBytes > kSbmMaxSharedBytes).
int launchSbmSample(const SbmSampleParams& params, void* stream);

} // namespace attnscope

#pragma once
// Host launchers of the CUDA kernels. C-style on purpose: no templates, no CUDA types, so that
// g++-compiled core code includes this without cuda_runtime.h. Each returns a cudaError_t value
// as an int (0 = cudaSuccess); the launch is asynchronous on `stream` (a cudaStream_t, null =
// the default stream), so execution errors surface at the caller's next synchronisation.
// All pointers in the params are device pointers. Defined only when the CUDA backend is built.

#include "attnscope_kernels/dense_attn_params.h"
#include "attnscope_kernels/launch_dense_half.h"
#include "attnscope_kernels/launch_block_sparse.h"
#include "attnscope_kernels/launch_selection.h"
#include "attnscope_kernels/sparse_attn_params.h"
#include "attnscope_kernels/topk_params.h"
#include "attnscope_kernels/launch_sbm.h"
#include "attnscope_kernels/launch_feature_map.h"

namespace attnscope {

/// Dense forward (flash-style). Returns cudaErrorInvalidValue for a head dim outside
/// attnHeadDimBucket(), nHeads not a multiple of nKvHeads, or null pointers.
int launchDenseAttnFwd(const DenseAttnParams& params, void* stream);

/// Exact probabilities of one head on a rectangle (rows × keys), from Q, K and the row LSE.
int launchAttnProbs(const AttnProbsParams& params, void* stream);

/// CSR sparse forward: per query row, scores of the kept keys, their softmax, and the weighted
/// sum of the kept values; writes the applied weights in CSR order.
int launchSparseAttnFwd(const SparseAttnParams& params, void* stream);

/// Per-row exact top-k selection into a caller-sized CSR (TopkSelectParams). Returns
/// cudaErrorInvalidValue for null pointers, a head dim outside (0, kAttnMaxHeadDim], rows outside
/// [0, nTokens), or a missing scratch when the rows are longer than kTopkSharedKeys.
int launchTopkSelect(const TopkSelectParams& params, void* stream);

/// 0 when this build holds a kernel image the current device can run, else the CUDA error
/// (cudaErrorNoKernelImageForDevice when the device's architecture was not compiled).
int checkAttnKernelsLoadable();

/// The CUDA architectures the kernels were compiled for, as CMake listed them ("80;90").
const char* attnKernelsCudaArchitectures();

} // namespace attnscope

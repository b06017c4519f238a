#pragma once
// Host launchers of the score-selecting kernels (selection.cu; params in selection_params.h).
// Same conventions as launch.h: C-style, cudaError_t as int, asynchronous on `stream`, device
// pointers only. Defined only when the CUDA backend is built.

#include "attnscope_kernels/selection_params.h"

namespace attnscope {

/// Per-row selection (threshold, dsa). cudaErrorInvalidValue for null pointers, a headDim outside
/// (0, kAttnMaxHeadDim], a missing scratch when maxKeys > kTopkSharedKeys, or a rowCount beyond
/// the grid.
int launchRowSelect(const RowSelectParams& params, void* stream);

/// SAC's proxy keys of every allowed pair of rows [rowBegin, rowBegin + rowCount).
int launchSacKeys(const SacKeysParams& params, void* stream);

/// One digit's histogram of SAC's global radix select.
int launchSacHistogram(const SacHistogramParams& params, void* stream);

/// Counting and writing the rows of SAC's global selection (SacRowMode).
int launchSacRows(const SacRowsParams& params, void* stream);

} // namespace attnscope

#pragma once
// Host launchers of the feature-map kernels (feature_map_params.h), C-style like launch.h: each
// returns a cudaError_t value as an int (0 = success; cudaErrorInvalidValue for null pointers or
// out-of-range sizes) and runs asynchronously on `stream` (null = the default stream). Defined
// only when the CUDA backend is built.

#include "attnscope_kernels/feature_map_params.h"

namespace attnscope {

/// Rows of the queries (or keys) a linear-attention chunk launch takes; the host steps the state
/// between chunks of this many rows.
inline constexpr int kLinearAttnChunkRows = 64;

/// FAVOR+ logits and per-row maxima (PerformerLogitsParams).
int launchPerformerLogits(const PerformerLogitsParams& params, void* stream);

/// FAVOR+ exp step in place (PerformerExpParams); with !perRowShift it first reduces the global max.
int launchPerformerExp(const PerformerExpParams& params, void* stream);

/// Fastmax's factorised features (FastmaxFeaturesParams).
int launchFastmaxFeatures(const FastmaxFeaturesParams& params, void* stream);

/// Linear attention state update: adds [addBegin, addEnd), removes [removeBegin, removeEnd).
int launchLinearAttnUpdate(const LinearAttnParams& params, void* stream);

/// Linear attention of the rows [rowBegin, rowBegin + rowCount) on the current state.
int launchLinearAttnChunk(const LinearAttnParams& params, void* stream);

} // namespace attnscope

#pragma once
// Shared by the analyses that look at one head: argument checks and one captured layer.

#include "attnscope/workspace.h"
#include "model/layer_qkv.h"

#include <cstdint>
#include <vector>

namespace attnscope::analysis {

/// InvalidArgument when layer or head is outside the model, or the text is empty.
Result<void> checkHeadRequest(const Workspace& workspace, const std::vector<std::int32_t>& ids, int layer, int head);

/// InvalidArgument past kMaxAnalysisTokens.
Result<void> checkAnalysisLength(std::size_t nTokens);

/// The dense model's Q/K/V of `layer` for the text.
Result<LayerQkv> captureLayerQkv(Workspace& workspace, const std::vector<std::int32_t>& ids, int layer,
                                 const RunOptions& options);

} // namespace attnscope::analysis

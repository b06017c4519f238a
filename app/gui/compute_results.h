#pragma once
// What the worker hands back to the UI thread. Immutable once built; shared as shared_ptr<const>.

#include "attnscope/backends.h"
#include "attnscope/workspace.h"

#include <cstdint>
#include <string>
#include <vector>

namespace attnscope::gui {

struct ModelLoaded {
    ModelInfo info;
    std::vector<BackendInfo> backends;
    double seconds = 0.0;
};

/// One head, dense against one variant, on the same token ids.
struct HeadComparison {
    std::vector<std::int32_t> ids;
    int layer = 0;
    int head = 0;
    std::string variant;      ///< canonical spec
    HeadAttention dense;      ///< [N, N]
    HeadAttention effective;  ///< [N, N] + kept mask
    VariantMetrics metrics;
    double seconds = 0.0;
};

/// Every layer × head: what it does (dense scores) and how close the variant is to it.
struct HeadGrid {
    std::vector<std::int32_t> ids;
    std::string variant;
    std::vector<std::vector<HeadScores>> scores;      ///< [layer][head]
    std::vector<std::vector<VariantMetrics>> metrics; ///< [layer][head]
    double seconds = 0.0;
};

} // namespace attnscope::gui

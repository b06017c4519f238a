#pragma once
// One head, dense against several variants, from a capture (attnscope/capture.h): what the
// workbench's compare view shows. No model run: a knob change recomputes only the variants on the
// captured Q/K/V, so the GUI keeps the capture of the visible layer and asks again per change.

#include "attnscope/capture.h"
#include "attnscope/progress.h"
#include "attnscope/status.h"
#include "attnscope/variant_result.h"
#include "attnscope/workspace.h"

#include <string>
#include <vector>

namespace attnscope {

/// One variant on the head: its effective attention ([N, N] + kept mask, as
/// Workspace::headAttention returns it) and its metrics against dense (as Workspace::compare
/// reports them for this head).
struct HeadVariantAttention {
    std::string variant;  ///< canonical spec
    HeadAttention effective;
    VariantMetrics metrics;
};

/// Dense attention of the head and each variant, in the order of the specs.
struct HeadCompareResult {
    HeadAttention dense;
    std::vector<HeadVariantAttention> variants;
};

/// Computes HeadCompareResult for (layer, head) of a capture holding `layer`. Errors:
/// InvalidArgument (layer not captured, head out of range, bad spec), Unsupported (reserved mode),
/// Cancelled. Reads the capture only: concurrent calls on one capture are safe.
Result<HeadCompareResult> compareHead(const Capture& capture, int layer, int head,
                                      const std::vector<std::string>& variantSpecs, const CancelToken* cancel = nullptr);

} // namespace attnscope

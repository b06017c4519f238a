#pragma once
// One head, dense against several variants, from a capture (attnscope/capture.h): what the
// workbench's compare view shows. No model run: a knob change recomputes only the variants on the
// captured Q/K/V, so the GUI keeps the capture of the visible layer and asks again per change.

#include "attnscope/capture.h"
#include "attnscope/progress.h"
#include "attnscope/status.h"
#include "attnscope/variant_result.h"
#include "attnscope/workspace.h"

#include <memory>
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
    /// The head's bookkeeping, among it where the attention and the selection ran
    /// (attentionBackend, selectionBackend) and why CUDA was not used (backendFallbackReason).
    VariantStats stats;
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

/// compareHead for a caller that asks again and again about one head with other variants (the
/// workbench's knob changes): it keeps what no variant changes — the layer's Q/K/V, the head's
/// dense attention and its exact score and probability rows — and reuses them while the model,
/// the text, the layer and the head stay the same; any other request starts over. Results are
/// the same as compareHead's. Not thread-safe: one per worker.
class HeadComparer {
public:
    HeadComparer();
    ~HeadComparer();
    HeadComparer(const HeadComparer&) = delete;
    HeadComparer& operator=(const HeadComparer&) = delete;

    /// As compareHead. Errors as compareHead; an error keeps nothing new.
    Result<HeadCompareResult> compare(const Capture& capture, int layer, int head,
                                      const std::vector<std::string>& variantSpecs, const CancelToken* cancel = nullptr);
    /// Forgets what was kept (e.g. when the model is closed).
    void clear();
    /// Where later compare() calls run the variants (Auto after construction). The dense side
    /// (exact probabilities from the capture) does not depend on it and is kept across a change.
    void setBackend(VariantBackend backend) { m_backend = backend; }
    VariantBackend backend() const { return m_backend; }
    /// True when the last compare() reused the kept head (tests, diagnostics).
    bool reusedLast() const { return m_reusedLast; }

private:
    struct Kept;
    std::unique_ptr<Kept> m_kept;
    bool m_reusedLast = false;
    VariantBackend m_backend = VariantBackend::Auto;
};

} // namespace attnscope

#pragma once
// Every layer × head of one text at a glance: what each head does (HeadScores of its dense
// attention) and how close a variant comes to it (VariantMetrics against dense). The GUI's head
// grid and `attnscope export --view grid` both compute it here and colour it by one HeadGridMetric.

#include "attnscope/head_scores.h"
#include "attnscope/status.h"
#include "attnscope/variant_result.h"
#include "attnscope/workspace.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace attnscope {

/// Every head's scores and the variant's metrics, [layer][head].
struct HeadGridValues {
    std::string variant;                              ///< canonical spec
    std::vector<std::vector<HeadScores>> scores;      ///< [layer][head]
    std::vector<std::vector<VariantMetrics>> metrics; ///< [layer][head]
};

/// What colours the grid, in the GUI's menu order.
enum class HeadGridMetric { Recall, Kl, OutputError, Density, PreviousToken, FirstToken, Induction, NormalisedEntropy };

/// A metric's names: `name` for the command line ("recall", "previous_token", ...), `label` for menus
/// and figure titles ("variant recall", ...); `ofVariant` when it measures the variant against dense
/// (otherwise it is a score of the dense head and the variant does not change it).
struct HeadGridMetricInfo {
    HeadGridMetric metric;
    const char* name;
    const char* label;
    bool ofVariant;
};

/// Every metric, in menu order. Static data; thread-safe.
const std::vector<HeadGridMetricInfo>& headGridMetrics();
/// The info of `metric`.
const HeadGridMetricInfo& headGridMetricInfo(HeadGridMetric metric);
/// Parses a command-line name. Errors: InvalidArgument listing the names.
Result<HeadGridMetric> parseHeadGridMetric(std::string_view name);
/// The metric's value for one head; a non-finite value reads as 0 (a head with no defined score).
double headGridValue(HeadGridMetric metric, const HeadScores& scores, const VariantMetrics& metrics);
/// The value at (layer, head); 0 outside the grid.
double headGridValue(HeadGridMetric metric, const HeadGridValues& grid, int layer, int head);

/// Scores every head (or takes `scores` when given, [nLayers][nHeads] for these ids) and compares
/// `variantSpec` against dense on every head, without perplexity. Errors: those of
/// Workspace::headScores and Workspace::compare (bad spec, empty text), Cancelled.
Result<HeadGridValues> computeHeadGrid(Workspace& workspace, const std::vector<std::int32_t>& ids,
                                       const std::string& variantSpec, const RunOptions& options,
                                       std::vector<std::vector<HeadScores>> scores = {});

} // namespace attnscope

#pragma once
// Token labels of figures, shared by the figure builders of core/src/export.

#include "attnscope/status.h"

#include <string>
#include <vector>

namespace attnscope {

/// tokenDisplayText of each piece; empty pieces give no labels. Errors: ShapeMismatch (pieces
/// given for another length than n).
Result<std::vector<std::string>> displayLabels(const std::vector<std::string>& pieces, int n);

} // namespace attnscope

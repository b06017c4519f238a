#pragma once
// Data files written for other tools (NumPy, spreadsheets). Every write is atomic: a temporary
// file in the target directory, then a rename, so a failure never leaves a partial file and never
// destroys an existing one.

#include "attnscope/status.h"
#include "attnscope/workspace.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace attnscope {

/// Writes `values` (row-major, `shape` outer → inner) as a NumPy .npy file (format 1.0, '<f4').
/// overwrite=false refuses an existing file. Errors: InvalidArgument (size/shape mismatch), FileIo.
Result<void> writeNpyFloat32(const std::string& path, const std::vector<std::int64_t>& shape,
                             const std::vector<float>& values, bool overwrite);

/// Writes text (CSV, JSON, DOT...) or any bytes (PNG, PDF) atomically. Errors: FileIo naming the path.
Result<void> writeTextFileAtomic(const std::string& path, std::string_view text, bool overwrite);

/// `compare`'s metrics as CSV: a header row, then one row per (variant, layer, head) with the
/// variant's perplexity repeated on its rows (empty when not computed). Numbers with 9 significant
/// digits, so f32 values round-trip.
std::string compareResultCsv(const CompareResult& result);

/// A head's kept attention as a directed graph: one node per token (attributes `position`,
/// `token`), one edge query → key per kept, allowed pair with its applied weight (`weight`),
/// self-loops included. Written with Boost.Graph's write_graphml / write_graphviz_dp.
/// `pieces` are the token pieces (may be empty). Errors: ShapeMismatch, Unsupported (core built
/// without Boost.Graph).
Result<std::string> attentionGraphml(const HeadAttention& attention, const std::vector<std::string>& pieces);
Result<std::string> attentionDot(const HeadAttention& attention, const std::vector<std::string>& pieces);

} // namespace attnscope

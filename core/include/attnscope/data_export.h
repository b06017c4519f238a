#pragma once
// Data files written for other tools (NumPy, spreadsheets). Every write is atomic: a temporary
// file in the target directory, then a rename, so a failure never leaves a partial file and never
// destroys an existing one.

#include "attnscope/status.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace attnscope {

/// Writes `values` (row-major, `shape` outer → inner) as a NumPy .npy file (format 1.0, '<f4').
/// overwrite=false refuses an existing file. Errors: InvalidArgument (size/shape mismatch), FileIo.
Result<void> writeNpyFloat32(const std::string& path, const std::vector<std::int64_t>& shape,
                             const std::vector<float>& values, bool overwrite);

/// Writes text (CSV, JSON, DOT...) atomically. Errors: FileIo naming the path.
Result<void> writeTextFileAtomic(const std::string& path, std::string_view text, bool overwrite);

} // namespace attnscope

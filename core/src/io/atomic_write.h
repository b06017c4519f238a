#pragma once

#include "attnscope/status.h"

#include <string>
#include <string_view>

namespace attnscope {

/// Writes `contents` to `path` atomically: a temporary file in the same directory, fsync, then
/// rename over the target, so a reader never sees a half-written file and a failure leaves any
/// existing file untouched. With `overwrite` false an existing target is an error.
/// Errors: FileIo (unwritable directory, full disk, existing file), naming the path.
Result<void> writeFileAtomic(const std::string& path, std::string_view contents, bool overwrite = true);

} // namespace attnscope

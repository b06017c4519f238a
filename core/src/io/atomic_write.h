#pragma once

#include "attnscope/status.h"

#include <chrono>
#include <string>
#include <string_view>

namespace attnscope {

/// Writes `contents` to `path` atomically: a temporary file in the same directory, fsync, then
/// rename over the target, so a reader never sees a half-written file and a failure leaves any
/// existing file untouched. With `overwrite` false an existing target is an error.
/// Errors: FileIo (unwritable directory, full disk, existing file), naming the path.
/// Before it creates its own temporary it removes stale ones of the same directory
/// (removeStaleTemporaryFiles with kStaleTemporaryAge; once per directory and kStaleTemporaryAge in
/// a process): a process killed between the two steps leaves NAME.tmp-XXXXXX behind, and nothing
/// else would ever delete it.
Result<void> writeFileAtomic(const std::string& path, std::string_view contents, bool overwrite = true);

/// How old a leftover temporary must be before a later write removes it: far longer than any one
/// write takes, so a concurrent writer's temporary is never touched.
constexpr std::chrono::minutes kStaleTemporaryAge{15};

/// True for names writeFileAtomic gives its temporaries: "NAME.tmp-" plus the six characters
/// mkstemp draws ([A-Za-z0-9]) and nothing after them, with a non-empty NAME.
bool isAtomicWriteTemporaryName(std::string_view fileName);

/// Deletes the regular files in `directory` whose name isAtomicWriteTemporaryName, that this user
/// owns and that were last modified more than `minAge` ago; never anything else (no other name,
/// no directory, no symbolic link, no younger file). Best effort: a file it cannot delete stays.
/// Returns how many it deleted.
int removeStaleTemporaryFiles(const std::string& directory, std::chrono::seconds minAge = kStaleTemporaryAge);

} // namespace attnscope

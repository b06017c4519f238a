#pragma once

#include "attnscope/status.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace attnscope {

/// A file mapped read-only into memory (POSIX mmap). Move-only; unmaps on destruction. Views into
/// data() stay valid while the object lives. An empty file maps to size() == 0 and data() == nullptr.
///
/// A mapped file that another program truncates in place makes every read of the lost pages raise
/// SIGBUS. The mapping is therefore guarded (io/mapping_guard.h): such a read sees zeros instead
/// and marks the mapping lost. The descriptor stays open so that checkUnchanged() can also compare
/// the file's current size and modification time with those at mapping time; Model::forward and
/// Model::loss call it before and after every pass, so a file truncated or edited before or during
/// a pass gives an error (and the pass's results are discarded) instead of a crash or wrong numbers.
/// Replacing the file (a new inode, as downloads and our own atomic writes do) is harmless: the
/// mapping keeps the old contents.
class MappedFile {
public:
    /// Maps `path`. Errors: FileNotFound, FileIo (a directory, permissions, mmap failure).
    static Result<std::unique_ptr<MappedFile>> open(const std::string& path);
    ~MappedFile();
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;

    const std::byte* data() const { return m_data; }
    std::size_t size() const { return m_size; }
    const std::string& path() const { return m_path; }

    /// FileIo (reason "file_changed") when the file was truncated, grown or rewritten in place since
    /// it was mapped, or a read found a page the file no longer has; the message says to reopen
    /// the model.
    Result<void> checkUnchanged() const;

private:
    MappedFile() = default;
    const std::byte* m_data = nullptr;
    std::size_t m_size = 0;
    std::string m_path;
    int m_fd = -1;
    int m_guardSlot = -1; // mapping_guard.h slot, -1 when unguarded
    std::int64_t m_mtimeNs = 0;
};

/// Reads a whole (small) file into a string. Errors: FileNotFound, FileIo.
Result<std::string> readTextFile(const std::string& path);

} // namespace attnscope

#pragma once

#include "attnscope/status.h"

#include <cstddef>
#include <memory>
#include <string>

namespace attnscope {

/// A file mapped read-only into memory (POSIX mmap). Move-only; unmaps on destruction. Views into
/// data() stay valid while the object lives. An empty file maps to size() == 0 and data() == nullptr.
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

private:
    MappedFile() = default;
    const std::byte* m_data = nullptr;
    std::size_t m_size = 0;
    std::string m_path;
};

/// Reads a whole (small) file into a string. Errors: FileNotFound, FileIo.
Result<std::string> readTextFile(const std::string& path);

} // namespace attnscope

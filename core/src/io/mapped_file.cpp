#include "io/mapped_file.h"

#include "io/mapping_guard.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace attnscope {

namespace {

Error openError(const std::string& path, int errorNumber)
{
    if (errorNumber == ENOENT) {
        return makeError(ErrorCode::FileNotFound, "no such file", path);
    }
    return makeError(ErrorCode::FileIo, std::string("cannot open: ") + std::strerror(errorNumber),
                     path);
}

std::int64_t modificationTimeNs(const struct stat& info)
{
    return static_cast<std::int64_t>(info.st_mtim.tv_sec) * 1'000'000'000 + info.st_mtim.tv_nsec;
}

} // namespace

Result<std::unique_ptr<MappedFile>> MappedFile::open(const std::string& path)
{
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return openError(path, errno);
    }
    struct stat info {};
    if (::fstat(fd, &info) != 0) {
        const int errorNumber = errno;
        ::close(fd);
        return openError(path, errorNumber);
    }
    if (!S_ISREG(info.st_mode)) {
        ::close(fd);
        return makeError(ErrorCode::FileIo, "not a regular file (is it a directory?)", path);
    }
    // From here the descriptor belongs to the MappedFile (closed by its destructor).
    std::unique_ptr<MappedFile> file(new MappedFile());
    file->m_path = path;
    file->m_size = static_cast<std::size_t>(info.st_size);
    file->m_fd = fd;
    file->m_mtimeNs = modificationTimeNs(info);
    if (file->m_size > 0) {
        void* mapping = ::mmap(nullptr, file->m_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (mapping == MAP_FAILED) {
            const int errorNumber = errno;
            return makeError(ErrorCode::FileIo,
                             std::string("cannot map file: ") + std::strerror(errorNumber), path);
        }
        file->m_data = static_cast<const std::byte*>(mapping);
        file->m_guardSlot = guardMapping(file->m_data, file->m_size);
    }
    return file;
}

MappedFile::~MappedFile()
{
    unguardMapping(m_guardSlot);
    if (m_data != nullptr) {
        ::munmap(const_cast<std::byte*>(m_data), m_size);
    }
    if (m_fd >= 0) {
        ::close(m_fd);
    }
}

Result<void> MappedFile::checkUnchanged() const
{
    if (mappingLost(m_guardSlot)) {
        return makeError(ErrorCode::FileIo,
                         "the file was truncated on disk while being read (the results were discarded); "
                         "reopen the model",
                         m_path, "file_changed");
    }
    struct stat info {};
    if (::fstat(m_fd, &info) != 0) {
        return makeError(ErrorCode::FileIo, std::string("cannot check the file: ") + std::strerror(errno), m_path,
                         "file_changed");
    }
    const auto now = static_cast<std::size_t>(info.st_size);
    if (now < m_size) {
        return makeError(ErrorCode::FileIo,
                         "the file was truncated on disk while open (" + std::to_string(m_size) + " -> " +
                             std::to_string(now) + " bytes); reopen the model",
                         m_path, "file_changed");
    }
    if (now != m_size || modificationTimeNs(info) != m_mtimeNs) {
        return makeError(ErrorCode::FileIo, "the file was modified on disk while open; reopen the model", m_path,
                         "file_changed");
    }
    return okResult();
}

Result<std::string> readTextFile(const std::string& path)
{
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0) {
        return openError(path, errno);
    }
    if (!S_ISREG(info.st_mode)) {
        return makeError(ErrorCode::FileIo, "not a regular file (is it a directory?)", path);
    }
    std::ifstream stream(path, std::ios::binary);
    if (!stream) {
        return makeError(ErrorCode::FileIo, "cannot open for reading", path);
    }
    std::ostringstream contents;
    contents << stream.rdbuf();
    if (stream.bad()) {
        return makeError(ErrorCode::FileIo, "read failed", path);
    }
    return contents.str();
}

} // namespace attnscope

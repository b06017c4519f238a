#include "io/atomic_write.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

namespace attnscope {

namespace {

Error ioError(const std::string& path, const std::string& what, int errorNumber)
{
    return makeError(ErrorCode::FileIo, what + ": " + std::strerror(errorNumber), path);
}

} // namespace

Result<void> writeFileAtomic(const std::string& path, std::string_view contents, bool overwrite)
{
    struct stat existing {};
    if (::stat(path.c_str(), &existing) == 0) {
        if (S_ISDIR(existing.st_mode)) {
            return makeError(ErrorCode::FileIo, "is a directory, not a file", path);
        }
        if (!overwrite) {
            return makeError(ErrorCode::FileIo, "file exists (use --force to overwrite)", path);
        }
    }
    std::string temporary = path + ".tmp-XXXXXX";
    const int fd = ::mkstemp(temporary.data());
    if (fd < 0) {
        return ioError(path, "cannot create a file here", errno);
    }
    std::size_t written = 0;
    while (written < contents.size()) {
        const ssize_t count = ::write(fd, contents.data() + written, contents.size() - written);
        if (count < 0) {
            if (errno == EINTR) {
                continue;
            }
            const int errorNumber = errno;
            ::close(fd);
            ::unlink(temporary.c_str());
            return ioError(path, "write failed", errorNumber);
        }
        written += static_cast<std::size_t>(count);
    }
    if (::fsync(fd) != 0 || ::fchmod(fd, 0644) != 0) {
        const int errorNumber = errno;
        ::close(fd);
        ::unlink(temporary.c_str());
        return ioError(path, "cannot flush to disk", errorNumber);
    }
    if (::close(fd) != 0) {
        const int errorNumber = errno;
        ::unlink(temporary.c_str());
        return ioError(path, "cannot close", errorNumber);
    }
    if (::rename(temporary.c_str(), path.c_str()) != 0) {
        const int errorNumber = errno;
        ::unlink(temporary.c_str());
        return ioError(path, "cannot move the finished file into place", errorNumber);
    }
    return okResult();
}

} // namespace attnscope

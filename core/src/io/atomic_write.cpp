#include "io/atomic_write.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <dirent.h>
#include <fcntl.h>
#include <map>
#include <mutex>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

namespace attnscope {

namespace {

Error ioError(const std::string& path, const std::string& what, int errorNumber)
{
    return makeError(ErrorCode::FileIo, what + ": " + std::strerror(errorNumber), path);
}

constexpr std::string_view kTemporaryInfix = ".tmp-";
constexpr std::size_t kTemporaryRandomLength = 6;  // mkstemp's XXXXXX

std::string parentDirectory(const std::string& path)
{
    const std::size_t slash = path.rfind('/');
    if (slash == std::string::npos) {
        return ".";
    }
    return slash == 0 ? std::string("/") : path.substr(0, slash);
}

/// removeStaleTemporaryFiles for the directory of `path`, at most once per kStaleTemporaryAge and
/// directory in this process: a batch export writes thousands of files into one directory, and
/// listing it before each of them would make the batch quadratic.
void removeStaleTemporariesBeside(const std::string& path)
{
    static std::mutex mutex;
    static std::map<std::string, std::time_t> lastSwept;
    const std::string directory = parentDirectory(path);
    const std::time_t now = std::time(nullptr);
    {
        const std::lock_guard lock(mutex);
        auto [entry, inserted] = lastSwept.try_emplace(directory, now);
        if (!inserted) {
            if (now - entry->second < std::chrono::seconds(kStaleTemporaryAge).count()) {
                return;
            }
            entry->second = now;
        }
    }
    removeStaleTemporaryFiles(directory);
}

} // namespace

bool isAtomicWriteTemporaryName(std::string_view fileName)
{
    const std::size_t suffixLength = kTemporaryInfix.size() + kTemporaryRandomLength;
    if (fileName.size() <= suffixLength || fileName.find('/') != std::string_view::npos) {
        return false;
    }
    const std::size_t infixAt = fileName.size() - suffixLength;
    if (fileName.substr(infixAt, kTemporaryInfix.size()) != kTemporaryInfix) {
        return false;
    }
    for (const char character : fileName.substr(infixAt + kTemporaryInfix.size())) {
        const bool alphanumeric = (character >= 'a' && character <= 'z') || (character >= 'A' && character <= 'Z') ||
                                  (character >= '0' && character <= '9');
        if (!alphanumeric) {
            return false;
        }
    }
    return true;
}

int removeStaleTemporaryFiles(const std::string& directory, std::chrono::seconds minAge)
{
    DIR* listing = ::opendir(directory.c_str());
    if (listing == nullptr) {
        return 0;
    }
    const std::time_t now = std::time(nullptr);
    const uid_t user = ::geteuid();
    int removed = 0;
    while (const dirent* entry = ::readdir(listing)) {
        if (!isAtomicWriteTemporaryName(entry->d_name)) {
            continue;
        }
        // lstat, not stat: a symbolic link with our name is not ours to follow or delete.
        struct stat info {};
        if (::fstatat(::dirfd(listing), entry->d_name, &info, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(info.st_mode) ||
            info.st_uid != user || now - info.st_mtime <= minAge.count()) {
            continue;
        }
        if (::unlinkat(::dirfd(listing), entry->d_name, 0) == 0) {
            ++removed;
        }
    }
    ::closedir(listing);
    return removed;
}

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
    removeStaleTemporariesBeside(path);
    std::string temporary = path + std::string(kTemporaryInfix) + std::string(kTemporaryRandomLength, 'X');
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

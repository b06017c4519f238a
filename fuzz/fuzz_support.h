#pragma once
// Shared plumbing of the libFuzzer targets: the loaders under test open files by path (they mmap
// them), so each target owns one private temporary folder per process and writes the input there,
// exactly where the app would read a downloaded model from.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <unistd.h>

namespace attnscope::fuzz {

/// The process's scratch folder, created on first use and removed at exit.
inline const std::filesystem::path& scratchDir()
{
    static const std::filesystem::path dir = [] {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "attnscope-fuzz-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) {
            std::abort();  // no scratch space: the harness itself cannot run
        }
        std::atexit([] {
            std::error_code ignored;
            std::filesystem::remove_all(scratchDir(), ignored);
        });
        return std::filesystem::path(pattern);
    }();
    return dir;
}

/// Writes `bytes` to `name` inside the scratch folder (truncating) and returns its path.
inline std::string writeScratch(const std::string& name, std::string_view bytes)
{
    const std::filesystem::path path = scratchDir() / name;
    std::ofstream stream(path, std::ios::binary | std::ios::trunc);
    stream.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!stream) {
        std::abort();
    }
    return path.string();
}

/// Copies a file from the source tree into the scratch folder under `name`.
inline void copyIntoScratch(const std::string& sourcePath, const std::string& name)
{
    std::filesystem::copy_file(sourcePath, scratchDir() / name,
                               std::filesystem::copy_options::overwrite_existing);
}

inline std::string_view asText(const std::uint8_t* data, std::size_t size)
{
    return {reinterpret_cast<const char*>(data), size};
}

/// A property the target checks failed: crash so that libFuzzer saves the input.
#define ATTNSCOPE_FUZZ_CHECK(cond)                                                                 \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            __builtin_trap();                                                                      \
        }                                                                                          \
    } while (0)

} // namespace attnscope::fuzz

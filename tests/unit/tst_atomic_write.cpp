// writeFileAtomic's clean-up of temporaries a killed writer left behind: the next write into the
// directory removes NAME.tmp-XXXXXX files older than kStaleTemporaryAge, and nothing else.

#include "io/atomic_write.h"
#include "test_support/read_file.h"
#include "test_support/temp_dir.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <string>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace attnscope {
namespace {

namespace fs = std::filesystem;

/// Sets a file's modification time `age` into the past (lutimes-style: a link itself, not its target).
void makeOlder(const std::string& path, std::chrono::seconds age)
{
    const auto when = fs::file_time_type::clock::now() - age;
    std::error_code error;
    fs::last_write_time(path, when, error);
    ASSERT_FALSE(error) << path << ": " << error.message();
}

std::set<std::string> namesIn(const std::string& directory)
{
    std::set<std::string> names;
    for (const auto& entry : fs::directory_iterator(directory)) {
        names.insert(entry.path().filename().string());
    }
    return names;
}

TEST(AtomicWrite, RecognisesOnlyItsOwnTemporaryNames)
{
    EXPECT_TRUE(isAtomicWriteTemporaryName("figure.png.tmp-a1B2c3"));
    EXPECT_TRUE(isAtomicWriteTemporaryName("x.tmp-XXXXXX"));
    EXPECT_FALSE(isAtomicWriteTemporaryName(".tmp-a1B2c3")) << "no NAME";
    EXPECT_FALSE(isAtomicWriteTemporaryName("figure.png.tmp-a1B2c"));
    EXPECT_FALSE(isAtomicWriteTemporaryName("figure.png.tmp-a1B2c3d"));
    EXPECT_FALSE(isAtomicWriteTemporaryName("figure.png.tmp-a1B2c_"));
    EXPECT_FALSE(isAtomicWriteTemporaryName("figure.png.tmp-a1B2c3.png"));
    EXPECT_FALSE(isAtomicWriteTemporaryName("figure.png.temp-a1B2c3"));
    EXPECT_FALSE(isAtomicWriteTemporaryName("figure.png"));
}

TEST(AtomicWrite, NextWriteRemovesStaleTemporariesAndNothingElse)
{
    TempDir dir;
    const auto old = kStaleTemporaryAge + std::chrono::minutes(5);
    // What a SIGKILLed export leaves: stale temporaries of our pattern.
    const std::string staleA = dir.write("compare_L0_H0_topk_k8.png.tmp-Ab12Cd", "partial");
    const std::string staleB = dir.write("workspace.json.tmp-zzzzzz", "partial");
    makeOlder(staleA, old);
    makeOlder(staleB, old);
    // What must survive: a young temporary (a writer may be busy with it), other names that look
    // alike, a directory with our pattern, a link with our pattern (and the file it points to),
    // and an old ordinary file.
    const std::string young = dir.write("other.png.tmp-Young1", "in progress");
    makeOlder(young, kStaleTemporaryAge - std::chrono::minutes(5));
    for (const std::string name : {"notes.tmp-abc", "notes.tmp-abcdefg", "data.tmp-abc_de", "keep.png"}) {
        makeOlder(dir.write(name, "user data"), old);
    }
    fs::create_directory(dir.path() + "/folder.tmp-Dir123");
    makeOlder(dir.path() + "/folder.tmp-Dir123", old);
    const std::string target = dir.write("link-target.txt", "user data");
    makeOlder(target, old);
    fs::create_symlink(target, dir.path() + "/link.tmp-Link12");
    ::timespec times[2] = {{0, UTIME_NOW}, {0, 0}};
    times[1].tv_sec = ::time(nullptr) - std::chrono::seconds(old).count();
    ASSERT_EQ(::utimensat(AT_FDCWD, (dir.path() + "/link.tmp-Link12").c_str(), times, AT_SYMLINK_NOFOLLOW), 0);

    ASSERT_TRUE(writeFileAtomic(dir.path() + "/new.png", "complete", false).ok());

    const std::set<std::string> expected{"other.png.tmp-Young1", "notes.tmp-abc", "notes.tmp-abcdefg", "data.tmp-abc_de",
                                         "keep.png", "folder.tmp-Dir123", "link-target.txt", "link.tmp-Link12", "new.png"};
    EXPECT_EQ(namesIn(dir.path()), expected);
    EXPECT_EQ(readFileBytes(dir.path() + "/new.png"), "complete");
    EXPECT_EQ(readFileBytes(target), "user data");
}

TEST(AtomicWrite, SweepCountsWhatItRemovedAndHonoursTheAge)
{
    TempDir dir;
    const std::string stale = dir.write("a.npy.tmp-Q1w2E3", "partial");
    makeOlder(stale, std::chrono::minutes(3));
    EXPECT_EQ(removeStaleTemporaryFiles(dir.path(), std::chrono::minutes(5)), 0) << "younger than the age asked for";
    EXPECT_TRUE(fs::exists(stale));
    EXPECT_EQ(removeStaleTemporaryFiles(dir.path(), std::chrono::minutes(2)), 1);
    EXPECT_FALSE(fs::exists(stale));
    EXPECT_EQ(removeStaleTemporaryFiles(dir.path() + "/missing", std::chrono::minutes(2)), 0);
}

} // namespace
} // namespace attnscope

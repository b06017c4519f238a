// Weight files truncated WHILE a pass reads them (issue #10). The loaders mmap weight files and the
// forward pass reads f32 weights in place from worker threads; a truncation then turns the next
// read of a lost page into SIGBUS. io/mapping_guard.h makes such reads see zeros and marks the
// mapping lost, and Model::forward / Model::loss check after the pass, so the user gets an error
// naming the file instead of a crash or numbers computed from garbage. Each test truncates the file
// from inside the pass (its progress callback runs between layers, on the calling thread) or from
// another thread while worker threads read it.

#include "attnscope/workspace.h"
#include "io/mapped_file.h"
#include "io/mapping_guard.h"
#include "model/model.h"
#include "test_support/temp_dir.h"

#include <atomic>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace attnscope {
namespace {

namespace fs = std::filesystem;

// Both are stored in f32, so their weight matrices are read in place from the mapping during the
// matrix products (not copied at the first use of a layer).
const std::string kGemmaTiny = ATTNSCOPE_TEST_DATA "/models/gemma3_tiny";
const std::string kStoriesGguf = ATTNSCOPE_SHARED_MODELS "/stories260K/stories260K.gguf";

std::string copyModel(const TempDir& dir, const std::string& source)
{
    const fs::path target = fs::path(dir.path()) / "model";
    fs::create_directories(target);
    for (const auto& entry : fs::directory_iterator(source)) {
        if (entry.is_regular_file()) {
            fs::copy_file(entry.path(), target / entry.path().filename());
        }
    }
    return target.string();
}

std::string writeFilledFile(const TempDir& dir, std::size_t bytes, char fill)
{
    return dir.write("data.bin", std::string(bytes, fill));
}

void expectLostWhileReading(const Error& error, const std::string& path)
{
    EXPECT_EQ(error.code, ErrorCode::FileIo) << error.message;
    EXPECT_EQ(error.context, path);
    EXPECT_EQ(error.reason, "file_changed");
    EXPECT_NE(error.message.find("truncated on disk while being read"), std::string::npos) << error.message;
    EXPECT_NE(error.message.find("reopen the model"), std::string::npos) << error.message;
}

TEST(MappingGuard, ReadOfATruncatedMappingSeesZerosAndIsReported)
{
    TempDir dir;
    const std::size_t size = 256 * 1024;
    const std::string path = writeFilledFile(dir, size, '\x5A');
    auto file = MappedFile::open(path);
    ASSERT_TRUE(file.ok()) << file.error().message;
    const MappedFile& mapped = *file.value();
    ASSERT_EQ(static_cast<char>(mapped.data()[size - 1]), '\x5A');
    EXPECT_TRUE(mapped.checkUnchanged().ok());

    ASSERT_EQ(::truncate(path.c_str(), 100), 0);
    // Without the guard this read of a page past the new end raises SIGBUS and ends the test.
    const volatile std::byte* data = mapped.data();
    EXPECT_EQ(static_cast<int>(data[size - 1]), 0);
    // The whole mapping now reads as zeros, the part the file still has included.
    EXPECT_EQ(static_cast<int>(data[0]), 0);

    const Result<void> check = mapped.checkUnchanged();
    ASSERT_FALSE(check.ok());
    expectLostWhileReading(check.error(), path);
}

TEST(MappingGuard, TruncationBeforeAnyReadIsReportedBySize)
{
    // No read touched a lost page, so the guard saw nothing; the size check still refuses.
    TempDir dir;
    const std::string path = writeFilledFile(dir, 64 * 1024, '\x11');
    auto file = MappedFile::open(path);
    ASSERT_TRUE(file.ok());
    ASSERT_EQ(::truncate(path.c_str(), 10), 0);
    const Result<void> check = file.value()->checkUnchanged();
    ASSERT_FALSE(check.ok());
    EXPECT_NE(check.error().message.find("truncated on disk while open (65536 -> 10 bytes)"), std::string::npos)
        << check.error().message;
}

TEST(MappingGuard, ManyThreadsReadingWhileTheFileIsTruncated)
{
    TempDir dir;
    const std::size_t size = 8 * 1024 * 1024;
    const std::string path = writeFilledFile(dir, size, '\x01');
    auto file = MappedFile::open(path);
    ASSERT_TRUE(file.ok());
    const std::byte* data = file.value()->data();
    std::atomic<int> passesDone{0};
    std::atomic<bool> stop{false};
    std::vector<std::thread> readers;
    for (int reader = 0; reader < 4; ++reader) {
        readers.emplace_back([&, reader] {
            // Every page, from a different start per thread, until told to stop; sums are kept in
            // a volatile so the reads cannot be dropped.
            volatile std::size_t sum = 0;
            while (!stop.load()) {
                for (std::size_t offset = (reader * size) / 4; offset < size + (reader * size) / 4; offset += 4096) {
                    sum = sum + static_cast<std::size_t>(data[offset % size]);
                }
                passesDone.fetch_add(1);
            }
        });
    }
    while (passesDone.load() < 8) {
        std::this_thread::yield();
    }
    ASSERT_EQ(::truncate(path.c_str(), 4096), 0);
    const int doneAtTruncation = passesDone.load();
    while (passesDone.load() < doneAtTruncation + 8) {
        std::this_thread::yield();
    }
    stop.store(true);
    for (std::thread& reader : readers) {
        reader.join();
    }
    const Result<void> check = file.value()->checkUnchanged();
    ASSERT_FALSE(check.ok());
    expectLostWhileReading(check.error(), path);
}

TEST(MappingGuard, MappingsOpenedAfterAnotherWasLostStillWork)
{
    TempDir dir;
    const std::string lostPath = dir.write("lost.bin", std::string(64 * 1024, '\x07'));
    const std::string keptPath = dir.write("kept.bin", std::string(64 * 1024, '\x09'));
    auto lost = MappedFile::open(lostPath);
    auto kept = MappedFile::open(keptPath);
    ASSERT_TRUE(lost.ok() && kept.ok());
    ASSERT_EQ(::truncate(lostPath.c_str(), 0), 0);
    EXPECT_EQ(static_cast<int>(static_cast<const volatile std::byte*>(lost.value()->data())[60000]), 0);
    EXPECT_FALSE(lost.value()->checkUnchanged().ok());
    EXPECT_EQ(static_cast<int>(kept.value()->data()[60000]), 9);
    EXPECT_TRUE(kept.value()->checkUnchanged().ok());
    lost.value().reset();
    // The freed slot is reused by the next mapping, which starts out not lost.
    auto reopened = MappedFile::open(keptPath);
    ASSERT_TRUE(reopened.ok());
    EXPECT_TRUE(reopened.value()->checkUnchanged().ok());
}

TEST(MappingGuardDeathTest, AFaultOutsideGuardedMappingsStillEndsTheProcess)
{
    // The guard must not swallow real faults: a SIGBUS on a mapping it does not know goes to the
    // previous handler (the default action here, a sanitizer's report in a sanitized build).
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    TempDir dir;
    const std::string guardedPath = writeFilledFile(dir, 4096, '\x01');
    const std::string rawPath = dir.write("raw.bin", std::string(64 * 1024, '\x02'));
    EXPECT_DEATH(
        {
            auto guarded = MappedFile::open(guardedPath); // installs the handler
            const int fd = ::open(rawPath.c_str(), O_RDONLY);
            void* raw = ::mmap(nullptr, 64 * 1024, PROT_READ, MAP_PRIVATE, fd, 0);
            if (!guarded.ok() || fd < 0 || raw == MAP_FAILED || ::truncate(rawPath.c_str(), 0) != 0) {
                std::_Exit(0); // setup failed: exit 0 makes EXPECT_DEATH fail
            }
            const volatile char* bytes = static_cast<const char*>(raw);
            std::printf("%d\n", bytes[60000]);
            std::_Exit(0);
        },
        "");
}

TEST(TruncatedDuringPass, ForwardGivesAnErrorAndTheReopenedModelTheOriginalNumbers)
{
    TempDir dir;
    const std::string folder = copyModel(dir, kGemmaTiny);
    const std::string weightsPath = folder + "/model.safetensors";
    std::string originalBytes;
    {
        std::ifstream stream(weightsPath, std::ios::binary);
        originalBytes.assign(std::istreambuf_iterator<char>(stream), std::istreambuf_iterator<char>());
    }
    const std::vector<int> ids = {3, 17, 42, 5, 99, 7, 64, 1};

    auto model = Model::openHfFolder(folder);
    ASSERT_TRUE(model.ok()) << model.error().message;
    ForwardOptions plain;
    auto reference = model.value()->forward(ids, plain);
    ASSERT_TRUE(reference.ok()) << reference.error().message;
    ASSERT_EQ(reference->logits.size(), ids.size() * 128u);

    // After the first layer, truncate the weights: the next layers' matrix products (and the
    // output head) read pages the file no longer has.
    ForwardOptions truncating;
    int layersDone = 0;
    truncating.progress = [&](double, const std::string&) {
        if (++layersDone == 1) {
            fs::resize_file(weightsPath, 0);
        }
    };
    auto truncated = model.value()->forward(ids, truncating);
    ASSERT_FALSE(truncated.ok()) << "a pass whose weights were lost must not return numbers";
    expectLostWhileReading(truncated.error(), weightsPath);
    EXPECT_EQ(layersDone, 3) << "the pass runs to its end on zeros, then is discarded";

    // The model stays refused until it is reopened.
    auto again = model.value()->forward(ids, plain);
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.error().code, ErrorCode::FileIo);
    model.value().reset();

    {
        std::ofstream(weightsPath, std::ios::binary | std::ios::trunc) << originalBytes;
    }
    auto reopened = Model::openHfFolder(folder);
    ASSERT_TRUE(reopened.ok()) << reopened.error().message;
    auto recomputed = reopened.value()->forward(ids, plain);
    ASSERT_TRUE(recomputed.ok()) << recomputed.error().message;
    EXPECT_EQ(recomputed->logits, reference->logits);
}

TEST(TruncatedDuringPass, GgufForwardGivesAnError)
{
    TempDir dir;
    const std::string path = (fs::path(dir.path()) / "stories.gguf").string();
    fs::copy_file(kStoriesGguf, path);
    auto model = Model::openGguf(path);
    ASSERT_TRUE(model.ok()) << model.error().message;
    ForwardOptions truncating;
    int layersDone = 0;
    truncating.progress = [&](double, const std::string&) {
        if (++layersDone == 1) {
            fs::resize_file(path, 64);
        }
    };
    auto result = model.value()->forward(std::vector<int>{1, 300, 20, 7, 50}, truncating);
    ASSERT_FALSE(result.ok());
    expectLostWhileReading(result.error(), path);
}

TEST(TruncatedDuringPass, EvalAndAttentionThroughTheWorkspaceGiveErrors)
{
    TempDir dir;
    const std::string folder = copyModel(dir, kGemmaTiny);
    const std::string weightsPath = folder + "/model.safetensors";
    auto workspace = Workspace::open(OpenOptions{folder});
    ASSERT_TRUE(workspace.ok()) << workspace.error().message;
    const std::vector<std::int32_t> ids = {3, 17, 42, 5, 99, 7, 64, 1, 12, 30};
    ASSERT_TRUE(workspace.value()->evaluate(ids, "dense", RunOptions{}).ok());

    RunOptions truncating;
    bool truncatedOnce = false;
    truncating.progress = [&](double, const std::string&) {
        if (!truncatedOnce) {
            truncatedOnce = true;
            fs::resize_file(weightsPath, 0);
        }
    };
    auto eval = workspace.value()->evaluate(ids, "dense", truncating);
    ASSERT_FALSE(eval.ok());
    expectLostWhileReading(eval.error(), weightsPath);

    // Every later request on this workspace is refused with the same advice, none crashes.
    auto attention = workspace.value()->headAttention(ids, 2, 0, "dense", RunOptions{});
    ASSERT_FALSE(attention.ok());
    EXPECT_EQ(attention.error().code, ErrorCode::FileIo);
    EXPECT_NE(attention.error().message.find("reopen the model"), std::string::npos) << attention.error().message;
}

} // namespace
} // namespace attnscope

// Resource limits (issue #10): the closed-form memory estimate of a text pass, /proc/meminfo
// parsing, and the refusal that replaces the OOM killer.

#include "model/model_spec.h"
#include "test_support/memory_limits.h"
#include "util/memory_budget.h"

#include <gtest/gtest.h>
#include <limits>

namespace attnscope {
namespace {

// stories260K's sizes: hidden 64, 8 heads and 4 KV heads of 8 dims, FFN 172.
ModelSpec storiesSizedSpec()
{
    ModelSpec spec;
    spec.hiddenSize = 64;
    spec.nHeads = 8;
    spec.nKvHeads = 4;
    spec.headDim = 8;
    spec.intermediateSize = 172;
    return spec;
}

TEST(MemoryBudget, TextPassEstimateIsTheDocumentedSum)
{
    // per token: 4·64 + 2·64 + 4·32 + 2·172 = 856 floats; N = 1000:
    // 4 · 1000 · 856 + 9 · 1000² = 3'424'000 + 9'000'000.
    EXPECT_EQ(estimateTextPassBytes(storiesSizedSpec(), 1000), 12'424'000u);
    EXPECT_EQ(estimateTextPassBytes(storiesSizedSpec(), 1), 4u * 856u + 9u);
    EXPECT_EQ(estimateTextPassBytes(storiesSizedSpec(), 0), 0u);
    // The N² term dominates long texts: 32k tokens need 9.2 GB of head matrices.
    EXPECT_EQ(estimateTextPassBytes(storiesSizedSpec(), 32768), 4ull * 32768 * 856 + 9ull * 32768 * 32768);
}

TEST(MemoryBudget, EvalEstimateCountsTheLongestWindowAndOneBlockOfItsLogits)
{
    ModelSpec spec = storiesSizedSpec();
    spec.vocabSize = 512;
    // Windows of 256 over 1000 tokens: the pass over 256 tokens (4·256·856 + 9·256²) plus its
    // logits (4·256·512).
    EXPECT_EQ(estimateEvalBytes(spec, 1000, 256), 876'544u + 589'824u + 524'288u);
    // A text shorter than the window is one window of its own length.
    EXPECT_EQ(estimateEvalBytes(spec, 100, 256), 342'400u + 90'000u + 204'800u);
    EXPECT_EQ(estimateEvalBytes(spec, 0, 256), 0u);
    // Gemma 3's vocabulary: a whole 32k-token window of logits would be 32 GiB; the loss holds one
    // 64 MiB block of them at a time (next_token_loss.h).
    spec.vocabSize = 262'144;
    EXPECT_EQ(estimateEvalBytes(spec, 100'000, 32'768) - estimateTextPassBytes(spec, 32'768), std::uint64_t{64} << 20);
    // At least 256 columns a block: past 65536 tokens the block outgrows 64 MiB.
    EXPECT_EQ(estimateEvalBytes(spec, 131'072, 131'072) - estimateTextPassBytes(spec, 131'072),
              std::uint64_t{4} * 131'072 * 256);
    EXPECT_EQ(estimateEvalBytes(spec, std::uint64_t{1} << 40, std::uint64_t{1} << 40),
              std::numeric_limits<std::uint64_t>::max());
}

TEST(MemoryBudget, EstimateSaturatesInsteadOfOverflowing)
{
    constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
    EXPECT_EQ(estimateTextPassBytes(storiesSizedSpec(), std::uint64_t{1} << 32), kMax);
    ModelSpec huge = storiesSizedSpec();
    huge.hiddenSize = std::numeric_limits<int>::max();
    EXPECT_EQ(estimateTextPassBytes(huge, std::uint64_t{1} << 40), kMax);
    ModelSpec negative = storiesSizedSpec();
    negative.intermediateSize = -5;  // a spec that failed validation must not wrap around
    EXPECT_EQ(estimateTextPassBytes(negative, 10), 4u * 10u * (856u - 344u) + 900u);
}

TEST(MemoryBudget, ParsesMemAvailable)
{
    EXPECT_EQ(parseMemAvailable("MemTotal:       16000000 kB\nMemFree:  100 kB\nMemAvailable:    2048 kB\n"),
              2048u * 1024u);
    EXPECT_EQ(parseMemAvailable("MemAvailable:1 kB"), 1024u);
    EXPECT_FALSE(parseMemAvailable("MemTotal: 100 kB\nMemFree: 50 kB\n").has_value());
    EXPECT_FALSE(parseMemAvailable("MemAvailable:   kB\n").has_value());
    EXPECT_FALSE(parseMemAvailable("").has_value());
}

TEST(MemoryBudget, SettableLimitReplacesMemAvailable)
{
    {
        const ScopedMemoryLimit limit(std::uint64_t{12345});
        EXPECT_EQ(availableMemoryBytes(), 12345u);
    }
    // Without a limit it is the machine's MemAvailable: positive on Linux.
    const auto available = availableMemoryBytes();
    ASSERT_TRUE(available.has_value());
    EXPECT_GT(*available, 0u);
}

TEST(MemoryBudget, RefusesWithAnExplanation)
{
    const ScopedMemoryLimit limit(std::uint64_t{1} << 20);
    EXPECT_TRUE(checkMemoryBudget(std::uint64_t{1} << 20, "a pass", "shorten it", "demo").ok());
    const Result<void> refused = checkMemoryBudget(std::uint64_t{3} << 20, "a pass over 700 tokens",
                                                   "shorten the text", "demo");
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, ErrorCode::OutOfMemory);
    EXPECT_EQ(refused.error().reason, "memory_budget");
    EXPECT_EQ(refused.error().describe(),
              "demo: a pass over 700 tokens needs about 3.0 MiB of memory, but only 1.0 MiB is available; "
              "shorten the text");
}

TEST(MemoryBudget, FormatsBytes)
{
    EXPECT_EQ(formatBytes(800), "800 bytes");
    EXPECT_EQ(formatBytes(1536), "1.5 KiB");
    EXPECT_EQ(formatBytes(std::uint64_t{5} << 30), "5.0 GiB");
    EXPECT_EQ(formatBytes(std::uint64_t{3} << 40), "3.0 TiB");
}

} // namespace
} // namespace attnscope

#include "util/memory_budget.h"

#include "io/mapped_file.h"
#include "model/model_spec.h"
#include "model/next_token_loss.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <limits>

namespace attnscope {

namespace {

constexpr std::uint64_t kNoLimit = std::numeric_limits<std::uint64_t>::max();
// kNoLimit means "not set": a limit of UINT64_MAX bytes could never refuse anything anyway.
std::atomic<std::uint64_t> g_limitBytes{kNoLimit};

std::uint64_t nonNegative(int value)
{
    return value > 0 ? static_cast<std::uint64_t>(value) : 0;
}

} // namespace

std::uint64_t saturatingMul(std::uint64_t left, std::uint64_t right)
{
    std::uint64_t product = 0;
    return __builtin_mul_overflow(left, right, &product) ? kNoLimit : product;
}

std::uint64_t saturatingAdd(std::uint64_t left, std::uint64_t right)
{
    std::uint64_t sum = 0;
    return __builtin_add_overflow(left, right, &sum) ? kNoLimit : sum;
}

std::uint64_t estimateTextPassBytes(const ModelSpec& spec, std::uint64_t nTokens)
{
    const std::uint64_t queryWidth = saturatingMul(nonNegative(spec.nHeads), nonNegative(spec.headDim));
    const std::uint64_t kvWidth = saturatingMul(nonNegative(spec.nKvHeads), nonNegative(spec.headDim));
    std::uint64_t perToken = saturatingMul(4, nonNegative(spec.hiddenSize));
    perToken = saturatingAdd(perToken, saturatingMul(2, queryWidth));
    perToken = saturatingAdd(perToken, saturatingMul(4, kvWidth));
    perToken = saturatingAdd(perToken, saturatingMul(2, nonNegative(spec.intermediateSize)));
    const std::uint64_t activations = saturatingMul(saturatingMul(4, nTokens), perToken);
    const std::uint64_t headMatrices = saturatingMul(9, saturatingMul(nTokens, nTokens));
    return saturatingAdd(activations, headMatrices);
}

std::uint64_t estimateEvalBytes(const ModelSpec& spec, std::uint64_t nTokens, std::uint64_t window)
{
    const std::uint64_t longest = std::min(nTokens, window);
    // The loss holds one block of logits at a time (next_token_loss.h), at least 256 columns.
    const std::uint64_t wholeLogits = saturatingMul(saturatingMul(4, longest), nonNegative(spec.vocabSize));
    const std::uint64_t logits =
        std::min(wholeLogits, std::max<std::uint64_t>(kLossBlockBytes, saturatingMul(saturatingMul(4, longest), 256)));
    return saturatingAdd(estimateTextPassBytes(spec, longest), logits);
}

std::optional<std::uint64_t> parseMemAvailable(std::string_view meminfo)
{
    constexpr std::string_view kKey = "MemAvailable:";
    const std::size_t at = meminfo.find(kKey);
    if (at == std::string_view::npos) {
        return std::nullopt;
    }
    std::size_t position = at + kKey.size();
    while (position < meminfo.size() && meminfo[position] == ' ') {
        ++position;
    }
    std::uint64_t kibibytes = 0;
    bool sawDigit = false;
    while (position < meminfo.size() && meminfo[position] >= '0' && meminfo[position] <= '9') {
        kibibytes = saturatingAdd(saturatingMul(kibibytes, 10), static_cast<std::uint64_t>(meminfo[position] - '0'));
        sawDigit = true;
        ++position;
    }
    if (!sawDigit) {
        return std::nullopt;
    }
    return saturatingMul(kibibytes, 1024);
}

void setMemoryLimit(std::optional<std::uint64_t> bytes)
{
    g_limitBytes.store(bytes.value_or(kNoLimit));
}

std::optional<std::uint64_t> megabytesFromEnvironment(const char* variable)
{
    const char* megabytes = std::getenv(variable);
    if (megabytes == nullptr) {
        return std::nullopt;
    }
    char* end = nullptr;
    const unsigned long long value = std::strtoull(megabytes, &end, 10);
    if (end == megabytes || *end != '\0') {
        return std::nullopt;
    }
    return saturatingMul(value, 1024 * 1024);
}

std::optional<std::uint64_t> availableMemoryBytes()
{
    const std::uint64_t limit = g_limitBytes.load();
    if (limit != kNoLimit) {
        return limit;
    }
    if (const auto fromEnvironment = megabytesFromEnvironment("ATTNSCOPE_MEMORY_LIMIT_MB")) {
        return fromEnvironment;
    }
    auto meminfo = readTextFile("/proc/meminfo");
    if (!meminfo) {
        return std::nullopt;
    }
    return parseMemAvailable(meminfo.value());
}

std::string formatBytes(std::uint64_t bytes)
{
    constexpr double kKiB = 1024.0;
    char text[64];
    const double value = static_cast<double>(bytes);
    if (value >= kKiB * kKiB * kKiB * kKiB) {
        std::snprintf(text, sizeof text, "%.1f TiB", value / (kKiB * kKiB * kKiB * kKiB));
    } else if (value >= kKiB * kKiB * kKiB) {
        std::snprintf(text, sizeof text, "%.1f GiB", value / (kKiB * kKiB * kKiB));
    } else if (value >= kKiB * kKiB) {
        std::snprintf(text, sizeof text, "%.1f MiB", value / (kKiB * kKiB));
    } else if (value >= kKiB) {
        std::snprintf(text, sizeof text, "%.1f KiB", value / kKiB);
    } else {
        std::snprintf(text, sizeof text, "%llu bytes", static_cast<unsigned long long>(bytes));
    }
    return text;
}

Result<void> checkMemoryBudget(std::uint64_t bytes, std::string_view what, std::string_view remedy,
                               const std::string& context)
{
    const std::optional<std::uint64_t> available = availableMemoryBytes();
    if (!available || bytes <= *available) {
        return okResult();
    }
    return makeError(ErrorCode::OutOfMemory,
                     std::string(what) + " needs about " + formatBytes(bytes) + " of memory, but only " +
                         formatBytes(*available) + " is available; " + std::string(remedy),
                     context, "memory_budget");
}

} // namespace attnscope

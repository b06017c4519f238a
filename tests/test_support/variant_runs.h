#pragma once
// Running a variant spec text on one layer, for the tests that compare backends
// (tests/unit/tst_variant_backend.cpp, tests/backend/tst_backend_cuda_*.cpp).

#include "attention/variant_runner.h"
#include "attnscope/variant_spec.h"
#include "backend/cuda/device_memory_budget.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

namespace attnscope {

/// runLayerVariant of the parsed `text` with `options`; a failed parse or run is a test failure
/// (and an empty result).
inline LayerVariantResult runVariantText(const LayerQkv& layer, const std::string& text,
                                         const VariantRunOptions& options)
{
    const auto spec = parseVariantSpec(text);
    EXPECT_TRUE(spec) << text;
    if (!spec) {
        return {};
    }
    auto result = attn::runLayerVariant(layer, spec.value(), options);
    EXPECT_TRUE(result) << (result ? std::string() : result.error().describe());
    return result ? std::move(result.value()) : LayerVariantResult{};
}

/// Runs `text` with VariantBackend::Cpu, then with Auto under a 1 KiB device-memory limit (lifted
/// afterwards): every head of the limited run must say its selection ran on the CPU because of GPU
/// memory and give the CPU run's kept set and output bit for bit. Returns the CPU run. Variants
/// without a selection step (performer, fast) pass `step` = "attention": their attentionBackend
/// must say the CPU instead.
inline LayerVariantResult expectMemoryRefusalGivesCpuBits(const LayerQkv& layer, const std::string& text,
                                                          VariantRunOptions options,
                                                          const std::string& step = "selection")
{
    options.backend = VariantBackend::Cpu;
    LayerVariantResult cpu = runVariantText(layer, text, options);
    options.backend = VariantBackend::Auto;
    setDeviceMemoryLimit(std::uint64_t{1024});
    const LayerVariantResult limited = runVariantText(layer, text, options);
    setDeviceMemoryLimit(std::nullopt);
    EXPECT_EQ(limited.heads.size(), cpu.heads.size());
    for (std::size_t index = 0; index < std::min(cpu.heads.size(), limited.heads.size()); ++index) {
        const VariantStats& stats = limited.heads[index].stats;
        EXPECT_EQ(step == "attention" ? stats.attentionBackend : stats.selectionBackend, "cpu") << step;
        EXPECT_NE(stats.backendFallbackReason.find("GPU memory"), std::string::npos) << stats.backendFallbackReason;
        EXPECT_EQ(limited.heads[index].attention.cols, cpu.heads[index].attention.cols);
        EXPECT_EQ(limited.heads[index].output, cpu.heads[index].output);
    }
    return cpu;
}

} // namespace attnscope

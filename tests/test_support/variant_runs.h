#pragma once
// Running a variant spec text on one layer, for the tests that compare backends
// (tests/unit/tst_variant_backend.cpp, tests/backend/tst_backend_cuda_*.cpp).

#include "attention/variant_runner.h"
#include "attnscope/variant_spec.h"

#include <gtest/gtest.h>

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

} // namespace attnscope

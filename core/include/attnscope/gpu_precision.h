#pragma once
// The element type of the model's dense attention on the GPU (issue #7). F32 (the default) keeps
// the inspection tool's numbers; Bf16 / F16 round Q, K and V to 16 bits before the tensor-core
// kernel (softmax statistics and accumulation stay f32, the output comes back as f32): faster, and
// what a model stored in bf16 computes. Only the CUDA dense attention of the forward pass reads it;
// the CPU always computes in f32.

#include <optional>
#include <string_view>

namespace attnscope {

enum class GpuPrecision { F32, Bf16, F16 };

/// "f32", "bf16", "f16": the CLI's --gpu-precision spelling.
inline const char* gpuPrecisionName(GpuPrecision precision)
{
    switch (precision) {
    case GpuPrecision::Bf16:
        return "bf16";
    case GpuPrecision::F16:
        return "f16";
    case GpuPrecision::F32:
        break;
    }
    return "f32";
}

/// The precision spelled `name` (gpuPrecisionName's spelling), nullopt for anything else.
inline std::optional<GpuPrecision> parseGpuPrecision(std::string_view name)
{
    for (GpuPrecision precision : {GpuPrecision::F32, GpuPrecision::Bf16, GpuPrecision::F16}) {
        if (name == gpuPrecisionName(precision)) {
            return precision;
        }
    }
    return std::nullopt;
}

} // namespace attnscope

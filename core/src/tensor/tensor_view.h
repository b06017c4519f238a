#pragma once
// Shape convention, written once for the whole project: shapes are listed outer → inner and data
// is row-major (C order), e.g. Q is [nHeads, nTokens, headDim]. ggml lists ne[0] = innermost, the
// opposite; convert when porting from it.

#include "attnscope/status.h"
#include "tensor/dtype.h"

#include <cstdint>
#include <string>
#include <vector>

namespace attnscope {

/// Non-owning view of a stored tensor: pointer + dtype + shape (row-major, contiguous). Views into
/// a mapped file stay valid while the file object that produced them lives.
struct TensorView {
    const std::byte* data = nullptr;
    DType dtype = DType::F32;
    std::vector<std::int64_t> shape;
    std::string name;

    std::int64_t numel() const
    {
        std::int64_t count = 1;
        for (std::int64_t extent : shape) {
            count *= extent;
        }
        return count;
    }
    std::size_t byteSize() const { return static_cast<std::size_t>(numel()) * dtypeSize(dtype); }
    std::int64_t dim(std::size_t axis) const { return shape.at(axis); }
    std::string shapeString() const;
};

/// Converts a float tensor (F32/F16/BF16) to f32 into `out` (resized). Fails with
/// UnsupportedDtype for non-float tensors.
Result<void> toFloat(const TensorView& view, std::vector<float>& out);

/// Converts and also checks that every value is finite; the error names the tensor and the first
/// bad index, so NaN or Inf weights are reported instead of silently spreading.
Result<void> toFiniteFloat(const TensorView& view, std::vector<float>& out);

} // namespace attnscope

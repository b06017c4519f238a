#include "tensor/tensor_view.h"

#include <cmath>
#include <cstring>

namespace attnscope {

std::string TensorView::shapeString() const
{
    std::string text = "[";
    for (std::size_t axis = 0; axis < shape.size(); ++axis) {
        if (axis > 0) {
            text += ", ";
        }
        text += std::to_string(shape[axis]);
    }
    return text + "]";
}

Result<void> toFloat(const TensorView& view, std::vector<float>& out)
{
    const std::size_t count = static_cast<std::size_t>(view.numel());
    out.resize(count);
    switch (view.dtype) {
    case DType::F32:
        std::memcpy(out.data(), view.data, count * sizeof(float));
        return okResult();
    case DType::F16:
        for (std::size_t index = 0; index < count; ++index) {
            std::uint16_t bits;
            std::memcpy(&bits, view.data + 2 * index, 2);
            out[index] = f16ToFloat(bits);
        }
        return okResult();
    case DType::BF16:
        for (std::size_t index = 0; index < count; ++index) {
            std::uint16_t bits;
            std::memcpy(&bits, view.data + 2 * index, 2);
            out[index] = bf16ToFloat(bits);
        }
        return okResult();
    default:
        return makeError(ErrorCode::UnsupportedDtype,
                         std::string("tensor has dtype ") + dtypeName(view.dtype) +
                             "; model weights must be F32, F16 or BF16",
                         view.name);
    }
}

Result<void> toFiniteFloat(const TensorView& view, std::vector<float>& out)
{
    ATTNSCOPE_TRY(toFloat(view, out));
    for (std::size_t index = 0; index < out.size(); ++index) {
        if (!std::isfinite(out[index])) {
            return makeError(ErrorCode::FormatInvalid,
                             std::string("weight is ") + (std::isnan(out[index]) ? "NaN" : "infinite") +
                                 " at flat index " + std::to_string(index) +
                                 " (the file is corrupt or was saved from a diverged run)",
                             view.name);
        }
    }
    return okResult();
}

} // namespace attnscope

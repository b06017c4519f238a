#pragma once
// Reference tensors that tools/ scripts write with safetensors (PyTorch run in float64, inputs in
// float32), read back as one flat vector for comparison with attnscope's float32 results.

#include "io/safetensors_file.h"

#include <cstring>
#include <string>
#include <vector>

namespace attnscope {

/// The values of the F64 tensor `name` in `file`, flattened; empty when it is absent or not F64.
inline std::vector<double> readF64(const SafetensorsFile& file, const std::string& name)
{
    const TensorView* view = file.find(name);
    std::vector<double> values;
    if (view == nullptr || view->dtype != DType::F64) {
        return values;
    }
    values.resize(static_cast<std::size_t>(view->numel()));
    std::memcpy(values.data(), view->data, values.size() * sizeof(double));
    return values;
}

/// The values of the float tensor `name` (F32/F16/BF16) in `file` as f32, flattened; empty when it
/// is absent or not a float tensor (inputs that the fixtures store in float32).
inline std::vector<float> readF32(const SafetensorsFile& file, const std::string& name)
{
    const TensorView* view = file.find(name);
    std::vector<float> values;
    if (view == nullptr || !toFloat(*view, values)) {
        values.clear();
    }
    return values;
}

/// Every tensor of `file` as TensorToWrite (same names, dtypes, shapes, bytes), for tests that
/// write an edited copy of a fixture with writeSafetensors.
inline std::vector<TensorToWrite> tensorsToWrite(const SafetensorsFile& file)
{
    std::vector<TensorToWrite> tensors;
    for (const TensorView& view : file.tensors()) {
        TensorToWrite tensor;
        tensor.name = view.name;
        tensor.dtype = view.dtype;
        tensor.shape = view.shape;
        tensor.bytes.assign(view.data, view.data + view.byteSize());
        tensors.push_back(std::move(tensor));
    }
    return tensors;
}

} // namespace attnscope

#pragma once
// Float64 reference tensors that tools/ scripts write with safetensors (PyTorch run in float64),
// read back as one flat vector for comparison with attnscope's float32 results.

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

} // namespace attnscope

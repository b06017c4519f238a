// TensorStore over a GGUF file: the rest of the model code (ModelWeights, info) sees the same
// TensorViews whatever the format.

#include "io/gguf_file.h"
#include "io/tensor_store.h"

#include <new>

namespace attnscope {

Result<std::unique_ptr<TensorStore>> TensorStore::fromGguf(std::shared_ptr<const GgufFile> file)
{
    try {
        auto store = std::make_unique<TensorStore>();
        const auto& tensors = file->tensors();
        // Views are referenced by pointer from m_byName: size the vector once, never reallocate.
        store->m_ggufViews.reserve(tensors.size());
        for (const GgufTensor& tensor : tensors) {
            TensorView view;
            view.name = tensor.name;
            view.shape = tensor.shape;
            switch (tensor.type) {
            case GgmlType::F32:
            case GgmlType::F16:
            case GgmlType::BF16:
                // Offsets are multiples of the (power-of-two, >= 8 in practice) alignment and the
                // mapping is page-aligned; copy only if a file chose an alignment below 4.
                view.dtype = tensor.type == GgmlType::F32 ? DType::F32
                             : tensor.type == GgmlType::F16 ? DType::F16
                                                            : DType::BF16;
                if (reinterpret_cast<std::uintptr_t>(tensor.data) % dtypeSize(view.dtype) == 0) {
                    view.data = tensor.data;
                    break;
                }
                [[fallthrough]];
            default: {
                // Block-quantised weights have no per-element dtype: the model code reads them as
                // f32, decoded once at open (ModelWeights would convert them at first use anyway).
                std::vector<float> values;
                ATTNSCOPE_TRY(file->toFloat(tensor, values));
                store->m_dequantised.push_back(std::move(values));
                view.dtype = DType::F32;
                view.data = reinterpret_cast<const std::byte*>(store->m_dequantised.back().data());
                break;
            }
            }
            store->m_ggufViews.push_back(std::move(view));
            store->m_byName.emplace(store->m_ggufViews.back().name, &store->m_ggufViews.back());
        }
        store->m_gguf = std::move(file);
        return store;
    } catch (const std::bad_alloc&) {
        return makeError(ErrorCode::OutOfMemory, "out of memory dequantising the GGUF tensors", file->path());
    }
}

} // namespace attnscope

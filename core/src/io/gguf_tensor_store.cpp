// TensorStore over a GGUF file: the rest of the model code (ModelWeights, info) sees the same
// TensorViews whatever the format.

#include "io/gguf_file.h"
#include "io/tensor_store.h"
#include "util/memory_budget.h"
#include "util/parallel.h"

#include <algorithm>
#include <cstdint>
#include <new>

namespace attnscope {

namespace {

// A run of consecutive blocks of one tensor, decoded by one thread. Big tensors are cut into many
// (a Gemma 3 embedding is 62% of the model's values), so every thread has work to the end.
struct DequantiseChunk {
    const GgufTensor* tensor;
    float* out;
    std::size_t firstBlock;
    std::size_t nBlocks;
};

constexpr std::size_t kValuesPerChunk = std::size_t{1} << 20;

DType viewDtype(GgmlType type)
{
    return type == GgmlType::F32 ? DType::F32 : type == GgmlType::F16 ? DType::F16 : DType::BF16;
}

// F32/F16/BF16 tensors are read in place unless the file misaligned them; everything else is
// decoded into an f32 copy.
bool readInPlace(const GgufTensor& tensor)
{
    if (tensor.type != GgmlType::F32 && tensor.type != GgmlType::F16 && tensor.type != GgmlType::BF16) {
        return false;
    }
    // Offsets are multiples of the (power-of-two, >= 8 in practice) alignment and the mapping is
    // page-aligned; copy only if a file chose an alignment below 4.
    return reinterpret_cast<std::uintptr_t>(tensor.data) % dtypeSize(viewDtype(tensor.type)) == 0;
}

} // namespace

std::uint64_t ggufCopiedBytes(const GgufFile& file)
{
    std::uint64_t total = 0;
    for (const GgufTensor& tensor : file.tensors()) {
        if (!readInPlace(tensor)) {
            total = saturatingAdd(total, saturatingMul(4, static_cast<std::uint64_t>(tensor.numel())));
        }
    }
    return total;
}

Result<std::unique_ptr<TensorStore>> TensorStore::fromGguf(std::shared_ptr<const GgufFile> file)
{
    // Quantised files hold 4-8 bits per weight and decode to 32: a file that fits on disk can
    // decode to several times the memory the machine has. Refuse before allocating any of it.
    ATTNSCOPE_TRY(checkMemoryBudget(ggufCopiedBytes(*file), "decoding its quantised tensors to f32",
                                    "use a smaller model or close other programs", file->path()));
    try {
        auto store = std::make_unique<TensorStore>();
        const auto& tensors = file->tensors();
        // Views are referenced by pointer from m_byName: size the vector once, never reallocate.
        store->m_ggufViews.reserve(tensors.size());
        std::vector<DequantiseChunk> chunks;
        for (const GgufTensor& tensor : tensors) {
            TensorView view;
            view.name = tensor.name;
            view.shape = tensor.shape;
            if (readInPlace(tensor)) {
                view.dtype = viewDtype(tensor.type);
                view.data = tensor.data;
            } else {
                // Block-quantised weights have no per-element dtype: the model code reads them as
                // f32, decoded once at open (ModelWeights would convert them at first use anyway).
                // The buffer is left uninitialised: every value is written by the decode below.
                const auto count = static_cast<std::size_t>(tensor.numel());
                store->m_dequantised.emplace_back(new float[count]);
                float* out = store->m_dequantised.back().get();
                const auto perBlock = static_cast<std::size_t>(ggmlBlockLayout(tensor.type).elementsPerBlock);
                const std::size_t blocksPerChunk = std::max<std::size_t>(1, kValuesPerChunk / perBlock);
                for (std::size_t first = 0; first < count / perBlock; first += blocksPerChunk) {
                    chunks.push_back({&tensor, out, first, std::min(blocksPerChunk, count / perBlock - first)});
                }
                view.dtype = DType::F32;
                view.data = reinterpret_cast<const std::byte*>(out);
            }
            store->m_ggufViews.push_back(std::move(view));
            store->m_byName.emplace(store->m_ggufViews.back().name, &store->m_ggufViews.back());
        }
        parallelFor(static_cast<std::int64_t>(chunks.size()), [&chunks](std::int64_t index) {
            const DequantiseChunk& chunk = chunks[static_cast<std::size_t>(index)];
            const GgmlBlockLayout layout = ggmlBlockLayout(chunk.tensor->type);
            dequantize(chunk.tensor->type,
                       chunk.tensor->data + chunk.firstBlock * static_cast<std::size_t>(layout.bytesPerBlock),
                       chunk.nBlocks, chunk.out + chunk.firstBlock * static_cast<std::size_t>(layout.elementsPerBlock));
        });
        store->m_gguf = std::move(file);
        return store;
    } catch (const std::bad_alloc&) {
        return makeError(ErrorCode::OutOfMemory, "out of memory dequantising the GGUF tensors", file->path());
    }
}

} // namespace attnscope

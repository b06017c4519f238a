#pragma once
// All tensors of a model, whatever files they live in: one .safetensors file, or a sharded set
// described by model.safetensors.index.json. Lookups by name; views stay valid while the store
// lives.

#include "attnscope/status.h"
#include "io/safetensors_file.h"
#include "tensor/tensor_view.h"

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace attnscope {

class GgufFile;

/// Bytes of the f32 copies TensorStore::fromGguf makes: 4 · numel of every tensor that is not read
/// in place (block-quantised ones, and F32/F16/BF16 ones the file misaligned). Saturates.
std::uint64_t ggufCopiedBytes(const GgufFile& file);

class TensorStore {
public:
    /// Opens the weights of an HF model folder: model.safetensors, or the shards named by
    /// model.safetensors.index.json (plain basenames only; "/", "..", absolute paths and tensors
    /// listed in two shards are rejected), or the only *.safetensors file in the folder.
    /// Errors: FileNotFound (no weights), FormatInvalid (bad index), and those of SafetensorsFile.
    static Result<std::unique_ptr<TensorStore>> openFolder(const std::string& folder);
    /// Opens a single .safetensors file.
    static Result<std::unique_ptr<TensorStore>> openFile(const std::string& path);
    /// The tensors of a GGUF file (kept alive by the store), defined in gguf_tensor_store.cpp.
    /// F32/F16/BF16 tensors are views into the mapping; block-quantised ones are dequantised to
    /// f32 once, here, on all threads. Errors: OutOfMemory. Counts the bytes (ggufCopiedBytes) of the
    /// f32 copies first, and refuses (OutOfMemory naming the file and the size, before allocating
    /// anything) when they exceed availableMemoryBytes().
    static Result<std::unique_ptr<TensorStore>> fromGguf(std::shared_ptr<const GgufFile> file);

    /// The tensor called `name`, or nullptr.
    const TensorView* find(std::string_view name) const;
    /// Every tensor name, sorted.
    std::vector<std::string> names() const;
    /// Every tensor (in shard order, then offset order).
    std::vector<const TensorView*> tensors() const;
    /// The files behind the store (one per shard).
    std::vector<std::string> files() const;
    /// Total bytes of the files.
    std::size_t totalBytes() const;
    /// Merged __metadata__ of all shards.
    std::map<std::string, std::string> metadata() const;
    /// FileIo (reason "file_changed") when a file behind the views was truncated or rewritten in
    /// place since it was opened (MappedFile::checkUnchanged): reading it now could crash.
    Result<void> checkUnchanged() const;

private:
    std::vector<std::unique_ptr<SafetensorsFile>> m_files;
    std::map<std::string, const TensorView*, std::less<>> m_byName;
    // GGUF-backed stores: the file, views in file order, and the dequantised copies they point to.
    std::shared_ptr<const GgufFile> m_gguf;
    std::vector<TensorView> m_ggufViews;
    std::vector<std::unique_ptr<float[]>> m_dequantised;
};

} // namespace attnscope

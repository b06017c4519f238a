#pragma once
// Safe reader for the safetensors format: an 8-byte little-endian header length N, N bytes of JSON
// header, then the tensor bytes. Every rule of DESIGN.md §7.5 is checked before a single tensor
// byte is read; each violation has its own Error::reason (listed below) and its own test.
//
// reasons: file_too_small, header_too_large, header_past_end, header_not_utf8, header_not_object,
// header_json, duplicate_key, metadata_not_strings, entry_invalid, unknown_dtype, shape_invalid,
// size_overflow, byte_size_mismatch, offsets_out_of_range, offsets_overlap, offsets_hole,
// trailing_bytes.

#include "attnscope/status.h"
#include "io/mapped_file.h"
#include "tensor/tensor_view.h"

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace attnscope {

class SafetensorsFile {
public:
    /// Largest header accepted (the reference implementation's limit).
    static constexpr std::uint64_t kMaxHeaderBytes = 100'000'000;

    /// Maps and validates `path`. Errors: FileNotFound, FileIo, FormatInvalid, UnsupportedDtype.
    static Result<std::unique_ptr<SafetensorsFile>> open(const std::string& path);

    /// Tensors in file order (sorted by offset). Views stay valid while this object lives.
    const std::vector<TensorView>& tensors() const { return m_tensors; }
    /// The tensor called `name`, or nullptr.
    const TensorView* find(std::string_view name) const;
    /// The `__metadata__` string map (empty when absent).
    const std::map<std::string, std::string>& metadata() const { return m_metadata; }
    const std::string& path() const { return m_file->path(); }
    std::size_t fileSize() const { return m_file->size(); }
    /// MappedFile::checkUnchanged of the file behind the views.
    Result<void> checkUnchanged() const { return m_file->checkUnchanged(); }

private:
    SafetensorsFile() = default;
    std::unique_ptr<MappedFile> m_file;
    std::vector<TensorView> m_tensors;
    std::map<std::string, std::size_t, std::less<>> m_indexByName;
    std::map<std::string, std::string> m_metadata;
    // Copies of tensors whose data is not aligned to their element size in the mapping.
    std::vector<std::unique_ptr<std::byte[]>> m_alignedCopies;
};

/// One tensor to write: name, dtype, shape (row-major) and exactly numel × dtypeSize bytes.
struct TensorToWrite {
    std::string name;
    DType dtype = DType::F32;
    std::vector<std::int64_t> shape;
    std::vector<std::byte> bytes;
};

/// Writes a safetensors file atomically (temporary file, then rename); tensors are laid out in
/// the given order. Errors: InvalidArgument (byte count does not match the shape), FileIo.
Result<void> writeSafetensors(const std::string& path, const std::vector<TensorToWrite>& tensors,
                              const std::map<std::string, std::string>& metadata = {});

/// Convenience: an f32 tensor from values.
TensorToWrite makeF32Tensor(std::string name, std::vector<std::int64_t> shape,
                            const std::vector<float>& values);

} // namespace attnscope

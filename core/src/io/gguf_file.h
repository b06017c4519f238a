#pragma once
// Safe reader for GGUF v2/v3 (llama.cpp's model format): a header (magic "GGUF", version, tensor
// and metadata counts), typed key/value metadata, tensor infos (name, dims, ggml type, offset),
// then the tensor data section at the next multiple of general.alignment. The file is mmapped and
// treated as hostile: every count, length, offset and size is checked against the bytes that are
// actually there before it is used, so a crafted or truncated file gives an Error, never a crash
// or a huge allocation. Each rule has its own Error::reason (listed below) and its own test.
//
// reasons: file_too_small, bad_magic, unsupported_version, tensor_count_too_large,
// metadata_count_too_large, string_past_end, string_not_utf8, array_too_large, value_past_end,
// invalid_value_type, nested_array, duplicate_key, alignment_invalid, too_many_dims, shape_invalid,
// size_overflow, duplicate_tensor, unsupported_tensor_type (UnsupportedDtype), row_not_block_multiple,
// data_past_end, offset_misaligned, offset_past_end, tensors_overlap.
//
// Shapes: GGUF lists dims innermost first (ggml's ne[0]); GgufTensor::shape is reversed to this
// project's outer → inner convention, so a [out, in] linear weight reads [out, in] here too.

#include "attnscope/status.h"
#include "io/mapped_file.h"
#include "tensor/dequantize.h"

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace attnscope {

/// GGUF metadata value types (the ids stored in the file).
enum class GgufType : std::uint32_t {
    U8 = 0, I8 = 1, U16 = 2, I16 = 3, U32 = 4, I32 = 5, F32 = 6, Bool = 7, String = 8, Array = 9,
    U64 = 10, I64 = 11, F64 = 12,
};

/// One metadata value. Scalars: the integer types fill `integer` (u64 values above INT64_MAX are
/// rejected by the accessors that need them), floats fill `real`, Bool fills `integer` (0/1),
/// String fills `text`. Arrays set `elementType` and fill one of `integers`, `reals` or `texts`.
struct GgufValue {
    GgufType type = GgufType::U8;
    GgufType elementType = GgufType::U8;
    std::int64_t integer = 0;
    std::uint64_t unsignedInteger = 0;
    double real = 0.0;
    std::string text;
    std::vector<std::int64_t> integers;
    std::vector<double> reals;
    std::vector<std::string> texts;

    bool isInteger() const;
    bool isArray() const { return type == GgufType::Array; }
    std::size_t arraySize() const;
};

/// One tensor: name, ggml type, shape (outer → inner), and its bytes in the mapping.
struct GgufTensor {
    std::string name;
    GgmlType type = GgmlType::F32;
    std::vector<std::int64_t> shape;
    const std::byte* data = nullptr;
    std::uint64_t offset = 0;   ///< relative to the data section
    std::uint64_t byteSize = 0;

    std::int64_t numel() const;
};

class GgufFile {
public:
    /// Largest number of dims a GGUF tensor may have (ggml's GGML_MAX_DIMS).
    static constexpr std::uint32_t kMaxDims = 4;
    static constexpr std::uint32_t kDefaultAlignment = 32;

    /// Maps and validates `path`. Errors: FileNotFound, FileIo, FormatInvalid, UnsupportedDtype
    /// (a tensor type attnscope cannot dequantise, named), OutOfMemory.
    static Result<std::unique_ptr<GgufFile>> open(const std::string& path);

    std::uint32_t version() const { return m_version; }
    std::uint32_t alignment() const { return m_alignment; }
    const std::string& path() const { return m_file->path(); }
    std::size_t fileSize() const { return m_file->size(); }
    /// MappedFile::checkUnchanged of the file behind the tensor views.
    Result<void> checkUnchanged() const { return m_file->checkUnchanged(); }

    /// The metadata value of `key`, or nullptr.
    const GgufValue* find(std::string_view key) const;
    const std::map<std::string, GgufValue, std::less<>>& metadata() const { return m_metadata; }
    /// Tensors in file order. Views into the mapping stay valid while this object lives.
    const std::vector<GgufTensor>& tensors() const { return m_tensors; }
    const GgufTensor* findTensor(std::string_view name) const;

    // Typed metadata accessors: nullopt-like defaults are explicit, and a present key of the wrong
    // type is an error naming the key and the file (reason "metadata_type").
    Result<std::string> getString(std::string_view key) const;
    Result<std::int64_t> getInt(std::string_view key, std::int64_t fallback, bool required = false) const;
    Result<double> getReal(std::string_view key, double fallback, bool required = false) const;
    Result<bool> getBool(std::string_view key, bool fallback) const;

    /// Dequantises `tensor` to f32 into `out` (resized to numel). Errors: OutOfMemory.
    Result<void> toFloat(const GgufTensor& tensor, std::vector<float>& out) const;

private:
    GgufFile() = default;
    std::unique_ptr<MappedFile> m_file;
    std::uint32_t m_version = 0;
    std::uint32_t m_alignment = kDefaultAlignment;
    std::map<std::string, GgufValue, std::less<>> m_metadata;
    std::vector<GgufTensor> m_tensors;
    std::map<std::string, std::size_t, std::less<>> m_tensorIndex;
};

/// "u32", "string", "array", ... for messages.
const char* ggufTypeName(GgufType type);

} // namespace attnscope

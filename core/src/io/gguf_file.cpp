#include "io/gguf_file.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <new>

namespace attnscope {

namespace {

Error formatError(const std::string& path, std::string reason, std::string message)
{
    return makeError(ErrorCode::FormatInvalid, std::move(message), path, std::move(reason));
}

// Smallest encodings, used to reject counts that could not possibly fit in the bytes left before
// anything is allocated for them: a tensor info is a name length (8) + dim count (4) + type (4) +
// offset (8); a metadata pair is a key length (8) + value type (4) + the smallest value (1).
constexpr std::uint64_t kMinTensorInfoBytes = 8 + 4 + 4 + 8;
constexpr std::uint64_t kMinKeyValueBytes = 8 + 4 + 1;

std::uint64_t scalarSize(GgufType type)
{
    switch (type) {
    case GgufType::U8:
    case GgufType::I8:
    case GgufType::Bool: return 1;
    case GgufType::U16:
    case GgufType::I16: return 2;
    case GgufType::U32:
    case GgufType::I32:
    case GgufType::F32: return 4;
    case GgufType::U64:
    case GgufType::I64:
    case GgufType::F64: return 8;
    case GgufType::String: return 8; // at least its length
    case GgufType::Array: return 12; // at least element type + count
    }
    return 1;
}

bool validType(std::uint32_t raw)
{
    return raw <= static_cast<std::uint32_t>(GgufType::F64);
}

// A bounds-checked cursor over the mapping. Every read checks the bytes left first; `what` names
// the key or tensor being read so errors say where the file went wrong.
class Reader {
public:
    Reader(const std::byte* data, std::uint64_t size, const std::string& path)
        : m_data(data), m_size(size), m_path(path)
    {
    }

    std::uint64_t offset() const { return m_offset; }
    std::uint64_t remaining() const { return m_size - m_offset; }

    template <typename T>
    Result<T> read(const std::string& what)
    {
        if (remaining() < sizeof(T)) {
            return formatError(m_path, "value_past_end",
                               what + " runs past the end of the " + std::to_string(m_size) + "-byte file (truncated?)");
        }
        T value;
        std::memcpy(&value, m_data + m_offset, sizeof value);
        m_offset += sizeof value;
        return value;
    }

    Result<std::string> readString(const std::string& what)
    {
        auto length = read<std::uint64_t>(what + " (string length)");
        ATTNSCOPE_TRY(length);
        if (*length > remaining()) {
            return formatError(m_path, "string_past_end",
                               what + " claims a string of " + std::to_string(*length) + " bytes but only " +
                                   std::to_string(remaining()) + " bytes are left in the file");
        }
        std::string text(reinterpret_cast<const char*>(m_data + m_offset), *length);
        m_offset += *length;
        return text;
    }

    Result<GgufValue> readValue(GgufType type, const std::string& what)
    {
        GgufValue value;
        value.type = type;
        switch (type) {
        case GgufType::U8: return integer<std::uint8_t>(value, what);
        case GgufType::I8: return integer<std::int8_t>(value, what);
        case GgufType::U16: return integer<std::uint16_t>(value, what);
        case GgufType::I16: return integer<std::int16_t>(value, what);
        case GgufType::U32: return integer<std::uint32_t>(value, what);
        case GgufType::I32: return integer<std::int32_t>(value, what);
        case GgufType::U64: return integer<std::uint64_t>(value, what);
        case GgufType::I64: return integer<std::int64_t>(value, what);
        case GgufType::Bool: {
            auto raw = read<std::uint8_t>(what);
            ATTNSCOPE_TRY(raw);
            value.integer = *raw != 0 ? 1 : 0;
            value.unsignedInteger = static_cast<std::uint64_t>(value.integer);
            return value;
        }
        case GgufType::F32: {
            auto raw = read<float>(what);
            ATTNSCOPE_TRY(raw);
            value.real = *raw;
            return value;
        }
        case GgufType::F64: {
            auto raw = read<double>(what);
            ATTNSCOPE_TRY(raw);
            value.real = *raw;
            return value;
        }
        case GgufType::String: {
            auto text = readString(what);
            ATTNSCOPE_TRY(text);
            value.text = std::move(*text);
            return value;
        }
        case GgufType::Array:
            return readArray(std::move(value), what);
        }
        return formatError(m_path, "invalid_value_type", what + " has an invalid value type");
    }

private:
    template <typename T>
    Result<GgufValue> integer(GgufValue value, const std::string& what)
    {
        auto raw = read<T>(what);
        ATTNSCOPE_TRY(raw);
        value.integer = static_cast<std::int64_t>(*raw);
        value.unsignedInteger = static_cast<std::uint64_t>(*raw);
        return value;
    }

    Result<GgufValue> readArray(GgufValue value, const std::string& what)
    {
        auto rawType = read<std::uint32_t>(what + " (array element type)");
        ATTNSCOPE_TRY(rawType);
        if (!validType(*rawType)) {
            return formatError(m_path, "invalid_value_type",
                               what + " is an array of invalid value type " + std::to_string(*rawType));
        }
        const auto elementType = static_cast<GgufType>(*rawType);
        if (elementType == GgufType::Array) {
            // llama.cpp refuses nested arrays too; no model metadata uses them.
            return formatError(m_path, "nested_array", what + " is an array of arrays, which GGUF readers do not accept");
        }
        auto count = read<std::uint64_t>(what + " (array length)");
        ATTNSCOPE_TRY(count);
        if (*count > remaining() / scalarSize(elementType)) {
            return formatError(m_path, "array_too_large",
                               what + " claims " + std::to_string(*count) + " elements of type " +
                                   ggufTypeName(elementType) + ", more than the " + std::to_string(remaining()) +
                                   " bytes left in the file can hold");
        }
        value.elementType = elementType;
        const bool isText = elementType == GgufType::String;
        const bool isReal = elementType == GgufType::F32 || elementType == GgufType::F64;
        if (isText) {
            value.texts.reserve(*count);
        } else if (isReal) {
            value.reals.reserve(*count);
        } else {
            value.integers.reserve(*count);
        }
        for (std::uint64_t index = 0; index < *count; ++index) {
            auto element = readValue(elementType, what + "[" + std::to_string(index) + "]");
            ATTNSCOPE_TRY(element);
            if (isText) {
                value.texts.push_back(std::move(element->text));
            } else if (isReal) {
                value.reals.push_back(element->real);
            } else {
                value.integers.push_back(element->integer);
            }
        }
        return value;
    }

    const std::byte* m_data;
    std::uint64_t m_size;
    std::uint64_t m_offset = 0;
    const std::string& m_path;
};

Error typeError(const std::string& path, std::string_view key, const std::string& wanted, const GgufValue& value)
{
    return formatError(path, "metadata_type",
                       "metadata key \"" + std::string(key) + "\" must be " + wanted + " (it is " +
                           ggufTypeName(value.type) + ")");
}

struct TensorInfo {
    std::string name;
    std::uint32_t rawType = 0;
    std::vector<std::int64_t> dims; // ggml order, innermost first
    std::uint64_t offset = 0;
};

Result<TensorInfo> readTensorInfo(Reader& reader, std::uint64_t index, const std::string& path)
{
    TensorInfo info;
    auto name = reader.readString("the name of tensor " + std::to_string(index));
    ATTNSCOPE_TRY(name);
    info.name = std::move(*name);
    const std::string where = "tensor \"" + info.name + "\"";
    auto nDims = reader.read<std::uint32_t>(where + " (dim count)");
    ATTNSCOPE_TRY(nDims);
    if (*nDims > GgufFile::kMaxDims) {
        return formatError(path, "too_many_dims",
                           where + " has " + std::to_string(*nDims) + " dims (at most " +
                               std::to_string(GgufFile::kMaxDims) + ")");
    }
    for (std::uint32_t axis = 0; axis < *nDims; ++axis) {
        auto extent = reader.read<std::int64_t>(where + " (dim " + std::to_string(axis) + ")");
        ATTNSCOPE_TRY(extent);
        if (*extent < 0) {
            return formatError(path, "shape_invalid", where + " has a negative dim " + std::to_string(*extent));
        }
        info.dims.push_back(*extent);
    }
    auto rawType = reader.read<std::uint32_t>(where + " (type)");
    ATTNSCOPE_TRY(rawType);
    info.rawType = *rawType;
    auto offset = reader.read<std::uint64_t>(where + " (offset)");
    ATTNSCOPE_TRY(offset);
    info.offset = *offset;
    return info;
}

} // namespace

const char* ggufTypeName(GgufType type)
{
    static constexpr const char* kNames[] = {"u8",  "i8",   "u16",    "i16",   "u32", "i32", "f32",
                                             "bool", "string", "array", "u64", "i64", "f64"};
    const auto index = static_cast<std::uint32_t>(type);
    return index < sizeof(kNames) / sizeof(kNames[0]) ? kNames[index] : "invalid";
}

bool GgufValue::isInteger() const
{
    switch (type) {
    case GgufType::U8:
    case GgufType::I8:
    case GgufType::U16:
    case GgufType::I16:
    case GgufType::U32:
    case GgufType::I32:
    case GgufType::U64:
    case GgufType::I64: return true;
    default: return false;
    }
}

std::size_t GgufValue::arraySize() const
{
    return texts.size() + reals.size() + integers.size();
}

std::int64_t GgufTensor::numel() const
{
    std::int64_t count = 1;
    for (std::int64_t extent : shape) {
        count *= extent;
    }
    return count;
}

Result<std::unique_ptr<GgufFile>> GgufFile::open(const std::string& path)
{
    auto mapped = MappedFile::open(path);
    ATTNSCOPE_TRY(mapped);
    try {
        std::unique_ptr<GgufFile> file(new GgufFile());
        file->m_file = std::move(*mapped);
        const std::uint64_t fileSize = file->m_file->size();
        if (fileSize < 4 + 4 + 8 + 8) {
            return formatError(path, "file_too_small",
                               "file is " + std::to_string(fileSize) + " bytes, too small for a GGUF header (truncated?)");
        }
        Reader reader(file->m_file->data(), fileSize, path);
        if (std::memcmp(file->m_file->data(), "GGUF", 4) != 0) {
            return formatError(path, "bad_magic", "not a GGUF file (the first four bytes are not \"GGUF\")");
        }
        (void)reader.read<std::uint32_t>("magic");
        file->m_version = *reader.read<std::uint32_t>("version");
        if (file->m_version != 2 && file->m_version != 3) {
            return makeError(ErrorCode::Unsupported,
                             "GGUF version " + std::to_string(file->m_version) + " is not supported (only 2 and 3)",
                             path, "unsupported_version");
        }
        const std::uint64_t nTensors = *reader.read<std::uint64_t>("tensor count");
        const std::uint64_t nKeys = *reader.read<std::uint64_t>("metadata count");
        if (nTensors > reader.remaining() / kMinTensorInfoBytes) {
            return formatError(path, "tensor_count_too_large",
                               "header claims " + std::to_string(nTensors) + " tensors, more than the " +
                                   std::to_string(fileSize) + "-byte file can describe");
        }
        if (nKeys > reader.remaining() / kMinKeyValueBytes) {
            return formatError(path, "metadata_count_too_large",
                               "header claims " + std::to_string(nKeys) + " metadata entries, more than the " +
                                   std::to_string(fileSize) + "-byte file can hold");
        }

        for (std::uint64_t index = 0; index < nKeys; ++index) {
            auto key = reader.readString("metadata key " + std::to_string(index));
            ATTNSCOPE_TRY(key);
            const std::string where = "metadata key \"" + *key + "\"";
            auto rawType = reader.read<std::uint32_t>(where + " (value type)");
            ATTNSCOPE_TRY(rawType);
            if (!validType(*rawType)) {
                return formatError(path, "invalid_value_type",
                                   where + " has invalid value type " + std::to_string(*rawType));
            }
            auto value = reader.readValue(static_cast<GgufType>(*rawType), where);
            ATTNSCOPE_TRY(value);
            if (!file->m_metadata.emplace(*key, std::move(*value)).second) {
                return formatError(path, "duplicate_key", "metadata key \"" + *key + "\" appears twice");
            }
        }
        if (const GgufValue* alignment = file->find("general.alignment")) {
            if (alignment->type != GgufType::U32 || alignment->integer == 0 ||
                (alignment->integer & (alignment->integer - 1)) != 0) {
                return formatError(path, "alignment_invalid",
                                   "general.alignment must be a u32 power of two (got " +
                                       std::string(ggufTypeName(alignment->type)) + " " +
                                       std::to_string(alignment->integer) + ")");
            }
            file->m_alignment = static_cast<std::uint32_t>(alignment->integer);
        }

        std::vector<TensorInfo> infos;
        infos.reserve(nTensors);
        for (std::uint64_t index = 0; index < nTensors; ++index) {
            auto info = readTensorInfo(reader, index, path);
            ATTNSCOPE_TRY(info);
            infos.push_back(std::move(*info));
        }

        // The data section starts at the next multiple of the alignment after the infos.
        const std::uint64_t dataStart = (reader.offset() + file->m_alignment - 1) / file->m_alignment * file->m_alignment;
        if (dataStart > fileSize) {
            return formatError(path, "data_past_end",
                               "the tensor data section would start at byte " + std::to_string(dataStart) +
                                   ", past the end of the " + std::to_string(fileSize) + "-byte file (truncated?)");
        }
        const std::uint64_t dataSize = fileSize - dataStart;
        const std::byte* dataBase = file->m_file->data() + dataStart;

        for (TensorInfo& info : infos) {
            const std::string where = "tensor \"" + info.name + "\"";
            const auto type = ggmlTypeFromId(info.rawType);
            if (!type) {
                return makeError(ErrorCode::UnsupportedDtype,
                                 where + " has ggml type " + ggmlTypeName(info.rawType) + " (id " +
                                     std::to_string(info.rawType) +
                                     "); supported: F32 F16 BF16 Q8_0 Q4_0 Q5_0 Q4_K Q5_K Q6_K",
                                 path, "unsupported_tensor_type");
            }
            const GgmlBlockLayout layout = ggmlBlockLayout(*type);
            std::uint64_t elementCount = 1;
            for (std::int64_t extent : info.dims) {
                if (__builtin_mul_overflow(elementCount, static_cast<std::uint64_t>(extent), &elementCount) ||
                    elementCount > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
                    return formatError(path, "size_overflow", where + " has a shape whose element count overflows");
                }
            }
            const std::int64_t rowLength = info.dims.empty() ? 1 : info.dims.front();
            if (rowLength % layout.elementsPerBlock != 0) {
                return formatError(path, "row_not_block_multiple",
                                   where + " has rows of " + std::to_string(rowLength) + " values, not a multiple of the " +
                                       std::to_string(layout.elementsPerBlock) + "-value blocks of " +
                                       ggmlTypeName(info.rawType));
            }
            const std::uint64_t byteSize = elementCount / layout.elementsPerBlock * layout.bytesPerBlock;
            if (info.offset % file->m_alignment != 0) {
                return formatError(path, "offset_misaligned",
                                   where + " starts at data offset " + std::to_string(info.offset) +
                                       ", not a multiple of the alignment " + std::to_string(file->m_alignment));
            }
            if (info.offset > dataSize || byteSize > dataSize - info.offset) {
                return formatError(path, "offset_past_end",
                                   where + " spans data bytes [" + std::to_string(info.offset) + ", " +
                                       std::to_string(info.offset + byteSize) + ") but the data section has " +
                                       std::to_string(dataSize) + " bytes (truncated?)");
            }
            GgufTensor tensor;
            tensor.name = std::move(info.name);
            tensor.type = *type;
            tensor.shape.assign(info.dims.rbegin(), info.dims.rend());
            tensor.offset = info.offset;
            tensor.byteSize = byteSize;
            tensor.data = dataBase + info.offset;
            if (!file->m_tensorIndex.emplace(tensor.name, file->m_tensors.size()).second) {
                return formatError(path, "duplicate_tensor", "tensor \"" + tensor.name + "\" is listed twice");
            }
            file->m_tensors.push_back(std::move(tensor));
        }

        // Two tensors sharing bytes would let one write show up as two weights: refuse overlaps.
        std::vector<const GgufTensor*> byOffset;
        for (const GgufTensor& tensor : file->m_tensors) {
            byOffset.push_back(&tensor);
        }
        std::sort(byOffset.begin(), byOffset.end(),
                  [](const GgufTensor* left, const GgufTensor* right) { return left->offset < right->offset; });
        for (std::size_t index = 1; index < byOffset.size(); ++index) {
            const GgufTensor& previous = *byOffset[index - 1];
            if (byOffset[index]->offset < previous.offset + previous.byteSize) {
                return formatError(path, "tensors_overlap",
                                   "tensor \"" + byOffset[index]->name + "\" overlaps tensor \"" + previous.name + "\"");
            }
        }
        return file;
    } catch (const std::bad_alloc&) {
        return makeError(ErrorCode::OutOfMemory, "out of memory reading the GGUF header", path);
    } catch (const std::length_error&) {
        return makeError(ErrorCode::OutOfMemory, "out of memory reading the GGUF header", path);
    }
}

const GgufValue* GgufFile::find(std::string_view key) const
{
    const auto found = m_metadata.find(key);
    return found == m_metadata.end() ? nullptr : &found->second;
}

const GgufTensor* GgufFile::findTensor(std::string_view name) const
{
    const auto found = m_tensorIndex.find(name);
    return found == m_tensorIndex.end() ? nullptr : &m_tensors[found->second];
}

Result<std::string> GgufFile::getString(std::string_view key) const
{
    const GgufValue* value = find(key);
    if (value == nullptr) {
        return formatError(path(), "metadata_missing", "metadata key \"" + std::string(key) + "\" is missing");
    }
    if (value->type != GgufType::String) {
        return typeError(path(), key, "a string", *value);
    }
    return value->text;
}

Result<std::int64_t> GgufFile::getInt(std::string_view key, std::int64_t fallback, bool required) const
{
    const GgufValue* value = find(key);
    if (value == nullptr) {
        if (required) {
            return formatError(path(), "metadata_missing", "metadata key \"" + std::string(key) + "\" is missing");
        }
        return fallback;
    }
    if (!value->isInteger() || (value->type == GgufType::U64 && value->unsignedInteger > (1ull << 62))) {
        return typeError(path(), key, "an integer", *value);
    }
    return value->integer;
}

Result<double> GgufFile::getReal(std::string_view key, double fallback, bool required) const
{
    const GgufValue* value = find(key);
    if (value == nullptr) {
        if (required) {
            return formatError(path(), "metadata_missing", "metadata key \"" + std::string(key) + "\" is missing");
        }
        return fallback;
    }
    if (value->type == GgufType::F32 || value->type == GgufType::F64) {
        return value->real;
    }
    if (value->isInteger()) {
        return static_cast<double>(value->integer);
    }
    return typeError(path(), key, "a number", *value);
}

Result<bool> GgufFile::getBool(std::string_view key, bool fallback) const
{
    const GgufValue* value = find(key);
    if (value == nullptr) {
        return fallback;
    }
    if (value->type != GgufType::Bool) {
        return typeError(path(), key, "a bool", *value);
    }
    return value->integer != 0;
}

Result<void> GgufFile::toFloat(const GgufTensor& tensor, std::vector<float>& out) const
{
    try {
        const GgmlBlockLayout layout = ggmlBlockLayout(tensor.type);
        const auto count = static_cast<std::size_t>(tensor.numel());
        out.resize(count);
        dequantize(tensor.type, tensor.data, count / static_cast<std::size_t>(layout.elementsPerBlock), out.data());
        return okResult();
    } catch (const std::bad_alloc&) {
        return makeError(ErrorCode::OutOfMemory, "out of memory dequantising tensor \"" + tensor.name + "\"", path());
    }
}

} // namespace attnscope

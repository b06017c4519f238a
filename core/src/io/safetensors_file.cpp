#include "io/safetensors_file.h"

#include "io/atomic_write.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>

namespace attnscope {

namespace {

using Json = nlohmann::json;

Error formatError(const std::string& path, std::string reason, std::string message)
{
    return makeError(ErrorCode::FormatInvalid, std::move(message), path, std::move(reason));
}

// Strict UTF-8 check (no overlongs, no surrogates, nothing past U+10FFFF).
bool isValidUtf8(std::string_view text)
{
    std::size_t index = 0;
    while (index < text.size()) {
        const auto lead = static_cast<unsigned char>(text[index]);
        std::size_t length;
        std::uint32_t codepoint;
        if (lead < 0x80) {
            ++index;
            continue;
        } else if ((lead & 0xe0) == 0xc0) {
            length = 2;
            codepoint = lead & 0x1f;
        } else if ((lead & 0xf0) == 0xe0) {
            length = 3;
            codepoint = lead & 0x0f;
        } else if ((lead & 0xf8) == 0xf0) {
            length = 4;
            codepoint = lead & 0x07;
        } else {
            return false;
        }
        if (index + length > text.size()) {
            return false;
        }
        for (std::size_t offset = 1; offset < length; ++offset) {
            const auto continuation = static_cast<unsigned char>(text[index + offset]);
            if ((continuation & 0xc0) != 0x80) {
                return false;
            }
            codepoint = (codepoint << 6) | (continuation & 0x3f);
        }
        static constexpr std::uint32_t kMinimumForLength[] = {0, 0, 0x80, 0x800, 0x10000};
        if (codepoint < kMinimumForLength[length] || codepoint > 0x10ffff ||
            (codepoint >= 0xd800 && codepoint <= 0xdfff)) {
            return false;
        }
        index += length;
    }
    return true;
}

bool checkedMultiply(std::uint64_t left, std::uint64_t right, std::uint64_t& product)
{
    return !__builtin_mul_overflow(left, right, &product);
}

// Parses the header JSON, rejecting duplicate keys at any depth (nlohmann keeps the last one
// silently, which would let two readers of the same file disagree on a tensor's location).
Result<Json> parseHeaderJson(std::string_view header, const std::string& path)
{
    std::vector<std::set<std::string>> keysPerObject;
    std::string duplicate;
    auto callback = [&](int, Json::parse_event_t event, Json& parsed) {
        if (event == Json::parse_event_t::object_start) {
            keysPerObject.emplace_back();
        } else if (event == Json::parse_event_t::object_end) {
            if (!keysPerObject.empty()) {
                keysPerObject.pop_back();
            }
        } else if (event == Json::parse_event_t::key && !keysPerObject.empty()) {
            const std::string key = parsed.get<std::string>();
            if (!keysPerObject.back().insert(key).second && duplicate.empty()) {
                duplicate = key;
            }
        }
        return true;
    };
    try {
        Json parsed = Json::parse(header.begin(), header.end(), callback);
        if (!duplicate.empty()) {
            return formatError(path, "duplicate_key",
                               "header lists the key \"" + duplicate + "\" twice");
        }
        return parsed;
    } catch (const Json::exception& exception) {
        return formatError(path, "header_json", std::string("header is not valid JSON: ") + exception.what());
    }
}

struct Entry {
    std::string name;
    DType dtype;
    std::vector<std::int64_t> shape;
    std::uint64_t begin;
    std::uint64_t end;
};

Result<Entry> parseEntry(const std::string& name, const Json& value, const std::string& path)
{
    const std::string where = "tensor \"" + name + "\"";
    if (!value.is_object() || !value.contains("dtype") || !value.contains("shape") ||
        !value.contains("data_offsets") || !value["dtype"].is_string() || !value["shape"].is_array() ||
        !value["data_offsets"].is_array() || value["data_offsets"].size() != 2) {
        return formatError(path, "entry_invalid",
                           where + " needs \"dtype\" (string), \"shape\" (array) and \"data_offsets\" ([begin, end])");
    }
    Entry entry;
    entry.name = name;
    const std::string dtypeText = value["dtype"].get<std::string>();
    const auto dtype = parseDtype(dtypeText);
    if (!dtype) {
        return makeError(ErrorCode::UnsupportedDtype,
                         where + " has dtype \"" + dtypeText +
                             "\"; supported: F32 F16 BF16 F64 I64 I32 I16 I8 U8 BOOL",
                         path, "unknown_dtype");
    }
    entry.dtype = *dtype;
    std::uint64_t elementCount = 1;
    for (const Json& extent : value["shape"]) {
        if (!extent.is_number_integer() || extent.get<std::int64_t>() < 0) {
            return formatError(path, "shape_invalid", where + " has a shape entry that is not a non-negative integer");
        }
        const auto size = extent.get<std::uint64_t>();
        if (!checkedMultiply(elementCount, size, elementCount)) {
            return formatError(path, "size_overflow", where + " has a shape whose element count overflows");
        }
        entry.shape.push_back(static_cast<std::int64_t>(size));
    }
    for (const Json& offset : value["data_offsets"]) {
        if (!offset.is_number_unsigned()) {
            return formatError(path, "entry_invalid", where + " has a data offset that is not a non-negative integer");
        }
    }
    entry.begin = value["data_offsets"][0].get<std::uint64_t>();
    entry.end = value["data_offsets"][1].get<std::uint64_t>();
    std::uint64_t byteCount = 0;
    if (!checkedMultiply(elementCount, dtypeSize(entry.dtype), byteCount)) {
        return formatError(path, "size_overflow", where + " has a byte size that overflows");
    }
    if (entry.end < entry.begin || entry.end - entry.begin != byteCount) {
        return formatError(path, "byte_size_mismatch",
                           where + " spans " + std::to_string(entry.end >= entry.begin ? entry.end - entry.begin : 0) +
                               " bytes but its shape and dtype need " + std::to_string(byteCount));
    }
    return entry;
}

} // namespace

Result<std::unique_ptr<SafetensorsFile>> SafetensorsFile::open(const std::string& path)
{
    auto mapped = MappedFile::open(path);
    if (!mapped) {
        return mapped.error();
    }
    std::unique_ptr<SafetensorsFile> file(new SafetensorsFile());
    file->m_file = std::move(mapped.value());
    const std::byte* bytes = file->m_file->data();
    const std::uint64_t fileSize = file->m_file->size();

    if (fileSize < 8) {
        return formatError(path, "file_too_small",
                           "file is " + std::to_string(fileSize) + " bytes, too small for a safetensors header (truncated?)");
    }
    std::uint64_t headerSize = 0;
    for (int byte = 7; byte >= 0; --byte) {
        headerSize = (headerSize << 8) | static_cast<std::uint8_t>(bytes[byte]);
    }
    if (headerSize > kMaxHeaderBytes) {
        return formatError(path, "header_too_large",
                           "header length " + std::to_string(headerSize) + " exceeds the 100 MB limit");
    }
    if (headerSize > fileSize - 8) {
        return formatError(path, "header_past_end",
                           "header length " + std::to_string(headerSize) + " runs past the end of the " +
                               std::to_string(fileSize) + "-byte file (truncated?)");
    }
    const std::string_view header(reinterpret_cast<const char*>(bytes + 8), headerSize);
    if (!isValidUtf8(header)) {
        return formatError(path, "header_not_utf8", "header is not valid UTF-8");
    }
    if (header.empty() || header.front() != '{') {
        return formatError(path, "header_not_object", "header must be a JSON object starting with '{'");
    }
    auto parsed = parseHeaderJson(header, path);
    if (!parsed) {
        return parsed.error();
    }
    const Json& root = parsed.value();
    if (!root.is_object()) {
        return formatError(path, "header_not_object", "header must be a JSON object");
    }

    std::vector<Entry> entries;
    for (const auto& [key, value] : root.items()) {
        if (key == "__metadata__") {
            if (!value.is_object()) {
                return formatError(path, "metadata_not_strings", "__metadata__ must be an object of strings");
            }
            for (const auto& [metaKey, metaValue] : value.items()) {
                if (!metaValue.is_string()) {
                    return formatError(path, "metadata_not_strings",
                                       "__metadata__ value of \"" + metaKey + "\" is not a string");
                }
                file->m_metadata[metaKey] = metaValue.get<std::string>();
            }
            continue;
        }
        auto entry = parseEntry(key, value, path);
        if (!entry) {
            return entry.error();
        }
        entries.push_back(std::move(entry.value()));
    }

    // Offsets must tile the data section exactly: sorted, contiguous from 0, no holes, no
    // overlaps, and nothing after the last tensor. Anything else means a corrupt or crafted file.
    std::sort(entries.begin(), entries.end(), [](const Entry& left, const Entry& right) {
        return left.begin != right.begin ? left.begin < right.begin : left.end < right.end;
    });
    const std::uint64_t dataSize = fileSize - 8 - headerSize;
    std::uint64_t expectedBegin = 0;
    for (const Entry& entry : entries) {
        if (entry.end > dataSize) {
            return formatError(path, "offsets_out_of_range",
                               "tensor \"" + entry.name + "\" ends at byte " + std::to_string(entry.end) +
                                   " but the data section has " + std::to_string(dataSize) + " bytes (truncated?)");
        }
        if (entry.begin < expectedBegin) {
            return formatError(path, "offsets_overlap",
                               "tensor \"" + entry.name + "\" overlaps the tensor before it");
        }
        if (entry.begin > expectedBegin) {
            return formatError(path, "offsets_hole",
                               "unused bytes before tensor \"" + entry.name + "\" (offsets are not contiguous)");
        }
        expectedBegin = entry.end;
    }
    if (expectedBegin != dataSize) {
        return formatError(path, "trailing_bytes",
                           std::to_string(dataSize - expectedBegin) + " bytes after the last tensor are not described by the header");
    }

    const std::byte* dataStart = bytes + 8 + headerSize;
    file->m_tensors.reserve(entries.size());
    for (Entry& entry : entries) {
        TensorView view;
        view.name = entry.name;
        view.dtype = entry.dtype;
        view.shape = std::move(entry.shape);
        view.data = dataStart + entry.begin;
        const std::size_t alignment = dtypeSize(view.dtype);
        const std::size_t byteCount = entry.end - entry.begin;
        if (byteCount > 0 && reinterpret_cast<std::uintptr_t>(view.data) % alignment != 0) {
            // Reading floats through a misaligned pointer is undefined behaviour: keep an aligned copy.
            std::unique_ptr<std::byte[]> copy(new (std::nothrow) std::byte[byteCount]);
            if (!copy) {
                return makeError(ErrorCode::OutOfMemory, "cannot allocate an aligned copy of tensor \"" + view.name + "\"", path);
            }
            std::memcpy(copy.get(), view.data, byteCount);
            view.data = copy.get();
            file->m_alignedCopies.push_back(std::move(copy));
        }
        file->m_indexByName.emplace(view.name, file->m_tensors.size());
        file->m_tensors.push_back(std::move(view));
    }
    return file;
}

const TensorView* SafetensorsFile::find(std::string_view name) const
{
    const auto found = m_indexByName.find(name);
    return found == m_indexByName.end() ? nullptr : &m_tensors[found->second];
}

Result<void> writeSafetensors(const std::string& path, const std::vector<TensorToWrite>& tensors,
                              const std::map<std::string, std::string>& metadata)
{
    Json header = Json::object();
    if (!metadata.empty()) {
        header["__metadata__"] = metadata;
    }
    std::uint64_t offset = 0;
    for (const TensorToWrite& tensor : tensors) {
        std::uint64_t count = 1;
        for (std::int64_t extent : tensor.shape) {
            count *= static_cast<std::uint64_t>(extent);
        }
        if (count * dtypeSize(tensor.dtype) != tensor.bytes.size()) {
            return makeError(ErrorCode::InvalidArgument,
                             "tensor \"" + tensor.name + "\" has " + std::to_string(tensor.bytes.size()) +
                                 " bytes, its shape and dtype need " + std::to_string(count * dtypeSize(tensor.dtype)),
                             path);
        }
        header[tensor.name] = {{"dtype", dtypeName(tensor.dtype)},
                               {"shape", tensor.shape},
                               {"data_offsets", {offset, offset + tensor.bytes.size()}}};
        offset += tensor.bytes.size();
    }
    std::string headerText = header.dump();
    // Pad with spaces so the data section starts 8-byte aligned (allowed by the format).
    while ((8 + headerText.size()) % 8 != 0) {
        headerText.push_back(' ');
    }
    std::string contents;
    contents.reserve(8 + headerText.size() + offset);
    std::uint64_t headerSize = headerText.size();
    for (int byte = 0; byte < 8; ++byte) {
        contents.push_back(static_cast<char>((headerSize >> (8 * byte)) & 0xff));
    }
    contents += headerText;
    for (const TensorToWrite& tensor : tensors) {
        contents.append(reinterpret_cast<const char*>(tensor.bytes.data()), tensor.bytes.size());
    }
    return writeFileAtomic(path, contents);
}

TensorToWrite makeF32Tensor(std::string name, std::vector<std::int64_t> shape, const std::vector<float>& values)
{
    TensorToWrite tensor;
    tensor.name = std::move(name);
    tensor.dtype = DType::F32;
    tensor.shape = std::move(shape);
    tensor.bytes.resize(values.size() * sizeof(float));
    std::memcpy(tensor.bytes.data(), values.data(), tensor.bytes.size());
    return tensor;
}

} // namespace attnscope

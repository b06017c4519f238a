#pragma once
// Writes GGUF bytes for tests, field by field, so that each test can build a valid file and then
// break exactly one thing (a count, a length, an offset) the way a crafted file would.

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace attnscope::testing {

class GgufBuilder {
public:
    template <typename T>
    GgufBuilder& raw(T value)
    {
        const auto* bytes = reinterpret_cast<const char*>(&value);
        m_bytes.append(bytes, sizeof value);
        return *this;
    }
    GgufBuilder& string(const std::string& text)
    {
        raw<std::uint64_t>(text.size());
        m_bytes += text;
        return *this;
    }
    GgufBuilder& header(std::uint64_t nTensors, std::uint64_t nKeys, std::uint32_t version = 3)
    {
        m_bytes += "GGUF";
        raw<std::uint32_t>(version);
        raw<std::uint64_t>(nTensors);
        raw<std::uint64_t>(nKeys);
        return *this;
    }
    GgufBuilder& keyU32(const std::string& key, std::uint32_t value)
    {
        string(key);
        raw<std::uint32_t>(4);
        return raw<std::uint32_t>(value);
    }
    GgufBuilder& keyF32(const std::string& key, float value)
    {
        string(key);
        raw<std::uint32_t>(6);
        return raw<float>(value);
    }
    GgufBuilder& keyString(const std::string& key, const std::string& value)
    {
        string(key);
        raw<std::uint32_t>(8);
        return string(value);
    }
    GgufBuilder& keyStrings(const std::string& key, const std::vector<std::string>& values)
    {
        string(key);
        raw<std::uint32_t>(9);
        raw<std::uint32_t>(8);
        raw<std::uint64_t>(values.size());
        for (const std::string& value : values) {
            string(value);
        }
        return *this;
    }
    GgufBuilder& keyF32s(const std::string& key, const std::vector<float>& values)
    {
        string(key);
        raw<std::uint32_t>(9);
        raw<std::uint32_t>(6);
        raw<std::uint64_t>(values.size());
        for (float value : values) {
            raw<float>(value);
        }
        return *this;
    }
    GgufBuilder& keyI32s(const std::string& key, const std::vector<std::int32_t>& values)
    {
        string(key);
        raw<std::uint32_t>(9);
        raw<std::uint32_t>(5);
        raw<std::uint64_t>(values.size());
        for (std::int32_t value : values) {
            raw<std::int32_t>(value);
        }
        return *this;
    }
    /// A tensor info; dims in GGUF order (innermost first).
    GgufBuilder& tensor(const std::string& name, const std::vector<std::int64_t>& dims, std::uint32_t type,
                        std::uint64_t offset)
    {
        string(name);
        raw<std::uint32_t>(static_cast<std::uint32_t>(dims.size()));
        for (std::int64_t extent : dims) {
            raw<std::int64_t>(extent);
        }
        raw<std::uint32_t>(type);
        return raw<std::uint64_t>(offset);
    }
    /// Pads to the alignment where the data section starts.
    GgufBuilder& align(std::size_t alignment = 32)
    {
        while (m_bytes.size() % alignment != 0) {
            m_bytes.push_back('\0');
        }
        return *this;
    }
    GgufBuilder& data(const void* bytes, std::size_t size)
    {
        m_bytes.append(static_cast<const char*>(bytes), size);
        return *this;
    }
    GgufBuilder& floats(const std::vector<float>& values)
    {
        return data(values.data(), values.size() * sizeof(float));
    }

    const std::string& bytes() const { return m_bytes; }

private:
    std::string m_bytes;
};

} // namespace attnscope::testing

#pragma once
// A small streaming JSON writer for the CLI's machine-readable output. The CLI links only core's
// public API, so it formats its own JSON; floats are written with 9 significant digits (exact
// round trip for f32), NaN and infinities as null.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace attnscope::cli {

class JsonWriter {
public:
    JsonWriter& beginObject();
    JsonWriter& endObject();
    JsonWriter& beginArray();
    JsonWriter& endArray();
    /// Writes a key inside an object; the next call writes its value.
    JsonWriter& key(std::string_view name);
    JsonWriter& value(std::string_view text);
    JsonWriter& value(const char* text) { return value(std::string_view(text)); }
    JsonWriter& value(double number);
    JsonWriter& value(std::int64_t number);
    JsonWriter& value(int number) { return value(static_cast<std::int64_t>(number)); }
    JsonWriter& value(bool flag);
    JsonWriter& null();
    template <typename T>
    JsonWriter& array(const std::vector<T>& values)
    {
        beginArray();
        for (const T& item : values) {
            value(item);
        }
        return endArray();
    }
    /// Writes rows of a row-major matrix as an array of arrays (floats as numbers, bytes as 0/1
    /// integers).
    JsonWriter& matrix(const std::vector<float>& values, int rows, int columns);
    JsonWriter& matrix(const std::vector<std::uint8_t>& values, int rows, int columns);

    const std::string& text() const { return m_text; }

private:
    void separate();
    std::string m_text;
    std::vector<bool> m_needsComma;
    bool m_afterKey = false;
};

/// JSON string escaping (quotes included).
std::string jsonQuoted(std::string_view text);

} // namespace attnscope::cli

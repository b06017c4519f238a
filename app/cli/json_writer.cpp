#include "json_writer.h"

#include <cmath>
#include <cstdio>

namespace attnscope::cli {

std::string jsonQuoted(std::string_view text)
{
    std::string out = "\"";
    for (const char character : text) {
        const auto byte = static_cast<unsigned char>(character);
        switch (character) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        default:
            if (byte < 0x20) {
                char escaped[8];
                std::snprintf(escaped, sizeof escaped, "\\u%04x", byte);
                out += escaped;
            } else {
                out.push_back(character);
            }
        }
    }
    return out + "\"";
}

void JsonWriter::separate()
{
    if (m_afterKey) {
        m_afterKey = false;
        return;
    }
    if (!m_needsComma.empty()) {
        if (m_needsComma.back()) {
            m_text.push_back(',');
        }
        m_needsComma.back() = true;
    }
}

JsonWriter& JsonWriter::beginObject()
{
    separate();
    m_text.push_back('{');
    m_needsComma.push_back(false);
    return *this;
}

JsonWriter& JsonWriter::endObject()
{
    m_text.push_back('}');
    m_needsComma.pop_back();
    return *this;
}

JsonWriter& JsonWriter::beginArray()
{
    separate();
    m_text.push_back('[');
    m_needsComma.push_back(false);
    return *this;
}

JsonWriter& JsonWriter::endArray()
{
    m_text.push_back(']');
    m_needsComma.pop_back();
    return *this;
}

JsonWriter& JsonWriter::key(std::string_view name)
{
    separate();
    m_text += jsonQuoted(name);
    m_text.push_back(':');
    m_afterKey = true;
    return *this;
}

JsonWriter& JsonWriter::value(std::string_view text)
{
    separate();
    m_text += jsonQuoted(text);
    return *this;
}

JsonWriter& JsonWriter::value(double number)
{
    separate();
    if (!std::isfinite(number)) {
        m_text += "null";
        return *this;
    }
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.9g", number);
    m_text += buffer;
    return *this;
}

JsonWriter& JsonWriter::value(std::int64_t number)
{
    separate();
    m_text += std::to_string(number);
    return *this;
}

JsonWriter& JsonWriter::value(bool flag)
{
    separate();
    m_text += flag ? "true" : "false";
    return *this;
}

JsonWriter& JsonWriter::null()
{
    separate();
    m_text += "null";
    return *this;
}

namespace {

template <typename Element, typename Write>
JsonWriter& writeMatrix(JsonWriter& json, const std::vector<Element>& values, int rows, int columns, Write write)
{
    json.beginArray();
    for (int row = 0; row < rows; ++row) {
        json.beginArray();
        for (int column = 0; column < columns; ++column) {
            write(values[static_cast<std::size_t>(row) * columns + column]);
        }
        json.endArray();
    }
    return json.endArray();
}

} // namespace

JsonWriter& JsonWriter::matrix(const std::vector<float>& values, int rows, int columns)
{
    return writeMatrix(*this, values, rows, columns, [this](float element) { value(static_cast<double>(element)); });
}

JsonWriter& JsonWriter::matrix(const std::vector<std::uint8_t>& values, int rows, int columns)
{
    return writeMatrix(*this, values, rows, columns, [this](std::uint8_t element) { value(static_cast<int>(element)); });
}

} // namespace attnscope::cli

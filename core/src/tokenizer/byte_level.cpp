#include "tokenizer/byte_level.h"

#include "tokenizer/unicode.h"

#include <array>

namespace attnscope::byte_level {

namespace {

struct ByteMap {
    std::array<char32_t, 256> toChar{};
    std::array<std::string, 256> toUtf8;

    ByteMap()
    {
        // Printable Latin-1 bytes stand for themselves; the rest are moved to U+0100 upwards in
        // byte order, exactly as GPT-2's bytes_to_unicode().
        char32_t next = 256;
        for (int b = 0; b < 256; ++b) {
            const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
            toChar[static_cast<std::size_t>(b)] = printable ? static_cast<char32_t>(b) : next++;
            unicode::appendUtf8(toUtf8[static_cast<std::size_t>(b)], toChar[static_cast<std::size_t>(b)]);
        }
    }
};

const ByteMap& byteMap()
{
    static const ByteMap map;
    return map;
}

} // namespace

char32_t byteToChar(unsigned char byte) { return byteMap().toChar[byte]; }

int charToByte(char32_t c)
{
    if ((c >= '!' && c <= '~') || (c >= 0xA1 && c <= 0xAC) || (c >= 0xAE && c <= 0xFF)) {
        return static_cast<int>(c);
    }
    if (c < 256 || c >= 256 + 68) {
        return -1;
    }
    const auto& map = byteMap().toChar;
    for (int b = 0; b < 256; ++b) {
        if (map[static_cast<std::size_t>(b)] == c) {
            return b;
        }
    }
    return -1;
}

std::string encodeBytes(std::string_view text)
{
    const ByteMap& map = byteMap();
    std::string out;
    out.reserve(text.size() * 2);
    for (char ch : text) {
        out += map.toUtf8[static_cast<unsigned char>(ch)];
    }
    return out;
}

std::string decodeBytes(std::string_view token)
{
    std::string out;
    for (std::size_t pos = 0; pos < token.size();) {
        const std::size_t start = pos;
        const char32_t c = unicode::nextCodePoint(token, pos);
        const int b = charToByte(c);
        if (b >= 0) {
            out.push_back(static_cast<char>(b));
        } else {
            out.append(token.substr(start, pos - start));
        }
    }
    return out;
}

} // namespace attnscope::byte_level

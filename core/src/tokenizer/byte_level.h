#pragma once
// GPT-2's reversible byte <-> printable character map (bytes_to_unicode), shared by the ByteLevel
// pre-tokenizer and decoder.

#include <string>
#include <string_view>

namespace attnscope::byte_level {

/// The printable character that stands for `byte` in byte-level vocabularies.
char32_t byteToChar(unsigned char byte);
/// The byte a byte-level character stands for, or -1 when `c` is not one of the 256.
int charToByte(char32_t c);
/// Maps every byte of `text` to its character, as UTF-8.
std::string encodeBytes(std::string_view text);
/// Maps a byte-level token back to raw bytes; characters outside the map keep their UTF-8 bytes.
std::string decodeBytes(std::string_view token);

} // namespace attnscope::byte_level

#pragma once
// Unicode helpers for the tokenizers: UTF-8 coding, character classes, NFD/NFC and lowercase.
// Backed by the generated tables in unicode_tables.cpp (tools/gen_unicode_tables.py); no ICU.

#include <string>
#include <string_view>

namespace attnscope::unicode {

/// Collapsed general category; must match CLASSES in tools/gen_unicode_tables.py.
enum class CharClass : unsigned char {
    Other,          ///< C*: control, format, surrogate, private use, unassigned
    Letter,         ///< L*
    MarkNonspacing, ///< Mn
    MarkOther,      ///< Mc, Me
    Number,         ///< N*
    Punctuation,    ///< P*
    Symbol,         ///< S*
    Separator,      ///< Z*
};

/// Unicode version of the generated tables ("14.0.0").
const char* tablesVersion();

CharClass charClass(char32_t cp);
inline bool isLetter(char32_t cp) { return charClass(cp) == CharClass::Letter; }
inline bool isNumber(char32_t cp) { return charClass(cp) == CharClass::Number; }
inline bool isPunctuation(char32_t cp) { return charClass(cp) == CharClass::Punctuation; }
inline bool isMarkNonspacing(char32_t cp) { return charClass(cp) == CharClass::MarkNonspacing; }
inline bool isOther(char32_t cp) { return charClass(cp) == CharClass::Other; }
/// The White_Space property: what Rust's char::is_whitespace and Oniguruma's \s test.
bool isWhitespace(char32_t cp);
/// Approximates Rust's char::is_alphanumeric (Alphabetic | Numeric) by letters and numbers.
inline bool isAlphanumeric(char32_t cp) { return isLetter(cp) || isNumber(cp); }
/// Canonical combining class (0 for starters).
int combiningClass(char32_t cp);

/// Appends the UTF-8 encoding of `cp`.
void appendUtf8(std::string& out, char32_t cp);
/// Decodes one code point at `pos` of valid UTF-8 and advances `pos`.
char32_t nextCodePoint(std::string_view text, std::size_t& pos);
/// Byte length of the UTF-8 sequence whose first byte is `lead` (valid UTF-8 assumed).
inline std::size_t utf8Length(unsigned char lead)
{
    return lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
}

/// HF `tokenizers` accepts only valid UTF-8 (a Rust &str). We accept any bytes: every byte that
/// does not begin a well-formed sequence (overlong forms, surrogates and values above U+10FFFF
/// included) becomes U+FFFD, so the result is valid UTF-8 and the pipeline never sees bad input.
std::string sanitizeUtf8(std::string_view bytes);
/// True when `bytes` is well-formed UTF-8.
bool isValidUtf8(std::string_view bytes);

std::u32string toCodePoints(std::string_view utf8);
std::string toUtf8(std::u32string_view codePoints);

/// Canonical decomposition (NFD), with canonical reordering of combining marks.
std::u32string nfd(std::u32string_view text);
/// Canonical composition (NFC).
std::u32string nfc(std::u32string_view text);
/// Per-character full lowercase as Rust's char::to_lowercase (no final-sigma context).
void appendLowercase(std::u32string& out, char32_t cp);

} // namespace attnscope::unicode

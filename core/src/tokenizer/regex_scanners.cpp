#include "tokenizer/regex_scanners.h"

#include "tokenizer/unicode.h"

#include <algorithm>

namespace attnscope {

namespace {

constexpr std::string_view kGpt2Regex =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
constexpr std::string_view kLlama3Regex =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
constexpr std::string_view kQwen2Regex =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

/// The text decoded once, with each code point's byte offset (plus a final end offset).
struct Decoded {
    std::u32string cps;
    std::vector<std::size_t> offsets;
};

Decoded decode(std::string_view text)
{
    Decoded d;
    d.cps.reserve(text.size());
    d.offsets.reserve(text.size() + 1);
    for (std::size_t pos = 0; pos < text.size();) {
        d.offsets.push_back(pos);
        d.cps.push_back(unicode::nextCodePoint(text, pos));
    }
    d.offsets.push_back(text.size());
    return d;
}

bool isL(char32_t c) { return unicode::isLetter(c); }
bool isN(char32_t c) { return unicode::isNumber(c); }
bool isS(char32_t c) { return unicode::isWhitespace(c); }
/// [^\s\p{L}\p{N}]
bool isO(char32_t c) { return !isS(c) && !isL(c) && !isN(c); }
bool isCrLf(char32_t c) { return c == U'\r' || c == U'\n'; }

template <typename Pred>
std::size_t runEnd(const std::u32string& c, std::size_t i, Pred pred)
{
    while (i < c.size() && pred(c[i])) {
        ++i;
    }
    return i;
}

/// 's|'t|'re|'ve|'m|'ll|'d, optionally case-insensitive (Oniguruma folds ſ U+017F to s).
std::size_t matchContraction(const std::u32string& c, std::size_t i, bool ignoreCase)
{
    if (c[i] != U'\'' || i + 1 >= c.size()) {
        return 0;
    }
    auto fold = [ignoreCase](char32_t ch) -> char32_t {
        if (!ignoreCase) {
            return ch;
        }
        if (ch == 0x17F) {
            return U's';
        }
        return ch >= U'A' && ch <= U'Z' ? ch + 32 : ch;
    };
    const char32_t c1 = fold(c[i + 1]);
    if (c1 == U's' || c1 == U't' || c1 == U'm' || c1 == U'd') {
        return 2;
    }
    if (i + 2 < c.size()) {
        const char32_t c2 = fold(c[i + 2]);
        if ((c1 == U'r' && c2 == U'e') || (c1 == U'v' && c2 == U'e') || (c1 == U'l' && c2 == U'l')) {
            return 3;
        }
    }
    return 0;
}

/// ` ?X+` for a class X that excludes the space.
template <typename Pred>
std::size_t matchOptionalSpaceRun(const std::u32string& c, std::size_t i, Pred pred)
{
    std::size_t s = i;
    if (c[i] == U' ' && i + 1 < c.size() && pred(c[i + 1])) {
        s = i + 1;
    } else if (!pred(c[i])) {
        return 0;
    }
    return runEnd(c, s, pred) - i;
}

/// \s+(?!\S)|\s+ : a whitespace run, leaving its last character to the next token when a
/// non-space follows (the greedy run backtracks by one).
std::size_t matchTrailingWhitespace(const std::u32string& c, std::size_t i)
{
    if (!isS(c[i])) {
        return 0;
    }
    const std::size_t j = runEnd(c, i, isS);
    if (j == c.size() || j - i == 1) {
        return j - i;
    }
    return j - i - 1;
}

std::size_t matchGpt2(const std::u32string& c, std::size_t i)
{
    if (std::size_t n = matchContraction(c, i, false)) {
        return n;
    }
    if (std::size_t n = matchOptionalSpaceRun(c, i, isL)) {
        return n;
    }
    if (std::size_t n = matchOptionalSpaceRun(c, i, isN)) {
        return n;
    }
    if (std::size_t n = matchOptionalSpaceRun(c, i, isO)) {
        return n;
    }
    return matchTrailingWhitespace(c, i);
}

std::size_t matchLlama3(const std::u32string& c, std::size_t i, std::size_t maxDigits)
{
    if (std::size_t n = matchContraction(c, i, true)) {
        return n;
    }
    // [^\r\n\p{L}\p{N}]?\p{L}+
    if (isL(c[i])) {
        return runEnd(c, i, isL) - i;
    }
    if (!isCrLf(c[i]) && !isN(c[i]) && i + 1 < c.size() && isL(c[i + 1])) {
        return runEnd(c, i + 1, isL) - i;
    }
    // \p{N}{1,maxDigits}
    if (isN(c[i])) {
        return std::min(runEnd(c, i, isN) - i, maxDigits);
    }
    //  ?[^\s\p{L}\p{N}]+[\r\n]*
    if (std::size_t n = matchOptionalSpaceRun(c, i, isO)) {
        return runEnd(c, i + n, isCrLf) - i;
    }
    // \s*[\r\n]+ : \s* backtracks to the last CR/LF inside the whitespace run.
    if (isS(c[i])) {
        const std::size_t j = runEnd(c, i, isS);
        for (std::size_t k = j; k > i; --k) {
            if (isCrLf(c[k - 1])) {
                return k - i;
            }
        }
    }
    return matchTrailingWhitespace(c, i);
}

std::size_t matchAt(KnownPattern pattern, const std::u32string& c, std::size_t i)
{
    switch (pattern) {
    case KnownPattern::Gpt2:
        return matchGpt2(c, i);
    case KnownPattern::Llama3:
        return matchLlama3(c, i, 3);
    case KnownPattern::Qwen2:
        return matchLlama3(c, i, 1);
    case KnownPattern::DigitRuns:
        return runEnd(c, i, isN) - i;
    case KnownPattern::SingleDigits:
        return isN(c[i]) ? 1 : 0;
    case KnownPattern::WhitespaceRuns:
        return runEnd(c, i, isS) - i;
    }
    return 0;
}

} // namespace

std::optional<KnownPattern> recognisePattern(std::string_view regex)
{
    if (regex == kGpt2Regex) {
        return KnownPattern::Gpt2;
    }
    if (regex == kLlama3Regex) {
        return KnownPattern::Llama3;
    }
    if (regex == kQwen2Regex) {
        return KnownPattern::Qwen2;
    }
    if (regex == R"(\p{N}+)") {
        return KnownPattern::DigitRuns;
    }
    if (regex == R"(\p{N})") {
        return KnownPattern::SingleDigits;
    }
    if (regex == R"(\s+)") {
        return KnownPattern::WhitespaceRuns;
    }
    return std::nullopt;
}

std::vector<std::pair<std::size_t, std::size_t>> findPatternMatches(KnownPattern pattern,
                                                                    std::string_view text)
{
    const Decoded d = decode(text);
    std::vector<std::pair<std::size_t, std::size_t>> matches;
    for (std::size_t i = 0; i < d.cps.size();) {
        const std::size_t n = matchAt(pattern, d.cps, i);
        if (n == 0) {
            ++i;
            continue;
        }
        matches.emplace_back(d.offsets[i], d.offsets[i + n]);
        i += n;
    }
    return matches;
}

} // namespace attnscope

#include "tokenizer/unicode.h"

#include "tokenizer/unicode_tables.h"

#include <algorithm>
#include <cstdint>

namespace attnscope::unicode {

namespace tables = unicode_tables;

namespace {

constexpr char32_t kReplacementChar = 0xFFFD;
constexpr char32_t kMaxCodePoint = 0x10FFFF;

// Hangul syllables are composed/decomposed arithmetically (Unicode §3.12) instead of tabled.
constexpr char32_t kHangulSBase = 0xAC00;
constexpr char32_t kHangulLBase = 0x1100;
constexpr char32_t kHangulVBase = 0x1161;
constexpr char32_t kHangulTBase = 0x11A7;
constexpr char32_t kHangulLCount = 19;
constexpr char32_t kHangulVCount = 21;
constexpr char32_t kHangulTCount = 28;
constexpr char32_t kHangulNCount = kHangulVCount * kHangulTCount;
constexpr char32_t kHangulSCount = kHangulLCount * kHangulNCount;

/// Index of the run containing `cp` in a table of (start << shift | value) run starts.
std::uint32_t lookupRun(const std::uint32_t* runs, std::size_t count, char32_t cp, int shift)
{
    const std::uint32_t key = (static_cast<std::uint32_t>(cp) << shift) | ((1u << shift) - 1);
    const std::uint32_t* it = std::upper_bound(runs, runs + count, key);
    return it == runs ? 0 : *(it - 1) & ((1u << shift) - 1);
}

void decomposeInto(std::u32string& out, char32_t cp)
{
    if (cp >= kHangulSBase && cp < kHangulSBase + kHangulSCount) {
        const char32_t sIndex = cp - kHangulSBase;
        out.push_back(kHangulLBase + sIndex / kHangulNCount);
        out.push_back(kHangulVBase + (sIndex % kHangulNCount) / kHangulTCount);
        if (sIndex % kHangulTCount != 0) {
            out.push_back(kHangulTBase + sIndex % kHangulTCount);
        }
        return;
    }
    if (cp < 0xC0) {
        out.push_back(cp);
        return;
    }
    const auto* begin = tables::kDecompositions;
    const auto* end = begin + tables::kDecompositionCount;
    const auto* it = std::lower_bound(begin, end, cp, [](const tables::Decomposition& d, char32_t c) {
        return d.codePoint < c;
    });
    if (it == end || it->codePoint != cp) {
        out.push_back(cp);
        return;
    }
    out.append(tables::kDecompositionData + it->offset, it->length);
}

char32_t composePair(char32_t first, char32_t second)
{
    if (first >= kHangulLBase && first < kHangulLBase + kHangulLCount && second >= kHangulVBase
        && second < kHangulVBase + kHangulVCount) {
        return kHangulSBase
               + ((first - kHangulLBase) * kHangulVCount + (second - kHangulVBase)) * kHangulTCount;
    }
    if (first >= kHangulSBase && first < kHangulSBase + kHangulSCount
        && (first - kHangulSBase) % kHangulTCount == 0 && second > kHangulTBase
        && second < kHangulTBase + kHangulTCount) {
        return first + (second - kHangulTBase);
    }
    const auto* begin = tables::kCompositions;
    const auto* end = begin + tables::kCompositionCount;
    const auto* it = std::lower_bound(begin, end, std::pair{first, second},
                                      [](const tables::Composition& c, std::pair<char32_t, char32_t> key) {
                                          return c.first != key.first ? c.first < key.first
                                                                      : c.second < key.second;
                                      });
    if (it != end && it->first == first && it->second == second) {
        return it->composite;
    }
    return 0;
}

} // namespace

const char* tablesVersion() { return tables::kUnicodeVersion; }

CharClass charClass(char32_t cp)
{
    if (cp < 0x80) {
        // ASCII is hot in every tokenizer; answer it without a search.
        if (cp < 0x20 || cp == 0x7F) {
            return CharClass::Other;
        }
        if ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z')) {
            return CharClass::Letter;
        }
        if (cp >= '0' && cp <= '9') {
            return CharClass::Number;
        }
        if (cp == ' ') {
            return CharClass::Separator;
        }
        if (cp == '$' || cp == '+' || cp == '<' || cp == '=' || cp == '>' || cp == '^' || cp == '`'
            || cp == '|' || cp == '~') {
            return CharClass::Symbol;
        }
        return CharClass::Punctuation;
    }
    if (cp > kMaxCodePoint) {
        return CharClass::Other;
    }
    return static_cast<CharClass>(lookupRun(tables::kClassRuns, tables::kClassRunCount, cp, 3));
}

bool isWhitespace(char32_t cp)
{
    // The White_Space property has been stable for many Unicode versions; listing it is simpler
    // than tabling it.
    if (cp <= 0x20) {
        return cp == 0x20 || (cp >= 0x09 && cp <= 0x0D);
    }
    switch (cp) {
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
        return true;
    default:
        return cp >= 0x2000 && cp <= 0x200A;
    }
}

int combiningClass(char32_t cp)
{
    if (cp < 0x300 || cp > kMaxCodePoint) {
        return 0;
    }
    return static_cast<int>(
        lookupRun(tables::kCombiningClassRuns, tables::kCombiningClassRunCount, cp, 8));
}

void appendUtf8(std::string& out, char32_t cp)
{
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

char32_t nextCodePoint(std::string_view text, std::size_t& pos)
{
    const auto lead = static_cast<unsigned char>(text[pos]);
    const std::size_t len = utf8Length(lead);
    char32_t cp = len == 1 ? lead : len == 2 ? (lead & 0x1F) : len == 3 ? (lead & 0x0F) : (lead & 0x07);
    for (std::size_t i = 1; i < len && pos + i < text.size(); ++i) {
        cp = (cp << 6) | (static_cast<unsigned char>(text[pos + i]) & 0x3F);
    }
    pos += len;
    return cp;
}

namespace {

/// Length of the well-formed UTF-8 sequence at `pos`, or 0 if the byte there does not start one.
std::size_t validSequenceLength(std::string_view bytes, std::size_t pos)
{
    const auto b0 = static_cast<unsigned char>(bytes[pos]);
    if (b0 < 0x80) {
        return 1;
    }
    std::size_t len = 0;
    unsigned char lo = 0x80;
    unsigned char hi = 0xBF;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        len = 2;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        len = 3;
        lo = b0 == 0xE0 ? 0xA0 : 0x80; // no overlongs
        hi = b0 == 0xED ? 0x9F : 0xBF; // no surrogates
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        len = 4;
        lo = b0 == 0xF0 ? 0x90 : 0x80;
        hi = b0 == 0xF4 ? 0x8F : 0xBF; // nothing above U+10FFFF
    } else {
        return 0;
    }
    if (pos + len > bytes.size()) {
        return 0;
    }
    const auto b1 = static_cast<unsigned char>(bytes[pos + 1]);
    if (b1 < lo || b1 > hi) {
        return 0;
    }
    for (std::size_t i = 2; i < len; ++i) {
        const auto b = static_cast<unsigned char>(bytes[pos + i]);
        if (b < 0x80 || b > 0xBF) {
            return 0;
        }
    }
    return len;
}

} // namespace

bool isValidUtf8(std::string_view bytes)
{
    for (std::size_t pos = 0; pos < bytes.size();) {
        const std::size_t len = validSequenceLength(bytes, pos);
        if (len == 0) {
            return false;
        }
        pos += len;
    }
    return true;
}

std::string sanitizeUtf8(std::string_view bytes)
{
    std::string out;
    out.reserve(bytes.size());
    for (std::size_t pos = 0; pos < bytes.size();) {
        const std::size_t len = validSequenceLength(bytes, pos);
        if (len == 0) {
            appendUtf8(out, kReplacementChar);
            ++pos;
        } else {
            out.append(bytes.substr(pos, len));
            pos += len;
        }
    }
    return out;
}

std::u32string toCodePoints(std::string_view utf8)
{
    std::u32string out;
    out.reserve(utf8.size());
    for (std::size_t pos = 0; pos < utf8.size();) {
        out.push_back(nextCodePoint(utf8, pos));
    }
    return out;
}

std::string toUtf8(std::u32string_view codePoints)
{
    std::string out;
    out.reserve(codePoints.size());
    for (char32_t cp : codePoints) {
        appendUtf8(out, cp);
    }
    return out;
}

std::u32string nfd(std::u32string_view text)
{
    std::u32string out;
    out.reserve(text.size() + text.size() / 4);
    for (char32_t cp : text) {
        decomposeInto(out, cp);
    }
    // Canonical ordering: stable sort of each run of non-starters by combining class.
    for (std::size_t i = 0; i < out.size();) {
        if (combiningClass(out[i]) == 0) {
            ++i;
            continue;
        }
        std::size_t j = i;
        while (j < out.size() && combiningClass(out[j]) != 0) {
            ++j;
        }
        if (j - i > 1) {
            std::stable_sort(out.begin() + static_cast<std::ptrdiff_t>(i),
                             out.begin() + static_cast<std::ptrdiff_t>(j),
                             [](char32_t a, char32_t b) { return combiningClass(a) < combiningClass(b); });
        }
        i = j;
    }
    return out;
}

std::u32string nfc(std::u32string_view text)
{
    std::u32string d = nfd(text);
    if (d.empty()) {
        return d;
    }
    // Canonical composition algorithm (Unicode §3.11, D117).
    std::u32string out;
    out.reserve(d.size());
    std::size_t starter = std::u32string::npos;
    int lastClass = -1;
    for (char32_t cp : d) {
        const int cc = combiningClass(cp);
        if (starter != std::u32string::npos) {
            const bool blocked = lastClass != -1 && (lastClass == 0 || lastClass >= cc);
            if (!blocked) {
                const char32_t composite = composePair(out[starter], cp);
                if (composite != 0) {
                    out[starter] = composite;
                    continue;
                }
            }
        }
        if (cc == 0) {
            starter = out.size();
            lastClass = -1;
        } else {
            lastClass = cc;
        }
        out.push_back(cp);
    }
    return out;
}

void appendLowercase(std::u32string& out, char32_t cp)
{
    if (cp < 0x80) {
        out.push_back(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp);
        return;
    }
    if (cp == 0x130) {
        // The only multi-character lowercase mapping: İ → i + combining dot above.
        out.push_back(U'i');
        out.push_back(0x307);
        return;
    }
    const auto* begin = tables::kLowercaseRuns;
    const auto* end = begin + tables::kLowercaseRunCount;
    const auto* it = std::upper_bound(begin, end, cp, [](char32_t c, const tables::LowercaseRun& r) {
        return c < r.start;
    });
    if (it != begin) {
        const auto& run = *(it - 1);
        if (cp <= run.end && (cp - run.start) % run.step == 0) {
            out.push_back(static_cast<char32_t>(static_cast<std::int64_t>(cp) + run.delta));
            return;
        }
    }
    out.push_back(cp);
}

} // namespace attnscope::unicode

#include "tokenizer/normalizer.h"

#include "tokenizer/string_util.h"
#include "tokenizer/unicode.h"

namespace attnscope {

namespace {

/// BertNormalizer's idea of a CJK ideograph (the CJK Unified Ideographs blocks and extensions).
bool isChineseChar(char32_t c)
{
    return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF)
           || (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B73F)
           || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF)
           || (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

std::u32string stripNonspacingMarks(const std::u32string& text)
{
    std::u32string out;
    out.reserve(text.size());
    for (char32_t c : text) {
        if (!unicode::isMarkNonspacing(c)) {
            out.push_back(c);
        }
    }
    return out;
}

std::u32string lowercase(const std::u32string& text)
{
    std::u32string out;
    out.reserve(text.size());
    for (char32_t c : text) {
        unicode::appendLowercase(out, c);
    }
    return out;
}

std::u32string bertNormalize(const std::u32string& input, const NormalizerStep& step)
{
    std::u32string text;
    text.reserve(input.size());
    for (char32_t c : input) {
        if (step.cleanText) {
            // Tab, LF and CR count as whitespace, not control; other C* characters go away.
            const bool whitespace = c == U'\t' || c == U'\n' || c == U'\r' || unicode::isWhitespace(c);
            if (c == 0 || c == 0xFFFD || (!whitespace && unicode::isOther(c))) {
                continue;
            }
            if (whitespace) {
                c = U' ';
            }
        }
        if (step.handleChineseChars && isChineseChar(c)) {
            text.push_back(U' ');
            text.push_back(c);
            text.push_back(U' ');
        } else {
            text.push_back(c);
        }
    }
    if (step.stripAccents) {
        text = stripNonspacingMarks(unicode::nfd(text));
    }
    if (step.lowercase) {
        text = lowercase(text);
    }
    return text;
}

bool isAsciiOnly(std::string_view text)
{
    for (char ch : text) {
        if (static_cast<unsigned char>(ch) >= 0x80) {
            return false;
        }
    }
    return true;
}

} // namespace

std::string Normalizer::normalize(std::string_view input) const
{
    std::string text(input);
    for (const NormalizerStep& step : m_steps) {
        switch (step.kind) {
        case NormalizerStep::Kind::Prepend:
            if (!text.empty()) {
                text.insert(0, step.text);
            }
            break;
        case NormalizerStep::Kind::Replace:
            text = replaceAll(text, step.text, step.replacement);
            break;
        case NormalizerStep::Kind::Nfc:
            if (!isAsciiOnly(text)) {
                text = unicode::toUtf8(unicode::nfc(unicode::toCodePoints(text)));
            }
            break;
        case NormalizerStep::Kind::Nfd:
            if (!isAsciiOnly(text)) {
                text = unicode::toUtf8(unicode::nfd(unicode::toCodePoints(text)));
            }
            break;
        case NormalizerStep::Kind::Lowercase:
            text = unicode::toUtf8(lowercase(unicode::toCodePoints(text)));
            break;
        case NormalizerStep::Kind::StripAccents:
            text = unicode::toUtf8(stripNonspacingMarks(unicode::toCodePoints(text)));
            break;
        case NormalizerStep::Kind::Strip: {
            std::u32string cps = unicode::toCodePoints(text);
            std::size_t begin = 0;
            std::size_t end = cps.size();
            while (step.left && begin < end && unicode::isWhitespace(cps[begin])) {
                ++begin;
            }
            while (step.right && end > begin && unicode::isWhitespace(cps[end - 1])) {
                --end;
            }
            text = unicode::toUtf8(std::u32string_view(cps).substr(begin, end - begin));
            break;
        }
        case NormalizerStep::Kind::Bert:
            text = unicode::toUtf8(bertNormalize(unicode::toCodePoints(text), step));
            break;
        }
    }
    return text;
}

} // namespace attnscope

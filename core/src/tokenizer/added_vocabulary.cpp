#include "tokenizer/added_vocabulary.h"

#include "tokenizer/unicode.h"

#include <algorithm>

namespace attnscope {

namespace {

char32_t lastChar(std::string_view text)
{
    std::size_t pos = text.size();
    while (pos > 0 && (static_cast<unsigned char>(text[pos - 1]) & 0xC0) == 0x80) {
        --pos;
    }
    pos = pos > 0 ? pos - 1 : 0;
    return unicode::nextCodePoint(text, pos);
}

bool isWordChar(char32_t c) { return unicode::isAlphanumeric(c) || c == U'_'; }

/// Byte offset where the trailing whitespace of `text` begins.
std::size_t trailingSpaceStart(std::string_view text)
{
    std::size_t begin = 0;
    for (std::size_t pos = 0; pos < text.size();) {
        const char32_t c = unicode::nextCodePoint(text, pos);
        if (!unicode::isWhitespace(c)) {
            begin = pos;
        }
    }
    return begin;
}

/// Byte length of the leading whitespace of `text`.
std::size_t leadingSpaceLength(std::string_view text)
{
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t next = pos;
        if (!unicode::isWhitespace(unicode::nextCodePoint(text, next))) {
            break;
        }
        pos = next;
    }
    return pos;
}

} // namespace

void AddedVocabulary::build(std::vector<AddedToken> tokens, const Normalizer& normalizer)
{
    m_tokens = std::move(tokens);
    m_byId.clear();
    m_raw = Matcher{};
    m_normalized = Matcher{};
    m_raw.patterns.resize(m_tokens.size());
    m_normalized.patterns.resize(m_tokens.size());
    for (std::size_t i = 0; i < m_tokens.size(); ++i) {
        const AddedToken& token = m_tokens[i];
        m_byId.emplace(token.id, i);
        if (token.content.empty()) {
            continue;
        }
        Matcher& matcher = token.normalized ? m_normalized : m_raw;
        std::string pattern = token.normalized ? normalizer.normalize(token.content) : token.content;
        if (pattern.empty()) {
            continue;
        }
        matcher.byFirstByte[static_cast<unsigned char>(pattern.front())].push_back(i);
        matcher.patterns[i] = std::move(pattern);
        matcher.empty = false;
    }
    for (Matcher* matcher : {&m_raw, &m_normalized}) {
        for (auto& bucket : matcher->byFirstByte) {
            std::stable_sort(bucket.begin(), bucket.end(), [matcher](std::size_t a, std::size_t b) {
                return matcher->patterns[a].size() > matcher->patterns[b].size();
            });
        }
    }
}

std::vector<TextSegment> AddedVocabulary::split(std::string_view text, const Matcher& matcher,
                                                bool atTextStart) const
{
    std::vector<TextSegment> out;
    auto pushText = [&](std::size_t begin, std::size_t end) {
        if (begin < end) {
            out.push_back({std::string(text.substr(begin, end - begin)), std::nullopt, atTextStart && begin == 0});
        }
    };
    if (matcher.empty) {
        pushText(0, text.size());
        return out;
    }
    std::size_t startOffset = 0;
    for (std::size_t pos = 0; pos < text.size();) {
        const std::size_t* hit = nullptr;
        for (const std::size_t& index : matcher.byFirstByte[static_cast<unsigned char>(text[pos])]) {
            if (text.substr(pos).starts_with(matcher.patterns[index])) {
                hit = &index;
                break;
            }
        }
        if (hit == nullptr) {
            ++pos;
            continue;
        }
        const AddedToken& token = m_tokens[*hit];
        std::size_t start = pos;
        std::size_t stop = pos + matcher.patterns[*hit].size();
        // The automaton consumes this match even when single_word rejects it below.
        pos = stop;
        if (token.singleWord) {
            const bool spaceBefore = start == 0 || !isWordChar(lastChar(text.substr(0, start)));
            std::size_t after = stop;
            const bool spaceAfter =
                stop == text.size() || !isWordChar(unicode::nextCodePoint(text, after));
            if (!spaceBefore || !spaceAfter) {
                continue;
            }
        }
        if (token.lstrip) {
            start = std::max(trailingSpaceStart(text.substr(0, start)), startOffset);
        }
        if (token.rstrip) {
            stop += leadingSpaceLength(text.substr(stop));
            pos = std::max(pos, stop);
        }
        pushText(startOffset, start);
        out.push_back({std::string(text.substr(start, stop - start)), token.id, atTextStart && start == 0});
        startOffset = stop;
    }
    pushText(startOffset, text.size());
    return out;
}

std::vector<TextSegment> AddedVocabulary::splitRaw(std::string_view text) const
{
    return split(text, m_raw, true);
}

std::vector<TextSegment> AddedVocabulary::splitNormalized(std::string_view text, bool atTextStart) const
{
    return split(text, m_normalized, atTextStart);
}

const AddedToken* AddedVocabulary::findById(std::int32_t id) const
{
    const auto it = m_byId.find(id);
    return it == m_byId.end() ? nullptr : &m_tokens[it->second];
}

std::optional<std::int32_t> AddedVocabulary::findByContent(std::string_view content) const
{
    for (const AddedToken& token : m_tokens) {
        if (token.content == content) {
            return token.id;
        }
    }
    return std::nullopt;
}

} // namespace attnscope

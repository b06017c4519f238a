#include "tokenizer/tokenizer.h"

#include "tokenizer/byte_level.h"
#include "tokenizer/string_util.h"
#include "tokenizer/unicode.h"

#include <cstdio>
#include <unordered_map>

namespace attnscope {

namespace {

// Words up to this many bytes are memoised per encode() call (HF caches words < 256 chars).
constexpr std::size_t kMaxCachedWordBytes = 256;

constexpr std::string_view kMetaspace = "\xE2\x96\x81"; // U+2581 ▁

std::string escapeForDisplay(std::string_view bytes)
{
    std::string out;
    for (std::size_t pos = 0; pos < bytes.size();) {
        const auto b = static_cast<unsigned char>(bytes[pos]);
        const std::size_t len = unicode::utf8Length(b);
        if (b >= 0x80 && !(pos + len <= bytes.size() && unicode::isValidUtf8(bytes.substr(pos, len)))) {
            char hex[8];
            std::snprintf(hex, sizeof(hex), "<0x%02X>", b);
            out += hex;
            ++pos;
            continue;
        }
        if (b == '\n') {
            out += "\\n";
        } else if (b == '\r') {
            out += "\\r";
        } else if (b == '\t') {
            out += "\\t";
        } else if (b < 0x20 || b == 0x7F) {
            char hex[8];
            std::snprintf(hex, sizeof(hex), "\\x%02X", b);
            out += hex;
        } else {
            out.append(bytes.substr(pos, len));
        }
        pos += len;
    }
    return out;
}

} // namespace

Result<std::vector<std::int32_t>> Tokenizer::encode(std::string_view input, bool addSpecialTokens) const
{
    const std::string text = unicode::isValidUtf8(input) ? std::string(input) : unicode::sanitizeUtf8(input);
    std::vector<std::int32_t> ids;
    ids.reserve(text.size() / 3 + 4);
    std::unordered_map<std::string, std::vector<std::int32_t>> cache;
    auto encodeWord = [&](const std::string& word) {
        if (word.size() > kMaxCachedWordBytes) {
            m_model->tokenize(word, ids);
            return;
        }
        const auto it = cache.find(word);
        if (it != cache.end()) {
            ids.insert(ids.end(), it->second.begin(), it->second.end());
            return;
        }
        const std::size_t first = ids.size();
        m_model->tokenize(word, ids);
        cache.emplace(word, std::vector<std::int32_t>(ids.begin() + static_cast<std::ptrdiff_t>(first), ids.end()));
    };

    for (const TextSegment& raw : m_added.splitRaw(text)) {
        if (raw.id) {
            ids.push_back(*raw.id);
            continue;
        }
        const std::string normalized = m_normalizer.empty() ? raw.text : m_normalizer.normalize(raw.text);
        for (const TextSegment& segment : m_added.splitNormalized(normalized, raw.atTextStart)) {
            if (segment.id) {
                ids.push_back(*segment.id);
                continue;
            }
            if (m_preTokenizer.empty()) {
                encodeWord(segment.text);
                continue;
            }
            for (const std::string& word : m_preTokenizer.preTokenize(segment.text, segment.atTextStart)) {
                encodeWord(word);
            }
        }
    }
    if (addSpecialTokens) {
        m_postProcessor.apply(ids);
    }
    return ids;
}

std::optional<std::string> Tokenizer::idToToken(std::int32_t id) const
{
    if (const AddedToken* added = m_added.findById(id)) {
        return added->content;
    }
    if (const std::string* token = m_model->idToToken(id)) {
        return *token;
    }
    return std::nullopt;
}

std::optional<std::int32_t> Tokenizer::tokenToId(std::string_view token) const
{
    if (const auto added = m_added.findByContent(token)) {
        return added;
    }
    return m_model->tokenToId(token);
}

std::string Tokenizer::tokenBytes(std::int32_t id) const
{
    if (const AddedToken* added = m_added.findById(id)) {
        return added->content;
    }
    const std::string* token = m_model->idToToken(id);
    if (token == nullptr) {
        return "<id " + std::to_string(id) + ">";
    }
    switch (m_kind) {
    case Kind::BpeByteLevel:
        return byte_level::decodeBytes(*token);
    case Kind::BpeSentencePiece:
        if (token->size() == 6 && token->starts_with("<0x") && token->back() == '>') {
            const int value = std::stoi(token->substr(3, 2), nullptr, 16);
            return std::string(1, static_cast<char>(value));
        }
        return replaceAll(*token, kMetaspace, " ");
    case Kind::WordPiece:
        if (token->starts_with(m_wordPiecePrefix)) {
            return token->substr(m_wordPiecePrefix.size());
        }
        return *token;
    }
    return *token;
}

std::string Tokenizer::tokenDisplay(std::int32_t id) const { return escapeForDisplay(tokenBytes(id)); }

std::string Tokenizer::decode(const std::vector<std::int32_t>& ids) const
{
    std::vector<std::string> tokens;
    tokens.reserve(ids.size());
    for (std::int32_t id : ids) {
        const AddedToken* added = m_added.findById(id);
        if (added != nullptr && added->special) {
            continue;
        }
        if (auto token = idToToken(id)) {
            tokens.push_back(std::move(*token));
        }
    }
    return m_decoder.decode(std::move(tokens));
}

std::int32_t Tokenizer::vocabSize() const
{
    std::int32_t size = m_model->vocabSize();
    for (const AddedToken& token : m_added.tokens()) {
        size = std::max(size, token.id + 1);
    }
    return size;
}

std::string Tokenizer::kindName() const
{
    switch (m_kind) {
    case Kind::BpeByteLevel:
        return "bpe-bytelevel";
    case Kind::BpeSentencePiece:
        return "bpe-sentencepiece";
    case Kind::WordPiece:
        return "wordpiece";
    }
    return "unknown";
}

} // namespace attnscope

#include "tokenizer/decoder.h"

#include "tokenizer/byte_level.h"
#include "tokenizer/string_util.h"
#include "tokenizer/unicode.h"

#include <optional>
#include <string_view>

namespace attnscope {

namespace {

/// "<0x41>" → 0x41.
std::optional<unsigned char> parseByteToken(std::string_view token)
{
    if (token.size() != 6 || !token.starts_with("<0x") || token.back() != '>') {
        return std::nullopt;
    }
    int value = 0;
    for (char ch : token.substr(3, 2)) {
        int digit = -1;
        if (ch >= '0' && ch <= '9') {
            digit = ch - '0';
        } else if (ch >= 'A' && ch <= 'F') {
            digit = ch - 'A' + 10;
        } else if (ch >= 'a' && ch <= 'f') {
            digit = ch - 'a' + 10;
        }
        if (digit < 0) {
            return std::nullopt;
        }
        value = value * 16 + digit;
    }
    return static_cast<unsigned char>(value);
}

std::string wordPieceCleanup(std::string text)
{
    static constexpr std::pair<std::string_view, std::string_view> kRules[] = {
        {" .", "."},   {" ?", "?"},     {" !", "!"},     {" ,", ","},      {" ' ", "'"},     {" n't", "n't"},
        {" 'm", "'m"}, {" do not", " don't"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"},
    };
    for (const auto& [from, to] : kRules) {
        text = replaceAll(std::move(text), from, to);
    }
    return text;
}

std::vector<std::string> byteFallback(std::vector<std::string> tokens)
{
    std::vector<std::string> out;
    std::string pending;
    std::size_t pendingCount = 0;
    auto flush = [&]() {
        if (pendingCount == 0) {
            return;
        }
        if (unicode::isValidUtf8(pending)) {
            out.push_back(pending);
        } else {
            for (std::size_t i = 0; i < pendingCount; ++i) {
                out.emplace_back("\xEF\xBF\xBD");
            }
        }
        pending.clear();
        pendingCount = 0;
    };
    for (std::string& token : tokens) {
        if (const auto byte = parseByteToken(token)) {
            pending.push_back(static_cast<char>(*byte));
            ++pendingCount;
        } else {
            flush();
            out.push_back(std::move(token));
        }
    }
    flush();
    return out;
}

std::string stripToken(const std::string& token, const DecoderStep& step)
{
    std::u32string chars = unicode::toCodePoints(token);
    const std::u32string content = unicode::toCodePoints(step.text);
    if (content.size() != 1) {
        return token;
    }
    std::size_t begin = 0;
    while (begin < step.start && begin < chars.size() && chars[begin] == content[0]) {
        ++begin;
    }
    std::size_t end = chars.size();
    for (std::size_t i = 0; i < step.stop && end > begin && chars[end - 1] == content[0]; ++i) {
        --end;
    }
    return unicode::toUtf8(std::u32string_view(chars).substr(begin, end - begin));
}

} // namespace

std::string Decoder::decode(std::vector<std::string> tokens) const
{
    for (const DecoderStep& step : m_steps) {
        switch (step.kind) {
        case DecoderStep::Kind::ByteLevel: {
            std::string bytes;
            for (const std::string& token : tokens) {
                bytes += byte_level::decodeBytes(token);
            }
            tokens.assign(1, unicode::sanitizeUtf8(bytes));
            break;
        }
        case DecoderStep::Kind::Metaspace:
            for (std::size_t i = 0; i < tokens.size(); ++i) {
                const bool drop = i == 0 && step.prependFirst;
                tokens[i] = replaceAll(std::move(tokens[i]), step.text, drop ? "" : " ");
            }
            break;
        case DecoderStep::Kind::WordPiece:
            for (std::size_t i = 0; i < tokens.size(); ++i) {
                if (i != 0) {
                    if (tokens[i].starts_with(step.text)) {
                        tokens[i].erase(0, step.text.size());
                    } else {
                        tokens[i].insert(0, 1, ' ');
                    }
                }
                if (step.cleanup) {
                    tokens[i] = wordPieceCleanup(std::move(tokens[i]));
                }
            }
            break;
        case DecoderStep::Kind::Replace:
            for (std::string& token : tokens) {
                token = replaceAll(std::move(token), step.text, step.replacement);
            }
            break;
        case DecoderStep::Kind::ByteFallback:
            tokens = byteFallback(std::move(tokens));
            break;
        case DecoderStep::Kind::Fuse: {
            std::string all;
            for (const std::string& token : tokens) {
                all += token;
            }
            tokens.assign(1, std::move(all));
            break;
        }
        case DecoderStep::Kind::Strip:
            for (std::string& token : tokens) {
                token = stripToken(token, step);
            }
            break;
        case DecoderStep::Kind::BpeSuffix:
            for (std::size_t i = 0; i < tokens.size(); ++i) {
                tokens[i] = replaceAll(std::move(tokens[i]), step.text, i + 1 == tokens.size() ? "" : " ");
            }
            break;
        }
    }
    std::string text;
    for (const std::string& token : tokens) {
        text += token;
    }
    return text;
}

} // namespace attnscope

#include "tokenizer/wordpiece_model.h"

#include "tokenizer/unicode.h"

namespace attnscope {

Result<std::unique_ptr<WordPieceModel>> WordPieceModel::create(WordPieceConfig config,
                                                               const std::string& source)
{
    std::unique_ptr<WordPieceModel> model(new WordPieceModel());
    auto vocab = Vocabulary::create(std::move(config.vocab), source);
    if (!vocab) {
        return vocab.error();
    }
    model->m_vocab = std::move(vocab).value();
    const auto unkId = model->m_vocab.find(config.unkToken);
    if (!unkId) {
        return makeError(ErrorCode::FormatInvalid,
                         "WordPiece unk_token '" + config.unkToken + "' is not in the vocabulary", source);
    }
    model->m_unkId = *unkId;
    model->m_prefix = std::move(config.continuingSubwordPrefix);
    model->m_maxInputCharsPerWord = config.maxInputCharsPerWord;
    return model;
}

void WordPieceModel::tokenize(std::string_view word, std::vector<std::int32_t>& out) const
{
    std::size_t charCount = 0;
    for (char ch : word) {
        charCount += (static_cast<unsigned char>(ch) & 0xC0) != 0x80 ? 1 : 0;
    }
    if (charCount > m_maxInputCharsPerWord) {
        out.push_back(m_unkId);
        return;
    }
    const std::size_t firstOut = out.size();
    std::string candidate;
    for (std::size_t start = 0; start < word.size();) {
        std::size_t end = word.size();
        std::optional<std::int32_t> found;
        while (start < end) {
            candidate.clear();
            if (start > 0) {
                candidate += m_prefix;
            }
            candidate.append(word.substr(start, end - start));
            found = m_vocab.find(candidate);
            if (found) {
                break;
            }
            // Drop the last character (not byte) and retry.
            do {
                --end;
            } while (end > start && (static_cast<unsigned char>(word[end]) & 0xC0) == 0x80);
        }
        if (!found) {
            out.resize(firstOut);
            out.push_back(m_unkId);
            return;
        }
        out.push_back(*found);
        start = end;
    }
}

} // namespace attnscope

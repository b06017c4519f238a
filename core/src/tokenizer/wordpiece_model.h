#pragma once
// HF `tokenizers` WordPiece model (BERT): greedy longest-match-first with a "##" continuation
// prefix; a word with any unmatchable part, or longer than maxInputCharsPerWord, is [UNK].

#include "tokenizer/token_model.h"
#include "tokenizer/vocabulary.h"

#include <memory>

namespace attnscope {

struct WordPieceConfig {
    std::vector<std::pair<std::string, std::int32_t>> vocab;
    std::string unkToken = "[UNK]";
    std::string continuingSubwordPrefix = "##";
    std::size_t maxInputCharsPerWord = 100;
};

class WordPieceModel final : public TokenModel {
public:
    /// Errors: FormatInvalid when the unk token is not in the vocabulary.
    static Result<std::unique_ptr<WordPieceModel>> create(WordPieceConfig config, const std::string& source);

    void tokenize(std::string_view word, std::vector<std::int32_t>& out) const override;
    std::optional<std::int32_t> tokenToId(std::string_view token) const override { return m_vocab.find(token); }
    const std::string* idToToken(std::int32_t id) const override { return m_vocab.token(id); }
    std::int32_t vocabSize() const override { return m_vocab.size(); }
    const std::string& continuingSubwordPrefix() const { return m_prefix; }

private:
    WordPieceModel() = default;

    Vocabulary m_vocab;
    std::int32_t m_unkId = 0;
    std::string m_prefix;
    std::size_t m_maxInputCharsPerWord = 100;
};

} // namespace attnscope

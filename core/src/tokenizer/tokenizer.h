#pragma once
// Loads an HF tokenizer.json and encodes text to the ids HF `tokenizers` produces:
// added tokens → normalizer → pre-tokenizer → model (BPE / WordPiece) → post-processor.
// Supported: byte-level BPE (GPT-2, Llama 3, Qwen 2), SentencePiece-style BPE (Llama 2,
// TinyLlama, stories260K) and WordPiece (BERT). Anything else is ErrorCode::Unsupported.
//
// Text that is not valid UTF-8 (HF refuses it) is accepted: each byte that does not start a
// well-formed sequence becomes U+FFFD before encoding (see unicode::sanitizeUtf8).

#include "attnscope/status.h"
#include "tokenizer/added_vocabulary.h"
#include "tokenizer/decoder.h"
#include "tokenizer/normalizer.h"
#include "tokenizer/post_processor.h"
#include "tokenizer/pre_tokenizer.h"
#include "tokenizer/token_model.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace attnscope {

class Tokenizer {
public:
    enum class Kind { BpeByteLevel, BpeSentencePiece, WordPiece };

    /// Errors: FileNotFound / FileIo, FormatInvalid (bad JSON or structure), Unsupported (a model,
    /// normalizer, pre-tokenizer, post-processor or regex we do not implement; the message names it).
    static Result<std::unique_ptr<Tokenizer>> fromFile(const std::string& path);
    static Result<std::unique_ptr<Tokenizer>> fromJson(std::string_view json, const std::string& sourceName);

    /// Ids as HF's `tokenizer.encode(text, add_special_tokens=...)`. Fails only on internal errors.
    Result<std::vector<std::int32_t>> encode(std::string_view text, bool addSpecialTokens = true) const;

    /// A readable piece for a token strip: the token's text with its leading space kept (" the"),
    /// "##" stripped for WordPiece continuations and special tokens shown as written ("<s>").
    /// Control characters are escaped as "\n", "\r", "\t" or "\xNN"; bytes that are not valid
    /// UTF-8 on their own (a byte-level or <0xNN> piece of a multi-byte character) show as
    /// "<0xNN>". Unknown ids give "<id N>".
    std::string tokenDisplay(std::int32_t id) const;
    /// Text of `ids` through the tokenizer's decoder; special added tokens are skipped (HF's
    /// decode(..., skip_special_tokens=True)).
    std::string decode(const std::vector<std::int32_t>& ids) const;

    /// One past the largest id of the model vocabulary and the added tokens.
    std::int32_t vocabSize() const;
    std::optional<std::int32_t> bosId() const { return m_bosId; }
    std::optional<std::int32_t> eosId() const { return m_eosId; }
    Kind kind() const { return m_kind; }
    /// "bpe-bytelevel", "bpe-sentencepiece" or "wordpiece".
    std::string kindName() const;
    /// The vocabulary string of `id` (model or added token), or nullopt.
    std::optional<std::string> idToToken(std::int32_t id) const;
    std::optional<std::int32_t> tokenToId(std::string_view token) const;

private:
    friend class TokenizerLoader;
    Tokenizer() = default;

    /// Bytes a token stands for, before display escaping.
    std::string tokenBytes(std::int32_t id) const;

    Kind m_kind = Kind::BpeByteLevel;
    Normalizer m_normalizer;
    PreTokenizer m_preTokenizer;
    std::unique_ptr<TokenModel> m_model;
    AddedVocabulary m_added;
    PostProcessor m_postProcessor;
    Decoder m_decoder;
    std::string m_wordPiecePrefix = "##";
    std::optional<std::int32_t> m_bosId;
    std::optional<std::int32_t> m_eosId;
};

} // namespace attnscope

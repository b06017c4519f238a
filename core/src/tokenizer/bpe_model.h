#pragma once
// HF `tokenizers` BPE model: byte-level (GPT-2, Llama 3, Qwen 2) and SentencePiece-style
// (byte_fallback, fuse_unk) vocabularies. Merges are applied lowest rank first with a priority
// queue, as HF's Word::merge_all, so long words cost O(n log n).

#include "tokenizer/token_model.h"
#include "tokenizer/vocabulary.h"

#include <array>
#include <memory>
#include <unordered_map>

namespace attnscope {

struct BpeConfig {
    std::vector<std::pair<std::string, std::int32_t>> vocab;
    /// In priority order (rank = index).
    std::vector<std::pair<std::string, std::string>> merges;
    std::optional<std::string> unkToken;
    std::string continuingSubwordPrefix;
    std::string endOfWordSuffix;
    bool fuseUnk = false;
    bool byteFallback = false;
    bool ignoreMerges = false;
};

class BpeModel final : public TokenModel {
public:
    /// Errors: FormatInvalid for merges naming unknown tokens or an unk token not in the vocab.
    static Result<std::unique_ptr<BpeModel>> create(BpeConfig config, const std::string& source);

    void tokenize(std::string_view word, std::vector<std::int32_t>& out) const override;
    std::optional<std::int32_t> tokenToId(std::string_view token) const override { return m_vocab.find(token); }
    const std::string* idToToken(std::int32_t id) const override { return m_vocab.token(id); }
    std::int32_t vocabSize() const override { return m_vocab.size(); }

private:
    struct MergeTarget {
        std::int32_t rank;
        std::int32_t newId;
    };
    struct Symbol {
        std::int32_t id;
        std::int32_t prev;
        std::int32_t next;
        std::uint32_t byteLength; ///< 0 marks a symbol merged into its left neighbour
    };

    BpeModel() = default;
    static std::uint64_t pairKey(std::int32_t a, std::int32_t b)
    {
        return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(a)) << 32) | static_cast<std::uint32_t>(b);
    }
    const MergeTarget* findMerge(std::int32_t a, std::int32_t b) const;
    std::vector<Symbol> initialSymbols(std::string_view word) const;
    void mergeAll(std::vector<Symbol>& symbols) const;

    Vocabulary m_vocab;
    std::unordered_map<std::uint64_t, MergeTarget> m_merges;
    std::optional<std::int32_t> m_unkId;
    std::string m_continuingSubwordPrefix;
    std::string m_endOfWordSuffix;
    bool m_fuseUnk = false;
    bool m_byteFallback = false;
    bool m_ignoreMerges = false;
    /// Ids of "<0xNN>" tokens, -1 where absent (byte_fallback).
    std::array<std::int32_t, 256> m_byteIds{};
};

} // namespace attnscope

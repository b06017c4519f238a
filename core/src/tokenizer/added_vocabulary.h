#pragma once
// HF's AddedVocabulary: tokens from tokenizer.json "added_tokens" that are cut out of the text
// before the model sees it. Tokens with normalized=false are matched in the raw text; those with
// normalized=true in each normalized segment (their content normalized the same way).
// Matching is leftmost-longest, as HF's Aho-Corasick automaton.

#include "tokenizer/normalizer.h"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace attnscope {

struct AddedToken {
    std::string content;
    std::int32_t id = 0;
    bool singleWord = false;
    bool lstrip = false;
    bool rstrip = false;
    bool normalized = false;
    bool special = false;
};

/// A run of text, or an added token found in it.
struct TextSegment {
    std::string text;
    std::optional<std::int32_t> id;
    /// Starts at offset 0 of the original text (Metaspace's prepend_scheme "first").
    bool atTextStart = false;
};

class AddedVocabulary {
public:
    /// Registers the tokens and builds both matchers; `normalizer` may be empty.
    void build(std::vector<AddedToken> tokens, const Normalizer& normalizer);

    /// Cuts the non-normalized added tokens out of raw text. Empty runs are dropped.
    std::vector<TextSegment> splitRaw(std::string_view text) const;
    /// Cuts the normalized added tokens out of one normalized run.
    std::vector<TextSegment> splitNormalized(std::string_view text, bool atTextStart) const;

    const AddedToken* findById(std::int32_t id) const;
    std::optional<std::int32_t> findByContent(std::string_view content) const;
    const std::vector<AddedToken>& tokens() const { return m_tokens; }

private:
    struct Matcher {
        /// Token indices by first byte, longest content first.
        std::array<std::vector<std::size_t>, 256> byFirstByte;
        std::vector<std::string> patterns; ///< per token index; empty = not in this matcher
        bool empty = true;
    };

    std::vector<TextSegment> split(std::string_view text, const Matcher& matcher, bool atTextStart) const;

    std::vector<AddedToken> m_tokens;
    std::unordered_map<std::int32_t, std::size_t> m_byId;
    Matcher m_raw;
    Matcher m_normalized;
};

} // namespace attnscope

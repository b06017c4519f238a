#pragma once
// The model stage of a tokenizer: turns one pre-tokenized word into token ids.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace attnscope {

class TokenModel {
public:
    virtual ~TokenModel() = default;
    /// Appends the ids of one non-empty word. Never fails: unknown pieces become the unk token
    /// (or are dropped when the model has none, as HF does).
    virtual void tokenize(std::string_view word, std::vector<std::int32_t>& out) const = 0;
    virtual std::optional<std::int32_t> tokenToId(std::string_view token) const = 0;
    /// The vocabulary string of `id`, or nullptr when the model has no such id.
    virtual const std::string* idToToken(std::int32_t id) const = 0;
    /// One past the largest id of the model's vocabulary.
    virtual std::int32_t vocabSize() const = 0;
};

} // namespace attnscope

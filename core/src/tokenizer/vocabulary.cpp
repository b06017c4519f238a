#include "tokenizer/vocabulary.h"

namespace attnscope {

Result<Vocabulary> Vocabulary::create(std::vector<std::pair<std::string, std::int32_t>> entries,
                                      const std::string& source)
{
    // Real vocabularies are dense; refuse absurd ids rather than allocate gigabytes.
    constexpr std::int32_t kMaxId = 1 << 24;
    Vocabulary vocab;
    std::int32_t maxId = -1;
    for (const auto& [token, id] : entries) {
        if (id < 0 || id >= kMaxId) {
            return makeError(ErrorCode::FormatInvalid,
                             "vocabulary id " + std::to_string(id) + " of token '" + token + "' is out of range",
                             source);
        }
        maxId = std::max(maxId, id);
    }
    vocab.m_tokens.resize(static_cast<std::size_t>(maxId + 1));
    vocab.m_present.resize(static_cast<std::size_t>(maxId + 1), false);
    vocab.m_ids.reserve(entries.size());
    for (auto& [token, id] : entries) {
        const auto slot = static_cast<std::size_t>(id);
        if (vocab.m_present[slot]) {
            return makeError(ErrorCode::FormatInvalid,
                             "vocabulary id " + std::to_string(id) + " is used twice", source);
        }
        vocab.m_present[slot] = true;
        vocab.m_tokens[slot] = token;
        vocab.m_ids.emplace(std::move(token), id);
    }
    return vocab;
}

} // namespace attnscope

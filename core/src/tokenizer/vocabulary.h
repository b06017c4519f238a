#pragma once
// A token <-> id table shared by the BPE and WordPiece models.

#include "attnscope/status.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace attnscope {

class Vocabulary {
public:
    /// Builds the table; ids must be non-negative and unique (FormatInvalid otherwise).
    static Result<Vocabulary> create(std::vector<std::pair<std::string, std::int32_t>> entries,
                                     const std::string& source);

    std::optional<std::int32_t> find(std::string_view token) const
    {
        const auto it = m_ids.find(token);
        return it == m_ids.end() ? std::nullopt : std::optional<std::int32_t>(it->second);
    }
    const std::string* token(std::int32_t id) const
    {
        if (id < 0 || static_cast<std::size_t>(id) >= m_tokens.size() || !m_present[static_cast<std::size_t>(id)]) {
            return nullptr;
        }
        return &m_tokens[static_cast<std::size_t>(id)];
    }
    std::int32_t size() const { return static_cast<std::int32_t>(m_tokens.size()); }

private:
    struct Hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };
    std::unordered_map<std::string, std::int32_t, Hash, std::equal_to<>> m_ids;
    std::vector<std::string> m_tokens;
    std::vector<bool> m_present;
};

} // namespace attnscope

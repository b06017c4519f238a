#pragma once
// Small string helpers shared by the tokenizer stages.

#include <string>
#include <string_view>

namespace attnscope {

/// Every non-overlapping occurrence of `from` (scanning left to right) replaced by `to`.
inline std::string replaceAll(std::string_view text, std::string_view from, std::string_view to)
{
    if (from.empty()) {
        return std::string(text);
    }
    std::string out;
    out.reserve(text.size());
    std::size_t pos = 0;
    for (std::size_t hit = text.find(from); hit != std::string_view::npos; hit = text.find(from, pos)) {
        out.append(text.substr(pos, hit - pos));
        out.append(to);
        pos = hit + from.size();
    }
    out.append(text.substr(pos));
    return out;
}

} // namespace attnscope

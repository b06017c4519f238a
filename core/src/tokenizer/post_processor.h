#pragma once
// The post-processor stage for a single sequence: special ids around the encoded text
// (TemplateProcessing, BertProcessing, RobertaProcessing; ByteLevel adds none). A Sequence of
// processors nests: each later one wraps what the earlier ones produced.

#include <cstdint>
#include <vector>

namespace attnscope {

class PostProcessor {
public:
    /// Wraps the current template in `prefix` ... `suffix`.
    void wrap(const std::vector<std::int32_t>& prefix, const std::vector<std::int32_t>& suffix)
    {
        m_prefix.insert(m_prefix.begin(), prefix.begin(), prefix.end());
        m_suffix.insert(m_suffix.end(), suffix.begin(), suffix.end());
    }
    void apply(std::vector<std::int32_t>& ids) const
    {
        ids.insert(ids.begin(), m_prefix.begin(), m_prefix.end());
        ids.insert(ids.end(), m_suffix.begin(), m_suffix.end());
    }
    const std::vector<std::int32_t>& prefix() const { return m_prefix; }
    const std::vector<std::int32_t>& suffix() const { return m_suffix; }

private:
    std::vector<std::int32_t> m_prefix;
    std::vector<std::int32_t> m_suffix;
};

} // namespace attnscope

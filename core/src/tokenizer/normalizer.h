#pragma once
// The normalizer stage of an HF tokenizer.json, as a flat list of steps (Sequence flattened).
// Steps are data, so the loader fills them and this class only applies them.

#include <string>
#include <string_view>
#include <vector>

namespace attnscope {

struct NormalizerStep {
    enum class Kind {
        Prepend,      ///< text = prefix; only a non-empty string is prefixed (as HF)
        Replace,      ///< every `text` becomes `replacement`
        Nfc,
        Nfd,
        Lowercase,
        StripAccents, ///< drop non-spacing marks (Mn); HF does not decompose first
        Strip,        ///< trim whitespace: left/right flags
        Bert,         ///< BertNormalizer: cleanText, handleChineseChars, stripAccents, lowercase
    };
    Kind kind = Kind::Prepend;
    std::string text;
    std::string replacement;
    bool left = false;
    bool right = false;
    bool cleanText = false;
    bool handleChineseChars = false;
    bool stripAccents = false;
    bool lowercase = false;
};

class Normalizer {
public:
    void addStep(NormalizerStep step) { m_steps.push_back(std::move(step)); }
    bool empty() const { return m_steps.empty(); }
    /// Applies every step in order to valid UTF-8 text.
    std::string normalize(std::string_view text) const;

private:
    std::vector<NormalizerStep> m_steps;
};

} // namespace attnscope

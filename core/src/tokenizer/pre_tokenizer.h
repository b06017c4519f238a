#pragma once
// The pre-tokenizer stage of an HF tokenizer.json as a flat list of steps (Sequence flattened):
// it cuts a normalized segment into the words the model encodes one by one.

#include "tokenizer/regex_scanners.h"

#include <string>
#include <string_view>
#include <vector>

namespace attnscope {

/// HF's SplitDelimiterBehavior: what happens to the matched delimiters.
enum class SplitBehavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous };

struct PreTokenizerStep {
    enum class Kind {
        ByteLevel,   ///< addPrefixSpace, useRegex (GPT-2 regex), then bytes → characters
        Split,       ///< pattern (literal or known regex), behavior, invert
        Metaspace,   ///< replacement, prependScheme, splitOnReplacement
        Bert,        ///< whitespace removed, punctuation isolated
        WhitespaceSplit,
        Digits,      ///< individualDigits
    };
    enum class PrependScheme { Always, First, Never };
    Kind kind = Kind::ByteLevel;
    bool addPrefixSpace = false;
    bool useRegex = true;
    /// Split: a literal pattern when `regex` is unset.
    std::string literal;
    std::optional<KnownPattern> regex;
    SplitBehavior behavior = SplitBehavior::Isolated;
    bool invert = false;
    std::string replacement;
    PrependScheme prependScheme = PrependScheme::Always;
    bool splitOnReplacement = true;
    bool individualDigits = false;
};

class PreTokenizer {
public:
    void addStep(PreTokenizerStep step) { m_steps.push_back(std::move(step)); }
    bool empty() const { return m_steps.empty(); }
    /// Splits one normalized segment into words. `atTextStart` says the segment begins at offset 0
    /// of the original text (Metaspace's "first" prepend scheme needs it). Empty words are dropped.
    std::vector<std::string> preTokenize(std::string segment, bool atTextStart) const;

private:
    std::vector<PreTokenizerStep> m_steps;
};

} // namespace attnscope

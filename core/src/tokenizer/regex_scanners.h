#pragma once
// Hand-written scanners for the few pre-tokenizer regexes real tokenizers use (GPT-2 ByteLevel,
// Llama 3, Qwen 2). HF runs them with Oniguruma; we reproduce its leftmost-first alternation and
// backtracking by hand instead of shipping a regex engine (std::regex has no \p{L}).

#include <cstddef>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

namespace attnscope {

enum class KnownPattern {
    /// 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
    Gpt2,
    /// (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
    Llama3,
    /// As Llama3 but \p{N} (single digits).
    Qwen2,
    /// \p{N}+ (Digits pre-tokenizer) and \p{N} (Digits with individual_digits).
    DigitRuns,
    SingleDigits,
    /// \s+ (WhitespaceSplit).
    WhitespaceRuns,
};

/// Recognises a regex string from tokenizer.json; nullopt for anything we have no scanner for.
std::optional<KnownPattern> recognisePattern(std::string_view regex);

/// Byte ranges [begin, end) of the successive non-overlapping matches of `pattern` in valid UTF-8
/// `text`, as Oniguruma's find_iter would return them.
std::vector<std::pair<std::size_t, std::size_t>> findPatternMatches(KnownPattern pattern,
                                                                    std::string_view text);

} // namespace attnscope

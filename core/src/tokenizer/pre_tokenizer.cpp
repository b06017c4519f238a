#include "tokenizer/pre_tokenizer.h"

#include "tokenizer/byte_level.h"
#include "tokenizer/unicode.h"

namespace attnscope {

namespace {

struct Piece {
    std::string text;
    bool atStart = false;
};

struct Span {
    std::size_t begin;
    std::size_t end;
    bool isMatch;
};

using Match = std::pair<std::size_t, std::size_t>;

/// Matches plus the gaps between them, covering the whole text (HF's find_matches).
std::vector<Span> coverWithGaps(const std::vector<Match>& matches, std::size_t size, bool invert)
{
    std::vector<Span> spans;
    std::size_t pos = 0;
    for (const auto& [begin, end] : matches) {
        if (begin == end) {
            continue;
        }
        if (pos < begin) {
            spans.push_back({pos, begin, invert});
        }
        spans.push_back({begin, end, !invert});
        pos = end;
    }
    if (pos < size) {
        spans.push_back({pos, size, invert});
    }
    return spans;
}

/// HF NormalizedString::split: merges or drops delimiter spans according to `behavior`.
std::vector<Span> applyBehavior(const std::vector<Span>& spans, SplitBehavior behavior)
{
    std::vector<Span> out;
    bool previousMatch = false;
    switch (behavior) {
    case SplitBehavior::Isolated:
        for (const Span& s : spans) {
            out.push_back({s.begin, s.end, false});
        }
        return out;
    case SplitBehavior::Removed:
        return spans;
    case SplitBehavior::Contiguous:
        for (const Span& s : spans) {
            if (s.isMatch == previousMatch && !out.empty()) {
                out.back().end = s.end;
            } else {
                out.push_back({s.begin, s.end, false});
            }
            previousMatch = s.isMatch;
        }
        return out;
    case SplitBehavior::MergedWithPrevious:
        for (const Span& s : spans) {
            if (s.isMatch && !previousMatch && !out.empty()) {
                out.back().end = s.end;
            } else {
                out.push_back({s.begin, s.end, false});
            }
            previousMatch = s.isMatch;
        }
        return out;
    case SplitBehavior::MergedWithNext:
        for (auto it = spans.rbegin(); it != spans.rend(); ++it) {
            if (it->isMatch && !previousMatch && !out.empty()) {
                out.back().begin = it->begin;
            } else {
                out.push_back({it->begin, it->end, false});
            }
            previousMatch = it->isMatch;
        }
        return {out.rbegin(), out.rend()};
    }
    return out;
}

void splitInto(std::vector<Piece>& out, const Piece& piece, const std::vector<Match>& matches,
               SplitBehavior behavior, bool invert)
{
    for (const Span& s : applyBehavior(coverWithGaps(matches, piece.text.size(), invert), behavior)) {
        if (s.isMatch || s.begin == s.end) {
            continue;
        }
        out.push_back({piece.text.substr(s.begin, s.end - s.begin), piece.atStart && s.begin == 0});
    }
}

/// One match per character satisfying `pred` (HF's split with a char predicate).
template <typename Pred>
std::vector<Match> charMatches(std::string_view text, Pred pred)
{
    std::vector<Match> matches;
    for (std::size_t pos = 0; pos < text.size();) {
        const std::size_t start = pos;
        if (pred(unicode::nextCodePoint(text, pos))) {
            matches.emplace_back(start, pos);
        }
    }
    return matches;
}

std::vector<Match> literalMatches(std::string_view text, std::string_view literal)
{
    std::vector<Match> matches;
    if (literal.empty()) {
        return matches;
    }
    for (std::size_t pos = text.find(literal); pos != std::string_view::npos;
         pos = text.find(literal, pos + literal.size())) {
        matches.emplace_back(pos, pos + literal.size());
    }
    return matches;
}

std::string replaceSpaces(std::string_view text, std::string_view replacement)
{
    std::string out;
    out.reserve(text.size() + text.size() / 2);
    for (char ch : text) {
        if (ch == ' ') {
            out.append(replacement);
        } else {
            out.push_back(ch);
        }
    }
    return out;
}

bool isBertPunctuation(char32_t c)
{
    const bool asciiPunct = (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40)
                            || (c >= 0x5B && c <= 0x60) || (c >= 0x7B && c <= 0x7E);
    return asciiPunct || unicode::isPunctuation(c);
}

void applyStep(const PreTokenizerStep& step, const Piece& piece, std::vector<Piece>& out)
{
    using Kind = PreTokenizerStep::Kind;
    switch (step.kind) {
    case Kind::ByteLevel: {
        std::string text = piece.text;
        if (step.addPrefixSpace && (text.empty() || text.front() != ' ')) {
            text.insert(0, 1, ' ');
        }
        std::vector<Piece> parts;
        if (step.useRegex) {
            splitInto(parts, {text, piece.atStart}, findPatternMatches(KnownPattern::Gpt2, text),
                      SplitBehavior::Isolated, false);
        } else if (!text.empty()) {
            parts.push_back({text, piece.atStart});
        }
        for (Piece& p : parts) {
            out.push_back({byte_level::encodeBytes(p.text), p.atStart});
        }
        return;
    }
    case Kind::Split: {
        const std::vector<Match> matches = step.regex ? findPatternMatches(*step.regex, piece.text)
                                                      : literalMatches(piece.text, step.literal);
        splitInto(out, piece, matches, step.behavior, step.invert);
        return;
    }
    case Kind::Metaspace: {
        std::string text = replaceSpaces(piece.text, step.replacement);
        const bool startsWithReplacement = text.starts_with(step.replacement);
        const bool prepend =
            step.prependScheme == PreTokenizerStep::PrependScheme::Always
            || (step.prependScheme == PreTokenizerStep::PrependScheme::First && piece.atStart);
        if (prepend && !startsWithReplacement) {
            text.insert(0, step.replacement);
        }
        if (step.splitOnReplacement) {
            splitInto(out, {text, piece.atStart}, literalMatches(text, step.replacement),
                      SplitBehavior::MergedWithNext, false);
        } else if (!text.empty()) {
            out.push_back({std::move(text), piece.atStart});
        }
        return;
    }
    case Kind::Bert: {
        std::vector<Piece> words;
        splitInto(words, piece, charMatches(piece.text, unicode::isWhitespace), SplitBehavior::Removed,
                  false);
        for (const Piece& w : words) {
            splitInto(out, w, charMatches(w.text, isBertPunctuation), SplitBehavior::Isolated, false);
        }
        return;
    }
    case Kind::WhitespaceSplit:
        splitInto(out, piece, charMatches(piece.text, unicode::isWhitespace), SplitBehavior::Removed,
                  false);
        return;
    case Kind::Digits:
        splitInto(out, piece, charMatches(piece.text, unicode::isNumber),
                  step.individualDigits ? SplitBehavior::Isolated : SplitBehavior::Contiguous, false);
        return;
    }
}

} // namespace

std::vector<std::string> PreTokenizer::preTokenize(std::string segment, bool atTextStart) const
{
    std::vector<Piece> pieces;
    pieces.push_back({std::move(segment), atTextStart});
    for (const PreTokenizerStep& step : m_steps) {
        std::vector<Piece> next;
        next.reserve(pieces.size());
        for (const Piece& piece : pieces) {
            applyStep(step, piece, next);
        }
        pieces = std::move(next);
    }
    std::vector<std::string> words;
    words.reserve(pieces.size());
    for (Piece& p : pieces) {
        if (!p.text.empty()) {
            words.push_back(std::move(p.text));
        }
    }
    return words;
}

} // namespace attnscope

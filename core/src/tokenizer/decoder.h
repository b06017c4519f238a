#pragma once
// The decoder stage of tokenizer.json (tokens → text), as a flat list of steps. HF decoders map a
// list of token strings to a list of strings which are finally concatenated; so do we.

#include <string>
#include <vector>

namespace attnscope {

struct DecoderStep {
    enum class Kind {
        ByteLevel,    ///< byte-level characters → bytes (lossy UTF-8)
        Metaspace,    ///< replacement → ' ', first token loses its leading space if prependFirst
        WordPiece,    ///< strip prefix on continuations, space before words, optional cleanup
        Replace,      ///< text → replacement in every token
        ByteFallback, ///< runs of <0xNN> tokens → their UTF-8 text (U+FFFD per byte if invalid)
        Fuse,         ///< all tokens → one
        Strip,        ///< remove up to `start`/`stop` copies of `text` at each token's ends
        BpeSuffix,    ///< BPEDecoder: suffix → ' ' (last token: removed)
    };
    Kind kind = Kind::Fuse;
    std::string text;
    std::string replacement;
    bool prependFirst = true;
    bool cleanup = true;
    std::size_t start = 0;
    std::size_t stop = 0;
};

class Decoder {
public:
    void addStep(DecoderStep step) { m_steps.push_back(std::move(step)); }
    bool empty() const { return m_steps.empty(); }
    std::string decode(std::vector<std::string> tokens) const;

private:
    std::vector<DecoderStep> m_steps;
};

} // namespace attnscope

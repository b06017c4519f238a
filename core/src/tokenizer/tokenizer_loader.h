#pragma once
// Reads tokenizer.json into a Tokenizer's stages. The only file of the module that sees JSON, so
// nlohmann exceptions are caught here and become Errors (FormatInvalid / Unsupported).

#include "tokenizer/tokenizer.h"

#include <nlohmann/json_fwd.hpp>

namespace attnscope {

class TokenizerLoader {
public:
    explicit TokenizerLoader(std::string source) : m_source(std::move(source)) {}
    Result<std::unique_ptr<Tokenizer>> load(std::string_view json);
    /// The same from an already built document (tokenizers made from GGUF metadata skip the text).
    Result<std::unique_ptr<Tokenizer>> load(const nlohmann::json& root);

private:
    Result<void> loadRoot(Tokenizer& tokenizer, const nlohmann::json& root);
    Result<void> loadModel(Tokenizer& tokenizer, const nlohmann::json& model);
    Result<void> loadNormalizer(Normalizer& normalizer, const nlohmann::json& node);
    Result<void> loadPreTokenizer(PreTokenizer& preTokenizer, const nlohmann::json& node);
    Result<void> loadPostProcessor(Tokenizer& tokenizer, const nlohmann::json& node);
    bool loadDecoder(Decoder& decoder, const nlohmann::json& node);
    Result<std::int32_t> specialId(const Tokenizer& tokenizer, const nlohmann::json& pair);

    Error unsupported(const std::string& component, const std::string& type) const;
    Error invalid(const std::string& message) const;

    std::string m_source;
    /// A ByteLevel pre-tokenizer or post-processor marks a byte-level BPE.
    bool m_sawByteLevel = false;
};

} // namespace attnscope

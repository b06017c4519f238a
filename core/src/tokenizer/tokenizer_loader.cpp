#include "tokenizer/tokenizer_loader.h"

#include "io/mapped_file.h"
#include "tokenizer/bpe_model.h"
#include "tokenizer/wordpiece_model.h"
#include "util/json_integer.h"

#include <nlohmann/json.hpp>

#include <limits>
#include <new>
#include <stdexcept>
#include <string>
#include <type_traits>

namespace attnscope {

using nlohmann::json;

namespace {

std::string typeOf(const json& node)
{
    const auto it = node.find("type");
    return it != node.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// A field whose JSON type is right but whose value the C++ type cannot hold (a float or a
// negative number where a count belongs). Caught in load() and reported as a format error.
class FieldOutOfRange : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

template <typename T>
T valueOr(const json& node, const char* key, T fallback)
{
    const auto it = node.find(key);
    if (it == node.end() || it->is_null()) {
        return fallback;
    }
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
        const std::optional<T> number = nonNegativeJsonInteger<T>(*it);
        if (!number) {
            throw FieldOutOfRange(std::string(key) + " " + it->dump() + " is not an integer in [0, " +
                                  std::to_string(std::numeric_limits<T>::max()) + "]");
        }
        return *number;
    }
    return it->get<T>();
}

// A token id as HF stores it (a u32). get<std::int32_t>() would convert a float such as 2e65 with
// undefined behaviour and wrap a large integer, so anything but an integer in [0, 2^31) is refused.
std::optional<std::int32_t> tokenIdOf(const json& value)
{
    return nonNegativeJsonInteger<std::int32_t>(value);
}

std::string badIdMessage(const std::string& what, const json& value)
{
    return what + " " + value.dump() + " is not a token id (an integer in [0, 2147483647])";
}

std::optional<std::string> optionalString(const json& node, const char* key)
{
    const auto it = node.find(key);
    if (it == node.end() || it->is_null()) {
        return std::nullopt;
    }
    return it->get<std::string>();
}

} // namespace

Error TokenizerLoader::unsupported(const std::string& component, const std::string& type) const
{
    return makeError(ErrorCode::Unsupported,
                     component + " type '" + type + "' is not supported (supported tokenizers: byte-level BPE, "
                                                    "SentencePiece-style BPE, WordPiece)",
                     m_source);
}

Error TokenizerLoader::invalid(const std::string& message) const
{
    return makeError(ErrorCode::FormatInvalid, message, m_source);
}

Result<std::unique_ptr<Tokenizer>> TokenizerLoader::load(std::string_view text)
{
    try {
        return load(json::parse(text.begin(), text.end()));
    } catch (const json::parse_error& e) {
        return invalid(std::string("malformed JSON: ") + e.what());
    } catch (const json::exception& e) {
        return invalid(std::string("unexpected tokenizer.json structure: ") + e.what());
    } catch (const std::bad_alloc&) {
        return makeError(ErrorCode::OutOfMemory, "out of memory while loading the tokenizer", m_source);
    }
}

Result<std::unique_ptr<Tokenizer>> TokenizerLoader::load(const json& root)
{
    try {
        if (!root.is_object()) {
            return invalid("tokenizer.json is not a JSON object");
        }
        std::unique_ptr<Tokenizer> tokenizer(new Tokenizer());
        ATTNSCOPE_TRY(loadRoot(*tokenizer, root));
        return tokenizer;
    } catch (const FieldOutOfRange& e) {
        return invalid(e.what());
    } catch (const json::exception& e) {
        return invalid(std::string("unexpected tokenizer.json structure: ") + e.what());
    } catch (const std::bad_alloc&) {
        return makeError(ErrorCode::OutOfMemory, "out of memory while loading the tokenizer", m_source);
    } catch (const std::exception& e) {
        return makeError(ErrorCode::Internal, std::string("tokenizer loading failed: ") + e.what(), m_source);
    }
}

Result<void> TokenizerLoader::loadRoot(Tokenizer& tokenizer, const json& root)
{
    const auto model = root.find("model");
    if (model == root.end() || !model->is_object()) {
        return invalid("tokenizer.json has no \"model\" object");
    }
    ATTNSCOPE_TRY(loadModel(tokenizer, *model));
    if (const auto it = root.find("normalizer"); it != root.end() && !it->is_null()) {
        ATTNSCOPE_TRY(loadNormalizer(tokenizer.m_normalizer, *it));
    }
    if (const auto it = root.find("pre_tokenizer"); it != root.end() && !it->is_null()) {
        ATTNSCOPE_TRY(loadPreTokenizer(tokenizer.m_preTokenizer, *it));
    }

    std::vector<AddedToken> added;
    if (const auto it = root.find("added_tokens"); it != root.end() && !it->is_null()) {
        for (const json& entry : *it) {
            AddedToken token;
            token.content = entry.at("content").get<std::string>();
            const auto id = tokenIdOf(entry.at("id"));
            if (!id) {
                return invalid(badIdMessage("added token id", entry.at("id")));
            }
            token.id = *id;
            token.special = valueOr(entry, "special", false);
            token.singleWord = valueOr(entry, "single_word", false);
            token.lstrip = valueOr(entry, "lstrip", false);
            token.rstrip = valueOr(entry, "rstrip", false);
            token.normalized = valueOr(entry, "normalized", !token.special);
            added.push_back(std::move(token));
        }
    }
    tokenizer.m_added.build(std::move(added), tokenizer.m_normalizer);

    if (const auto it = root.find("post_processor"); it != root.end() && !it->is_null()) {
        ATTNSCOPE_TRY(loadPostProcessor(tokenizer, *it));
    }
    bool byteLevelDecoder = false;
    if (const auto it = root.find("decoder"); it != root.end() && !it->is_null()) {
        byteLevelDecoder = loadDecoder(tokenizer.m_decoder, *it);
    }

    if (tokenizer.m_kind != Tokenizer::Kind::WordPiece) {
        const bool byteLevel = byteLevelDecoder || m_sawByteLevel;
        tokenizer.m_kind = byteLevel ? Tokenizer::Kind::BpeByteLevel : Tokenizer::Kind::BpeSentencePiece;
    }
    if (tokenizer.m_decoder.empty()) {
        // Without a decoder HF joins tokens with spaces; a per-kind default reads better.
        DecoderStep step;
        switch (tokenizer.m_kind) {
        case Tokenizer::Kind::BpeByteLevel:
            step.kind = DecoderStep::Kind::ByteLevel;
            break;
        case Tokenizer::Kind::BpeSentencePiece:
            step.kind = DecoderStep::Kind::Metaspace;
            step.text = "\xE2\x96\x81";
            break;
        case Tokenizer::Kind::WordPiece:
            step.kind = DecoderStep::Kind::WordPiece;
            step.text = tokenizer.m_wordPiecePrefix;
            break;
        }
        tokenizer.m_decoder.addStep(step);
    }

    // tokenizer.json does not name BOS/EOS (tokenizer_config.json does): take them from the
    // post-processor template, else from the conventional special-token spellings.
    const auto& prefix = tokenizer.m_postProcessor.prefix();
    const auto& suffix = tokenizer.m_postProcessor.suffix();
    if (!prefix.empty()) {
        tokenizer.m_bosId = prefix.front();
    }
    if (!suffix.empty()) {
        tokenizer.m_eosId = suffix.back();
    }
    for (const char* name : {"<s>", "<|begin_of_text|>", "<|startoftext|>", "[CLS]"}) {
        if (!tokenizer.m_bosId) {
            tokenizer.m_bosId = tokenizer.m_added.findByContent(name);
        }
    }
    for (const char* name : {"</s>", "<|end_of_text|>", "<|endoftext|>", "[SEP]"}) {
        if (!tokenizer.m_eosId) {
            tokenizer.m_eosId = tokenizer.m_added.findByContent(name);
        }
    }
    return okResult();
}

Result<void> TokenizerLoader::loadModel(Tokenizer& tokenizer, const json& model)
{
    std::string type = typeOf(model);
    if (type.empty()) {
        // Old files leave the model untagged; HF then tells the kinds apart by their fields.
        type = model.contains("merges") ? "BPE" : model.contains("max_input_chars_per_word") ? "WordPiece" : "";
    }
    std::vector<std::pair<std::string, std::int32_t>> vocab;
    if (const auto it = model.find("vocab"); it != model.end() && it->is_object()) {
        vocab.reserve(it->size());
        for (const auto& [token, id] : it->items()) {
            const auto checked = tokenIdOf(id);
            if (!checked) {
                return invalid(badIdMessage("vocab id of \"" + token + "\"", id));
            }
            vocab.emplace_back(token, *checked);
        }
    } else if (type == "BPE" || type == "WordPiece") {
        return invalid("model \"vocab\" must be an object of token → id");
    }

    if (type == "BPE") {
        if (valueOr(model, "dropout", 0.0) > 0.0) {
            return unsupported("BPE option", "dropout (random merges)");
        }
        BpeConfig config;
        config.vocab = std::move(vocab);
        for (const json& merge : model.at("merges")) {
            if (merge.is_array() && merge.size() == 2) {
                config.merges.emplace_back(merge[0].get<std::string>(), merge[1].get<std::string>());
                continue;
            }
            const std::string line = merge.get<std::string>();
            const std::size_t space = line.find(' ');
            if (space == std::string::npos || line.find(' ', space + 1) != std::string::npos) {
                return invalid("BPE merge '" + line + "' is not two space-separated tokens");
            }
            config.merges.emplace_back(line.substr(0, space), line.substr(space + 1));
        }
        config.unkToken = optionalString(model, "unk_token");
        config.continuingSubwordPrefix = optionalString(model, "continuing_subword_prefix").value_or("");
        config.endOfWordSuffix = optionalString(model, "end_of_word_suffix").value_or("");
        config.fuseUnk = valueOr(model, "fuse_unk", false);
        config.byteFallback = valueOr(model, "byte_fallback", false);
        config.ignoreMerges = valueOr(model, "ignore_merges", false);
        auto bpe = BpeModel::create(std::move(config), m_source);
        if (!bpe) {
            return bpe.error();
        }
        tokenizer.m_model = std::move(bpe).value();
        return okResult();
    }
    if (type == "WordPiece") {
        WordPieceConfig config;
        config.vocab = std::move(vocab);
        config.unkToken = optionalString(model, "unk_token").value_or("[UNK]");
        config.continuingSubwordPrefix = optionalString(model, "continuing_subword_prefix").value_or("##");
        if (const auto limit = model.find("max_input_chars_per_word"); limit != model.end() && !limit->is_null()) {
            const auto chars = nonNegativeJsonInteger<std::size_t>(*limit);
            if (!chars) {
                return invalid("WordPiece max_input_chars_per_word " + limit->dump() +
                               " is not a non-negative integer");
            }
            config.maxInputCharsPerWord = *chars;
        }
        tokenizer.m_wordPiecePrefix = config.continuingSubwordPrefix;
        auto wordPiece = WordPieceModel::create(std::move(config), m_source);
        if (!wordPiece) {
            return wordPiece.error();
        }
        tokenizer.m_model = std::move(wordPiece).value();
        tokenizer.m_kind = Tokenizer::Kind::WordPiece;
        return okResult();
    }
    return unsupported("model", type.empty() ? "(untagged)" : type);
}

Result<void> TokenizerLoader::loadNormalizer(Normalizer& normalizer, const json& node)
{
    const std::string type = typeOf(node);
    NormalizerStep step;
    using Kind = NormalizerStep::Kind;
    if (type == "Sequence") {
        for (const json& child : node.at("normalizers")) {
            ATTNSCOPE_TRY(loadNormalizer(normalizer, child));
        }
        return okResult();
    }
    if (type == "Prepend") {
        step.kind = Kind::Prepend;
        step.text = node.at("prepend").get<std::string>();
    } else if (type == "Replace") {
        const json& pattern = node.at("pattern");
        if (!pattern.contains("String")) {
            return unsupported("Replace normalizer pattern", pattern.dump());
        }
        step.kind = Kind::Replace;
        step.text = pattern.at("String").get<std::string>();
        step.replacement = node.at("content").get<std::string>();
    } else if (type == "NFC") {
        step.kind = Kind::Nfc;
    } else if (type == "NFD") {
        step.kind = Kind::Nfd;
    } else if (type == "Lowercase") {
        step.kind = Kind::Lowercase;
    } else if (type == "StripAccents") {
        step.kind = Kind::StripAccents;
    } else if (type == "Strip") {
        step.kind = Kind::Strip;
        step.left = valueOr(node, "strip_left", true);
        step.right = valueOr(node, "strip_right", true);
    } else if (type == "BertNormalizer") {
        step.kind = Kind::Bert;
        step.cleanText = valueOr(node, "clean_text", true);
        step.handleChineseChars = valueOr(node, "handle_chinese_chars", true);
        step.lowercase = valueOr(node, "lowercase", true);
        step.stripAccents = valueOr(node, "strip_accents", step.lowercase);
    } else {
        return unsupported("normalizer", type);
    }
    normalizer.addStep(std::move(step));
    return okResult();
}

Result<void> TokenizerLoader::loadPreTokenizer(PreTokenizer& preTokenizer, const json& node)
{
    const std::string type = typeOf(node);
    PreTokenizerStep step;
    using Kind = PreTokenizerStep::Kind;
    if (type == "Sequence") {
        for (const json& child : node.at("pretokenizers")) {
            ATTNSCOPE_TRY(loadPreTokenizer(preTokenizer, child));
        }
        return okResult();
    }
    if (type == "ByteLevel") {
        m_sawByteLevel = true;
        step.kind = Kind::ByteLevel;
        step.addPrefixSpace = valueOr(node, "add_prefix_space", true);
        step.useRegex = valueOr(node, "use_regex", true);
    } else if (type == "Split") {
        step.kind = Kind::Split;
        const json& pattern = node.at("pattern");
        if (pattern.contains("Regex")) {
            const std::string regex = pattern.at("Regex").get<std::string>();
            step.regex = recognisePattern(regex);
            if (!step.regex) {
                return unsupported("Split pre-tokenizer regex", regex);
            }
        } else {
            step.literal = pattern.at("String").get<std::string>();
        }
        static const std::pair<const char*, SplitBehavior> kBehaviors[] = {
            {"Removed", SplitBehavior::Removed},
            {"Isolated", SplitBehavior::Isolated},
            {"MergedWithPrevious", SplitBehavior::MergedWithPrevious},
            {"MergedWithNext", SplitBehavior::MergedWithNext},
            {"Contiguous", SplitBehavior::Contiguous},
        };
        const std::string behavior = node.at("behavior").get<std::string>();
        bool known = false;
        for (const auto& [name, value] : kBehaviors) {
            if (behavior == name) {
                step.behavior = value;
                known = true;
            }
        }
        if (!known) {
            return unsupported("Split behavior", behavior);
        }
        step.invert = valueOr(node, "invert", false);
    } else if (type == "Metaspace") {
        step.kind = Kind::Metaspace;
        step.replacement = valueOr<std::string>(node, "replacement", "\xE2\x96\x81");
        const auto scheme = optionalString(node, "prepend_scheme");
        if (scheme) {
            if (*scheme == "always") {
                step.prependScheme = PreTokenizerStep::PrependScheme::Always;
            } else if (*scheme == "first") {
                step.prependScheme = PreTokenizerStep::PrependScheme::First;
            } else if (*scheme == "never") {
                step.prependScheme = PreTokenizerStep::PrependScheme::Never;
            } else {
                return unsupported("Metaspace prepend_scheme", *scheme);
            }
        } else {
            step.prependScheme = valueOr(node, "add_prefix_space", true) ? PreTokenizerStep::PrependScheme::Always
                                                                         : PreTokenizerStep::PrependScheme::Never;
        }
        step.splitOnReplacement = valueOr(node, "split", true);
    } else if (type == "BertPreTokenizer") {
        step.kind = Kind::Bert;
    } else if (type == "WhitespaceSplit") {
        step.kind = Kind::WhitespaceSplit;
    } else if (type == "Digits") {
        step.kind = Kind::Digits;
        step.individualDigits = valueOr(node, "individual_digits", false);
    } else {
        return unsupported("pre-tokenizer", type);
    }
    preTokenizer.addStep(std::move(step));
    return okResult();
}

Result<std::int32_t> TokenizerLoader::specialId(const Tokenizer& tokenizer, const json& pair)
{
    // BertProcessing/RobertaProcessing store [token, id]; trust the id as HF does.
    if (pair.is_array() && pair.size() == 2) {
        const auto id = tokenIdOf(pair[1]);
        if (!id) {
            return invalid(badIdMessage("post-processor special token id", pair[1]));
        }
        return *id;
    }
    if (pair.is_string()) {
        if (const auto id = tokenizer.tokenToId(pair.get<std::string>())) {
            return *id;
        }
    }
    return invalid("post-processor special token " + pair.dump() + " is not [token, id]");
}

Result<void> TokenizerLoader::loadPostProcessor(Tokenizer& tokenizer, const json& node)
{
    const std::string type = typeOf(node);
    if (type == "Sequence") {
        for (const json& child : node.at("processors")) {
            ATTNSCOPE_TRY(loadPostProcessor(tokenizer, child));
        }
        return okResult();
    }
    if (type == "ByteLevel") {
        m_sawByteLevel = true;
        return okResult();
    }
    if (type == "BertProcessing" || type == "RobertaProcessing") {
        auto cls = specialId(tokenizer, node.at("cls"));
        ATTNSCOPE_TRY(cls);
        auto sep = specialId(tokenizer, node.at("sep"));
        ATTNSCOPE_TRY(sep);
        tokenizer.m_postProcessor.wrap({cls.value()}, {sep.value()});
        return okResult();
    }
    if (type == "TemplateProcessing") {
        std::vector<std::int32_t> prefix;
        std::vector<std::int32_t> suffix;
        bool seenSequence = false;
        const json& specials = node.at("special_tokens");
        for (const json& piece : node.at("single")) {
            if (piece.contains("Sequence")) {
                seenSequence = true;
                continue;
            }
            const std::string name = piece.at("SpecialToken").at("id").get<std::string>();
            const auto special = specials.find(name);
            if (special == specials.end()) {
                return invalid("TemplateProcessing names special token '" + name + "' without defining it");
            }
            auto& target = seenSequence ? suffix : prefix;
            for (const json& id : special->at("ids")) {
                const auto checked = tokenIdOf(id);
                if (!checked) {
                    return invalid(badIdMessage("TemplateProcessing id of '" + name + "'", id));
                }
                target.push_back(*checked);
            }
        }
        tokenizer.m_postProcessor.wrap(prefix, suffix);
        return okResult();
    }
    return unsupported("post-processor", type);
}

bool TokenizerLoader::loadDecoder(Decoder& decoder, const json& node)
{
    // Decoders only shape display text, so an unknown one falls back to the per-kind default
    // instead of refusing the tokenizer. Returns whether a ByteLevel step was seen.
    const std::string type = typeOf(node);
    DecoderStep step;
    using Kind = DecoderStep::Kind;
    if (type == "Sequence") {
        bool byteLevel = false;
        for (const json& child : node.at("decoders")) {
            byteLevel = loadDecoder(decoder, child) || byteLevel;
        }
        return byteLevel;
    }
    if (type == "ByteLevel") {
        step.kind = Kind::ByteLevel;
    } else if (type == "Metaspace") {
        step.kind = Kind::Metaspace;
        step.text = valueOr<std::string>(node, "replacement", "\xE2\x96\x81");
        const auto scheme = optionalString(node, "prepend_scheme");
        step.prependFirst = scheme ? *scheme != "never" : valueOr(node, "add_prefix_space", true);
    } else if (type == "WordPiece") {
        step.kind = Kind::WordPiece;
        step.text = valueOr<std::string>(node, "prefix", "##");
        step.cleanup = valueOr(node, "cleanup", true);
    } else if (type == "Replace" && node.at("pattern").contains("String")) {
        step.kind = Kind::Replace;
        step.text = node.at("pattern").at("String").get<std::string>();
        step.replacement = node.at("content").get<std::string>();
    } else if (type == "ByteFallback") {
        step.kind = Kind::ByteFallback;
    } else if (type == "Fuse") {
        step.kind = Kind::Fuse;
    } else if (type == "Strip") {
        step.kind = Kind::Strip;
        step.text = node.at("content").get<std::string>();
        step.start = valueOr<std::size_t>(node, "start", 0);
        step.stop = valueOr<std::size_t>(node, "stop", 0);
    } else if (type == "BPEDecoder") {
        step.kind = Kind::BpeSuffix;
        step.text = valueOr<std::string>(node, "suffix", "</w>");
    } else {
        return false;
    }
    decoder.addStep(std::move(step));
    return type == "ByteLevel";
}

Result<std::unique_ptr<Tokenizer>> Tokenizer::fromJson(std::string_view json, const std::string& sourceName)
{
    return TokenizerLoader(sourceName).load(json);
}

Result<std::unique_ptr<Tokenizer>> Tokenizer::fromFile(const std::string& path)
{
    auto text = readTextFile(path);
    if (!text) {
        return text.error();
    }
    return fromJson(text.value(), path);
}

} // namespace attnscope

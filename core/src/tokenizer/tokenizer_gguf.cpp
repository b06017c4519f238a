#include "tokenizer/tokenizer_gguf.h"

#include "io/gguf_file.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/tokenizer_loader.h"
#include "tokenizer/unicode.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <new>
#include <string_view>
#include <unordered_map>

namespace attnscope {

namespace {

// Plain (std::map) objects: an ordered_json object looks keys up linearly, which made building a
// 262144-piece vocabulary (Gemma 3) quadratic, minutes at open. Key order means nothing to the
// tokenizer; arrays (merges, added tokens, normalizers) keep their order either way.
using Json = nlohmann::json;

// SentencePiece token types as llama.cpp stores them (tokenizer.ggml.token_type).
constexpr std::int64_t kTypeNormal = 1;
constexpr std::int64_t kTypeUnknown = 2;
constexpr std::int64_t kTypeControl = 3;
constexpr std::int64_t kTypeUserDefined = 4;

const std::string kSpace = "\xe2\x96\x81"; // ▁

Error keyError(const GgufFile& file, const std::string& key, const std::string& what)
{
    return makeError(ErrorCode::FormatInvalid, "tokenizer metadata key \"" + key + "\" " + what, file.path(),
                     "tokenizer_metadata");
}

Result<const std::vector<std::string>*> stringArray(const GgufFile& file, const std::string& key)
{
    const GgufValue* value = file.find(key);
    if (value == nullptr) {
        return keyError(file, key, "is missing");
    }
    if (!value->isArray() || value->elementType != GgufType::String) {
        return keyError(file, key, "must be an array of strings");
    }
    return &value->texts;
}

// Byte offsets of the code point boundaries of valid-or-not UTF-8 (a stray byte is one unit), so
// that pieces split like Python's str slicing does in HF's merge generation.
std::vector<std::size_t> codePointBoundaries(const std::string& text)
{
    std::vector<std::size_t> bounds;
    for (std::size_t index = 0; index < text.size();) {
        bounds.push_back(index);
        const auto lead = static_cast<unsigned char>(text[index]);
        std::size_t length = lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xe ? 3 : (lead >> 3) == 0x1e ? 4 : 1;
        index += std::min(length, text.size() - index);
    }
    bounds.push_back(text.size());
    return bounds;
}

// Python's str.isspace(): Unicode White_Space plus the four separators U+001C..U+001F.
bool isPythonSpace(char32_t cp)
{
    return unicode::isWhitespace(cp) || (cp >= 0x1C && cp <= 0x1F);
}

// Gemma GGUFs store the user-defined pieces of two or more spaces as real spaces ("  "), while the
// HF Gemma tokenizer spells them "▁▁" (its normalizer turns every space into "▁" before the BPE
// model sees the text). HF's GGUF reader respells a piece that holds a space and nothing but
// whitespace as one "▁" per character (`"▁" * len(t) if " " in t and not t.strip()`); so do we.
std::string respelledGemmaPiece(const std::string& piece)
{
    if (piece.find(' ') == std::string::npos || !unicode::isValidUtf8(piece)) {
        return piece;
    }
    const std::u32string codePoints = unicode::toCodePoints(piece);
    for (char32_t cp : codePoints) {
        if (!isPythonSpace(cp)) {
            return piece;
        }
    }
    std::string respelled;
    for (std::size_t index = 0; index < codePoints.size(); ++index) {
        respelled += kSpace;
    }
    return respelled;
}

// Piece → id, keyed by views so that looking up every split of every piece allocates nothing.
using PieceIds = std::unordered_map<std::string_view, std::int32_t>;

struct Merge {
    std::int32_t left;
    std::int32_t right;
    double score;
    std::size_t leftChars;
    std::size_t rightChars;
};

// HF's generate_merges with scores: every piece contributes each split into two vocabulary
// pieces (ordered by the ids of the halves), then all merges are ranked by the piece's score,
// highest first, ties by longer left then longer right half (a stable sort keeps the rest).
std::vector<Merge> mergesFromScores(const std::vector<std::string>& tokens, const std::vector<double>& scores,
                                    const PieceIds& ids)
{
    std::vector<Merge> merges;
    for (std::size_t piece = 0; piece < tokens.size(); ++piece) {
        const std::string& text = tokens[piece];
        const auto bounds = codePointBoundaries(text);
        const std::size_t nChars = bounds.size() - 1;
        std::vector<Merge> local;
        const std::string_view view = text;
        for (std::size_t split = 1; split < nChars; ++split) {
            const auto left = ids.find(view.substr(0, bounds[split]));
            if (left == ids.end()) {
                continue;
            }
            const auto right = ids.find(view.substr(bounds[split]));
            if (right != ids.end()) {
                local.push_back({left->second, right->second, scores[piece], split, nChars - split});
            }
        }
        std::stable_sort(local.begin(), local.end(), [](const Merge& a, const Merge& b) {
            return a.left != b.left ? a.left < b.left : a.right < b.right;
        });
        merges.insert(merges.end(), local.begin(), local.end());
    }
    std::stable_sort(merges.begin(), merges.end(), [](const Merge& a, const Merge& b) {
        if (a.score != b.score) {
            return a.score > b.score;
        }
        if (a.leftChars != b.leftChars) {
            return a.leftChars > b.leftChars;
        }
        return a.rightChars > b.rightChars;
    });
    return merges;
}

Json templateProcessor(const std::vector<std::string>& tokens, std::int64_t bos, bool addBos, std::int64_t eos,
                       bool addEos)
{
    Json single = Json::array();
    Json pair = Json::array();
    Json special = Json::object();
    auto addSpecial = [&](std::int64_t id, int typeId, Json& sequence) {
        const std::string& name = tokens[static_cast<std::size_t>(id)];
        sequence.push_back({{"SpecialToken", {{"id", name}, {"type_id", typeId}}}});
        special[name] = {{"id", name}, {"ids", {id}}, {"tokens", {name}}};
    };
    if (addBos) {
        addSpecial(bos, 0, single);
        addSpecial(bos, 0, pair);
    }
    single.push_back({{"Sequence", {{"id", "A"}, {"type_id", 0}}}});
    pair.push_back({{"Sequence", {{"id", "A"}, {"type_id", 0}}}});
    if (addEos) {
        addSpecial(eos, 0, single);
        addSpecial(eos, 0, pair);
    }
    if (addBos) {
        addSpecial(bos, 1, pair);
    }
    pair.push_back({{"Sequence", {{"id", "B"}, {"type_id", 1}}}});
    if (addEos) {
        addSpecial(eos, 1, pair);
    }
    return {{"type", "TemplateProcessing"}, {"single", single}, {"pair", pair}, {"special_tokens", special}};
}

Json addedToken(std::int64_t id, const std::string& content, bool special)
{
    return {{"id", id},          {"content", content}, {"single_word", false}, {"lstrip", false},
            {"rstrip", false},   {"normalized", false}, {"special", special}};
}

// The tokenizer.json document equivalent to the file's tokenizer metadata.
Result<Json> tokenizerDocumentFromGguf(const GgufFile& file)
{
    try {
        auto modelName = file.getString("tokenizer.ggml.model");
        ATTNSCOPE_TRY(modelName);
        auto tokensResult = stringArray(file, "tokenizer.ggml.tokens");
        ATTNSCOPE_TRY(tokensResult);
        const std::vector<std::string>& tokens = **tokensResult;
        const auto nTokens = static_cast<std::int64_t>(tokens.size());
        if (nTokens == 0) {
            return keyError(file, "tokenizer.ggml.tokens", "is empty");
        }
        const GgufValue* types = file.find("tokenizer.ggml.token_type");
        if (types != nullptr && (!types->isArray() || types->integers.size() != tokens.size())) {
            return keyError(file, "tokenizer.ggml.token_type", "must be an integer array with one entry per token");
        }
        auto tokenType = [&](std::size_t id) { return types != nullptr ? types->integers[id] : kTypeNormal; };

        const bool isSpm = *modelName == "llama";
        const bool isGpt2 = *modelName == "gpt2";
        if (!isSpm && !isGpt2) {
            return makeError(ErrorCode::Unsupported,
                             "tokenizer.ggml.model \"" + *modelName + "\" is not supported (only \"llama\" and \"gpt2\")",
                             file.path(), "tokenizer_model");
        }
        // Gemma's SentencePiece vocabularies (llama.cpp writes them as "llama") need two changes to
        // give the ids of Gemma's own tokenizer.json, both as HF's GGUF reader makes them: the
        // space-run pieces are respelled, and merges are ranked by vocabulary order, since
        // Gemma's scores do not follow its merge order (a piece listed earlier merges first).
        std::string architecture;
        if (file.find("general.architecture") != nullptr) {
            auto value = file.getString("general.architecture");
            ATTNSCOPE_TRY(value);
            architecture = *value;
        }
        const bool gemmaVocabulary =
            isSpm && (architecture == "gemma" || architecture == "gemma2" || architecture == "gemma3");
        std::vector<std::string> respelled;
        if (gemmaVocabulary) {
            respelled.reserve(tokens.size());
            for (const std::string& token : tokens) {
                respelled.push_back(respelledGemmaPiece(token));
            }
        }
        const std::vector<std::string>& pieces = gemmaVocabulary ? respelled : tokens;
        auto idKey = [&](const char* key, std::int64_t fallback) -> Result<std::int64_t> {
            auto id = file.getInt(key, fallback);
            ATTNSCOPE_TRY(id);
            // llama.cpp writes 0xffffffff (u32 -1) for "no such token".
            if (*id == 0xffffffffLL) {
                return std::int64_t{-1};
            }
            if (*id >= nTokens || *id < -1) {
                return keyError(file, key, "is " + std::to_string(*id) + ", outside the vocabulary");
            }
            return *id;
        };
        auto bos = idKey("tokenizer.ggml.bos_token_id", isSpm ? 1 : -1);
        ATTNSCOPE_TRY(bos);
        auto eos = idKey("tokenizer.ggml.eos_token_id", isSpm ? 2 : -1);
        ATTNSCOPE_TRY(eos);
        auto unk = idKey("tokenizer.ggml.unknown_token_id", isSpm ? 0 : -1);
        ATTNSCOPE_TRY(unk);
        // llama.cpp's defaults: SentencePiece vocabularies add BOS and a space prefix, BPE ones not.
        auto addBos = file.getBool("tokenizer.ggml.add_bos_token", isSpm);
        ATTNSCOPE_TRY(addBos);
        auto addEos = file.getBool("tokenizer.ggml.add_eos_token", false);
        ATTNSCOPE_TRY(addEos);
        auto addSpacePrefix = file.getBool("tokenizer.ggml.add_space_prefix", isSpm);
        ATTNSCOPE_TRY(addSpacePrefix);
        if ((*addBos && *bos < 0) || (*addEos && *eos < 0)) {
            return keyError(file, *addBos && *bos < 0 ? "tokenizer.ggml.bos_token_id" : "tokenizer.ggml.eos_token_id",
                            "is missing but the tokenizer is told to add that token");
        }

        Json vocab = Json::object();
        PieceIds ids; // views into `pieces`, which outlives it
        ids.reserve(pieces.size());
        Json added = Json::array();
        for (std::size_t id = 0; id < pieces.size(); ++id) {
            // A repeated piece keeps its first id, as a dict built in id order would not: HF keeps
            // the last. Real vocabularies have no repeats; this only keeps a crafted file loadable.
            if (ids.emplace(pieces[id], static_cast<std::int32_t>(id)).second) {
                vocab[pieces[id]] = id;
            }
        }
        for (std::size_t id = 0; id < tokens.size(); ++id) {
            // Control and unknown pieces are special added tokens; user-defined ones are plain added
            // tokens, matched whole in the raw text, but (as in HF's GGUF reader) only when the
            // piece as the file spells it is in the vocabulary: Gemma's respelled space runs are
            // not, and the BPE model finds them as "▁▁…" instead.
            const std::int64_t type = tokenType(id);
            if (type == kTypeControl || type == kTypeUnknown || (type == kTypeUserDefined && ids.contains(tokens[id]))) {
                added.push_back(addedToken(static_cast<std::int64_t>(id), tokens[id], type != kTypeUserDefined));
            }
        }

        Json model = {{"type", "BPE"}, {"dropout", nullptr}};
        Json merges = Json::array();
        if (isSpm) {
            const GgufValue* scores = file.find("tokenizer.ggml.scores");
            if (scores == nullptr || !scores->isArray() || scores->reals.size() != tokens.size()) {
                return keyError(file, "tokenizer.ggml.scores", "must be a float array with one score per token");
            }
            std::vector<double> ranks = scores->reals;
            if (gemmaVocabulary) {
                for (std::size_t id = 0; id < ranks.size(); ++id) {
                    ranks[id] = -static_cast<double>(id);
                }
            }
            for (const Merge& merge : mergesFromScores(pieces, ranks, ids)) {
                merges.push_back({pieces[static_cast<std::size_t>(merge.left)], pieces[static_cast<std::size_t>(merge.right)]});
            }
            model["unk_token"] = *unk >= 0 ? Json(tokens[static_cast<std::size_t>(*unk)]) : Json(nullptr);
            model["fuse_unk"] = true;
            model["byte_fallback"] = true;
        } else {
            auto mergeLines = stringArray(file, "tokenizer.ggml.merges");
            ATTNSCOPE_TRY(mergeLines);
            for (const std::string& line : **mergeLines) {
                merges.push_back(line);
            }
            model["unk_token"] = nullptr;
            model["fuse_unk"] = false;
            model["byte_fallback"] = false;
        }
        model["vocab"] = std::move(vocab);
        model["merges"] = std::move(merges);

        Json json = Json::object();
        json["version"] = "1.0";
        json["added_tokens"] = std::move(added);
        if (isSpm) {
            Json normalizers = Json::array();
            if (*addSpacePrefix) {
                normalizers.push_back({{"type", "Prepend"}, {"prepend", kSpace}});
            }
            normalizers.push_back({{"type", "Replace"}, {"pattern", {{"String", " "}}}, {"content", kSpace}});
            json["normalizer"] = {{"type", "Sequence"}, {"normalizers", normalizers}};
            json["pre_tokenizer"] = nullptr;
            Json decoders = Json::array({{{"type", "Replace"}, {"pattern", {{"String", kSpace}}}, {"content", " "}},
                                         {{"type", "ByteFallback"}},
                                         {{"type", "Fuse"}}});
            if (*addSpacePrefix) {
                decoders.push_back({{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}});
            }
            json["decoder"] = {{"type", "Sequence"}, {"decoders", decoders}};
        } else {
            std::string pre = "default";
            if (file.find("tokenizer.ggml.pre") != nullptr) {
                auto value = file.getString("tokenizer.ggml.pre");
                ATTNSCOPE_TRY(value);
                pre = *value;
            }
            Json byteLevel = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", false}, {"use_regex", true}};
            if (pre == "default" || pre == "gpt2") {
                json["pre_tokenizer"] = byteLevel;
            } else if (pre == "llama-bpe" || pre == "llama3") {
                byteLevel["use_regex"] = false;
                const char* regex =
                    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
                json["pre_tokenizer"] = {
                    {"type", "Sequence"},
                    {"pretokenizers",
                     Json::array({{{"type", "Split"}, {"pattern", {{"Regex", regex}}}, {"behavior", "Isolated"}, {"invert", false}},
                                  byteLevel})}};
            } else {
                return makeError(ErrorCode::Unsupported,
                                 "tokenizer.ggml.pre \"" + pre + "\" is not supported (gpt2, llama-bpe)", file.path(),
                                 "tokenizer_pre");
            }
            json["normalizer"] = nullptr;
            json["decoder"] = {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", true}, {"use_regex", true}};
        }
        if (*addBos || *addEos) {
            json["post_processor"] = templateProcessor(tokens, *bos, *addBos, *eos, *addEos);
        } else {
            json["post_processor"] = nullptr;
        }
        json["model"] = std::move(model);
        return json;
    } catch (const std::bad_alloc&) {
        return makeError(ErrorCode::OutOfMemory, "out of memory building the tokenizer", file.path());
    } catch (const nlohmann::json::exception& error) {
        return makeError(ErrorCode::FormatInvalid, std::string("tokenizer metadata cannot be converted: ") + error.what(),
                         file.path(), "tokenizer_metadata");
    }
}

} // namespace

Result<std::string> tokenizerJsonFromGguf(const GgufFile& file)
{
    auto document = tokenizerDocumentFromGguf(file);
    ATTNSCOPE_TRY(document);
    try {
        return document->dump();
    } catch (const std::bad_alloc&) {
        return makeError(ErrorCode::OutOfMemory, "out of memory building the tokenizer", file.path());
    } catch (const nlohmann::json::exception& error) {
        // Token strings that are not valid UTF-8 cannot go through JSON.
        return makeError(ErrorCode::FormatInvalid, std::string("tokenizer metadata cannot be converted: ") + error.what(),
                         file.path(), "tokenizer_metadata");
    }
}

Result<std::unique_ptr<Tokenizer>> tokenizerFromGguf(const GgufFile& file)
{
    if (file.find("tokenizer.ggml.model") == nullptr) {
        return std::unique_ptr<Tokenizer>();
    }
    // The document goes to the loader as it is: writing 262k pieces and their merges out as text
    // and parsing them back took longer than building them.
    auto document = tokenizerDocumentFromGguf(file);
    ATTNSCOPE_TRY(document);
    return TokenizerLoader(file.path()).load(*document);
}

} // namespace attnscope

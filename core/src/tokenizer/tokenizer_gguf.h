#pragma once
// The tokenizer a GGUF file carries in its metadata (tokenizer.ggml.*), turned into the equivalent
// HF tokenizer.json and loaded through Tokenizer::fromJson, so one encoder serves both formats.
//   "llama" (SentencePiece BPE): tokens, scores, token types; merges are derived from the scores
//     the way HF's SentencePiece converter does (every split of a piece into two vocabulary
//     pieces, ranked by the piece's score), byte fallback from the <0xNN> tokens,
//     add_space_prefix → a prepended "▁". Gemma vocabularies (general.architecture gemma, gemma2,
//     gemma3) follow HF's GGUF reader instead: merges ranked by vocabulary order (their scores do
//     not follow the merge order) and the pieces of two or more spaces respelled "▁▁…".
//   "gpt2" (byte-level BPE): tokens + merges, pre-tokenizer regex from tokenizer.ggml.pre.
// BOS/EOS ids and add_bos_token / add_eos_token become the post-processor, as the metadata says.

#include "attnscope/status.h"

#include <memory>
#include <string>

namespace attnscope {

class GgufFile;
class Tokenizer;

/// tokenizer.json text equivalent to the file's tokenizer metadata. Errors: FormatInvalid (missing
/// or inconsistent tokenizer keys, named with the file), Unsupported (another tokenizer model or
/// pre-tokenizer, named).
Result<std::string> tokenizerJsonFromGguf(const GgufFile& file);

/// tokenizerJsonFromGguf() then Tokenizer::fromJson(). Returns nullptr (no error) when the file
/// has no tokenizer.ggml.model key.
Result<std::unique_ptr<Tokenizer>> tokenizerFromGguf(const GgufFile& file);

} // namespace attnscope

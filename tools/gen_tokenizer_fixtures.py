#!/usr/bin/env python3
"""Writes tests/data/tokenizers/<name>/{tokenizer.json,expected.json}: small tokenizers trained
with HF `tokenizers` plus the ids HF produces for a fixed list of hard strings. The C++ tests
compare against these; nothing in them is written by hand.

Usage: source tools/ensure_venv.sh && "$ATTNSCOPE_PY" tools/gen_tokenizer_fixtures.py
Needs the `bible-kjv` Debian package (the `bible` command) for the training text.
"""

import json
import os
import re
import subprocess
import sys

from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "data", "tokenizers")
STORIES = os.path.join(ROOT, "..", "shared", "models", "stories260K", "hf", "tokenizer.json")
# Where tools/prepare_real_models.py unpacks all-MiniLM-L6-v2 (ignored, not committed).
MINILM = os.path.join(os.environ.get("ATTNSCOPE_REAL_MODELS", os.path.join(ROOT, "tools", ".cache", "models")),
                      "all-MiniLM-L6-v2", "tokenizer.json")
# Long texts keep only their ids (and only with special tokens) so the fixtures stay small.
LONG_TEXT = 300

LLAMA3_REGEX = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
                r"|\s*[\r\n]+|\s+(?!\S)|\s+")
QWEN2_REGEX = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
               r"|\s*[\r\n]+|\s+(?!\S)|\s+")


def bible_text():
    raw = subprocess.run(["bible", "-f", "Gen1:1-Gen3:24"], check=True, capture_output=True, text=True).stdout
    return [re.sub(r"^\S+\s+", "", line) for line in raw.splitlines() if line.strip()]


# Extra training text so merges exist for accented, CJK and other scripts too.
EXTRA_TRAINING = [
    "Café naïve résumé déjà vu, señor año mañana, Ångström Øresund Ærø, straße Größe über",
    "東京は日本の首都です。我爱自然语言处理。北京欢迎你。",
    "مرحبا بالعالم، كيف حالك اليوم؟ שלום עולם, מה שלומך?",
    "Привет, мир! Как дела? Ελληνικά γράμματα ΣΑΣ",
    "I'm sure they're here; we'll see. It's John's book, don't worry. THEY'RE WE'LL I'M",
    "1234567890 3.14159 2024-01-15 $1,000,000 100% 0x1F",
]


def hard_strings(paragraph):
    return [
        "",
        "Hello world",
        "The quick brown fox jumps over the lazy dog.",
        "  leading spaces",
        "trailing spaces   ",
        "runs    of     spaces",
        " ",
        "   ",
        "tab\tseparated\t\tvalues",
        "line one\nline two\n\nline four\n",
        "windows\r\nline\r\n\r\nends",
        " \n \n  mixed \t\n whitespace",
        "digits 7 42 123 1234 12345 1234567890123",
        "π≈3.14159265358979, e≈2.718, 1e-10",
        "I'm sure they're here; we'll see. It's John's. Don't!",
        "THEY'RE WE'LL I'M IT'S YOU'VE HE'D",
        "'s 't 're 've 'm 'll 'd ' s",
        "it'ſ Kelvin'K İstanbul ΣΑΣ ǅ",
        "Wait... what?!?! (really) [yes] {no} <maybe> --- *** ###",
        "email: someone@example.com, url: https://example.com/a?b=c&d=e#f",
        "Café naïve résumé déjà vu, señor año, Ångström",
        "Cafe\u0301 combining: a\u0300 e\u0301\u0302 n\u0303 A\u030a",
        "東京は日本の首都です。我爱自然语言处理。",
        "中文 mixed with English 和 数字 123",
        "안녕하세요 세계",
        "emoji 😀 👍🏽 👨‍👩‍👧‍👦 🏳️‍🌈 ❤️ 🇺🇸",
        "مرحبا بالعالم، كيف حالك؟",
        "שלום עולם",
        "Привет, мир! ΣΑΣ Ελληνικά",
        "ﬁ ligature, full-width ＡＢＣ１２３, nbsp\u00a0here, thin\u2009space",
        "zero\u200bwidth and soft\u00adhyphen and bom\ufeff",
        "x" * 300,
        "long" + "ab" * 150 + " word",
        paragraph,
    ]


def build_cases(tok, texts, specials=()):
    cases = []
    extra = []
    for s in specials:
        extra += [f"{s}Hello", f"Hello {s} world", f"{s} {s}", f"a{s}b\n{s}", f"  {s}  "]
    for text in list(texts) + extra:
        for add in (True, False) if len(text) <= LONG_TEXT else (True,):
            enc = tok.encode(text, add_special_tokens=add)
            case = {"text": text, "add_special_tokens": add, "ids": enc.ids}
            if len(text) <= LONG_TEXT:
                case["tokens"] = enc.tokens
            cases.append(case)
    return cases


def write(name, tok, cases, save_tokenizer=True):
    folder = os.path.join(OUT, name)
    os.makedirs(folder, exist_ok=True)
    if save_tokenizer:
        tok.save(os.path.join(folder, "tokenizer.json"))
    with open(os.path.join(folder, "expected.json"), "w", encoding="utf-8") as f:
        json.dump({"generator": "tools/gen_tokenizer_fixtures.py", "cases": cases}, f, ensure_ascii=False,
                  separators=(",", ":"))
        f.write("\n")
    print(f"{name}: {len(cases)} cases")


def gpt2_bytelevel(corpus, texts):
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(vocab_size=600, special_tokens=["<|endoftext|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(corpus, trainer)
    # Added tokens with lstrip/rstrip/single_word, and one matched on normalized text.
    tok.add_special_tokens([AddedToken("<mask>", lstrip=True, rstrip=False)])
    tok.add_tokens([AddedToken("[pad]", rstrip=True, normalized=False), AddedToken("God", single_word=True)])
    write("gpt2_bytelevel", tok, build_cases(tok, texts + ["God said, Godly gods God", "_God God_ (God)"],
                                             ["<|endoftext|>", "<mask>", "[pad]"]))
    roberta = Tokenizer.from_str(tok.to_str())
    roberta.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True)
    roberta.add_special_tokens(["<s>", "</s>"])
    roberta.post_processor = processors.RobertaProcessing(("</s>", roberta.token_to_id("</s>")),
                                                          ("<s>", roberta.token_to_id("<s>")))
    write("roberta_style", roberta, build_cases(roberta, texts, ["<mask>", "<s>"]))


def llama3_style(corpus, texts):
    tok = Tokenizer(models.BPE(ignore_merges=True))
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(LLAMA3_REGEX), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=False),
    ])
    tok.decoder = decoders.ByteLevel()
    specials = ["<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>"]
    trainer = trainers.BpeTrainer(vocab_size=700, special_tokens=specials,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(corpus, trainer)
    bos = tok.token_to_id("<|begin_of_text|>")
    tok.post_processor = processors.Sequence([
        processors.ByteLevel(trim_offsets=False),
        processors.TemplateProcessing(single="<|begin_of_text|> $A", pair="<|begin_of_text|> $A $B",
                                      special_tokens=[("<|begin_of_text|>", bos)]),
    ])
    write("llama3_style", tok, build_cases(tok, texts, ["<|begin_of_text|>", "<|eot_id|>"]))


def qwen2_style(corpus, texts):
    tok = Tokenizer(models.BPE())
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(QWEN2_REGEX), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False),
    ])
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    trainer = trainers.BpeTrainer(vocab_size=650, special_tokens=specials,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(corpus, trainer)
    write("qwen2_style", tok, build_cases(tok, texts, ["<|im_start|>", "<|endoftext|>"]))


def sp_tokenizer_json(corpus, metaspace):
    """A Llama-2-like BPE: <unk>,<s>,</s>, 256 <0xNN> byte tokens in the vocab (not added tokens)."""
    tok = Tokenizer(models.BPE(unk_token="<unk>", byte_fallback=True, fuse_unk=True))
    if metaspace:
        tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first", split=True)
    else:
        tok.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
    trainer = trainers.BpeTrainer(vocab_size=500, special_tokens=["<unk>", "<s>", "</s>"], show_progress=False)
    tok.train_from_iterator(corpus, trainer)
    data = json.loads(tok.to_str())
    old_vocab = data["model"]["vocab"]
    specials = ["<unk>", "<s>", "</s>"]
    vocab = {s: i for i, s in enumerate(specials)}
    for b in range(256):
        vocab[f"<0x{b:02X}>"] = len(vocab)
    for token, _ in sorted(old_vocab.items(), key=lambda kv: kv[1]):
        if token not in vocab:
            vocab[token] = len(vocab)
    data["model"]["vocab"] = vocab
    for added in data["added_tokens"]:
        added["id"] = vocab[added["content"]]
    data["post_processor"] = {
        "type": "TemplateProcessing",
        "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
        "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                 {"SpecialToken": {"id": "<s>", "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
        "special_tokens": {"<s>": {"id": "<s>", "ids": [vocab["<s>"]], "tokens": ["<s>"]}},
    }
    if metaspace:
        data["decoder"] = {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": True}
    else:
        data["decoder"] = {"type": "Sequence", "decoders": [
            {"type": "Replace", "pattern": {"String": "▁"}, "content": " "},
            {"type": "ByteFallback"}, {"type": "Fuse"},
            {"type": "Strip", "content": " ", "start": 1, "stop": 0}]}
    return Tokenizer.from_str(json.dumps(data))


def sp_bpe(corpus, texts):
    tok = sp_tokenizer_json(corpus, metaspace=False)
    write("sp_bpe", tok, build_cases(tok, texts, ["<s>", "</s>"]))
    tok = sp_tokenizer_json(corpus, metaspace=True)
    write("sp_metaspace", tok, build_cases(tok, texts, ["<s>", "</s>"]))


def wordpiece_bert(corpus, texts):
    from tokenizers import BertWordPieceTokenizer
    wp = BertWordPieceTokenizer(clean_text=True, handle_chinese_chars=True, strip_accents=None, lowercase=True)
    wp.train_from_iterator(corpus, vocab_size=700, show_progress=False,
                           special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"])
    tok = Tokenizer.from_str(wp.to_str())
    # Normalized added tokens are matched after lowercasing/accent stripping.
    tok.add_tokens([AddedToken("Crème Brûlée", normalized=True), AddedToken("[Raw]", normalized=False)])
    long_words = ["a" * 101, "supercalifragilistic" * 5 + "x", "Ünïcödé"]
    write("wordpiece_bert", tok, build_cases(tok, list(texts) + long_words + ["CRÈME brûlée and creme brulee"],
                                             ["[CLS]", "[SEP]", "[MASK]", "[Raw]"]))


def stories260k(texts):
    tok = Tokenizer.from_file(STORIES)
    prompt = "Once upon a time, there was a little girl named Lily."
    write("stories260k", tok, build_cases(tok, [prompt] + list(texts), ["<s>", "</s>"]), save_tokenizer=False)


def real_minilm(texts):
    """Ids from the real all-MiniLM-L6-v2 tokenizer (700 KB, not copied; see tools/prepare_real_models.py)."""
    if not os.path.exists(MINILM):
        print(f"real_minilm: {MINILM} absent, skipped")
        return
    tok = Tokenizer.from_file(MINILM)
    # Its file pads/truncates to 128; attnscope encodes without padding or truncation (a view of
    # the real tokens), so the references are taken the same way.
    tok.no_padding()
    tok.no_truncation()
    write("real_minilm", tok, build_cases(tok, texts, ["[CLS]", "[SEP]", "[MASK]"]), save_tokenizer=False)


def main():
    lines = bible_text()
    corpus = lines + EXTRA_TRAINING
    paragraph = " ".join(lines)[:5000]
    texts = hard_strings(paragraph)
    gpt2_bytelevel(corpus, texts)
    llama3_style(corpus, texts)
    qwen2_style(corpus, texts)
    sp_bpe(corpus, texts)
    wordpiece_bert(corpus, texts)
    stories260k(texts)
    real_minilm(texts)


if __name__ == "__main__":
    sys.exit(main())

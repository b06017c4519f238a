#!/usr/bin/env python3
"""Writes the seed corpora of the libFuzzer targets (fuzz/corpus/<target>/) from the real files:
tests/data fixtures, the demo model and, for GGUF, the metadata of ../shared/models/stories260K
(its tokenizer verbatim) around a one-layer model small enough to mutate quickly.

Standard library only. Run from anywhere: python3 tools/make_fuzz_seeds.py
"""
import json
import shutil
import struct
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
CORPUS = ROOT / "fuzz" / "corpus"
STORIES_GGUF = ROOT.parent / "shared" / "models" / "stories260K" / "stories260K.gguf"


def reset(target):
    folder = CORPUS / target
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    return folder


def copy(source, folder, name):
    shutil.copyfile(source, folder / name)


# ---- safetensors -------------------------------------------------------------------------------

def safetensors_bytes(tensors, metadata=None):
    """tensors: list of (name, dtype, shape, raw bytes), laid out in order."""
    header = {}
    if metadata:
        header["__metadata__"] = metadata
    offset = 0
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(raw for *_, raw in tensors)


def seeds_safetensors():
    folder = reset("fuzz_safetensors")
    copy(DATA / "models/gpt2_tiny/model-00004-of-00006.safetensors", folder, "gpt2_tiny_shard4.safetensors")
    floats = struct.pack("<6f", 1.0, -2.0, 0.5, 3.25, -0.0, 7.0)
    halves = struct.pack("<4e", 1.0, -2.0, 0.5, 65504.0)
    bf16 = bytes([0x80, 0x3F, 0x00, 0xC0, 0x00, 0x3F, 0x80, 0xBF])
    (folder / "dtypes.safetensors").write_bytes(safetensors_bytes(
        [("a.f32", "F32", [2, 3], floats), ("b.f16", "F16", [4], halves), ("c.bf16", "BF16", [2, 2], bf16),
         ("d.empty", "F32", [0, 3], b"")],
        {"format": "pt"}))


def seeds_safetensors_index():
    folder = reset("fuzz_safetensors_index")
    copy(DATA / "models/gpt2_tiny/model.safetensors.index.json", folder, "gpt2_tiny.index.json")


def seeds_hf_config():
    folder = reset("fuzz_hf_config")
    for config in sorted((DATA / "models").glob("*/config.json")):
        copy(config, folder, config.parent.name + ".json")
    copy(ROOT / "assets/models/demo/config.json", folder, "demo.json")


# ---- tokenizers --------------------------------------------------------------------------------

def trimmed_tokenizer(path, keep):
    """The same tokenizer.json with only ids < keep in the vocabulary (and the merges among them):
    a seed small enough that the fuzzer's mutations stay fast."""
    data = json.loads(path.read_text(encoding="utf-8"))
    model = data["model"]
    vocab = model["vocab"]
    if isinstance(vocab, dict):
        model["vocab"] = {token: index for token, index in vocab.items() if index < keep}
        kept = set(model["vocab"])
        if "merges" in model:
            merges = []
            for merge in model["merges"]:
                left, right = merge.split(" ", 1) if isinstance(merge, str) else merge
                if left in kept and right in kept and left + right in kept:
                    merges.append(merge)
            model["merges"] = merges
    data["added_tokens"] = [token for token in data.get("added_tokens", []) if token["id"] < keep]
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


def seeds_tokenizer_json():
    folder = reset("fuzz_tokenizer_json")
    for kind in ("wordpiece_bert", "gpt2_bytelevel", "sp_bpe", "llama3_style", "sp_metaspace"):
        source = DATA / "tokenizers" / kind / "tokenizer.json"
        (folder / f"{kind}_trimmed.json").write_bytes(trimmed_tokenizer(source, 300))
    copy(DATA / "tokenizers/wordpiece_bert/tokenizer.json", folder, "wordpiece_bert.json")


def seeds_tokenizer_encode():
    folder = reset("fuzz_tokenizer_encode")
    heldout = (ROOT / "assets/models/demo/heldout.txt").read_text(encoding="utf-8")
    samples = {
        "heldout_start.txt": heldout[:400].encode(),
        "multilingual.txt": "Grüße, 世界! Ελληνικά — naïve café 😀👍🏽 \u200b\ufeff".encode(),
        "specials.txt": b"<s> </s> [CLS] [SEP] [UNK] <|endoftext|> <|begin_of_text|>",
        "whitespace.txt": b"  a\t\tb\n\n\r\n  c   ",
        "invalid_utf8.txt": b"ok \xff\xfe \xc3\x28 \xe2\x82 \xf0\x9f\x98 end",
        "digits_punct.txt": b"12345 3.14159 $100,000.00 (a) [b] {c} x=y+z; // --- ...",
    }
    for name, content in samples.items():
        (folder / name).write_bytes(content)


# ---- variant specs -----------------------------------------------------------------------------

def seeds_variant_spec():
    folder = reset("fuzz_variant_spec")
    specs = ["dense", "topk:k=32", "topp:p=0.9", "threshold:by=prob,prob=0.05", "window:w=64",
             "strided:pattern=fixed,stride=4,summary=1", "bigbird:block=16,random=2,window=1,global=1",
             "longformer:w=4,global=1", "random:density=0.1,seed=1", "performer:features=16,seed=2",
             "sea:k=16,features=64", "sea:mode=oracle,k=3,tm=4,grouping=query", "sbm:clusters=3,density=0.1,seed=1",
             "dsa:rank=4,bits=4,k=32", "dsa:select=threshold,delta=2,bits=0", "sac:alpha=4",
             "sac:preset=multi-scale,w=2", "sac:preset=adaptive-span,coverage=0.5,tau=0.5",
             "fast:order=2", "fast:mode=taylor,order=1,tau=2,center=true"]
    for index, spec in enumerate(specs):
        (folder / f"spec_{index:02d}.txt").write_text(spec)


def seeds_workspace_file():
    folder = reset("fuzz_workspace_file")
    states = [
        {"format": "attnscope-workspace", "version": 1, "model": "demo", "text": "Once upon a time",
         "layer": 1, "head": 3, "variants": ["topk:k=8", "sbm:clusters=4,density=0.2,seed=1"],
         "active_variant": 1, "view": {"colormap": "viridis", "colour_scale": "sqrt"}},
        {"format": "attnscope-workspace", "version": 1, "model": "/models/modèle 日本/stories.gguf",
         "text": "Grüße\n\t😀", "layer": 0, "head": 0, "variants": [], "active_variant": 0, "view": {}},
    ]
    for index, state in enumerate(states):
        (folder / f"workspace_{index}.json").write_text(json.dumps(state, indent=2, ensure_ascii=False) + "\n",
                                                         encoding="utf-8")


# ---- GGUF --------------------------------------------------------------------------------------

SCALAR_FORMATS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q",
                  12: "<d"}


class GgufReader:
    def __init__(self, data):
        self.data = data
        self.offset = 0

    def take(self, fmt):
        value = struct.unpack_from(fmt, self.data, self.offset)
        self.offset += struct.calcsize(fmt)
        return value[0]

    def string(self):
        length = self.take("<Q")
        raw = self.data[self.offset:self.offset + length]
        self.offset += length
        return raw

    def value_bytes(self, value_type):
        """The raw encoding of one value of `value_type` (kept verbatim for the seed)."""
        start = self.offset
        if value_type == 8:
            self.string()
        elif value_type == 9:
            element_type = self.take("<I")
            count = self.take("<Q")
            for _ in range(count):
                self.value_bytes(element_type)
        else:
            self.take(SCALAR_FORMATS[value_type])
        return self.data[start:self.offset]


def gguf_string(raw):
    return struct.pack("<Q", len(raw)) + raw


def seeds_gguf():
    folder = reset("fuzz_gguf")
    data = STORIES_GGUF.read_bytes()
    reader = GgufReader(data)
    assert data[:4] == b"GGUF"
    reader.offset = 4
    version = reader.take("<I")
    n_tensors = reader.take("<Q")
    n_keys = reader.take("<Q")
    keys = []
    for _ in range(n_keys):
        key = reader.string()
        value_type = reader.take("<I")
        keys.append((key, value_type, reader.value_bytes(value_type)))
    for _ in range(n_tensors):
        reader.string()
        dims = reader.take("<I")
        reader.offset += 8 * dims + 4 + 8
    # The real file cut after its tensor infos: every metadata and tensor-info path, no data.
    (folder / "stories260k_header_only.gguf").write_bytes(data[:reader.offset])

    # A one-layer model with the real tokenizer: dim 8, 2 heads of 4, 1 KV head, FFN 16.
    sizes = {"llama.embedding_length": 8, "llama.feed_forward_length": 16, "llama.attention.head_count": 2,
             "llama.attention.head_count_kv": 1, "llama.block_count": 1, "llama.rope.dimension_count": 4,
             "llama.context_length": 64}
    out_keys = []
    for key, value_type, raw in keys:
        name = key.decode()
        if name in sizes:
            raw = struct.pack("<I", sizes[name])
        out_keys.append(gguf_string(key) + struct.pack("<I", value_type) + raw)
    vocab = 512
    dim, ffn, kv = 8, 16, 4
    # (name, ggml dims innermost first, ggml type: 0 = F32, 1 = F16)
    tensors = [("token_embd.weight", [dim, vocab], 1), ("output_norm.weight", [dim], 0),
               ("output.weight", [dim, vocab], 1), ("blk.0.attn_q.weight", [dim, dim], 0),
               ("blk.0.attn_k.weight", [dim, kv], 0), ("blk.0.attn_v.weight", [dim, kv], 0),
               ("blk.0.attn_output.weight", [dim, dim], 0), ("blk.0.attn_norm.weight", [dim], 0),
               ("blk.0.ffn_gate.weight", [dim, ffn], 0), ("blk.0.ffn_down.weight", [ffn, dim], 0),
               ("blk.0.ffn_up.weight", [dim, ffn], 0), ("blk.0.ffn_norm.weight", [dim], 0)]
    infos = []
    blobs = []
    offset = 0
    for index, (name, dims, ggml_type) in enumerate(tensors):
        count = 1
        for dim_size in dims:
            count *= dim_size
        values = [((index * 7 + position * 13) % 17 - 8) / 16.0 for position in range(count)]
        if name.endswith("norm.weight"):
            values = [1.0] * count
        blob = struct.pack(f"<{count}{'f' if ggml_type == 0 else 'e'}", *values)
        blob += b"\0" * (-len(blob) % 32)
        infos.append(gguf_string(name.encode()) + struct.pack("<I", len(dims)) +
                     b"".join(struct.pack("<Q", d) for d in dims) + struct.pack("<IQ", ggml_type, offset))
        blobs.append(blob)
        offset += len(blob)
    body = b"GGUF" + struct.pack("<IQQ", version, len(tensors), len(out_keys)) + b"".join(out_keys) + b"".join(infos)
    body += b"\0" * (-len(body) % 32)
    (folder / "stories260k_tokenizer_tiny_llama.gguf").write_bytes(body + b"".join(blobs))


def main():
    seeds_safetensors()
    seeds_safetensors_index()
    seeds_hf_config()
    seeds_tokenizer_json()
    seeds_tokenizer_encode()
    seeds_variant_spec()
    seeds_workspace_file()
    seeds_gguf()
    for folder in sorted(CORPUS.iterdir()):
        files = list(folder.iterdir())
        print(f"{folder.name}: {len(files)} seeds, {sum(f.stat().st_size for f in files)} bytes")


if __name__ == "__main__":
    main()

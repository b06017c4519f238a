#!/usr/bin/env python3
"""References for the real Gemma 3 270M GGUF test (tests/real/tst_real_gemma3_gguf.cpp), written
beside the model by tools/prepare_real_models.py:

  reference.json         the tokenizer strings with their ids, the loss text, its ids, the mean
                         next-token loss in float64 and in float32, how far float32 moves the
                         per-position losses and the attention, and how each was computed
  reference.safetensors  ids, per-position losses (float64), and the attention probabilities
                         [heads, N, N] of layer 0 (sliding window) and layer 5 (global), float64
  hf_tokenizer.json      the Hugging Face tokenizer the ids come from, for diagnosis

Tokenizer: Hugging Face has no Gemma 3 tokenizer.json on PyPI (the only registry here), so the
reference is the tokenizer transformers itself builds from the GGUF metadata
(AutoTokenizer.from_pretrained(..., gguf_file=...): transformers' Gemma GGUF builder, which
respells the space-run pieces and rebuilds the merges in vocabulary order to match Gemma's
tokenizer.json), encoded by the `tokenizers` library. It shares no code with attnscope.

Loss: tools/gemma3_gguf_torch.py, a plain PyTorch Gemma 3 over the weights as the `gguf` package
dequantises them, run in float64 (the reference) and in float32 (to show how far float32 rounding
alone moves the loss). The text is longer than the 512-token sliding window, so the window is
exercised by the loss as well as by the attention check.

Usage: gemma3_gguf_reference.py MODEL.gguf   (run by tools/prepare_real_models.sh)
"""
import json
import sys
from pathlib import Path

import numpy as np
import torch
from gguf import GGUFReader
from safetensors.numpy import save_file
from transformers import AutoTokenizer

import gemma3_gguf_torch as gemma3

ROOT = Path(__file__).resolve().parent.parent

# Strings that reach every rule of the Gemma tokenizer: plain words, leading/trailing/runs of
# spaces (the respelled user-defined pieces), newlines and tabs (user-defined runs), digits (split
# one by one), accents, CJK, emoji and other byte-fallback text, markup and chat control tokens.
TOKENIZER_STRINGS = [
    "Hello world",
    "The quick brown fox jumps over the lazy dog.",
    " leading space",
    "trailing space ",
    "two  spaces and   three and          ten",
    "line one\nline two\n\nline four\n\n\n",
    "\tTabbed\t\ttext",
    "In 1859, 3.14159 and 1,000,000 and 20251202",
    "café naïve Zürich façade coöperate",
    "日本語のテキストと中文文本",
    "emoji 🙂👍🏽 and symbols ∑∫√ ≠ ≤",
    "<start_of_turn>user\nWhat is attention?<end_of_turn>\n<start_of_turn>model\n",
    "def f(x):\n    return x ** 2  # square",
    "<b>bold</b> and <table><tr><td>cell</td></tr></table>",
    "Ünïcödé, ДОБРЫЙ ДЕНЬ, مرحبا, שלום, नमस्ते",
    "",
]

LOSS_SAMPLES = ["assets/samples/psalm23.txt", "assets/samples/short.txt", "assets/samples/induction.txt"]
ATTENTION_LAYERS = (0, 5)


def main() -> None:
    gguf_path = Path(sys.argv[1]).resolve()
    folder = gguf_path.parent
    tokenizer = AutoTokenizer.from_pretrained(str(folder), gguf_file=gguf_path.name)
    (folder / "hf_tokenizer.json").write_text(tokenizer.backend_tokenizer.to_str())
    strings = [{"text": text, "ids": tokenizer(text)["input_ids"]} for text in TOKENIZER_STRINGS]

    text = "\n".join((ROOT / sample).read_text().strip() for sample in LOSS_SAMPLES)
    ids = tokenizer(text)["input_ids"]
    reader = GGUFReader(str(gguf_path))
    config = gemma3.read_config(reader)
    if len(ids) <= config.window:
        raise RuntimeError(f"the loss text has {len(ids)} tokens; it must be longer than the window {config.window}")

    with torch.inference_mode():
        weights64 = gemma3.read_weights(reader, torch.float64)
        probabilities = []
        losses64 = gemma3.next_token_losses(config, weights64, ids, probabilities)
        del weights64
        weights32 = gemma3.read_weights(reader, torch.float32)
        probabilities32 = []
        losses32 = gemma3.next_token_losses(config, weights32, ids, probabilities32)
    attention_difference32 = max(float((probabilities[layer] - probabilities32[layer].to(torch.float64)).abs().max())
                                 for layer in ATTENTION_LAYERS)

    tensors = {"ids": np.array(ids, dtype=np.int64), "losses": losses64.numpy()}
    for layer in ATTENTION_LAYERS:
        tensors[f"attention.{layer}"] = probabilities[layer].numpy()
    save_file(tensors, str(folder / "reference.safetensors"))
    reference = {
        "model": gguf_path.name,
        "tokenizer": "transformers " + __import__("transformers").__version__ +
                     " AutoTokenizer(gguf_file=...) over tokenizers " + __import__("tokenizers").__version__,
        "strings": strings,
        "loss_text": text,
        "loss_ids": ids,
        "loss_f64": float(losses64.mean()),
        "loss_f32": float(losses32.mean()),
        "max_position_loss_difference_f32": float((losses64 - losses32.to(torch.float64)).abs().max()),
        "max_attention_difference_f32": attention_difference32,
        "window": config.window,
        "attention_layers": list(ATTENTION_LAYERS),
        "torch": torch.__version__,
    }
    (folder / "reference.json").write_text(json.dumps(reference, indent=1, ensure_ascii=False))
    print(f"gemma3 reference: {len(ids)} tokens, loss f64 {reference['loss_f64']:.6f}, "
          f"f32 {reference['loss_f32']:.6f}")


if __name__ == "__main__":
    main()

"""Runs a frozen Hugging Face causal LM on calibration text and captures every layer's Q, K, V.

Convention (the same as attnscope's forward pass, core/src/model/forward_cpu.cpp and capture.h):
q [nHeads, N, headDim] and k, v [nKvHeads, N, headDim] in float32, q and k AFTER RoPE and BEFORE
the softmax scale; `scale` multiplies q.k before the softmax (1/sqrt(headDim) for Llama); the mask
is causal. Query head h reads KV head h // (nHeads // nKvHeads).

The text is tokenized with the folder's tokenizer.json (the post-processor adds BOS, as attnscope
does) and cut into consecutive non-overlapping windows of `window` ids (the eval protocol of
assets/models/demo/eval.json); each window is an independent forward pass from position 0.

Dense attention is not stored (N^2 per head per window); dense_probabilities() recomputes it from
q and k in float64 on demand.
"""

import hashlib
import json
import math
import os
import random
from dataclasses import dataclass, field

import numpy as np
import torch


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_text(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def set_determinism(seed, threads=1):
    """Seeds every generator the fits use and fixes the thread count (results depend on it)."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True)


@dataclass
class LayerQkv:
    """One layer of one window: q [H, N, d], k and v [Hkv, N, d] (float32, post-RoPE, unscaled)."""
    q: torch.Tensor
    k: torch.Tensor
    v: torch.Tensor


@dataclass
class Window:
    ids: torch.Tensor                      # [N] int64
    layers: list = field(default_factory=list)  # LayerQkv per layer


@dataclass
class Captures:
    model_dir: str
    model_id: str
    model_sha256: str
    text_sha256: str
    n_layers: int
    n_heads: int
    n_kv_heads: int
    head_dim: int
    scales: list            # per layer: the factor on q.k before the softmax
    causal: bool
    window: int
    windows: list           # Window

    @property
    def tokens(self):
        return sum(int(w.ids.numel()) for w in self.windows)

    def layer(self, index):
        """Every window's LayerQkv of layer `index`."""
        return [w.layers[index] for w in self.windows]

    def expand_kv(self, tensor):
        """[Hkv, N, d] -> [H, N, d]: the KV head each query head reads (GQA)."""
        groups = self.n_heads // self.n_kv_heads
        return tensor.repeat_interleave(groups, dim=0) if groups > 1 else tensor

    def metadata(self):
        """Model/calibration facts every predictor file records."""
        return {
            "model": self.model_id,
            "model_sha256": self.model_sha256,
            "calibration_sha256": self.text_sha256,
            "calibration_tokens": str(self.tokens),
            "calibration_window": str(self.window),
            "n_layers": str(self.n_layers),
            "n_heads": str(self.n_heads),
            "n_kv_heads": str(self.n_kv_heads),
            "head_dim": str(self.head_dim),
        }


def causal_mask(n, device=None):
    """[N, N] bool, True where key j may be seen by query i (j <= i)."""
    return torch.ones(n, n, dtype=torch.bool, device=device).tril()


def dense_scores(q, k, scale):
    """Exact scores s.q.k with -inf above the diagonal: q [..., N, d], k [..., N, d] -> [..., N, N]."""
    scores = scale * (q @ k.transpose(-1, -2))
    return scores.masked_fill(~causal_mask(q.shape[-2], q.device), float("-inf"))


def dense_probabilities(q, k, scale, dtype=torch.float64):
    """Dense causal softmax attention [..., N, N] in `dtype` (0 above the diagonal)."""
    return torch.softmax(dense_scores(q.to(dtype), k.to(dtype), scale), dim=-1)


def _weights_sha256(model_dir):
    names = sorted(n for n in os.listdir(model_dir) if n.endswith(".safetensors"))
    digest = hashlib.sha256()
    for name in names:
        digest.update(sha256_file(os.path.join(model_dir, name)).encode())
    return digest.hexdigest() if len(names) != 1 else sha256_file(os.path.join(model_dir, names[0]))


def tokenize(model_dir, text):
    tokenizer_path = os.path.join(model_dir, "tokenizer.json")
    if os.path.exists(tokenizer_path):
        from tokenizers import Tokenizer
        return Tokenizer.from_file(tokenizer_path).encode(text).ids
    from transformers import AutoTokenizer
    return AutoTokenizer.from_pretrained(model_dir)(text)["input_ids"]


def split_windows(ids, window):
    chunks = [ids[start:start + window] for start in range(0, len(ids), window)]
    return [c for c in chunks if len(c) >= 2]


_CAPTURED = []


def _capture_attention(module, query, key, value, attention_mask, scaling, dropout=0.0, **kwargs):
    """The attention function while capturing: records q, k (post-RoPE) and v, then runs eager."""
    from transformers.models.llama import modeling_llama
    _CAPTURED.append((module.layer_idx, float(scaling), query[0].detach().float().clone(),
                      key[0].detach().float().clone(), value[0].detach().float().clone()))
    return modeling_llama.eager_attention_forward(module, query, key, value, attention_mask, scaling,
                                                  dropout=dropout, **kwargs)


def load_model(model_dir):
    from transformers import AttentionInterface, AutoModelForCausalLM
    AttentionInterface.register("attnscope_capture", _capture_attention)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32,
                                                 attn_implementation="attnscope_capture")
    model.eval()
    return model


def capture(model_dir, text, window=0, max_tokens=0):
    """Runs the model on `text` and returns Captures (see the module docstring).

    window: ids per forward pass (0 = the model's max_position_embeddings, at most 512);
    max_tokens: keep only the first max_tokens ids (0 = all)."""
    model = load_model(model_dir)
    config = model.config
    if not getattr(config, "is_decoder", True) and getattr(config, "model_type", "") == "bert":
        raise SystemExit("fit_predictors: only causal LMs are supported")
    ids = tokenize(model_dir, text)
    if max_tokens > 0:
        ids = ids[:max_tokens]
    if window <= 0:
        window = min(int(getattr(config, "max_position_embeddings", 512)), 512)
    n_heads = int(config.num_attention_heads)
    n_kv_heads = int(getattr(config, "num_key_value_heads", n_heads) or n_heads)
    head_dim = int(getattr(config, "head_dim", 0) or config.hidden_size // n_heads)
    n_layers = int(config.num_hidden_layers)
    windows = []
    scales = [1.0 / math.sqrt(head_dim)] * n_layers
    with torch.no_grad():
        for chunk in split_windows(ids, window):
            _CAPTURED.clear()
            model(torch.tensor([chunk], dtype=torch.long), use_cache=False)
            if len(_CAPTURED) != n_layers:
                raise SystemExit(f"fit_predictors: captured {len(_CAPTURED)} layers, expected {n_layers}")
            layers = [None] * n_layers
            for layer, scale, q, k, v in _CAPTURED:
                layers[layer] = LayerQkv(q=q, k=k, v=v)
                scales[layer] = scale
            windows.append(Window(ids=torch.tensor(chunk, dtype=torch.long), layers=layers))
    _CAPTURED.clear()
    if not windows:
        raise SystemExit("fit_predictors: the calibration text gives no window of 2 or more tokens")
    model_id = getattr(config, "_name_or_path", "") or os.path.basename(os.path.abspath(model_dir))
    return Captures(model_dir=model_dir, model_id=os.path.basename(os.path.normpath(model_id)),
                    model_sha256=_weights_sha256(model_dir), text_sha256=sha256_text(text),
                    n_layers=n_layers, n_heads=n_heads, n_kv_heads=n_kv_heads, head_dim=head_dim,
                    scales=scales, causal=True, window=window, windows=windows)


def loss_table(losses):
    """Per layer/head losses [[...], ...] -> the JSON text stored as metadata `fit_loss`."""
    return json.dumps([[round(float(x), 8) for x in row] for row in losses])

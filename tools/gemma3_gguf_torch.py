"""Gemma 3 from a GGUF file in plain PyTorch: the independent reference that attnscope's Gemma 3
GGUF path is checked against (tools/prepare_real_models.py) and timed against
(tools/bench_torch_gemma3.py).

Weights are read and dequantised with the `gguf` package (llama.cpp's own Python reader), not with
attnscope's code, so the reference shares no code with what it checks. The forward pass follows
Hugging Face's modeling_gemma3 (eager attention), restated here over GGUF tensor names:
  h = embed[ids] * sqrt(hidden)
  per layer: h += post_attn_norm(attention(attn_norm(h)))
             h += post_ffw_norm(down(gelu_tanh(gate(x)) * up(x))), x = ffn_norm(h)
  attention: q/k RMS-normed per head (q_norm, k_norm), RoPE in the half-split (NeoX) convention,
             scores * 1/sqrt(head_dim), causal; sliding-window layers see only the last `window`
             keys (query - key < window) and use RoPE base 10000, every sixth layer is global
             with the file's rope.freq_base
  logits = output_norm(h) @ embed^T (tied)
llama.cpp's converter stores every Gemma RMSNorm weight as 1 + w, so the norms here multiply by
the stored weight as it is.
"""
from dataclasses import dataclass
import math

import numpy as np
import torch
from gguf import GGUFReader
from gguf.quants import dequantize

SLIDING_PATTERN = 6          # every sixth layer is global (llama.cpp and HF agree for Gemma 3)
LOCAL_ROPE_BASE = 10000.0


@dataclass
class Gemma3Config:
    layers: int
    hidden: int
    heads: int
    kv_heads: int
    head_dim: int
    window: int
    rope_base: float
    eps: float


def _field(reader: GGUFReader, key: str):
    return reader.fields[key].contents()


def read_config(reader: GGUFReader) -> Gemma3Config:
    arch = _field(reader, "general.architecture")
    if arch != "gemma3":
        raise ValueError(f"expected a gemma3 GGUF, got {arch}")
    return Gemma3Config(
        layers=int(_field(reader, "gemma3.block_count")),
        hidden=int(_field(reader, "gemma3.embedding_length")),
        heads=int(_field(reader, "gemma3.attention.head_count")),
        kv_heads=int(_field(reader, "gemma3.attention.head_count_kv")),
        head_dim=int(_field(reader, "gemma3.attention.key_length")),
        window=int(_field(reader, "gemma3.attention.sliding_window")),
        rope_base=float(_field(reader, "gemma3.rope.freq_base")),
        eps=float(_field(reader, "gemma3.attention.layer_norm_rms_epsilon")),
    )


def read_weights(reader: GGUFReader, dtype: torch.dtype) -> dict:
    """Every tensor dequantised by the gguf package, as torch tensors of `dtype`, shaped as numpy
    reads them (a linear weight is [out, in])."""
    weights = {}
    for tensor in reader.tensors:
        values = dequantize(tensor.data, tensor.tensor_type)
        shape = [int(extent) for extent in reversed(tensor.shape)]
        weights[tensor.name] = torch.from_numpy(np.array(values, dtype=np.float32).reshape(shape)).to(dtype)
    return weights


def is_sliding(config: Gemma3Config, layer: int) -> bool:
    return (layer + 1) % SLIDING_PATTERN != 0


def _rms_norm(x: torch.Tensor, weight: torch.Tensor, eps: float) -> torch.Tensor:
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * weight


def _rope(x: torch.Tensor, positions: torch.Tensor, base: float) -> torch.Tensor:
    """x: [heads, n, head_dim]; rotates pairs (i, i + head_dim/2)."""
    head_dim = x.shape[-1]
    inv_freq = 1.0 / (base ** (torch.arange(0, head_dim, 2, dtype=torch.float64) / head_dim))
    angles = positions.to(torch.float64)[:, None] * inv_freq[None, :]
    angles = torch.cat([angles, angles], dim=-1)
    cos, sin = angles.cos().to(x.dtype), angles.sin().to(x.dtype)
    half = head_dim // 2
    rotated = torch.cat([-x[..., half:], x[..., :half]], dim=-1)
    return x * cos + rotated * sin


def attention_mask(config: Gemma3Config, layer: int, n: int) -> torch.Tensor:
    """True where query i may attend key j."""
    query = torch.arange(n)[:, None]
    key = torch.arange(n)[None, :]
    allowed = key <= query
    if is_sliding(config, layer):
        allowed &= (query - key) < config.window
    return allowed


def final_hidden(config: Gemma3Config, w: dict, ids: list, attention_probs: list | None = None) -> torch.Tensor:
    """Hidden states after output_norm, [n, hidden]. When `attention_probs` is a list, each layer's
    probabilities [heads, n, n] are appended to it (what a capture hands out)."""
    dtype = w["token_embd.weight"].dtype
    n = len(ids)
    positions = torch.arange(n)
    group = config.heads // config.kv_heads
    h = w["token_embd.weight"][torch.tensor(ids)] * torch.tensor(math.sqrt(config.hidden), dtype=dtype)
    for layer in range(config.layers):
        p = f"blk.{layer}."
        x = _rms_norm(h, w[p + "attn_norm.weight"], config.eps)
        q = (x @ w[p + "attn_q.weight"].T).view(n, config.heads, config.head_dim).transpose(0, 1)
        k = (x @ w[p + "attn_k.weight"].T).view(n, config.kv_heads, config.head_dim).transpose(0, 1)
        v = (x @ w[p + "attn_v.weight"].T).view(n, config.kv_heads, config.head_dim).transpose(0, 1)
        q = _rms_norm(q, w[p + "attn_q_norm.weight"], config.eps)
        k = _rms_norm(k, w[p + "attn_k_norm.weight"], config.eps)
        base = LOCAL_ROPE_BASE if is_sliding(config, layer) else config.rope_base
        q, k = _rope(q, positions, base), _rope(k, positions, base)
        k, v = k.repeat_interleave(group, dim=0), v.repeat_interleave(group, dim=0)
        scores = (q @ k.transpose(1, 2)) / math.sqrt(config.head_dim)
        scores = scores.masked_fill(~attention_mask(config, layer, n), float("-inf"))
        probs = torch.softmax(scores, dim=-1)
        if attention_probs is not None:
            attention_probs.append(probs)
        out = (probs @ v).transpose(0, 1).reshape(n, config.heads * config.head_dim)
        out = out @ w[p + "attn_output.weight"].T
        h = h + _rms_norm(out, w[p + "post_attention_norm.weight"], config.eps)
        x = _rms_norm(h, w[p + "ffn_norm.weight"], config.eps)
        gate = torch.nn.functional.gelu(x @ w[p + "ffn_gate.weight"].T, approximate="tanh")
        mlp = (gate * (x @ w[p + "ffn_up.weight"].T)) @ w[p + "ffn_down.weight"].T
        h = h + _rms_norm(mlp, w[p + "post_ffw_norm.weight"], config.eps)
    return _rms_norm(h, w["output_norm.weight"], config.eps)


def next_token_losses(config: Gemma3Config, w: dict, ids: list, attention_probs: list | None = None,
                      chunk: int = 64) -> torch.Tensor:
    """-log p(ids[i+1] | ids[..i]) for every i, [n - 1], in float64 (attention_probs: as in
    final_hidden). The tied output matrix is applied in row chunks so that n x 262144 logits never
    exist at once."""
    hidden = final_hidden(config, w, ids, attention_probs)
    embedding = w["token_embd.weight"]
    targets = torch.tensor(ids[1:])
    losses = []
    for start in range(0, len(ids) - 1, chunk):
        stop = min(start + chunk, len(ids) - 1)
        logits = (hidden[start:stop] @ embedding.T).to(torch.float64)
        losses.append(torch.logsumexp(logits, dim=-1) - logits.gather(1, targets[start:stop, None])[:, 0])
    return torch.cat(losses)

#!/usr/bin/env python3
"""Writes tests/data/models/gemma3_tiny: a tiny random Gemma3ForCausalLM (3 layers: sliding,
global, sliding; window 4; own RoPE bases; QK-norm; GeGLU; final logit softcapping; the config also
sets attn_logit_softcapping, which Gemma 3 inherits from Gemma 2 but never applies)
and its float64 reference (every attention matrix, logits, loss) in the layout of the other forward
fixtures (see tools/gen_fixtures.py, whose helpers and loss protocol it reuses).

Stock Gemma 3 computes RMSNorm, RoPE and the softmax in float32 even when the model is float64;
the reference replaces those islands with float64 code so it is a true float64 oracle.
Usage: tools/gen_gemma3_fixture.py   (creates the tools/.venv on first use)
"""
import os
import subprocess
import sys

TOOLS_DIR = os.path.dirname(os.path.abspath(__file__))
if os.environ.get("ATTNSCOPE_IN_VENV") != "1":
    # Re-run this script (not gen_fixtures.py, whose import would re-exec itself) in the venv.
    python = subprocess.check_output(
        ["bash", "-c", f"source '{TOOLS_DIR}/ensure_venv.sh' >&2 && echo $ATTNSCOPE_PY"], text=True).strip()
    os.environ["ATTNSCOPE_IN_VENV"] = "1"
    os.execv(python, [python, os.path.abspath(__file__)] + sys.argv[1:])

sys.path.insert(0, TOOLS_DIR)
from gen_fixtures import fixed_ids, write_fixture  # noqa: E402

import torch  # noqa: E402
import transformers  # noqa: E402
from transformers.models.gemma3 import modeling_gemma3  # noqa: E402


def eager_attention_f64(module, query, key, value, attention_mask, dropout=0.0, scaling=None, softcap=None,
                        **kwargs):
    key_states = modeling_gemma3.repeat_kv(key, module.num_key_value_groups)
    value_states = modeling_gemma3.repeat_kv(value, module.num_key_value_groups)
    weights = torch.matmul(query, key_states.transpose(2, 3)) * scaling
    if softcap is not None:
        weights = torch.tanh(weights / softcap) * softcap
    if attention_mask is not None:
        weights = weights + attention_mask
    weights = torch.softmax(weights, dim=-1)
    output = torch.matmul(weights, value_states).transpose(1, 2).contiguous()
    return output, weights


def rms_norm_f64(self, x):
    normed = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)
    return normed * (1.0 + self.weight)


def rotary_f64(config):
    def forward(x, position_ids, layer_type):
        theta = float(config.rope_parameters[layer_type]["rope_theta"])
        inv_freq = 1.0 / (theta ** (torch.arange(0, config.head_dim, 2, dtype=torch.float64) / config.head_dim))
        freqs = position_ids[..., None].to(torch.float64) * inv_freq
        emb = torch.cat((freqs, freqs), dim=-1)
        return emb.cos().to(x.dtype), emb.sin().to(x.dtype)
    return forward


class Float64Islands:
    """Installs the float64 replacements while the reference runs."""

    def __init__(self, model):
        self.model = model

    def __enter__(self):
        self.attention = modeling_gemma3.eager_attention_forward
        self.norm = modeling_gemma3.Gemma3RMSNorm.forward
        modeling_gemma3.eager_attention_forward = eager_attention_f64
        modeling_gemma3.Gemma3RMSNorm.forward = rms_norm_f64
        inner = self.model.model
        inner.rotary_emb.forward = rotary_f64(self.model.config)
        inner.embed_tokens.embed_scale = torch.tensor(self.model.config.hidden_size ** 0.5, dtype=torch.float64)

    def __exit__(self, *args):
        modeling_gemma3.eager_attention_forward = self.attention
        modeling_gemma3.Gemma3RMSNorm.forward = self.norm


def main():
    torch.set_num_threads(1)
    config = dict(vocab_size=128, hidden_size=32, intermediate_size=64, num_hidden_layers=3,
                  num_attention_heads=4, num_key_value_heads=2, head_dim=16, max_position_embeddings=64,
                  rms_norm_eps=1e-6, sliding_window=4, query_pre_attn_scalar=24,
                  layer_types=["sliding_attention", "full_attention", "sliding_attention"],
                  rope_parameters={"full_attention": {"rope_type": "default", "rope_theta": 1000000.0},
                                   "sliding_attention": {"rope_type": "default", "rope_theta": 10000.0}},
                  attn_logit_softcapping=20.0, final_logit_softcapping=15.0,
                  hidden_activation="gelu_pytorch_tanh", tie_word_embeddings=True,
                  bos_token_id=2, eos_token_id=1, pad_token_id=0)
    spec = dict(name="gemma3_tiny", family="gemma3", seed=15, causal=True,
                config_class=transformers.Gemma3TextConfig, model_class=transformers.Gemma3ForCausalLM,
                config=config, positions_key="max_position_embeddings",
                ids=fixed_ids(108, 16, 128, first=2), loss_ids=fixed_ids(109, 40, 128, first=2))
    write_fixture(spec, float64_islands=Float64Islands)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Tiny random transformer fixtures with Hugging Face parity references (DESIGN.md §7.9).

Each fixture is a real transformers model (real config class, real tensor names) with random
weights at a fixed seed, saved with save_pretrained into tests/data/models/<name>/, next to a
reference.safetensors that holds what the C++ forward pass must reproduce:

  ids               I64 [N]              token ids of the forward pass
  attention.<L>     F64 [nHeads, N, N]   softmax attention of layer L (0 where masked)
  logits            F64 [N, vocab]       causal models: every position's logits
  hidden            F64 [N, hidden]      BERT: last_hidden_state
  loss_ids          I64 [M]              causal models: the ids of the loss check
  __metadata__      naive_f32_err_*      max |f32 run - f64 run| of a naive float32 run of the same
                                         model, per output: the C++ test allows 2x that plus a floor
                    loss, loss_f32, loss_windows, loss_predicted
                                         mean next-token cross-entropy (nats) under the shared
                                         window protocol (tools/train_demo_model.py eval_windows)

The float64 reference is float64 throughout. Stock transformers keeps two float32 islands even
after model.double() (Llama's RoPE cos/sin and its eager softmax), so for the reference run those
two functions are replaced by float64 versions; the naive float32 run uses the stock code.

Usage: tools/gen_fixtures.py   (re-executes itself in the venv of tools/ensure_venv.sh)
"""

import contextlib
import json
import math
import os
import subprocess
import sys

TOOLS_DIR = os.path.dirname(os.path.abspath(__file__))
OUT_ROOT = os.path.join(os.path.dirname(TOOLS_DIR), "tests", "data", "models")


def reexec_in_venv():
    if os.environ.get("ATTNSCOPE_IN_VENV") == "1":
        return
    python = subprocess.check_output(
        ["bash", "-c", f"source '{TOOLS_DIR}/ensure_venv.sh' >&2 && echo $ATTNSCOPE_PY"], text=True).strip()
    os.environ["ATTNSCOPE_IN_VENV"] = "1"
    os.execv(python, [python, os.path.abspath(__file__)] + sys.argv[1:])


reexec_in_venv()

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
import transformers  # noqa: E402
from safetensors.torch import save_file  # noqa: E402
from transformers.models.llama import modeling_llama  # noqa: E402


# ---- float64 replacements for the float32 islands of stock Llama ----

def eager_attention_f64(module, query, key, value, attention_mask, scaling, dropout=0.0, **kwargs):
    key_states = modeling_llama.repeat_kv(key, module.num_key_value_groups)
    value_states = modeling_llama.repeat_kv(value, module.num_key_value_groups)
    weights = torch.matmul(query, key_states.transpose(2, 3)) * scaling
    if attention_mask is not None:
        weights = weights + attention_mask
    weights = torch.softmax(weights, dim=-1)
    output = torch.matmul(weights, value_states).transpose(1, 2).contiguous()
    return output, weights


def rotary_f64(config):
    head_dim = getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads
    theta = rope_theta_of(config)
    inv_freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.float64) / head_dim))

    def forward(x, position_ids):
        freqs = position_ids[..., None].to(torch.float64) * inv_freq
        emb = torch.cat((freqs, freqs), dim=-1)
        return emb.cos().to(x.dtype), emb.sin().to(x.dtype)
    return forward


def rope_theta_of(config):
    params = getattr(config, "rope_parameters", None)
    if isinstance(params, dict) and "rope_theta" in params:
        return float(params["rope_theta"])
    return float(config.rope_theta)


# ---- the shared loss protocol (same as tools/train_demo_model.py) ----

def eval_windows(ids, window):
    return [ids[i:i + window] for i in range(0, len(ids), window) if len(ids[i:i + window]) >= 2]


@torch.no_grad()
def mean_loss(model, ids, window):
    total, count = 0.0, 0
    for chunk in eval_windows(ids, window):
        x = torch.tensor([chunk], dtype=torch.int64)
        logits = model(input_ids=x).logits[0].double()
        total += F.cross_entropy(logits[:-1], x[0, 1:], reduction="sum").item()
        count += len(chunk) - 1
    return total / count, count, len(eval_windows(ids, window))


# ---- model construction ----

def randomise(model, seed):
    """Weights large enough that attention is far from uniform and every parameter matters."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, param in model.named_parameters():
            shape = param.shape
            if name.endswith("bias"):
                values = 0.1 * torch.randn(shape, generator=generator)
            elif "norm" in name.lower() or param.dim() == 1:
                values = 1.0 + 0.1 * torch.randn(shape, generator=generator)
            elif "embed" in name or name.endswith(("wte.weight", "wpe.weight")):
                values = torch.randn(shape, generator=generator)
            else:
                values = 0.2 * torch.randn(shape, generator=generator)
            param.copy_(values.to(param.dtype))


def build(spec):
    torch.manual_seed(spec["seed"])
    config = spec["config_class"](**spec["config"])
    config._attn_implementation = "eager"
    model = spec["model_class"](config).eval()
    randomise(model, spec["seed"])
    if spec.get("dtype") == "bf16":
        model = model.to(torch.bfloat16)
        if spec["family"] == "llama":
            # .to() also rounds the RoPE inverse-frequency buffer to bf16, which no loader of the
            # saved file would do; restore the float32 table the stock code computes.
            rotary = model.model.rotary_emb
            rotary.inv_freq = rotary.original_inv_freq = rotary.compute_default_rope_parameters(config)[0]
    return model


def run(model, ids, is_causal):
    x = torch.tensor([ids], dtype=torch.int64)
    with torch.no_grad():
        out = model(input_ids=x, output_attentions=True)
    result = {"attention": [a[0] for a in out.attentions]}
    if is_causal:
        result["logits"] = out.logits[0]
    else:
        result["hidden"] = out.last_hidden_state[0]
    return result


def max_err(a, b):
    return float((a.double() - b.double()).abs().max().item())


def write_fixture(spec, float64_islands=None):
    name = spec["name"]
    out_dir = os.path.join(OUT_ROOT, name)
    os.makedirs(out_dir, exist_ok=True)
    for stale in os.listdir(out_dir):
        os.remove(os.path.join(out_dir, stale))

    model = build(spec)
    save_args = {"safe_serialization": True}
    if "max_shard_size" in spec:
        save_args["max_shard_size"] = spec["max_shard_size"]
    model.save_pretrained(out_dir, **save_args)

    is_causal = spec["causal"]
    ids = spec["ids"]

    model64 = model.to(torch.float64)
    stock_attention = modeling_llama.eager_attention_forward
    if spec["family"] == "llama":
        modeling_llama.eager_attention_forward = eager_attention_f64
        model64.model.rotary_emb.forward = rotary_f64(model64.config)
    islands = float64_islands(model64) if float64_islands else contextlib.nullcontext()
    with islands:
        ref = run(model64, ids, is_causal)
        loss = None
        if is_causal:
            loss = mean_loss(model64, spec["loss_ids"], spec["config"][spec["positions_key"]])
    modeling_llama.eager_attention_forward = stock_attention

    model32 = build(spec).to(torch.float32)  # fresh copy: stock float32 code paths
    naive = run(model32, ids, is_causal)
    loss32 = mean_loss(model32, spec["loss_ids"], spec["config"][spec["positions_key"]])[0] if is_causal else None

    tensors = {"ids": torch.tensor(ids, dtype=torch.int64)}
    metadata = {"generator": "tools/gen_fixtures.py", "transformers": transformers.__version__,
                "torch": torch.__version__, "family": spec["family"], "weights_dtype": spec.get("dtype", "f32")}
    attention_err = 0.0
    for layer, attention in enumerate(ref["attention"]):
        tensors[f"attention.{layer}"] = attention.to(torch.float64).contiguous()
        attention_err = max(attention_err, max_err(naive["attention"][layer], attention))
    metadata["naive_f32_err_attention"] = repr(attention_err)
    for key in ("logits", "hidden"):
        if key in ref:
            tensors[key] = ref[key].to(torch.float64).contiguous()
            metadata[f"naive_f32_err_{key}"] = repr(max_err(naive[key], ref[key]))
    if loss is not None:
        tensors["loss_ids"] = torch.tensor(spec["loss_ids"], dtype=torch.int64)
        metadata["loss"] = repr(loss[0])
        metadata["loss_predicted"] = str(loss[1])
        metadata["loss_windows"] = str(loss[2])
        metadata["loss_f32"] = repr(loss32)
        metadata["naive_f32_err_loss"] = repr(abs(loss32 - loss[0]))
    save_file(tensors, os.path.join(out_dir, "reference.safetensors"), metadata=metadata)

    size = sum(os.path.getsize(os.path.join(out_dir, f)) for f in os.listdir(out_dir))
    print(f"{name}: {sorted(os.listdir(out_dir))} {size / 1024:.1f} KiB; "
          + ", ".join(f"{k}={v}" for k, v in metadata.items() if k.startswith(("naive", "loss"))))


def fixed_ids(seed, count, vocab, first=None):
    generator = torch.Generator().manual_seed(seed)
    ids = torch.randint(3, vocab, (count,), generator=generator).tolist()
    if first is not None:
        ids[0] = first
    return ids


def specs():
    llama_tiny = dict(vocab_size=128, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=2, head_dim=16, max_position_embeddings=64,
                      rms_norm_eps=1e-5, rope_theta=10000.0, tie_word_embeddings=True, bos_token_id=1,
                      eos_token_id=2, hidden_act="silu")
    llama_mha_untied = dict(vocab_size=96, hidden_size=32, intermediate_size=48, num_hidden_layers=2,
                            num_attention_heads=4, num_key_value_heads=4, max_position_embeddings=16,
                            rms_norm_eps=1e-6, rope_theta=500000.0, tie_word_embeddings=False,
                            bos_token_id=1, eos_token_id=2, hidden_act="silu")
    bert_tiny = dict(vocab_size=128, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                     num_attention_heads=4, max_position_embeddings=32, type_vocab_size=2,
                     layer_norm_eps=1e-12, hidden_act="gelu", pad_token_id=0)
    gpt2_tiny = dict(vocab_size=128, n_embd=32, n_layer=2, n_head=4, n_positions=32, n_inner=64,
                     activation_function="gelu_new", layer_norm_epsilon=1e-5, bos_token_id=1, eos_token_id=2)
    return [
        dict(name="llama_tiny", family="llama", seed=11, dtype="bf16", causal=True,
             config_class=transformers.LlamaConfig, model_class=transformers.LlamaForCausalLM,
             config=llama_tiny, positions_key="max_position_embeddings",
             ids=fixed_ids(101, 16, 128, first=1), loss_ids=fixed_ids(102, 40, 128, first=1)),
        dict(name="llama_mha_untied", family="llama", seed=12, causal=True,
             config_class=transformers.LlamaConfig, model_class=transformers.LlamaForCausalLM,
             config=llama_mha_untied, positions_key="max_position_embeddings",
             ids=fixed_ids(103, 16, 96, first=1), loss_ids=fixed_ids(104, 41, 96, first=1)),
        dict(name="bert_tiny", family="bert", seed=13, causal=False,
             config_class=transformers.BertConfig, model_class=transformers.BertModel,
             config=bert_tiny, positions_key="max_position_embeddings",
             ids=fixed_ids(105, 14, 128, first=2)),
        dict(name="gpt2_tiny", family="gpt2", seed=14, causal=True, max_shard_size="20KB",
             config_class=transformers.GPT2Config, model_class=transformers.GPT2LMHeadModel,
             config=gpt2_tiny, positions_key="n_positions",
             ids=fixed_ids(106, 18, 128), loss_ids=fixed_ids(107, 70, 128)),
    ]


def main():
    torch.set_num_threads(1)
    for spec in specs():
        write_fixture(spec)


if __name__ == "__main__":
    main()

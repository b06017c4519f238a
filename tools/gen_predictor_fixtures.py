#!/usr/bin/env python3
"""Small fixtures for the C++ learned-mode tests of DSA and SBM (tests/unit/tst_learned_predictors.cpp).

For each method a tiny synthetic "model" (2 layers, 4 query heads, 2 KV heads, head_dim 8, 24
tokens, seeded random q/k/v with some low-rank structure) is fitted for a few steps with the real
fit code (tools/predictors/<method>.py through fit_predictors.fit_and_write), and the PyTorch
forward of the fitted predictor is evaluated on layer 1's q/k:

  tests/data/predictors/<method>.safetensors    the predictor file (exactly what attnscope loads)
  tests/data/predictors/<method>_reference.safetensors
      q F32 [H, N, d], k F32 [Hkv, N, d], v F32 [Hkv, N, d]        layer 1's inputs
      dsa: scores F64 [H, N, N]     s.(q P_q).(k P_k)^T, unquantised (0 above the diagonal)
      sbm: query_memberships, key_memberships F64 [H, N, k], block F64 [H, k, k],
           graph F64 [H, N, N] = Q^ B K^^T (0 above the diagonal)
      __metadata__: layer, scale

Usage: tools/gen_predictor_fixtures.py   (re-executes itself in the venv of tools/ensure_venv.sh)
"""
import os
import sys

TOOLS_DIR = os.path.dirname(os.path.abspath(__file__))
OUT_DIR = os.path.join(os.path.dirname(TOOLS_DIR), "tests", "data", "predictors")
sys.path.insert(0, TOOLS_DIR)

import fit_predictors  # noqa: E402

fit_predictors.reexec_in_venv(__file__)

import torch  # noqa: E402
from safetensors.torch import save_file  # noqa: E402

from predictors import capture, dsa, sbm  # noqa: E402

N_LAYERS, N_HEADS, N_KV_HEADS, HEAD_DIM, TOKENS, WINDOWS = 2, 4, 2, 8, 24, 3
LAYER = 1


def synthetic_captures(seed):
    generator = torch.Generator().manual_seed(seed)

    def structured(heads):
        basis = torch.randn(heads, 3, HEAD_DIM, generator=generator)
        latent = torch.randn(heads, TOKENS, 3, generator=generator)
        return latent @ basis + 0.3 * torch.randn(heads, TOKENS, HEAD_DIM, generator=generator)

    windows = []
    for _ in range(WINDOWS):
        layers = [capture.LayerQkv(q=structured(N_HEADS), k=structured(N_KV_HEADS), v=structured(N_KV_HEADS))
                  for _ in range(N_LAYERS)]
        windows.append(capture.Window(ids=torch.zeros(TOKENS, dtype=torch.long), layers=layers))
    return capture.Captures(model_dir="synthetic", model_id="synthetic", model_sha256="0" * 64,
                            text_sha256="0" * 64, n_layers=N_LAYERS, n_heads=N_HEADS, n_kv_heads=N_KV_HEADS,
                            head_dim=HEAD_DIM, scales=[HEAD_DIM ** -0.5] * N_LAYERS, causal=True, window=TOKENS,
                            windows=windows)


def causal(tensor):
    return tensor.masked_fill(~capture.causal_mask(tensor.shape[-1]), 0.0)


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    capture.set_determinism(11, 1)
    captures = synthetic_captures(11)
    window = captures.windows[0].layers[LAYER]
    q, k, v = window.q, window.k, window.v
    k_expanded = captures.expand_kv(k).double()
    scale = captures.scales[LAYER]
    inputs = {"q": q.contiguous(), "k": k.contiguous(), "v": v.contiguous()}
    meta = {"layer": str(LAYER), "scale": repr(scale)}

    options = dict(dsa.DEFAULTS, rank=3, steps=20, seed=5)
    tensors, _ = fit_predictors.fit_and_write(captures, "dsa", options, os.path.join(OUT_DIR, "dsa.safetensors"), 1)
    scores = dsa.predicted_scores(q.double(), k_expanded, tensors[f"layers.{LAYER}.query_proj"].double(),
                                  tensors[f"layers.{LAYER}.key_proj"].double(), scale)
    save_file(dict(inputs, scores=causal(scores).contiguous()),
              os.path.join(OUT_DIR, "dsa_reference.safetensors"), metadata=meta)

    options = dict(sbm.DEFAULTS, clusters=5, steps=20, windows_per_step=2, seed=5)
    tensors, _ = fit_predictors.fit_and_write(captures, "sbm", options, os.path.join(OUT_DIR, "sbm.safetensors"), 1)
    mlp = sbm.new_mlp(HEAD_DIM).double()
    with torch.no_grad():
        for index in (0, 2):
            mlp[index].weight.copy_(tensors[f"layers.{LAYER}.mlp.{index}.weight"])
            mlp[index].bias.copy_(tensors[f"layers.{LAYER}.mlp.{index}.bias"])
        clusters = tensors[f"layers.{LAYER}.clusters"].double()
        reference = {
            "query_memberships": sbm.memberships(q.double(), mlp, clusters),
            "key_memberships": sbm.memberships(k_expanded, mlp, clusters),
            "block": sbm.block_matrix(clusters),
            "graph": causal(sbm.expected_graph(q.double(), k_expanded, mlp, clusters)),
        }
    save_file(dict(inputs, **{name: t.contiguous() for name, t in reference.items()}),
              os.path.join(OUT_DIR, "sbm_reference.safetensors"), metadata=meta)
    print(f"wrote fixtures to {OUT_DIR}")


if __name__ == "__main__":
    main()

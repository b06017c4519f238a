#!/usr/bin/env python3
"""Fixtures for the learned SEA and SAC forwards (tests/unit/tst_learned_sea_sac.cpp, issue #11).

Writes into tests/data/learned/:
  sea_predictors.safetensors, sac_predictors.safetensors
      small predictor files in the format tools/fit_predictors.py writes (2 layers, 2 query heads
      sharing 1 KV head, head dim 4), with seeded random weights: the C++ forward must reproduce
      PyTorch's for any weights, and random ones exercise every term (a fit would not add cover).
  sea_reference.safetensors, sac_reference.safetensors
      q [H, N, d], k, v [Hkv, N, d] of layer 1 (float32, the C++ input) and what PyTorch computes
      from them in float64 with the modules of tools/predictors/sea.py and sac.py:
      sea: cells [H, N, tm] (the estimate's cell probabilities); sac: logp [H, N, N] (row
      log-probabilities, 0 above the diagonal). N = 20 covers rows shorter and longer than
      tm = 8 and distances past Dmax = 5. __metadata__ scale = the softmax scale used.

Usage: tools/gen_learned_fixtures.py   (re-executes itself in the venv of tools/ensure_venv.sh)
"""
import os
import sys

TOOLS_DIR = os.path.dirname(os.path.abspath(__file__))
OUT_DIR = os.path.join(os.path.dirname(TOOLS_DIR), "tests", "data", "learned")

LAYERS, HEADS, KV_HEADS, HEAD_DIM, TOKENS = 2, 2, 1, 4, 20
SEA = {"tm": 8, "features": 8, "max_positions": 24}
SAC = {"dp": 4, "dh": 6, "dmax": 5}
LAYER = 1


def base_metadata(method):
    return {
        "format": "attnscope-predictors", "format_version": "1", "method": method,
        "n_layers": str(LAYERS), "n_heads": str(HEADS), "n_kv_heads": str(KV_HEADS), "head_dim": str(HEAD_DIM),
        "model": "fixture", "settings": "{}", "fit_loss": "[[0.0, 0.0], [0.0, 0.0]]",
        "note": "random weights for the forward-parity test (tools/gen_learned_fixtures.py)",
    }


def main():
    sys.path.insert(0, TOOLS_DIR)
    import fit_predictors
    fit_predictors.reexec_in_venv(__file__)
    import torch
    from safetensors.torch import save_file
    from fit_predictors import write_predictors
    from predictors import sac, sea

    torch.manual_seed(20261202)
    torch.set_num_threads(1)
    os.makedirs(OUT_DIR, exist_ok=True)
    scale = 1.0 / HEAD_DIM ** 0.5
    q = (torch.randn(HEADS, TOKENS, HEAD_DIM) * 1.5).float()
    k = (torch.randn(KV_HEADS, TOKENS, HEAD_DIM) * 1.5).float()
    v = torch.randn(KV_HEADS, TOKENS, HEAD_DIM).float()
    groups = HEADS // KV_HEADS
    k_expanded = k.repeat_interleave(groups, dim=0).double()
    v_expanded = v.repeat_interleave(groups, dim=0).double()

    # SEA: random estimator weights, large enough that the cells differ clearly.
    d2 = 2 * HEAD_DIM
    tensors = {}
    generator = torch.Generator().manual_seed(7)
    for layer in range(LAYERS):
        prefix = f"layers.{layer}."
        tensors[prefix + "omega"] = torch.stack(
            [sea.orthogonal_features(SEA["features"], HEAD_DIM, generator) for _ in range(HEADS)])
        tensors[prefix + "pos"] = torch.randn(SEA["max_positions"], HEAD_DIM)
        tensors[prefix + "enc.weight"] = torch.randn(d2, 4 * HEAD_DIM) * 0.7
        tensors[prefix + "enc.bias"] = torch.randn(d2) * 0.3
        tensors[prefix + "norm.weight"] = 1.0 + torch.randn(d2) * 0.3
        tensors[prefix + "norm.bias"] = torch.randn(d2) * 0.3
        tensors[prefix + "dec.weight"] = torch.randn(HEADS, SEA["tm"], d2)
        tensors[prefix + "dec.bias"] = torch.randn(HEADS, SEA["tm"]) * 0.5
    metadata = base_metadata("sea")
    metadata.update({key: str(value) for key, value in SEA.items()})
    write_predictors(os.path.join(OUT_DIR, "sea_predictors.safetensors"), tensors, metadata)
    double = {name: t.double() for name, t in tensors.items()}
    cells = sea.forward_cells(double, LAYER, q.double(), k_expanded, v_expanded, scale, SEA["tm"])
    save_file({"q": q, "k": k, "v": v, "cells": cells.contiguous()},
              os.path.join(OUT_DIR, "sea_reference.safetensors"),
              metadata={"scale": repr(scale), "layer": str(LAYER)})

    # SAC: random pointer weights.
    dp, dh, dmax = SAC["dp"], SAC["dh"], SAC["dmax"]
    tensors = {}
    for layer in range(LAYERS):
        prefix = f"layers.{layer}."
        tensors[prefix + "embed_weight"] = torch.randn(HEADS, dp, 2 * HEAD_DIM) * 0.6
        tensors[prefix + "embed_bias"] = torch.randn(HEADS, dp) * 0.3
        tensors[prefix + "w_ih"] = torch.randn(HEADS, 4 * dh, dp) * 0.6
        tensors[prefix + "w_hh"] = torch.randn(HEADS, 4 * dh, dh) * 0.6
        tensors[prefix + "lstm_bias"] = torch.randn(HEADS, 4 * dh) * 0.3
        tensors[prefix + "out_weight"] = torch.randn(HEADS, dp, dh + dp) * 0.8
        tensors[prefix + "out_bias"] = torch.randn(HEADS, dp) * 0.3
        tensors[prefix + "distance"] = torch.randn(HEADS, dmax + 1, dp)
    metadata = base_metadata("sac")
    metadata.update({key: str(value) for key, value in SAC.items()})
    write_predictors(os.path.join(OUT_DIR, "sac_predictors.safetensors"), tensors, metadata)
    double = {name: t.double() for name, t in tensors.items()}
    logp = sac.forward_log_probabilities(double, LAYER, q.double(), k_expanded)
    logp = torch.where(torch.isfinite(logp), logp, torch.zeros_like(logp))
    save_file({"q": q, "k": k, "v": v, "logp": logp.contiguous()},
              os.path.join(OUT_DIR, "sac_reference.safetensors"),
              metadata={"scale": repr(scale), "layer": str(LAYER)})
    print(f"wrote {OUT_DIR}")


if __name__ == "__main__":
    main()

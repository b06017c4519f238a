#!/usr/bin/env python3
"""Fit a sparse-attention method's learned predictor to a frozen model (issue #11).

  tools/fit_predictors.py MODEL_DIR --text FILE --method dsa|sbm|sea|sac --out FILE.safetensors
                          [--set key=value ...] [--seed S] [--window N] [--max-tokens N] [--threads T]

Runs the Hugging Face model in MODEL_DIR frozen on the calibration text (tools/predictors/capture.py:
per layer Q, K after RoPE and V, as attnscope captures them), hands the captures to
tools/predictors/<method>.py's fit(captures, options) and writes the predictor weights as one
safetensors file (atomically) that attnscope loads with `<method>:mode=learned,learned=FILE`.
Method options are `--set key=value` (the method module's DEFAULTS list them and their types).

The file's __metadata__ (all strings): format = "attnscope-predictors", format_version = "1",
method, settings (JSON of the options used), seed, model, model_sha256, n_layers, n_heads,
n_kv_heads, head_dim, calibration_sha256, calibration_tokens, calibration_window, fit_loss (JSON
[layer][head] of the method's final loss), fit_seconds, torch, plus what the method adds.
Tensors are float32 named `layers.<L>.<name>` (see each method module).

CPU only, deterministic for a seed and thread count (default 1 thread; run it under nice, the
machine is shared). Re-executes itself in the venv of tools/ensure_venv.sh.
"""
import importlib
import json
import os
import subprocess
import sys
import time

TOOLS_DIR = os.path.dirname(os.path.abspath(__file__))
METHODS = ("dsa", "sbm", "sea", "sac")


def reexec_in_venv(script=None):
    """Re-executes `script` (default: this file) under the venv's python, once."""
    if os.environ.get("ATTNSCOPE_IN_VENV") == "1":
        return
    python = subprocess.check_output(
        ["bash", "-c", f"source '{TOOLS_DIR}/ensure_venv.sh' >&2 && echo $ATTNSCOPE_PY"], text=True).strip()
    os.environ["ATTNSCOPE_IN_VENV"] = "1"
    os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
    os.execv(python, [python, os.path.abspath(script or __file__)] + sys.argv[1:])


def parse_options(method_module, assignments):
    """--set key=value pairs typed after the method's DEFAULTS; unknown keys are an error."""
    options = dict(method_module.DEFAULTS)
    for item in assignments:
        key, sep, value = item.partition("=")
        if not sep or key not in options:
            raise SystemExit(f"fit_predictors: --set {item!r}: expected key=value with key one of "
                             f"{', '.join(sorted(options))}")
        default = options[key]
        if isinstance(default, bool):
            options[key] = value.lower() in ("1", "true", "yes", "on")
        elif isinstance(default, int):
            options[key] = int(value)
        elif isinstance(default, float):
            options[key] = float(value)
        else:
            options[key] = value
    return options


def write_predictors(path, tensors, metadata):
    """Atomic write: a temporary file beside `path`, then rename."""
    import torch
    from safetensors.torch import save_file
    for name, tensor in tensors.items():
        if not torch.isfinite(tensor).all():
            raise SystemExit(f"fit_predictors: tensor {name} has NaN or Inf values; not writing {path}")
    clean = {name: t.detach().to(torch.float32).contiguous() for name, t in sorted(tensors.items())}
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    temporary = os.path.join(folder, f".{os.path.basename(path)}.tmp{os.getpid()}")
    save_file(clean, temporary, metadata={k: str(v) for k, v in metadata.items()})
    os.replace(temporary, path)


def main():
    reexec_in_venv()
    import argparse
    sys.path.insert(0, TOOLS_DIR)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model_dir")
    parser.add_argument("--text", required=True, help="calibration text file (UTF-8)")
    parser.add_argument("--method", required=True, choices=METHODS)
    parser.add_argument("--out", required=True, help="output .safetensors file")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="method option")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--window", type=int, default=0, help="ids per forward pass (0: min(context, 512))")
    parser.add_argument("--max-tokens", type=int, default=0, help="use only the first N calibration ids")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (results depend on it)")
    args = parser.parse_args()

    from predictors import capture as capture_module
    method = importlib.import_module(f"predictors.{args.method}")
    options = parse_options(method, args.set)
    options["seed"] = args.seed
    capture_module.set_determinism(args.seed, args.threads)
    with open(args.text, encoding="utf-8") as stream:
        text = stream.read()
    started = time.time()
    captures = capture_module.capture(args.model_dir, text, window=args.window, max_tokens=args.max_tokens)
    print(f"captured {captures.tokens} tokens in {len(captures.windows)} windows, {captures.n_layers} layers "
          f"x {captures.n_heads} heads (d = {captures.head_dim}) in {time.time() - started:.1f} s", file=sys.stderr)
    tensors, metadata = fit_and_write(captures, args.method, options, args.out, args.threads)
    print(f"wrote {args.out}: {len(tensors)} tensors, fit {metadata['fit_seconds']} s", file=sys.stderr)


def fit_and_write(captures, method_name, options, out, threads):
    """Fits `method_name` on the captures and writes the predictor file; returns (tensors, metadata)."""
    import torch
    method = importlib.import_module(f"predictors.{method_name}")
    fit_started = time.time()
    tensors, method_metadata = method.fit(captures, options)
    metadata = {
        "format": "attnscope-predictors",
        "format_version": "1",
        "method": method_name,
        "settings": json.dumps(options, sort_keys=True),
        "seed": str(options["seed"]),
        "threads": str(threads),
        "torch": torch.__version__,
    }
    metadata.update(captures.metadata())
    metadata.update({k: str(v) for k, v in method_metadata.items()})
    metadata["fit_seconds"] = f"{time.time() - fit_started:.1f}"
    if "fit_loss" not in metadata:
        raise SystemExit(f"fit_predictors: method {method_name} did not report fit_loss")
    write_predictors(out, tensors, metadata)
    return tensors, metadata


if __name__ == "__main__":
    main()

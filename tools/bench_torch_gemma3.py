#!/usr/bin/env python3
"""PyTorch CPU eager timings for the real Gemma 3 270M GGUF, to compare with attnscope's
bench/bench_gguf_gemma3 on the same machine in the same session (issue 5's performance goal).

The model is tools/gemma3_gguf_torch.py (plain PyTorch over the weights the `gguf` package
dequantises, float32, eager attention), doing the work bench_gguf_gemma3 does: every layer's
attention probabilities kept (the capture) and logits at every position. Prints one JSON line
for opening (read + dequantise every tensor to float32 torch tensors) and one for the forward pass
(median and min wall time over the repeats, and the median CPU time of the whole process).

Usage: tools/bench_torch_gemma3.sh [--threads 2] [--tokens 512] [--repeats 5]
"""
import argparse
import json
import os
import statistics
import time
from pathlib import Path

import torch
from gguf import GGUFReader

import gemma3_gguf_torch as gemma3

TOOLS = Path(__file__).resolve().parent
CACHE = Path(os.environ.get("ATTNSCOPE_REAL_MODELS", TOOLS / ".cache" / "models"))
MODEL = CACHE / "gemma-3-270m" / "gemma-3-270m-q4_k_m.gguf"


def token_ids(count: int, vocab: int) -> list:
    # The same ids as bench/bench_gguf_gemma3.cpp.
    return [3 + (pos * 7919) % (vocab - 3) for pos in range(count)]


def forward(config, weights, ids):
    probabilities = []
    hidden = gemma3.final_hidden(config, weights, ids, probabilities)
    return hidden @ weights["token_embd.weight"].T, probabilities


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--tokens", type=int, default=512)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    start, start_cpu = time.perf_counter(), time.process_time()
    reader = GGUFReader(str(MODEL))
    config = gemma3.read_config(reader)
    weights = gemma3.read_weights(reader, torch.float32)
    open_ms = 1000 * (time.perf_counter() - start)
    common = {"model": MODEL.name, "threads": args.threads, "torch": torch.__version__}
    print(json.dumps({**common, "step": "open (read + dequantise to f32)", "ms": open_ms,
                      "process_cpu_s": time.process_time() - start_cpu}), flush=True)

    ids = token_ids(args.tokens, weights["token_embd.weight"].shape[0])
    with torch.inference_mode():
        forward(config, weights, ids)
        times, cpu_times = [], []
        for _ in range(args.repeats):
            start, start_cpu = time.perf_counter(), time.process_time()
            forward(config, weights, ids)
            times.append(time.perf_counter() - start)
            cpu_times.append(time.process_time() - start_cpu)
    print(json.dumps({**common, "step": "forward (capture all layers, all logits)", "tokens": args.tokens,
                      "median_ms": 1000 * statistics.median(times), "min_ms": 1000 * min(times),
                      "median_process_cpu_s": statistics.median(cpu_times)}), flush=True)

    # The same pass without the output head (262144 × 640, over half the multiply-adds at 512
    # tokens): every layer and its probabilities, the final hidden states.
    with torch.inference_mode():
        times, cpu_times = [], []
        for _ in range(args.repeats):
            start, start_cpu = time.perf_counter(), time.process_time()
            gemma3.final_hidden(config, weights, ids, [])
            times.append(time.perf_counter() - start)
            cpu_times.append(time.process_time() - start_cpu)
    print(json.dumps({**common, "step": "forward (capture all layers, no output head)", "tokens": args.tokens,
                      "median_ms": 1000 * statistics.median(times), "min_ms": 1000 * min(times),
                      "median_process_cpu_s": statistics.median(cpu_times)}), flush=True)


if __name__ == "__main__":
    main()

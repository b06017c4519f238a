#!/usr/bin/env python3
"""PyTorch CPU scaled_dot_product_attention on the shapes of bench/bench_attention_cpu.cpp, to
compare with attnscope's fused kernel on the same machine, threads and session (issue 9).

One head (batch 1), float32, bidirectional (is_causal=False) unless --causal, Gaussian inputs,
scale 1/sqrt(d) (SDPA's default). torch.set_num_threads(threads). Each repetition averages calls
over at least --min-seconds (Google Benchmark's default 0.5 s). Prints one JSON line per shape:
median and min per-call time over the repetitions, and GFLOP/s at 4·N²·d (2·N²·d causal, as the
bench) of the median ("gflops") and of the best repetition ("best_gflops").

Usage: source tools/ensure_venv.sh; $ATTNSCOPE_PY tools/bench_torch_attention.py
           [--threads 1 2] [--tokens 1024 4096 8192] [--dims 64 128] [--repeats 10] [--causal]
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn.functional as F


def time_shape(tokens: int, dim: int, causal: bool, repeats: int, min_seconds: float) -> list:
    """Per-call seconds of each repetition: calls are repeated for at least min_seconds and
    averaged, as one Google Benchmark repetition of bench_attention_cpu is, so that the best
    repetition of both sides is the same statistic."""
    generator = torch.Generator().manual_seed(42)
    q, k, v = (torch.randn(1, 1, tokens, dim, generator=generator) for _ in range(3))
    with torch.inference_mode():
        for _ in range(2):
            F.scaled_dot_product_attention(q, k, v, is_causal=causal)
        times = []
        for _ in range(repeats):
            calls = 0
            start = time.perf_counter()
            while True:
                F.scaled_dot_product_attention(q, k, v, is_causal=causal)
                calls += 1
                elapsed = time.perf_counter() - start
                if elapsed >= min_seconds:
                    break
            times.append(elapsed / calls)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--tokens", type=int, nargs="+", default=[1024, 4096, 8192])
    parser.add_argument("--dims", type=int, nargs="+", default=[64, 128])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--causal", action="store_true")
    parser.add_argument("--min-seconds", type=float, default=0.5, help="per repetition, as Google Benchmark")
    args = parser.parse_args()
    for threads in args.threads:
        torch.set_num_threads(threads)
        for tokens in args.tokens:
            for dim in args.dims:
                times = time_shape(tokens, dim, args.causal, args.repeats, args.min_seconds)
                pairs = tokens * (tokens + 1) / 2 if args.causal else tokens * tokens
                median = statistics.median(times)
                print(json.dumps({"n": tokens, "d": dim, "threads": threads, "causal": args.causal,
                                  "torch": torch.__version__, "median_ms": 1000 * median,
                                  "min_ms": 1000 * min(times), "gflops": 4 * pairs * dim / median * 1e-9,
                                  "best_gflops": 4 * pairs * dim / min(times) * 1e-9}),
                      flush=True)


if __name__ == "__main__":
    main()

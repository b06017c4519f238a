#!/usr/bin/env python3
"""PyTorch CPU reference timings for the forward pass with attention capture, to compare with
attnscope's bench_forward on the same machine in the same session (issue 2's performance goal).

Runs Hugging Face transformers (eager attention, float32, output_attentions=True) on
all-MiniLM-L6-v2 (fetched by tools/prepare_real_models.sh) at 128 and 512 tokens with the given
thread count, and prints one JSON line per shape: median and min wall time over the repeats, and
the median process CPU time (every thread), which load on a shared machine changes much less.

Usage: tools/bench_torch_forward.sh [--threads 2] [--repeats 20]
"""
import argparse
import json
import os
import statistics
import time
from pathlib import Path

import torch
from transformers import BertModel

TOOLS = Path(__file__).resolve().parent
CACHE = Path(os.environ.get("ATTNSCOPE_REAL_MODELS", TOOLS / ".cache" / "models"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    folder = CACHE / "all-MiniLM-L6-v2"
    model = BertModel.from_pretrained(str(folder), attn_implementation="eager").float().eval()
    generator = torch.Generator().manual_seed(0)
    for tokens in (128, 512):
        ids = torch.randint(1000, 30000, (1, tokens), generator=generator)
        with torch.inference_mode():
            for _ in range(3):
                model(ids, output_attentions=True)
            times, cpu_times = [], []
            for _ in range(args.repeats):
                start, start_cpu = time.perf_counter(), time.process_time()
                model(ids, output_attentions=True)
                times.append(time.perf_counter() - start)
                cpu_times.append(time.process_time() - start_cpu)
        print(json.dumps({"model": "all-MiniLM-L6-v2", "tokens": tokens, "threads": args.threads,
                          "torch": torch.__version__, "median_ms": 1000 * statistics.median(times),
                          "min_ms": 1000 * min(times), "cpu_median_ms": 1000 * statistics.median(cpu_times)}))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Merges the outputs of scripts/bench-cpu into the markdown tables of docs/benchmarks.md
(section "CPU attention kernels"): Google Benchmark JSON of bench_attention_cpu (kernels, and the
forward-pass memory run) and the JSON lines of tools/bench_torch_attention.py. Standard library
only. Every figure is the best of its repetitions (PyTorch: its fastest repeat); ratios are taken
between figures of the same run.

Usage: bench_cpu_table.py KERNELS.json TORCH.jsonl MEMORY.json [INTERLEAVED.json]
"""
import json
import re
import sys


def load_benchmarks(path: str) -> dict:
    """run name -> the repetition with the highest GFLOPS (or Gexp/s; the shortest time otherwise).
    Best of N: on a shared machine other work only ever adds time, so the fastest repetition is the
    closest to what the code does (the protocol of perf_anchors.md §7, "best of 5")."""
    with open(path) as handle:
        data = json.load(handle)
    results = {}
    for entry in data["benchmarks"]:
        if entry.get("error_occurred") or entry.get("run_type") == "aggregate":
            continue
        name = entry.get("run_name", entry["name"])
        score = entry.get("GFLOPS", entry.get("Gexp/s", -entry["real_time"]))
        best = results.get(name)
        if best is None or score > best.get("GFLOPS", best.get("Gexp/s", -best["real_time"])):
            results[name] = entry
    return results


def args_of(name: str) -> dict:
    return {key: int(value) for key, value in re.findall(r"(\w+):(\d+)", name)}


def find(results: dict, prefix: str, **wanted) -> dict:
    for name, entry in results.items():
        if not name.startswith(prefix + "/"):
            continue
        args = args_of(name)
        if all(args.get(key) == value for key, value in wanted.items()):
            return entry
    return {}


def gflops(entry: dict) -> float:
    return entry.get("GFLOPS", float("nan"))


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}×" if a == a and b == b and b > 0 else "n/a"


def main() -> None:
    kernels = load_benchmarks(sys.argv[1])
    torch_rows = [json.loads(line) for line in open(sys.argv[2]) if line.strip().startswith("{")]
    memory = load_benchmarks(sys.argv[3])
    torch_gflops = {(row["n"], row["d"], row["threads"]): row["best_gflops"] for row in torch_rows if not row["causal"]}
    torch_version = torch_rows[0]["torch"] if torch_rows else "n/a"

    eigen = {t: gflops(find(kernels, "BM_EigenSgemm", threads=t)) for t in (1, 2)}
    blas = {t: gflops(find(kernels, "BM_OpenBlasSgemm", threads=t)) for t in (1, 2)}
    peak256 = {t: gflops(find(kernels, "BM_FmaPeak", bits=256, threads=t)) for t in (1, 2)}
    peak512 = {t: gflops(find(kernels, "BM_FmaPeak", bits=512, threads=t)) for t in (1, 2)}

    print("Ceilings (GFLOP/s): " + "; ".join(
        f"{t} thread{'s' if t > 1 else ''}: FMA peak AVX2 {peak256[t]:.0f}, AVX-512 {peak512[t]:.0f}, "
        f"SGEMM 2048³ Eigen {eigen[t]:.0f}, OpenBLAS {blas[t]:.0f}" for t in (1, 2)))
    exp_rates = []
    for isa in (0, 1, 2):
        entry = find(kernels, "BM_KernelExp", isa=isa)
        if entry:
            exp_rates.append(f"{entry.get('label', isa)} {entry.get('Gexp/s', float('nan')):.2f}")
    print("Kernel exp (G exp/s, 1 thread, in L1): " + ", ".join(exp_rates))
    tiles = []
    for d in (64, 128):
        for t in (1, 2):
            entry = find(kernels, "BM_ProbabilityTile", d=d, threads=t)
            if entry:
                tiles.append(f"d = {d}, {t} thread{'s' if t > 1 else ''}: {entry['real_time']:.2f} {entry['time_unit']}")
    print("Exact 512 × 512 probability tile from Q, K and the LSE (N = 8192): " + "; ".join(tiles))
    print()
    print("| N | d | threads | kernel | fused GFLOP/s | unfused GFLOP/s | torch SDPA GFLOP/s "
          "| fused ÷ Eigen SGEMM | fused ÷ OpenBLAS SGEMM | fused ÷ unfused | fused ÷ torch | 2 threads ÷ 1 |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for n in (1024, 4096, 8192):
        for d in (64, 128):
            for t in (1, 2):
                fused_entry = find(kernels, "BM_FusedAttention", n=n, d=d, threads=t, causal=0, isa=0)
                fused = gflops(fused_entry)
                unfused = gflops(find(kernels, "BM_UnfusedAttention", n=n, d=d, threads=t))
                torch = torch_gflops.get((n, d, t), float("nan"))
                scaling = ratio(fused, gflops(find(kernels, "BM_FusedAttention", n=n, d=d, threads=1, causal=0, isa=0))) \
                    if t == 2 else ""
                print(f"| {n} | {d} | {t} | {fused_entry.get('label', '')} | {fused:.0f} | {unfused:.0f} | {torch:.0f} "
                      f"| {ratio(fused, eigen[t])} | {ratio(fused, blas[t])} | {ratio(fused, unfused)} "
                      f"| {ratio(fused, torch)} | {scaling} |")
    print()
    print("| variant (N = 4096) | d | threads | GFLOP/s | ratio |")
    print("|---|---|---|---|---|")
    for d in (64, 128):
        for t in (1, 2):
            entry = find(kernels, "BM_FusedAttention", n=4096, d=d, threads=t, causal=0, isa=1)
            if entry:
                print(f"| AVX2 kernel forced | {d} | {t} | {gflops(entry):.0f} | "
                      f"{ratio(gflops(entry), peak256[t])} of the AVX2 FMA peak |")
        entry = find(kernels, "BM_FusedAttention", n=4096, d=d, threads=2, causal=1, isa=0)
        if entry:
            dense = gflops(find(kernels, "BM_FusedAttention", n=4096, d=d, threads=2, causal=0, isa=0))
            print(f"| causal (visible-pair FLOPs) | {d} | 2 | {gflops(entry):.0f} | "
                  f"{ratio(gflops(entry), dense)} of bidirectional GFLOP/s |")
    print()
    for name, entry in memory.items():
        if name.startswith("BM_ForwardPeakMemory"):
            print(f"Forward pass, stories260K, {args_of(name).get('tokens')} tokens: "
                  f"{entry['real_time']:.0f} ms, max-RSS growth {entry.get('maxrss_growth_MiB', float('nan')):.1f} MiB "
                  f"(process max RSS {entry.get('maxrss_MiB', float('nan')):.1f} MiB)")
    if len(sys.argv) > 4:
        interleaved = load_benchmarks(sys.argv[4])
        print()
        print("Interleaved (BM_FusedAgainstReferences: fused, Eigen and OpenBLAS 2048³ SGEMM and unfused run back "
              "to back in 8 rounds, best of each):")
        print()
        print("| N | d | threads | fused GFLOP/s | unfused | Eigen SGEMM | OpenBLAS SGEMM | fused ÷ Eigen "
              "| fused ÷ OpenBLAS | fused ÷ unfused |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for name, entry in sorted(interleaved.items(), key=lambda item: tuple(args_of(item[0]).values())):
            args = args_of(name)
            print(f"| {args.get('n')} | {args.get('d')} | {args.get('threads')} | {entry['fused_GFLOPS']:.0f} "
                  f"| {entry['unfused_GFLOPS']:.0f} | {entry['eigen_GFLOPS']:.0f} "
                  f"| {entry.get('openblas_GFLOPS', float('nan')):.0f} | {entry['fused_over_eigen']:.2f}× "
                  f"| {entry.get('fused_over_openblas', float('nan')):.2f}× | {entry['fused_over_unfused']:.2f}× |")
    print(f"torch {torch_version}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""PyTorch baselines for the GPU benchmark (perf_anchors.md §5.1), run by scripts/gpu-check.

Times, on the shapes bench_gpu_attention uses (FA3 setup: batch*N = 16k tokens, heads*d = 2048):
  - SDPA with the FlashAttention-2 back end forced (bf16)   "torch_flash"
  - SDPA with the cuDNN back end forced (bf16)               "torch_cudnn"
  - SDPA memory-efficient back end in f32 (our dtype)        "torch_efficient"
  - FlexAttention (compiled), dense and on the same causal 128x128 block mask as our CSR and block
    kernels (same lowbias32 hash as bench/gpu/gpu_attention_bench.cpp; densities 10 % and 25 %)
    "torch_flex": one run per mask and dtype, reported under both ops (sparse_csr_block128 and
    block_sparse_block128) so each of our kernels has its row; --table also prints our sparse
    rows against our own dense causal row of the same shape
  - the same causal block masks through torch's CSR operations in f32 (cuSPARSE on CUDA):
    sampled_addmm (SDDMM) of the scaled scores, a row softmax on the kept values, batched CSR x V
    (SpMM) "torch_cusparse", op sparse_csr_block128: the unfused baseline of our CSR kernel;
    checked against SDPA with the same boolean mask on the first head before timing
  - top-k selection, the shapes of bench_gpu_attention's topk_k<k> rows (one head, d = 64,
    bidirectional, N in --topk-sizes, k in --topk-k):
      torch.topk(scale * q @ k^T, k) in f32 (scores and selection, as ours)  "torch_mm_topk"
      torch.topk over the given N x N f32 scores (selection only)           "torch_topk"
The bf16 SDPA rows (torch_flash, torch_cudnn) also run at --half-sizes (2k, 8k, 16k), where
bench_gpu_attention times its bf16 tensor-core kernel (issue #7's goal: >= 1.0x torch_flash); the
table's ratio columns compare like with like: "best torch <dtype> / ours <dtype>" per dtype.
Every measurement: CUDA events, L2 flushed before each rep, median over the reps; a failing back
end is recorded as a row with ms empty and the error in `note`, never as a number.

  bench_torch_gpu.py [--sizes 1024,4096,16384] [--dims 64,128] [--density 0.1,0.25] [--csv out.csv]
                     [--topk-sizes 4096,32768] [--topk-k 64,256] [--half-sizes 2048,8192,16384]
  bench_torch_gpu.py --table ours.csv torch.csv     (prints the merged markdown table)

Installs nothing: it uses the PyTorch and Triton already on the machine.
"""

import argparse
import csv
import math
import statistics
import sys

FIELDS = ["impl", "op", "dtype", "N", "d", "heads", "causal", "p", "ms", "spread_ms", "tflops", "note"]
TOKENS_PER_BATCH = 16384
HEADS_TIMES_DIM = 2048
MASK_BLOCK = 128
# Our two kernels on the block mask (token-level CSR, and the block mask itself).
SPARSE_OPS = ("sparse_csr_block128", "block_sparse_block128")


def mix_bits(x):
    """lowbias32, bit for bit as mixBits() in bench/gpu/gpu_attention_bench.cpp."""
    x &= 0xFFFFFFFF
    x ^= x >> 16
    x = (x * 0x7FEB352D) & 0xFFFFFFFF
    x ^= x >> 15
    x = (x * 0x846CA68B) & 0xFFFFFFFF
    x ^= x >> 16
    return x


def keep_block(query_block, key_block, density):
    if key_block > query_block:
        return False
    if key_block == 0 or key_block == query_block:
        return True
    return mix_bits(query_block * 65536 + key_block) % 1000000 < int(density * 1000000.0)


def block_table(n_tokens, density):
    n_blocks = (n_tokens + MASK_BLOCK - 1) // MASK_BLOCK
    return [[keep_block(qb, kb, density) for kb in range(n_blocks)] for qb in range(n_blocks)]


def mask_nnz(n_tokens, table):
    """Kept (query, key) pairs of the causal block mask, for p = nnz / N^2."""
    nnz = 0
    for query_pos in range(n_tokens):
        query_block = query_pos // MASK_BLOCK
        for key_block, kept in enumerate(table[query_block]):
            if kept:
                key_end = min(n_tokens, (key_block + 1) * MASK_BLOCK, query_pos + 1)
                nnz += max(0, key_end - key_block * MASK_BLOCK)
    return nnz


def causal_block_mask(torch, n_tokens, table, device):
    """The dense bool [N, N] mask of the causal block table (what our CSR kernel reads as CSR)."""
    keep = torch.tensor(table, dtype=torch.bool, device=device)
    blocks = torch.arange(n_tokens, device=device) // MASK_BLOCK
    positions = torch.arange(n_tokens, device=device)
    return keep[blocks[:, None], blocks[None, :]] & (positions[None, :] <= positions[:, None])


def csr_pipeline(torch, q, k, v, mask):
    """Sparse attention built from torch's CSR operations (cuSPARSE on CUDA): SDDMM of the scaled
    scores on the mask's pattern (torch.sparse.sampled_addmm), a row softmax on the kept values
    (scatter max / exp / scatter sum), and SpMM of the probabilities with V. q, k, v: [heads, N, d]
    (every head shares `mask`). Returns the callable to time; it yields [heads, N, d]."""
    heads, n_tokens, dim = q.shape
    # CSR from the kept (row, key) pairs, which nonzero() lists in row-major order.
    kept = mask.nonzero()
    row_of, col = kept[:, 0], kept[:, 1].contiguous()
    counts = torch.bincount(row_of, minlength=n_tokens)
    crow = torch.cat([torch.zeros(1, dtype=torch.int64, device=q.device), torch.cumsum(counts, 0)])
    nnz = col.numel()
    row_index = row_of.expand(heads, nnz)
    # Every head shares the pattern; the batched CSR tensors want their own copies, made once here.
    crow_batched, col_batched = crow.repeat(heads, 1), col.repeat(heads, 1)
    batched = torch.sparse_csr_tensor(crow_batched, col_batched,
                                      torch.zeros((heads, nnz), dtype=q.dtype, device=q.device),
                                      size=(heads, n_tokens, n_tokens))
    scale = 1.0 / math.sqrt(dim)
    key_t = k.transpose(1, 2).contiguous()

    def attend():
        scores = torch.sparse.sampled_addmm(batched, q, key_t, beta=0.0, alpha=scale).values()
        row_max = torch.full((heads, n_tokens), -math.inf, dtype=q.dtype, device=q.device)
        row_max = row_max.scatter_reduce(1, row_index, scores, "amax", include_self=True)
        probs = torch.exp(scores - row_max.gather(1, row_index))
        row_sum = torch.zeros((heads, n_tokens), dtype=q.dtype, device=q.device).scatter_add(1, row_index, probs)
        probs = probs / row_sum.gather(1, row_index)
        if batched_spmm:
            weights = torch.sparse_csr_tensor(crow_batched, col_batched, probs, size=(heads, n_tokens, n_tokens))
            return torch.bmm(weights, v)
        return torch.stack([torch.sparse_csr_tensor(crow, col, probs[head], size=(n_tokens, n_tokens)) @ v[head]
                            for head in range(heads)])

    # Batched CSR x dense (cuSPARSE's batched SpMM) where this torch has it (CUDA), else one SpMM
    # per head (the CPU, where the check runs without a GPU).
    try:
        probe = torch.sparse_csr_tensor(crow_batched, col_batched,
                                        torch.ones((heads, nnz), dtype=q.dtype, device=q.device),
                                        size=(heads, n_tokens, n_tokens))
        torch.bmm(probe, v)
        batched_spmm = True
    except (RuntimeError, NotImplementedError):
        batched_spmm = False
    attend.spmm = "batched" if batched_spmm else "per head"
    return attend


class Timer:
    def __init__(self, torch, reps):
        self.torch = torch
        self.reps = reps
        # Twice an H100's 50 MiB L2, so no input survives from one rep to the next.
        self.flush = torch.empty(128 * 1024 * 1024 // 4, dtype=torch.float32, device="cuda")

    def __call__(self, fn):
        torch = self.torch
        for _ in range(3):
            fn()
        torch.cuda.synchronize()
        samples = []
        spent = 0.0
        for rep in range(self.reps):
            if rep >= 5 and spent > 3000.0:
                break
            self.flush.zero_()
            start = torch.cuda.Event(enable_timing=True)
            stop = torch.cuda.Event(enable_timing=True)
            start.record()
            fn()
            stop.record()
            stop.synchronize()
            ms = start.elapsed_time(stop)
            samples.append(ms)
            spent += ms
        return statistics.median(samples), max(samples) - min(samples)


def row(impl, op, dtype, n, d, heads, causal, p, timing=None, flops=None, note=""):
    entry = {"impl": impl, "op": op, "dtype": dtype, "N": n, "d": d, "heads": heads,
             "causal": int(causal), "p": f"{p:.4f}", "ms": "", "spread_ms": "", "tflops": "",
             "note": note}
    if timing is not None:
        entry["ms"] = f"{timing[0]:.4f}"
        entry["spread_ms"] = f"{timing[1]:.4f}"
        if flops:
            entry["tflops"] = f"{flops / (timing[0] * 1e-3) / 1e12:.2f}"
    return entry


def emit(rows, entry):
    rows.append(entry)
    print(",".join(str(entry[f]) for f in FIELDS), flush=True)


def short_error(error):
    text = f"{type(error).__name__}: {error}".replace(",", ";").replace("\n", " ")
    return text[:160]


def run(args):
    import torch
    import torch.nn.functional as F
    from torch.nn.attention import SDPBackend, sdpa_kernel

    if not torch.cuda.is_available():
        print("bench_torch_gpu: no CUDA device visible to PyTorch", file=sys.stderr)
        return 77
    props = torch.cuda.get_device_properties(0)
    print(f"device: {props.name}; torch {torch.__version__}; cuda {torch.version.cuda}; "
          f"cudnn {torch.backends.cudnn.version()}", file=sys.stderr)
    try:
        import triton
        print(f"triton {triton.__version__}", file=sys.stderr)
    except ImportError:
        pass

    flex_attention = create_block_mask = None
    if not args.no_flex:
        try:
            from torch.nn.attention.flex_attention import create_block_mask, flex_attention
            flex_attention = torch.compile(flex_attention, dynamic=False)
        except Exception as error:  # an older torch: report, keep the other baselines
            print(f"FlexAttention unavailable: {short_error(error)}", file=sys.stderr)

    timer = Timer(torch, args.reps)
    rows = []
    print(",".join(FIELDS), flush=True)
    for n in sorted(set(args.sizes) | set(args.half_sizes)):
        f32_shapes = n in args.sizes  # the f32 / FlexAttention / sparse rows keep --sizes
        for d in args.dims:
            if TOKENS_PER_BATCH % n or HEADS_TIMES_DIM % d:
                continue
            batch, heads = TOKENS_PER_BATCH // n, HEADS_TIMES_DIM // d
            gen = torch.Generator(device="cuda").manual_seed(n * 131 + d)
            shape = (batch, heads, n, d)
            q32, k32, v32 = (torch.randn(shape, device="cuda", generator=gen) for _ in range(3))
            q16, k16, v16 = (t.to(torch.bfloat16) for t in (q32, k32, v32))
            dense_flops = 4.0 * batch * heads * n * n * d
            for causal in (False, True):
                flops = dense_flops / 2 if causal else dense_flops
                reference = None
                try:
                    with sdpa_kernel(SDPBackend.EFFICIENT_ATTENTION):
                        fn = lambda: F.scaled_dot_product_attention(q32, k32, v32, is_causal=causal)
                        reference = fn()[0].float()  # also the bf16 rows' health probe
                        if f32_shapes:
                            emit(rows, row("torch_efficient", "dense", "f32", n, d, batch * heads, causal,
                                           1.0, timer(fn), flops))
                except Exception as error:
                    if f32_shapes:
                        emit(rows, row("torch_efficient", "dense", "f32", n, d, batch * heads, causal,
                                       1.0, note=short_error(error)))
                for impl, backend in (("torch_flash", SDPBackend.FLASH_ATTENTION),
                                      ("torch_cudnn", SDPBackend.CUDNN_ATTENTION)):
                    try:
                        with sdpa_kernel(backend):
                            fn = lambda: F.scaled_dot_product_attention(q16, k16, v16, is_causal=causal)
                            # Health probe before timing (perf_anchors.md §6.2): a back end that
                            # returns garbage for this shape is excluded, not timed.
                            out = fn()[0].float()
                            note = ""
                            if reference is not None:
                                err = (out - reference).abs().max().item()
                                if not math.isfinite(err) or err > 5e-2:
                                    raise RuntimeError(f"health probe failed: max abs err {err:.3g}")
                                note = f"maxerr_vs_f32={err:.2e}"
                            emit(rows, row(impl, "dense", "bf16", n, d, batch * heads, causal, 1.0,
                                           timer(fn), flops, note))
                    except Exception as error:
                        emit(rows, row(impl, "dense", "bf16", n, d, batch * heads, causal, 1.0,
                                       note=short_error(error)))
                if flex_attention is not None and f32_shapes:
                    try:
                        mask = None
                        if causal:
                            mask = create_block_mask(lambda b, h, qi, ki: ki <= qi, None, None, n, n,
                                                     device="cuda", BLOCK_SIZE=MASK_BLOCK)
                        fn = lambda: flex_attention(q16, k16, v16, block_mask=mask)
                        emit(rows, row("torch_flex", "dense", "bf16", n, d, batch * heads, causal,
                                       1.0, timer(fn), flops))
                    except Exception as error:
                        emit(rows, row("torch_flex", "dense", "bf16", n, d, batch * heads, causal,
                                       1.0, note=short_error(error)))

            for density in (args.density if f32_shapes else []):
                table = block_table(n, density)
                nnz = mask_nnz(n, table)
                p = nnz / (n * n)
                sparse_flops = 4.0 * batch * heads * nnz * d
                if flex_attention is not None:
                    try:
                        keep = torch.tensor(table, dtype=torch.bool, device="cuda")

                        def mask_mod(b, h, qi, ki):
                            return keep[qi // MASK_BLOCK, ki // MASK_BLOCK] & (ki <= qi)

                        mask = create_block_mask(mask_mod, None, None, n, n, device="cuda",
                                                 BLOCK_SIZE=MASK_BLOCK)
                        for dtype_name, tensors in (("bf16", (q16, k16, v16)), ("f32", (q32, k32, v32))):
                            fn = lambda: flex_attention(*tensors, block_mask=mask)
                            timing = timer(fn)
                            for op in SPARSE_OPS:
                                emit(rows, row("torch_flex", op, dtype_name, n, d, batch * heads, True,
                                               p, timing, sparse_flops))
                    except Exception as error:
                        for op in SPARSE_OPS:
                            emit(rows, row("torch_flex", op, "bf16", n, d, batch * heads, True, p,
                                           note=short_error(error)))
                # The same mask through torch's CSR operations (cuSPARSE SDDMM and SpMM): the
                # unfused baseline of our CSR kernel (issue #7), f32 like it.
                try:
                    mask = causal_block_mask(torch, n, table, "cuda")
                    flat = [t.reshape(batch * heads, n, d) for t in (q32, k32, v32)]
                    fn = csr_pipeline(torch, *flat, mask)
                    out = fn()[:1]
                    reference = F.scaled_dot_product_attention(*(t[:1] for t in flat), attn_mask=mask)
                    err = (out - reference).abs().max().item()
                    if not math.isfinite(err) or err > 1e-3:
                        raise RuntimeError(f"health probe failed: max abs err {err:.3g}")
                    emit(rows, row("torch_cusparse", "sparse_csr_block128", "f32", n, d, batch * heads, True, p,
                                   timer(fn), sparse_flops, f"spmm {fn.spmm}; maxerr_vs_sdpa_mask={err:.2e}"))
                    del mask, flat, out, reference
                except Exception as error:
                    emit(rows, row("torch_cusparse", "sparse_csr_block128", "f32", n, d, batch * heads, True, p,
                                   note=short_error(error)))
            del q32, k32, v32, q16, k16, v16
            torch.cuda.empty_cache()

    # Top-k per row of one bidirectional head (d = 64): the selection step of the topk variant.
    # TF32 stays off (torch's default for f32 matmuls), so the scores are f32 like ours.
    topk_dim = 64
    for n in args.topk_sizes:
        try:
            q = torch.randn((n, topk_dim), device="cuda")
            k_rows = torch.randn((n, topk_dim), device="cuda")
            scale = 1.0 / math.sqrt(topk_dim)
            for k in args.topk_k:
                if k > n:
                    continue
                fn = lambda: torch.topk((q @ k_rows.T) * scale, k, dim=-1)
                emit(rows, row("torch_mm_topk", f"topk_k{k}", "f32", n, topk_dim, 1, False, k / n, timer(fn),
                               2.0 * n * n * topk_dim))
            scores = (q @ k_rows.T) * scale
            for k in args.topk_k:
                if k > n:
                    continue
                fn = lambda: torch.topk(scores, k, dim=-1)
                timing = timer(fn)
                gbps = n * n * 4 / (timing[0] * 1e-3) / 1e9
                emit(rows, row("torch_topk", f"topk_select_k{k}", "f32", n, 0, 1, False, k / n, timing,
                               note=f"selection only; {gbps:.0f} GB/s of scores read"))
            del q, k_rows, scores
            torch.cuda.empty_cache()
        except Exception as error:
            emit(rows, row("torch_mm_topk", "topk", "f32", n, topk_dim, 1, False, 0.0,
                           note=short_error(error)))

    if args.csv:
        with open(args.csv, "w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=FIELDS)
            writer.writeheader()
            writer.writerows(rows)
    return 0


def print_table(paths):
    """One markdown table: a row per (op, N, d, causal), a column per implementation."""
    entries = []
    for path in paths:
        with open(path, newline="") as handle:
            entries.extend(csv.DictReader(handle))
    impls = []
    for entry in entries:
        label = f"{entry['impl']} {entry['dtype']}"
        if label not in impls:
            impls.append(label)
    keys = []
    cells = {}
    ours = {}  # (key, dtype) -> our ms
    for entry in entries:
        key = (entry["op"], int(entry["N"]), int(entry["d"]), int(entry["causal"]))
        if key not in cells:
            keys.append(key)
            cells[key] = {"p": entry.get("p", "")}
        label = f"{entry['impl']} {entry['dtype']}"
        if entry.get("ms"):
            tflops = entry.get("tflops") or ""
            cells[key][label] = f"{float(entry['ms']):.3f} ms" + (f" ({tflops} TF)" if tflops else "")
            if entry["impl"] == "attnscope":
                ours[(key, entry["dtype"])] = float(entry["ms"])
                cells[key]["p"] = entry.get("p", "")
        else:
            cells[key][label] = "failed"
    # One ratio column per dtype we measured: the fastest torch row of that dtype over ours
    # (> 1: we are faster), never mixing an f32 kernel with a bf16 baseline.
    our_dtypes = []
    for entry in entries:
        if entry["impl"] == "attnscope" and entry["dtype"] not in our_dtypes:
            our_dtypes.append(entry["dtype"])
    header = (["op", "N", "d", "causal", "p"] + impls +
              [f"best torch {dtype} / ours {dtype}" for dtype in our_dtypes])
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for key in keys:
        op, n, d, causal = key
        line = [op, str(n), str(d), "C" if causal else "NC", cells[key].get("p", "")]
        for impl in impls:
            line.append(cells[key].get(impl, ""))
        for dtype in our_dtypes:
            best = None
            for entry in entries:
                same = (entry["op"], int(entry["N"]), int(entry["d"]), int(entry["causal"])) == key
                if same and entry["impl"] != "attnscope" and entry["dtype"] == dtype and entry.get("ms"):
                    ms = float(entry["ms"])
                    best = ms if best is None else min(best, ms)
            ours_ms = ours.get((key, dtype))
            line.append(f"{best / ours_ms:.2f}" if best is not None and ours_ms else "")
        print("| " + " | ".join(line) + " |")
    print_sparse_vs_dense(entries)
    return 0


def print_sparse_vs_dense(entries):
    """Our sparse rows against our own f32 dense causal row of the same N and d (> 1: faster)."""
    dense = {}
    for entry in entries:
        if (entry["impl"] == "attnscope" and entry["op"] == "dense" and entry["dtype"] == "f32"
                and int(entry["causal"]) and entry.get("ms")):
            dense[(int(entry["N"]), int(entry["d"]))] = float(entry["ms"])
    lines = []
    for entry in entries:
        key = (int(entry["N"]), int(entry["d"]))
        if entry["impl"] != "attnscope" or entry["op"] not in SPARSE_OPS or not entry.get("ms") or key not in dense:
            continue
        ms = float(entry["ms"])
        lines.append(f"| {entry['op']} | {key[0]} | {key[1]} | {entry['p']} | {ms:.3f} ms | "
                     f"{dense[key]:.3f} ms | {dense[key] / ms:.2f} |")
    if lines:
        print()
        print("| op | N | d | p | ours | our dense causal | dense / sparse |")
        print("|---|---|---|---|---|---|---|")
        for line in lines:
            print(line)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1024,4096,16384")
    parser.add_argument("--dims", default="64,128")
    parser.add_argument("--density", default="0.1,0.25")
    parser.add_argument("--topk-sizes", default="4096,32768")
    parser.add_argument("--topk-k", default="64,256")
    parser.add_argument("--half-sizes", default="2048,8192,16384",
                        help="N of the extra bf16 SDPA rows (bench_gpu_attention's bf16 kernel)")
    parser.add_argument("--reps", type=int, default=25)
    parser.add_argument("--csv", default="")
    parser.add_argument("--no-flex", action="store_true", help="skip FlexAttention (no torch.compile)")
    parser.add_argument("--table", nargs="+", metavar="CSV", help="print the merged table and exit")
    args = parser.parse_args()
    if args.table:
        return print_table(args.table)
    args.sizes = [int(x) for x in args.sizes.split(",") if x]
    args.dims = [int(x) for x in args.dims.split(",") if x]
    args.density = [float(x) for x in args.density.split(",") if x]
    args.topk_sizes = [int(x) for x in args.topk_sizes.split(",") if x]
    args.topk_k = [int(x) for x in args.topk_k.split(",") if x]
    args.half_sizes = [int(x) for x in args.half_sizes.split(",") if x]
    return run(args)


if __name__ == "__main__":
    sys.exit(main())

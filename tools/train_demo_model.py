#!/usr/bin/env python3
"""Train attnscope's embedded demo model and write assets/models/demo/ and assets/samples/.

The demo model is a small Llama-architecture causal LM (RoPE in the Hugging Face rotate_half
convention, RMSNorm, SwiGLU, no biases, tied embeddings) trained from scratch on the King James
Bible (Debian package bible-kjv, public domain) with a byte-level BPE tokenizer trained here too.
The model is written as a plain PyTorch module; the saved folder is a standard Hugging Face Llama
folder, which the end of this script proves by loading it with transformers.LlamaForCausalLM and
comparing its held-out loss with our own evaluation.

Everything is seeded and deterministic: two runs on the same machine type (2 torch threads, same
torch/tokenizers versions) write byte-identical files. The training budget is a fixed number of
optimizer steps (never a wall-clock limit, which would break reproducibility), sized to take about
15-20 minutes on 2 CPU cores.

Usage: tools/train_demo_model.py [--steps N] [--out-dir DIR] [--samples-dir DIR]
       (re-executes itself in the shared tools venv, see tools/ensure_venv.sh)
"""
import os
import subprocess
import sys

TOOLS_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_DIR = os.path.dirname(TOOLS_DIR)


def reexec_in_venv():
    """Run under the shared venv's python with the environment fixed before the interpreter starts.

    PYTHONHASHSEED and the thread counts must be set before Python/torch/tokenizers initialise,
    so we always re-exec once (also when already inside the venv)."""
    if os.environ.get("ATTNSCOPE_DEMO_TRAIN_CHILD") == "1":
        return
    python = subprocess.check_output(
        ["bash", "-c", 'source "$1" >&2 && printf %s "$ATTNSCOPE_PY"', "_",
         os.path.join(TOOLS_DIR, "ensure_venv.sh")]).decode()
    env = dict(os.environ)
    env.update({
        "ATTNSCOPE_DEMO_TRAIN_CHILD": "1",
        "PYTHONHASHSEED": "0",
        "OMP_NUM_THREADS": "2",
        "MKL_NUM_THREADS": "2",
        # Sleep rather than spin at OpenMP barriers: on a machine shared with compilers a spinning
        # thread waits for a descheduled partner and training slows ~1.5x more. Same results.
        "OMP_WAIT_POLICY": "PASSIVE",
        # The BPE trainer and encoder use rayon; one thread removes any doubt about merge order.
        "RAYON_NUM_THREADS": "1",
        "TOKENIZERS_PARALLELISM": "false",
        "CUDA_VISIBLE_DEVICES": "",
    })
    os.execve(python, [python, os.path.abspath(__file__)] + sys.argv[1:], env)


reexec_in_venv()

import argparse  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from safetensors.torch import save_file  # noqa: E402
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers  # noqa: E402

SEED = 1234

# ---- Architecture (kept small: the whole folder must stay under ~4 MB in f16) ----
VOCAB_SIZE = 4096
HIDDEN_SIZE = 128
NUM_LAYERS = 4
NUM_HEADS = 8
HEAD_DIM = 16
INTERMEDIATE_SIZE = 384  # 3 x hidden: SwiGLU with ~the same parameters as a 4x GELU MLP would be 8/3
MAX_POSITIONS = 512
ROPE_THETA = 10000.0
RMS_EPS = 1e-5
BOS_TOKEN, EOS_TOKEN = "<|bos|>", "<|eos|>"
BOS_ID, EOS_ID = 0, 1

# ---- Training ----
# Every step sees TOKENS_PER_STEP tokens. Most steps use short windows (cheaper attention, more
# sequences); every LONG_EVERY-th step uses the full context so every position the C++ eval uses
# (up to MAX_POSITIONS) is trained.
SHORT_SEQ_LEN = 256
SEQ_LEN = MAX_POSITIONS
TOKENS_PER_STEP = 4096
LONG_EVERY = 4
DEFAULT_STEPS = 1200
EVAL_EVERY = 100
PEAK_LR = 3e-3
MIN_LR_FRACTION = 0.1
WARMUP_STEPS = 100
WEIGHT_DECAY = 0.1  # on the attention/MLP matrices only; never on embeddings or norm weights
GRAD_CLIP = 1.0
# Mixture of training windows; every window starts with <|bos|> (which gives the heads a sink).
# Repetition-rich windows make induction (copying) heads form within this small training budget:
# - natural text in which one passage is immediately repeated (the kind of text the sample shows);
# - a string of uniformly random token ids repeated (only copying can predict its second copy; the
#   first copy is not scored, so it does not distort the unigram statistics).
P_REPEAT_PASSAGE = 0.2
P_REPEAT_RANDOM = 0.2

# Attention targets for two heads during the first AUX_STEPS steps (then the language-model loss
# alone trains them). Induction heads need a previous-token head in an earlier layer and a head that
# matches the current token against it; from a random start each half gets almost no gradient until
# the other exists, and on this budget the plateau was never left (docs/demo-model-training.md).
# So for a while one head is told where a previous-token head looks (key i-1) and one head of the
# next layer where an induction head looks (the key after the most recent earlier occurrence of
# the current token, the definition head_scores.cpp scores). What the heads compute to get there,
# and whether the model keeps using them after AUX_STEPS, is left to training.
AUX_STEPS = 300
AUX_WEIGHT = 1.0
PREV_TOKEN_HEAD = (0, 0)  # (layer, head)
INDUCTION_HEAD = (1, 0)

HELDOUT_MAX_BYTES = 30000
THREADS = 2


# =============================== data ===================================================

VERSE_RE = re.compile(r"^([1-3]?[A-Za-z]+)(\d+):(\d+) (.*)$")


def load_bible():
    """All verses as (book, chapter, verse, text), in canonical order, from Debian's bible-kjv."""
    raw = subprocess.check_output(["bible", "-f", "Gen1:1-Rev22:21"]).decode("utf-8")
    verses = []
    for line in raw.splitlines():
        m = VERSE_RE.match(line)
        if not m:
            raise SystemExit(f"unexpected line from `bible`: {line!r}")
        # A few verses carry a double space after a full stop; normalise to one.
        text = re.sub(r"\s+", " ", m.group(4)).strip()
        verses.append((m.group(1), int(m.group(2)), int(m.group(3)), text))
    if len(verses) != 31102:
        raise SystemExit(f"expected 31102 verses from bible-kjv, got {len(verses)}")
    return verses


def join_verses(verses):
    """The text format used everywhere: one verse per line, no references, trailing newline."""
    return "".join(v[3] + "\n" for v in verses)


def split_data(verses):
    """Training text = Genesis..Jude; Revelation is held out entirely (never trained on).

    heldout.txt (used for the reported loss) = the first whole chapters of Revelation that fit in
    HELDOUT_MAX_BYTES; later Revelation chapters feed the induction sample text."""
    train = [v for v in verses if v[0] != "Rev"]
    rev = [v for v in verses if v[0] == "Rev"]
    heldout, size = [], 0
    for chapter in sorted({v[1] for v in rev}):
        chapter_verses = [v for v in rev if v[1] == chapter]
        chapter_size = len(join_verses(chapter_verses).encode())
        if size + chapter_size > HELDOUT_MAX_BYTES:
            break
        heldout += chapter_verses
        size += chapter_size
    rest = [v for v in rev if v not in heldout]
    return train, heldout, rest


def verses_by_ref(verses, book, chapter, first, last):
    return [v for v in verses if v[0] == book and v[1] == chapter and first <= v[2] <= last]


# =============================== tokenizer ==============================================

def train_tokenizer(train_lines):
    """Byte-level BPE (GPT-2 pre-tokenizer regex, no prefix space); BOS prepended on encode()."""
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=VOCAB_SIZE,
        min_frequency=2,
        special_tokens=[BOS_TOKEN, EOS_TOKEN],  # ids 0 and 1
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),  # all 256 bytes: any text encodes
        show_progress=False,
    )
    tok.train_from_iterator(train_lines, trainer=trainer)
    tok.post_processor = processors.TemplateProcessing(
        single=f"{BOS_TOKEN} $A",
        pair=f"{BOS_TOKEN} $A {BOS_TOKEN} $B",
        special_tokens=[(BOS_TOKEN, BOS_ID)],
    )
    assert tok.token_to_id(BOS_TOKEN) == BOS_ID and tok.token_to_id(EOS_TOKEN) == EOS_ID
    assert tok.get_vocab_size() == VOCAB_SIZE, tok.get_vocab_size()
    return tok


# =============================== model ==================================================

class RMSNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def rope_tables(seq_len, dtype):
    """cos/sin as Hugging Face Llama builds them: frequencies duplicated over both halves."""
    inv_freq = 1.0 / (ROPE_THETA ** (torch.arange(0, HEAD_DIM, 2, dtype=torch.int64).float() / HEAD_DIM))
    freqs = torch.outer(torch.arange(seq_len, dtype=torch.float32), inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos().to(dtype), emb.sin().to(dtype)


class Attention(nn.Module):
    def __init__(self):
        super().__init__()
        inner = NUM_HEADS * HEAD_DIM
        self.q_proj = nn.Linear(HIDDEN_SIZE, inner, bias=False)
        self.k_proj = nn.Linear(HIDDEN_SIZE, inner, bias=False)
        self.v_proj = nn.Linear(HIDDEN_SIZE, inner, bias=False)
        self.o_proj = nn.Linear(inner, HIDDEN_SIZE, bias=False)

    def forward(self, x, cos, sin, want_probs=False):
        b, t, _ = x.shape
        q, k, v = (proj(x).view(b, t, NUM_HEADS, HEAD_DIM).transpose(1, 2)
                   for proj in (self.q_proj, self.k_proj, self.v_proj))
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        probs = None
        if want_probs:
            # Explicit softmax: the analysis needs the probabilities themselves.
            scores = (q @ k.transpose(-1, -2)) / math.sqrt(HEAD_DIM)
            causal = torch.ones(t, t, dtype=torch.bool, device=x.device).tril()
            probs = scores.masked_fill(~causal, float("-inf")).softmax(-1)
            out = probs @ v
        else:
            out = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.o_proj(out.transpose(1, 2).reshape(b, t, -1)), probs


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.gate_proj = nn.Linear(HIDDEN_SIZE, INTERMEDIATE_SIZE, bias=False)
        self.up_proj = nn.Linear(HIDDEN_SIZE, INTERMEDIATE_SIZE, bias=False)
        self.down_proj = nn.Linear(INTERMEDIATE_SIZE, HIDDEN_SIZE, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.input_layernorm = RMSNorm(HIDDEN_SIZE, RMS_EPS)
        self.self_attn = Attention()
        self.post_attention_layernorm = RMSNorm(HIDDEN_SIZE, RMS_EPS)
        self.mlp = MLP()

    def forward(self, x, cos, sin, want_probs=False):
        attn_out, probs = self.self_attn(self.input_layernorm(x), cos, sin, want_probs)
        x = x + attn_out
        return x + self.mlp(self.post_attention_layernorm(x)), probs


class DemoLlama(nn.Module):
    """Module names mirror transformers' LlamaForCausalLM so state_dict keys are the HF names."""

    def __init__(self):
        super().__init__()
        self.embed_tokens = nn.Embedding(VOCAB_SIZE, HIDDEN_SIZE)
        self.layers = nn.ModuleList(Block() for _ in range(NUM_LAYERS))
        self.norm = RMSNorm(HIDDEN_SIZE, RMS_EPS)

    def init_weights(self, generator):
        # GPT-2/Llama-style init; residual output projections scaled down by depth so the
        # residual stream starts near unit scale.
        for name, p in self.named_parameters():
            if name.endswith("layernorm.weight") or name == "norm.weight":
                continue
            std = 0.02
            if name.endswith(("o_proj.weight", "down_proj.weight")):
                std = 0.02 / math.sqrt(2 * NUM_LAYERS)
            with torch.no_grad():
                p.copy_(torch.randn(p.shape, generator=generator) * std)

    def forward(self, ids, want_probs=False):
        dtype = self.embed_tokens.weight.dtype
        cos, sin = rope_tables(ids.shape[1], dtype)
        x = self.embed_tokens(ids)
        all_probs = []
        for layer in self.layers:
            x, probs = layer(x, cos, sin, want_probs)
            all_probs.append(probs)
        # Tied embeddings: the output head is the embedding matrix.
        logits = self.norm(x) @ self.embed_tokens.weight.t()
        return logits, (all_probs if want_probs else None)

    def hf_state_dict(self):
        """Tensor names exactly as transformers' LlamaForCausalLM names them (tied: no lm_head)."""
        return {"model." + k: v for k, v in self.state_dict().items()}


# =============================== training ===============================================

IGNORE = -100  # target id that is not scored


class BatchSampler:
    """Deterministic mixture of training windows of seq_len + 1 ids (inputs + shifted targets).

    Returns (ids, targets): targets[i] = ids[i + 1], or IGNORE where the next id is unpredictable
    by construction (the first copy of a random string)."""

    def __init__(self, stream, verse_starts, rng):
        self.stream = stream
        self.verse_starts = verse_starts[verse_starts < len(stream) - 2 * SEQ_LEN - 2]
        self.rng = rng

    def text(self, length):
        start = self.verse_starts[self.rng.integers(len(self.verse_starts))]
        return self.stream[start:start + length]

    def window(self, n):
        u = self.rng.random()
        scored = np.ones(n, dtype=bool)  # scored[i]: is ids[i] a scored target
        if u < P_REPEAT_PASSAGE:
            # BOS + text + P + P + text, P a training passage of 8 .. (n-1)/2 tokens.
            length = int(self.rng.integers(8, (n - 1) // 2 + 1))
            lead = int(self.rng.integers(0, n - 1 - 2 * length + 1))
            passage = self.text(length)
            body = np.concatenate([self.text(lead), passage, passage, self.text(n)])[: n - 1]
        elif u < P_REPEAT_PASSAGE + P_REPEAT_RANDOM:
            # BOS + R + R + R ..., R = 8 .. (n-1)/2 uniformly random ids; the first R is not scored.
            length = int(self.rng.integers(8, (n - 1) // 2 + 1))
            unit = self.rng.integers(2, VOCAB_SIZE, size=length)
            body = np.tile(unit, -(-(n - 1) // length))[: n - 1]
            scored[1:1 + length] = False
        else:
            body = self.text(n - 1)
        ids = np.concatenate([[BOS_ID], body]).astype(np.int64)
        targets = np.where(scored, ids, IGNORE)
        return ids, targets

    def batch(self, seq_len):
        rows = [self.window(seq_len + 1) for _ in range(TOKENS_PER_STEP // seq_len)]
        ids = torch.from_numpy(np.stack([r[0] for r in rows]))
        targets = torch.from_numpy(np.stack([r[1] for r in rows]))
        return ids[:, :-1], targets[:, 1:]


def seq_len_at(step):
    return SEQ_LEN if step % LONG_EVERY == LONG_EVERY - 1 else SHORT_SEQ_LEN


def lr_at(step, total):
    if step < WARMUP_STEPS:
        return PEAK_LR * (step + 1) / WARMUP_STEPS
    progress = (step - WARMUP_STEPS) / max(1, total - WARMUP_STEPS)
    return PEAK_LR * (MIN_LR_FRACTION + (1 - MIN_LR_FRACTION) * 0.5 * (1 + math.cos(math.pi * progress)))


def eval_windows(ids):
    """The evaluation protocol: consecutive non-overlapping windows of at most MAX_POSITIONS ids."""
    return [ids[i:i + MAX_POSITIONS] for i in range(0, len(ids), MAX_POSITIONS)
            if len(ids[i:i + MAX_POSITIONS]) >= 2]


@torch.no_grad()
def evaluate(logits_fn, ids):
    """Mean next-token cross-entropy (nats) over every predicted position of every window."""
    total, count = 0.0, 0
    for window in eval_windows(ids):
        x = torch.tensor([window], dtype=torch.int64)
        logits = logits_fn(x)[0].double()
        total += F.cross_entropy(logits[:-1], x[0, 1:], reduction="sum").item()
        count += len(window) - 1
    return total / count, count


def attention_target_loss(probs, inputs):
    """Mean -log attention on the target key: key i-1 for PREV_TOKEN_HEAD (every query i >= 1), and
    for INDUCTION_HEAD the key after the most recent earlier occurrence of the query's token (queries
    whose token occurred before)."""
    t = inputs.shape[1]
    queries = torch.arange(1, t)
    layer, head = PREV_TOKEN_HEAD
    prev = probs[layer][:, head][:, queries, queries - 1]
    loss = -prev.clamp_min(1e-9).log().mean()
    keys = torch.tensor([last_occurrence_targets(row.tolist()) for row in inputs])
    has_key = keys >= 0
    if has_key.any():
        layer, head = INDUCTION_HEAD
        induction = probs[layer][:, head].gather(2, keys.clamp_min(0).unsqueeze(-1)).squeeze(-1)
        loss = loss - induction[has_key].clamp_min(1e-9).log().mean()
    return loss


def train(model, sampler, steps, heldout_ids, probe_ids, eval_every=EVAL_EVERY):
    decay = [p for n, p in model.named_parameters() if p.dim() == 2 and n != "embed_tokens.weight"]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2 or n == "embed_tokens.weight"]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": WEIGHT_DECAY},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=PEAK_LR, betas=(0.9, 0.95), eps=1e-8)
    model.train()
    t0 = time.time()
    smoothed = None
    for step in range(steps):
        lr = lr_at(step, steps)
        for group in opt.param_groups:
            group["lr"] = lr
        inputs, targets = sampler.batch(seq_len_at(step))
        guided = step < AUX_STEPS
        logits, probs = model(inputs, want_probs=guided)
        loss = F.cross_entropy(logits.reshape(-1, VOCAB_SIZE), targets.reshape(-1), ignore_index=IGNORE)
        if guided:
            loss = loss + AUX_WEIGHT * attention_target_loss(probs, inputs)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), GRAD_CLIP)
        opt.step()
        smoothed = loss.item() if smoothed is None else 0.95 * smoothed + 0.05 * loss.item()
        if step % 50 == 0 or step == steps - 1:
            elapsed = time.time() - t0
            tps = (step + 1) * TOKENS_PER_STEP / elapsed
            print(f"step {step:5d}/{steps}  loss {smoothed:.4f}  lr {lr:.2e}  "
                  f"{elapsed:7.1f}s  {tps:7.0f} tok/s", flush=True)
        if (step + 1) % eval_every == 0 and step + 1 < steps:
            # Forward passes only, no random numbers drawn: does not disturb determinism.
            model.eval()
            val, _ = evaluate(lambda x: model(x)[0], heldout_ids)
            probe = cpp_head_scores(model, probe_ids)
            model.train()
            print(f"step {step + 1:5d}  validation loss {val:.4f} (f32 weights); on the induction sample: "
                  f"best prev-token {max(r['prev_token'] for r in probe):.3f}, "
                  f"BOS {max(r['bos'] for r in probe):.3f}, "
                  f"induction {max(r['induction'] for r in probe):.3f}", flush=True)
    model.eval()
    return time.time() - t0


# =============================== head analysis ==========================================

@torch.no_grad()
def attention_probs(model, ids):
    _, probs = model(torch.tensor([ids], dtype=torch.int64), want_probs=True)
    return [p[0] for p in probs]  # per layer: [heads, T, T]


def last_occurrence_targets(ids):
    """For each query q: j + 1 where j < q is the most recent earlier position holding ids[q], if
    j + 1 < q; else -1. Exactly the induction key of core/src/analysis/head_scores.cpp."""
    last, keys = {}, []
    for q, t in enumerate(ids):
        j = last.get(t)
        keys.append(j + 1 if j is not None and j + 1 < q else -1)
        last[t] = q
    return keys


@torch.no_grad()
def cpp_head_scores(model, ids):
    """Per-head scores with the definitions of attnscope's scoreHead (core/src/analysis/head_scores.cpp),
    so they equal what `attnscope summary` prints for the same ids:
    prev_token = mean over queries q >= 1 of p[q, q-1]; bos = mean over q >= 1 of p[q, 0];
    induction = mean over queries q whose token occurred before (most recent earlier occurrence j,
    j + 1 < q) of p[q, j+1]; entropy = mean row entropy (nats) over all rows;
    entropy_normalized = mean over q >= 1 of row entropy / log(q + 1)."""
    probs = attention_probs(model, ids)
    t = len(ids)
    q = torch.arange(1, t)
    keys = torch.tensor(last_occurrence_targets(ids))
    iq = torch.nonzero(keys >= 0).flatten()
    rows = []
    for layer, p in enumerate(probs):
        p = p.double()
        prev = p[:, q, q - 1].mean(-1)
        bos = p[:, q, 0].mean(-1)
        ent_rows = -(p * torch.log(p.clamp_min(1e-300))).sum(-1)  # [heads, T]; masked zeros add 0
        entropy = ent_rows.mean(-1)
        norm_entropy = (ent_rows[:, 1:] / torch.log(q.double() + 1)).mean(-1)
        induction = p[:, iq, keys[iq]].mean(-1) if len(iq) else torch.zeros(NUM_HEADS, dtype=torch.float64)
        for head in range(NUM_HEADS):
            rows.append({"layer": layer, "head": head,
                         "prev_token": round(prev[head].item(), 4),
                         "bos": round(bos[head].item(), 4),
                         "induction": round(induction[head].item(), 4),
                         "entropy": round(entropy[head].item(), 4),
                         "entropy_normalized": round(norm_entropy[head].item(), 4)})
    return rows


@torch.no_grad()
def random_induction(model, random_len=200, random_trials=8):
    """[layers, heads]: on BOS + R + R (R = random ids), mean attention from the 2nd occurrence of
    R[j] to the 1st occurrence of R[j+1]."""
    rng = np.random.default_rng(SEED + 7)
    score = torch.zeros(NUM_LAYERS, NUM_HEADS, dtype=torch.float64)
    for _ in range(random_trials):
        unit = rng.integers(2, VOCAB_SIZE, size=random_len)
        probs = attention_probs(model, [BOS_ID] + list(unit) + list(unit))
        qs = torch.arange(1 + random_len, 2 * random_len)
        ks = qs - random_len + 1
        for layer, p in enumerate(probs):
            score[layer] += p[:, qs, ks].double().mean(-1) / random_trials
    return score


def head_scores(model, sample_ids):
    rows = cpp_head_scores(model, sample_ids)
    rand = random_induction(model)
    for r in rows:
        r["induction_random"] = round(rand[r["layer"], r["head"]].item(), 4)
    return rows


def classify_heads(rows):
    """Name the heads whose behaviour is clear-cut (thresholds chosen to be unambiguous)."""
    roles = {
        "previous_token": sorted((r for r in rows if r["prev_token"] >= 0.5),
                                 key=lambda r: -r["prev_token"]),
        "bos_sink": sorted((r for r in rows if r["bos"] >= 0.5), key=lambda r: -r["bos"]),
        "induction": sorted((r for r in rows if r["induction"] >= 0.3), key=lambda r: -r["induction"]),
        "broad_averaging": sorted((r for r in rows if r["entropy_normalized"] >= 0.6
                                   and r["bos"] < 0.3), key=lambda r: -r["entropy_normalized"]),
    }
    return {k: [f"L{r['layer']}H{r['head']}" for r in v] for k, v in roles.items()}


def format_table(rows):
    lines = ["| layer | head | prev-token | BOS (first token) | induction | induction (random) | "
             "entropy (nats) | entropy / log(i+1) |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['layer']} | {r['head']} | {r['prev_token']:.3f} | {r['bos']:.3f} | "
                     f"{r['induction']:.3f} | {r['induction_random']:.3f} | {r['entropy']:.3f} | "
                     f"{r['entropy_normalized']:.3f} |")
    return "\n".join(lines)


# =============================== saving and verification ================================

def hf_config():
    return {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "attention_bias": False,
        "attention_dropout": 0.0,
        "bos_token_id": BOS_ID,
        "eos_token_id": EOS_ID,
        "head_dim": HEAD_DIM,
        "hidden_act": "silu",
        "hidden_size": HIDDEN_SIZE,
        "initializer_range": 0.02,
        "intermediate_size": INTERMEDIATE_SIZE,
        "max_position_embeddings": MAX_POSITIONS,
        "mlp_bias": False,
        "num_attention_heads": NUM_HEADS,
        "num_hidden_layers": NUM_LAYERS,
        "num_key_value_heads": NUM_HEADS,
        "pretraining_tp": 1,
        "rms_norm_eps": RMS_EPS,
        "rope_scaling": None,
        "rope_theta": ROPE_THETA,
        # transformers >= 5 reads RoPE settings from here; older versions read rope_theta.
        "rope_parameters": {"rope_type": "default", "rope_theta": ROPE_THETA},
        "tie_word_embeddings": True,
        "torch_dtype": "float16",
        "use_cache": True,
        "vocab_size": VOCAB_SIZE,
    }


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def verify_with_transformers(out_dir, heldout_text, expected_loss):
    """Load the folder with the stock HF classes; its held-out loss must equal ours."""
    from transformers import LlamaForCausalLM

    tok = Tokenizer.from_file(os.path.join(out_dir, "tokenizer.json"))
    ids = tok.encode(heldout_text).ids
    hf = LlamaForCausalLM.from_pretrained(out_dir, dtype=torch.float32, attn_implementation="eager")
    hf.eval()
    loss, _ = evaluate(lambda x: hf(input_ids=x).logits, ids)
    rel = abs(loss - expected_loss) / expected_loss
    print(f"transformers LlamaForCausalLM (f32) held-out loss {loss:.6f}  vs ours {expected_loss:.6f}"
          f"  rel diff {rel:.2e}")
    if rel > 1e-4:
        raise SystemExit("HF folder does not reproduce the script's own evaluation")
    return loss


# =============================== main ===================================================

def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=DEFAULT_STEPS)
    parser.add_argument("--out-dir", default=os.path.join(REPO_DIR, "assets", "models", "demo"))
    parser.add_argument("--samples-dir", default=os.path.join(REPO_DIR, "assets", "samples"))
    parser.add_argument("--eval-every", type=int, default=EVAL_EVERY,
                        help="held-out loss and head probe every N steps (forward only: same weights)")
    parser.add_argument("--time-note", default="",
                        help="text appended to the measured training time in the README (e.g. the load)")
    parser.add_argument("--reuse-weights", action="store_true",
                        help="skip training: re-run evaluation, analysis, samples and README on the "
                             "model.safetensors already in --out-dir (it must come from --steps N)")
    parser.add_argument("--train-seconds", type=float,
                        help="with --reuse-weights: the training time to report (default: training.json)")
    args = parser.parse_args()

    random.seed(SEED)
    np.random.seed(SEED)
    torch.manual_seed(SEED)
    torch.set_num_threads(THREADS)
    torch.set_num_interop_threads(1)
    torch.use_deterministic_algorithms(True)
    os.makedirs(args.out_dir, exist_ok=True)
    os.makedirs(args.samples_dir, exist_ok=True)

    verses = load_bible()
    train_verses, heldout_verses, rest_verses = split_data(verses)
    train_lines = [v[3] + "\n" for v in train_verses]
    heldout_text = join_verses(heldout_verses)
    print(f"verses: {len(train_verses)} train (Genesis..Jude), {len(heldout_verses)} held out "
          f"(Revelation {heldout_verses[0][1]}-{heldout_verses[-1][1]}, {len(heldout_text.encode())} bytes)")

    t0 = time.time()
    tok = train_tokenizer(train_lines)
    tok_path = os.path.join(args.out_dir, "tokenizer.json")
    tok.save(tok_path)
    tok = Tokenizer.from_file(tok_path)  # use the file as saved, like every consumer will
    print(f"tokenizer trained in {time.time() - t0:.1f}s, sha256 {sha256(tok_path)[:16]}")

    # Per-verse encoding concatenated == encoding the whole text (the pre-tokenizer splits at "\n"),
    # and gives the verse starts for BOS-initial windows.
    encoded = tok.encode_batch(train_lines, add_special_tokens=False)
    lengths = np.array([len(e.ids) for e in encoded])
    stream = np.concatenate([np.array(e.ids, dtype=np.int64) for e in encoded])
    verse_starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    heldout_ids = tok.encode(heldout_text).ids
    assert heldout_ids[0] == BOS_ID
    print(f"training stream {len(stream)} tokens ({sum(len(l) for l in train_lines) / len(stream):.2f} "
          f"bytes/token); held-out {len(heldout_ids)} tokens incl. BOS")

    model = DemoLlama()
    model.init_weights(torch.Generator().manual_seed(SEED))
    n_params = sum(p.numel() for p in model.parameters())
    print(f"model: {NUM_LAYERS} layers, {NUM_HEADS} heads x {HEAD_DIM}, d_model {HIDDEN_SIZE}, "
          f"ffn {INTERMEDIATE_SIZE}, vocab {VOCAB_SIZE}, tied; {n_params} parameters")

    st_path = os.path.join(args.out_dir, "model.safetensors")
    training_path = os.path.join(args.out_dir, "training.json")
    tokens_seen = args.steps * TOKENS_PER_STEP
    n_long = sum(1 for step in range(args.steps) if seq_len_at(step) == SEQ_LEN)
    sample_text = induction_sample_text(rest_verses, tok)
    sample_ids = tok.encode(sample_text).ids
    assert len(sample_ids) <= MAX_POSITIONS
    if args.reuse_weights:
        # Analysis-only rerun (e.g. after editing the README text): the weights stay as trained.
        from safetensors.torch import load_file
        state16 = load_file(st_path)
        train_seconds = args.train_seconds
        if train_seconds is None:
            with open(training_path) as f:
                train_seconds = json.load(f)["seconds"]
    else:
        sampler = BatchSampler(stream, verse_starts, np.random.default_rng(SEED))
        train_seconds = train(model, sampler, args.steps, heldout_ids, sample_ids, args.eval_every)
        # Save in f16; evaluate and analyse the weights as saved (rounded), not the f32 originals.
        state16 = {k: v.detach().to(torch.float16).contiguous() for k, v in model.hf_state_dict().items()}
        save_file(state16, st_path, metadata={"format": "pt"})
    print(f"training: {args.steps} steps, {tokens_seen} tokens, {train_seconds:.1f}s "
          f"({train_seconds / 60:.1f} min) on {THREADS} threads")
    write_json(training_path, {
        "steps": args.steps, "tokens_per_step": TOKENS_PER_STEP, "seq_len": SEQ_LEN,
        "short_seq_len": SHORT_SEQ_LEN, "long_steps": n_long, "tokens": tokens_seen,
        "seconds": round(train_seconds, 1), "threads": THREADS, "seed": SEED,
        "torch": torch.__version__, "tokenizers": __import__("tokenizers").__version__,
        "model_safetensors_sha256": sha256(st_path)})
    write_json(os.path.join(args.out_dir, "config.json"), hf_config())
    write_json(os.path.join(args.out_dir, "generation_config.json"),
               {"bos_token_id": BOS_ID, "eos_token_id": EOS_ID})
    write_json(os.path.join(args.out_dir, "tokenizer_config.json"), {
        "tokenizer_class": "PreTrainedTokenizerFast", "bos_token": BOS_TOKEN, "eos_token": EOS_TOKEN,
        "add_bos_token": True, "model_max_length": MAX_POSITIONS, "clean_up_tokenization_spaces": False})
    with open(os.path.join(args.out_dir, "heldout.txt"), "w") as f:
        f.write(heldout_text)

    saved = DemoLlama().double()
    saved.load_state_dict({k[len("model."):]: v.double() for k, v in state16.items()})
    saved.eval()
    saved32 = DemoLlama()
    saved32.load_state_dict({k[len("model."):]: v.float() for k, v in state16.items()})
    saved32.eval()
    loss64, predicted = evaluate(lambda x: saved(x)[0], heldout_ids)
    loss32, _ = evaluate(lambda x: saved32(x)[0], heldout_ids)
    print(f"held-out loss (saved f16 weights, f64 compute) {loss64:.6f} nats, perplexity "
          f"{math.exp(loss64):.4f}; f32 compute {loss32:.6f}; {predicted} predicted positions")
    protocol = (
        "Tokenize the whole of heldout.txt with tokenizer.json (encode with the post-processor, which "
        f"prepends <|bos|> = id {BOS_ID}; no EOS). Split the id sequence into consecutive "
        f"non-overlapping windows of {MAX_POSITIONS} ids (the last one shorter; a window of 1 id is "
        "dropped); only the first window starts with the BOS, later windows start mid-text, each "
        "window is an independent forward pass from position 0. In every window predict ids 1..n-1 "
        "from the prefix; loss = sum of next-token cross-entropies (natural log) over all predicted "
        "positions of all windows / number of predicted positions; perplexity = exp(loss). "
        "Weights are the f16 values of model.safetensors; the reference numbers were computed in float64.")
    n_windows = len(eval_windows(heldout_ids))
    write_json(os.path.join(args.out_dir, "eval.json"), {
        "text_file": "heldout.txt",
        "tokens": len(heldout_ids),
        "predicted": predicted,
        "windows": n_windows,
        "window": MAX_POSITIONS,
        "loss": round(loss64, 8),
        "perplexity": round(math.exp(loss64), 6),
        "loss_float32": round(loss32, 8),
        "protocol": protocol,
    })

    # Head analysis on the saved weights (float64), on the induction sample (the text that
    # `attnscope summary` and the C++ golden test score).
    rows = head_scores(saved, sample_ids)
    roles = classify_heads(rows)
    table = format_table(rows)
    print(table)
    print("roles:", json.dumps(roles))

    # In-context copying, measured as loss: second copy of a random token string vs the first.
    rng = np.random.default_rng(SEED + 11)
    unit = rng.integers(2, VOCAB_SIZE, size=200)
    seq = torch.tensor([[BOS_ID] + list(unit) + list(unit)])
    with torch.no_grad():
        nll = F.cross_entropy(saved(seq)[0][0, :-1], seq[0, 1:], reduction="none")
    copy_first, copy_second = nll[:200].mean().item(), nll[201:].mean().item()
    print(f"random tokens repeated: loss first copy {copy_first:.3f}, second copy {copy_second:.3f} nats")

    write_json(os.path.join(args.out_dir, "head_scores.json"), {
        "definitions": {
            "text": "assets/samples/induction.txt (%d ids incl. BOS); the definitions are those of "
                    "core/src/analysis/head_scores.cpp, so `attnscope summary demo` prints the same numbers"
                    % len(sample_ids),
            "prev_token": "mean attention from query i to key i-1, i >= 1",
            "bos": "mean attention from query i to key 0 (the BOS), i >= 1 (summary: first-token)",
            "induction": "mean over queries i whose token occurred earlier (most recent earlier occurrence j, "
                         "j+1 < i) of the attention from i to j+1",
            "entropy": "mean over all queries i >= 0 of the attention row entropy in nats",
            "entropy_normalized": "mean over queries i >= 1 of row entropy / log(i+1) (1 = uniform over the prefix)",
            "induction_random": "BOS + R + R with R = 200 uniform random ids in [2, 4096) (8 draws, numpy "
                                "default_rng(%d)): mean attention from the 2nd occurrence of R[j] to the 1st "
                                "occurrence of R[j+1], j = 0..198" % (SEED + 7),
        },
        "roles": roles,
        "copying_loss_random_repeat": {"first_copy": round(copy_first, 4), "second_copy": round(copy_second, 4)},
        "heads": rows,
    })

    sample_tokens = write_samples(args.samples_dir, verses, sample_text, tok)
    write_readme(args.out_dir, dict(offerings_tokens=sample_tokens["twelve_offerings.txt"],
        n_params=n_params, steps=args.steps, n_long=n_long, sample_tokens=len(sample_ids), tokens_seen=tokens_seen, train_seconds=train_seconds,
        stream_tokens=len(stream), heldout_tokens=len(heldout_ids), heldout_verses=heldout_verses,
        loss=loss64, loss32=loss32, time_note=args.time_note, predicted=predicted, windows=n_windows, protocol=protocol, table=table,
        roles=roles, rows=rows, copy=(copy_first, copy_second)))

    hf_loss = verify_with_transformers(args.out_dir, heldout_text, loss32)
    print(f"verified: transformers reproduces the held-out loss ({hf_loss:.6f})")
    for name in sorted(os.listdir(args.out_dir)):
        path = os.path.join(args.out_dir, name)
        if not os.path.isfile(path):
            continue  # predictors/ (written by tools/fit_demo_predictors.sh, not by this script)
        print(f"  {name:24s} {os.path.getsize(path):9d} bytes  sha256 {sha256(path)[:16]}")


def induction_sample_text(rest_verses, tok):
    """Induction sample: passages of 3 verses from the unseen end of Revelation, each followed by
    an exact repeat, as many as fit in one context window (MAX_POSITIONS ids incl. BOS), so that
    `attnscope summary` scores it whole and the golden test scores exactly this text."""
    chunks, total = [], 1
    rest_by_chapter = {}
    for v in rest_verses:
        rest_by_chapter.setdefault(v[1], []).append(v)
    for chapter in sorted(rest_by_chapter, reverse=True):
        chapter_verses = rest_by_chapter[chapter]
        for i in range(0, len(chapter_verses), 3):
            passage = join_verses(chapter_verses[i:i + 3])
            n = len(tok.encode(passage, add_special_tokens=False).ids)
            if n > 140 or total + 2 * n > MAX_POSITIONS:
                continue
            chunks.append(passage + passage)
            total += 2 * n
    text = "".join(chunks)
    assert len(tok.encode(text).ids) == total
    return text


def write_samples(samples_dir, verses, induction_text, tok):
    """Small public-domain sample texts for the GUI and CLI; returns {file name: tokens incl. BOS}."""
    short = join_verses(verses_by_ref(verses, "Ge", 1, 1, 3))
    psalm = join_verses(verses_by_ref(verses, "Psa", 23, 1, 6))
    # About 2,300 tokens of naturally repeated passages: the twelve princes' offerings, one passage of
    # six verses told twelve times with only the day, the name and the tribe changed. Longer than the
    # context: it shows induction over long inputs (the GUI's long-input path, `--allow-overflow`).
    offerings = join_verses(verses_by_ref(verses, "Num", 7, 1, 83))
    counts = {}
    for name, text in (("short.txt", short), ("psalm23.txt", psalm), ("induction.txt", induction_text),
                       ("twelve_offerings.txt", offerings)):
        with open(os.path.join(samples_dir, name), "w") as f:
            f.write(text)
        counts[name] = len(tok.encode(text).ids)
        print(f"sample {name}: {counts[name]} tokens incl. BOS")
    return counts


def write_readme(out_dir, r):
    hv = r["heldout_verses"]
    roles = r["roles"]
    by_name = {f"L{x['layer']}H{x['head']}": x for x in r["rows"]}

    def describe(role, key, limit=6):
        names = roles[role][:limit]
        if not names:
            return "none above the threshold"
        return ", ".join(f"{n} ({by_name[n][key]:.2f})" for n in names)

    missing = [name for role, name in (("previous_token", "previous-token"), ("bos_sink", "BOS sink"),
                                       ("induction", "induction")) if not roles[role]]
    if not missing:
        status = "Previous-token, BOS sink and induction heads are all present (named above)."
    else:
        status = ("Status: after {} steps no head reaches the {} threshold; the heads named above are "
                  "the ones that do.").format(r["steps"], " / ".join(missing))

    text = f"""# attnscope demo model

A small Llama-architecture causal language model that the attnscope project trained from scratch
on the King James Bible, so that `attnscope` with no arguments opens on a real model whose
attention has recognisable structure. Produced by `tools/train_demo_model.py` (deterministic:
rerunning it with 2 torch threads and the same library versions rewrites these files bit for bit).

## Files
- `config.json`: standard Hugging Face Llama config (`model_type` "llama", `LlamaForCausalLM`).
- `model.safetensors`: f16 weights with Hugging Face tensor names (`model.embed_tokens.weight`,
  `model.layers.N.self_attn.{{q,k,v,o}}_proj.weight`, `model.layers.N.mlp.{{gate,up,down}}_proj.weight`,
  `model.layers.N.{{input,post_attention}}_layernorm.weight`, `model.norm.weight`). Embeddings are
  tied: there is no `lm_head.weight`, the output head is `model.embed_tokens.weight`.
- `tokenizer.json`: byte-level BPE (Hugging Face `tokenizers`), plus `tokenizer_config.json` and
  `generation_config.json` for `transformers`' Auto classes.
- `heldout.txt`: the held-out text used for the reported loss; `eval.json`: the reference result.
- `head_scores.json`: per-head behaviour scores (definitions inside).
- `training.json`: steps, tokens, measured training time, library versions, weights hash.

The folder loads unchanged with `transformers.LlamaForCausalLM.from_pretrained`; the training
script checks that its held-out loss equals the script's own evaluation.

## Architecture
| | |
|---|---|
| layers | {NUM_LAYERS} |
| attention heads | {NUM_HEADS} (no GQA: `num_key_value_heads` = {NUM_HEADS}) |
| head_dim | {HEAD_DIM} |
| hidden size | {HIDDEN_SIZE} |
| MLP | SwiGLU, intermediate size {INTERMEDIATE_SIZE} |
| norm | RMSNorm (pre-norm), eps {RMS_EPS} |
| positions | RoPE, Hugging Face rotate_half convention (pairs (i, i+{HEAD_DIM // 2})), theta {ROPE_THETA:g} |
| context | {MAX_POSITIONS} (`max_position_embeddings`) |
| vocabulary | {VOCAB_SIZE}; `<|bos|>` = {BOS_ID} (BOS), `<|eos|>` = {EOS_ID} (EOS, unused in training) |
| embeddings | tied input/output |
| biases | none |
| parameters | {r['n_params']:,} |
| dtype | float16 |

## Tokenizer
Byte-level BPE trained by the same script on the training text: `ByteLevel` pre-tokenizer with the
GPT-2 regex and `add_prefix_space=false`, `ByteLevel` decoder, all 256 byte symbols in the initial
alphabet, special tokens `<|bos|>` (0) and `<|eos|>` (1), min frequency 2. The post-processor is a
`TemplateProcessing` that prepends `<|bos|>`, so `encode()` adds BOS; no EOS is appended.

## Data
Source: the King James Version of the Bible as shipped by Debian's `bible-kjv` / `bible-kjv-text`
packages (4.38), printed with `bible -f "Gen1:1-Rev22:21"`. The text is in the public domain
(the Debian package's copyright file states the KJV text is public domain; Crown letters patent on
the KJV apply only in the United Kingdom). The verse references (`Ge1:1`, ...) are stripped, runs of
whitespace collapsed to one space, and each verse is one line ending in `\\n`.

- Training: Genesis to Jude ({r['stream_tokens']:,} tokens).
- Held out: all of Revelation (never trained on, nor used to train the tokenizer). `heldout.txt`
  is Revelation {hv[0][1]}:1 to {hv[-1][1]}:{hv[-1][2]} ({r['heldout_tokens']:,} tokens incl. BOS);
  the later chapters provide `assets/samples/induction.txt`: passages of three verses, each followed by
  an exact repeat, {r['sample_tokens']} tokens incl. BOS (one context window, so `attnscope summary` scores it whole).

## Training
Plain PyTorch module (module names = HF names), float32, AdamW (betas 0.9/0.95, weight decay
{WEIGHT_DECAY} on the attention and MLP matrices, none on embeddings and norm weights), peak learning rate
{PEAK_LR:g}, {WARMUP_STEPS} warm-up steps then cosine decay to {MIN_LR_FRACTION:g}x, gradient clipping {GRAD_CLIP:g},
{TOKENS_PER_STEP} tokens per step: {TOKENS_PER_STEP // SHORT_SEQ_LEN} windows of {SHORT_SEQ_LEN} tokens, except every {LONG_EVERY}th step
({r['n_long']} of {r['steps']}) {TOKENS_PER_STEP // SEQ_LEN} windows of the full {SEQ_LEN} so every position of the context is trained.
{r['steps']} steps, {r['tokens_seen']:,} tokens (about {r['tokens_seen'] / r['stream_tokens']:.1f} passes over the training text).
Measured training time: {r['train_seconds'] / 60:.1f} min on 2 CPU threads{r['time_note']}. Seed {SEED} for everything.

Training windows are drawn from a fixed-seed mixture; every window starts with `<|bos|>`:
- {100 * (1 - P_REPEAT_PASSAGE - P_REPEAT_RANDOM):.0f}%: `<|bos|>` followed by text from a random verse start;
- {100 * P_REPEAT_PASSAGE:.0f}%: `<|bos|>`, text, then a training passage of 8 tokens to half the window
  immediately repeated, then text;
- {100 * P_REPEAT_RANDOM:.0f}%: `<|bos|>` then a string of 8 tokens to half the window of uniformly random ids,
  repeated to fill the window; the first copy is not scored (it cannot be predicted).

The repeated windows are there on purpose: they reward induction (copying) heads, which natural
text alone rewards only weakly in so small a training budget.

Attention targets for two heads during the first {AUX_STEPS} steps. With the mixture alone no
induction head formed within the budget (the previous model and the experiments in
`docs/demo-model-training.md`: an induction head needs a previous-token head in an earlier layer and
a head that matches against it, and neither half gets a useful gradient before the other exists).
So for the first {AUX_STEPS} steps the loss adds, with weight {AUX_WEIGHT:g}, the mean -log attention of
head L{PREV_TOKEN_HEAD[0]}H{PREV_TOKEN_HEAD[1]} on key i-1 and of head L{INDUCTION_HEAD[0]}H{INDUCTION_HEAD[1]} on the key after the most recent
earlier occurrence of the query's token (the induction key as `head_scores.cpp` defines it), over
every training window. Only where the two heads look is targeted: their value/output weights, the
query/key circuits that find those keys, and every other head are trained by the language-model loss
alone, and from step {AUX_STEPS} on the two heads' attention too. The copying loss below shows that the
induction head is used: the model predicts the second copy of a random string it has never seen.

## Samples (`assets/samples/`, all King James Bible text, public domain, written by the same script)
- `short.txt`: Genesis 1:1-3.
- `psalm23.txt`: Psalm 23.
- `induction.txt`: unseen Revelation passages of three verses, each immediately repeated; one context
  window ({r['sample_tokens']} tokens incl. BOS). The text of the head scores below and of the golden test.
- `twelve_offerings.txt`: Numbers 7:1-83, the twelve princes' offerings: one six-verse passage told
  twelve times with only the day, the name and the tribe changed ({r['offerings_tokens']:,} tokens incl. BOS,
  longer than the context: `--allow-overflow` or the first {MAX_POSITIONS} tokens).

## Evaluation (reproduced by `attnscope eval demo --text-file heldout.txt`)
{r['protocol']}

Result: loss **{r['loss']:.6f}** nats, perplexity **{math.exp(r['loss']):.4f}** over {r['predicted']:,} predicted
positions in {r['windows']} windows ({r['heldout_tokens']:,} tokens). Float32 compute gives {r['loss32']:.6f}.
(`eval.json`: `tokens` = ids in the encoded file incl. BOS, `predicted` = scored positions.)

## Heads
Scores computed by the training script on the saved f16 weights (float64), on
`assets/samples/induction.txt` ({r['sample_tokens']} tokens), with the definitions of
`core/src/analysis/head_scores.cpp`, so `attnscope summary demo` prints the same numbers:
- prev-token: mean attention from query i to key i-1 (i >= 1).
- BOS (summary: first-token): mean attention from query i to key 0, the `<|bos|>` (i >= 1).
- induction: over the queries i whose token occurred earlier, with j its most recent earlier
  occurrence (j+1 < i), the mean attention from i to j+1, the token that followed it.
- induction (random): on `<|bos|>` + R + R, R = 200 uniformly random ids (8 draws), the same
  attention from the second occurrence of R[j] to R[j+1] in the first copy (pure copying).
- entropy: mean attention-row entropy in nats; normalised: divided by log(i+1) (i >= 1), so 1
  means uniform over the whole prefix.

Notable heads (LlayerHhead, 0-based):
- previous-token heads (prev-token >= 0.5): {describe('previous_token', 'prev_token')}
- BOS sink heads (BOS >= 0.5): {describe('bos_sink', 'bos')}
- induction heads (induction >= 0.3): {describe('induction', 'induction')}
- broad averaging heads (normalised entropy >= 0.6, BOS < 0.3): {describe('broad_averaging', 'entropy_normalized')}

{status}

In-context copying measured as loss: on 200 random ids repeated once, the mean next-token loss is
{r['copy'][0]:.2f} nats on the first copy and {r['copy'][1]:.2f} nats on the second (a model that copies
scores far lower on the second).

{r['table']}

## Licence
The text is public domain. The weights and tokenizer were derived from it by the attnscope project
(tools/train_demo_model.py) and are distributed under the licence of the attnscope repository.
"""
    with open(os.path.join(out_dir, "README.md"), "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()

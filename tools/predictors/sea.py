"""SEA's learned estimator (Lee et al. 2024; research/variants.md §3.1 steps 1-5, §3.3 recipe 3),
fitted per layer on a frozen model by distillation against dense attention.

Per layer, for head h and query i of a causal model (the C++ forward is
core/src/attention/learned_sea.cpp and must compute the same numbers):

  Performer weights  w_ij = φ(q_i)·φ(k_j), j ≤ i, with FAVOR+ positive features
                     φ(x) = exp(ω x' − |x'|²/2 − c) / √m, x' = √s x, keys centred by their mean
                     over the sequence; ω [H, m, d] is drawn once (orthogonal Gaussian rows) and
                     stored, so C++ uses the same features; c (query row max, one key max) cancels.
  context            C_i = Σ_j w_ij [P_j ‖ v_j] / Σ_j w_ij   (P: learned position table, SEA's
                     causal E = P)                                                          [2d]
  encoder            t_i = GELU(LayerNorm(W_enc [C_i ‖ v_i ‖ P_i] + b_enc))   shared by heads [2d]
  decoder            z_i = W_dec[h] t_i + b_dec[h]                                          [tm]
  estimate           p_i = softmax of z_i over the cells row i uses; key j of row i lies in
                     cell(i, j) = floor((2j + 1)·tm / (2 L_i)), L_i = i + 1 (SEA's stretch rule).

Deviations from the paper (documented in docs/variants.md): the decoder is a per-head linear map in
place of the head-mixing CNN (the CNN's cost and training time do not fit the minutes budget); the
encoder also sees the query's own position row P_i (without it a row-relative cell means different
keys for short rows and the linear decoder cannot tell them apart); the row scalers σ(g) and the
average-context mix are not fitted (the variant keeps SEA-tf's exact attention on the kept keys, so
only the mask changes between the two modes). Loss: KL(A_cells ‖ p) per row, A_cells = the dense
probabilities pooled into the row's cells; this equals SEA's KL on the stretched estimate up to a
constant (the stretch is uniform within a cell). SEA's MSE term on stretched probabilities is
omitted: at per-key scale it is orders of magnitude below the KL.
"""

import math
import time

import torch

from .fitting import adam_fit, full_windows, rows_kl

DEFAULTS = {
    "tm": 128,          # compressed width T_M (cells per row)
    "features": 64,     # Performer features m
    "steps": 200,       # Adam steps per layer
    "lr": 3e-3,
    "windows_per_step": 1,
}


def orthogonal_features(m, d, generator):
    """FAVOR+ orthogonal random features: blocks of d orthonormal rows scaled by chi_d norms."""
    rows = []
    for start in range(0, m, d):
        gaussian = torch.randn(d, d, generator=generator, dtype=torch.float64)
        q, _ = torch.linalg.qr(gaussian)
        count = min(d, m - start)
        norms = torch.randn(count, d, generator=generator, dtype=torch.float64).norm(dim=1)
        rows.append(q.T[:count] * norms[:, None])
    return torch.cat(rows).float()


def performer_weights(q, k, omega, scale):
    """Normalised causal Performer weights [B, H, N, N] (row i sums to 1 over j ≤ i).

    q, k [B, H, N, d]; omega [H, m, d]. Quadratic here (N ≤ a few hundred in the fit); the C++
    forward uses prefix sums, which give the same numbers up to rounding."""
    m = omega.shape[1]
    root = math.sqrt(scale)
    k = k - k.mean(dim=2, keepdim=True)
    qlog = torch.einsum("bhnd,hmd->bhnm", q, omega) * root - 0.5 * scale * (q * q).sum(-1, keepdim=True)
    klog = torch.einsum("bhnd,hmd->bhnm", k, omega) * root - 0.5 * scale * (k * k).sum(-1, keepdim=True)
    qlog = qlog - qlog.amax(dim=-1, keepdim=True)
    klog = klog - klog.amax(dim=(2, 3), keepdim=True)
    phi_q = torch.exp(qlog) / math.sqrt(m)
    phi_k = torch.exp(klog) / math.sqrt(m)
    weights = phi_q @ phi_k.transpose(-1, -2)
    n = q.shape[2]
    causal = torch.ones(n, n, dtype=torch.bool).tril()
    weights = weights.masked_fill(~causal, 0.0)
    return weights / weights.sum(-1, keepdim=True)


def cell_index(n, tm):
    """cell(i, j) = floor((2j + 1)·tm / (2(i + 1))) for j ≤ i, else -1: [N, N] int64."""
    i = torch.arange(n)[:, None]
    j = torch.arange(n)[None, :]
    cells = torch.div((2 * j + 1) * tm, 2 * (i + 1), rounding_mode="floor")
    return torch.where(j <= i, cells, torch.full_like(cells, -1))


def used_cells(cells, tm):
    """[N, tm] bool: the cells row i's keys fall into."""
    n = cells.shape[0]
    used = torch.zeros(n, tm + 1, dtype=torch.bool)
    used.scatter_(1, torch.where(cells < 0, tm, cells), True)
    return used[:, :tm]


class LayerEstimator(torch.nn.Module):
    def __init__(self, heads, d, tm, maxpos, omega):
        super().__init__()
        self.register_buffer("omega", omega)
        self.pos = torch.nn.Parameter(torch.randn(maxpos, d) * 0.5)
        self.enc = torch.nn.Linear(4 * d, 2 * d)
        self.norm = torch.nn.LayerNorm(2 * d)
        self.dec_weight = torch.nn.Parameter(torch.randn(heads, tm, 2 * d) * (0.5 / math.sqrt(2 * d)))
        self.dec_bias = torch.nn.Parameter(torch.zeros(heads, tm))

    def file_tensors(self):
        """The tensors of one layer in the predictor file (names without the layers.L. prefix)."""
        return {"omega": self.omega, "pos": self.pos, "enc.weight": self.enc.weight, "enc.bias": self.enc.bias,
                "norm.weight": self.norm.weight, "norm.bias": self.norm.bias, "dec.weight": self.dec_weight,
                "dec.bias": self.dec_bias}

    def load_file_tensors(self, tensors):
        with torch.no_grad():
            for name, tensor in self.file_tensors().items():
                tensor.copy_(tensors[name])

    def forward(self, weights, v, used):
        """weights [B,H,N,N] normalised Performer weights, v [B,H,N,d], used [N,tm] → log p [B,H,N,tm]."""
        n = v.shape[2]
        pos = self.pos[:n].expand(v.shape[0], v.shape[1], n, -1)
        context = weights @ torch.cat([pos, v], dim=-1)
        hidden = torch.nn.functional.gelu(self.norm(self.enc(torch.cat([context, v, pos], dim=-1))))
        logits = torch.einsum("bhnc,htc->bhnt", hidden, self.dec_weight) + self.dec_bias[None, :, None, :]
        logits = logits.masked_fill(~used, float("-inf"))
        return torch.log_softmax(logits, dim=-1)


def dense_cells(q, k, scale, cells, tm):
    """Dense causal probabilities pooled into the row's cells: [B, H, N, tm]."""
    n = q.shape[2]
    from .capture import dense_probabilities
    probs = dense_probabilities(q, k, scale).float()
    index = torch.where(cells < 0, tm, cells).expand(q.shape[0], q.shape[1], n, n)
    pooled = torch.zeros(q.shape[0], q.shape[1], n, tm + 1)
    pooled.scatter_add_(3, index, probs)
    return pooled[..., :tm]


def fit(captures, options):
    """captures: tools/predictors/capture.py Captures (causal). Returns (tensors, metadata)."""
    tm, m = options["tm"], options["features"]
    heads, d = captures.n_heads, captures.head_dim
    n, picked = full_windows(captures)
    generator = torch.Generator().manual_seed(options["seed"])
    cells = cell_index(n, tm)
    used = used_cells(cells, tm)
    uniform = torch.log(used.float() / used.sum(-1, keepdim=True).float())
    tensors = {}
    losses, start_losses, uniform_losses = [], [], []
    for layer in range(captures.n_layers):
        started = time.time()
        scale = captures.scales[layer]
        windows = [captures.layer(layer)[index] for index in picked]
        q = torch.stack([w.q for w in windows]).float()
        k = torch.stack([captures.expand_kv(w.k) for w in windows]).float()
        v = torch.stack([captures.expand_kv(w.v) for w in windows]).float()
        omega = torch.stack([orthogonal_features(m, d, generator) for _ in range(heads)])
        torch.manual_seed(options["seed"] * 1000 + layer)
        model = LayerEstimator(heads, d, tm, n, omega)
        with torch.no_grad():
            weights = performer_weights(q, k, omega, scale)
            target = dense_cells(q, k, scale, cells, tm)

        def per_head_loss():
            with torch.no_grad():
                return rows_kl(target, model(weights, v, used)).mean(dim=(0, 2))

        uniform_losses.append(rows_kl(target, uniform.expand_as(target)).mean(dim=(0, 2)).tolist())
        start_losses.append(per_head_loss().tolist())
        adam_fit(model, lambda batch: rows_kl(target[batch], model(weights[batch], v[batch], used)).mean(),
                 len(windows), options, generator)
        losses.append(per_head_loss().tolist())
        for name, tensor in model.file_tensors().items():
            tensors[f"layers.{layer}.{name}"] = tensor.detach().contiguous()
        print(f"sea layer {layer}: cell KL {sum(start_losses[-1]) / heads:.4f} (start) -> "
              f"{sum(losses[-1]) / heads:.4f} after {options['steps']} steps (uniform over used cells "
              f"{sum(uniform_losses[-1]) / heads:.4f}), {time.time() - started:.1f} s")
    from .capture import loss_table
    return tensors, {
        "tm": str(tm),
        "features": str(m),
        "max_positions": str(n),
        "fit_windows": str(len(picked)),
        "fit_loss": loss_table(losses),
        "fit_loss_kind": "KL(dense probabilities pooled into the row's cells || estimate), mean over rows (calibration)",
        "start_loss": loss_table(start_losses),
        "uniform_loss": loss_table(uniform_losses),
    }


def forward_cells(tensors, layer, q, k, v, scale, tm):
    """The estimator's cell probabilities [H, N, tm] for one sequence, in q's dtype (fixtures)."""
    prefix = f"layers.{layer}."
    heads, n, d = q.shape
    model = LayerEstimator(heads, d, tm, tensors[prefix + "pos"].shape[0], tensors[prefix + "omega"]).to(q.dtype)
    model.load_file_tensors({name[len(prefix):]: t for name, t in tensors.items() if name.startswith(prefix)})
    with torch.no_grad():
        cells = cell_index(n, tm)
        weights = performer_weights(q[None], k[None], model.omega, scale)
        return model(weights, v[None], used_cells(cells, tm))[0].exp()

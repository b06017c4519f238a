"""SBM-Transformer (Cho et al. 2022) learned graph model, fitted to a frozen model.

Parametrisation (the paper's, research/variants.md §5.1, code/attention_sbm.py): per layer one MLP
shared by all heads, Linear(d, d) -> ReLU -> Linear(d, d), applied to the queries and keys (after
RoPE, before the softmax scale); per query head cluster embeddings C_h [k, d].
    memberships  Q^ = sigmoid(MLP(q) C_h^T), K^ = sigmoid(MLP(k) C_h^T)          [N, k]
    block matrix B_h = softmax over all k^2 entries of C_h C_h^T                  [k, k]
    expected graph P = Q^ B_h K^^T                                                [N, N]
Fit (§5.3 recipe 2, "SBM-fit"): the model frozen, the mask sampled M ~ Bernoulli(P + floor) and
trained through the paper's straight-through estimator (backward dL/dP = hardtanh(M * dL/dM)) on
    loss = mean_rows [ -sum_{j<=i} A_ij M_ij + density_weight * sum_{j<=i} M_ij / L_i ]
(the dense attention mass the sampled mask keeps, minus the paper's density penalty taken per row;
A = dense attention of the frozen model, which replaces the paper's task loss). With the penalty
per row and density_weight = 1 a key is pushed up exactly when its attention beats the row's mean
1/L_i; with the paper's global density (sum M / allowed pairs) raising a whole short row pays, and
on the demo model that fit learned row levels instead of which keys matter (recall fell below a
random mask's). Adam, a few hundred steps.
At run time attnscope scales P to the requested density (the same calibration as the
training-free mode), so only the shape of P matters there.
fit_loss per layer/head = 1 - mean row recall of the dense mass on the top ceil(0.1 * L_i) keys
of each row ranked by P (calibration text): how much mass the learned graph misses at 10% density.

Tensors (float32): layers.<L>.clusters [nHeads, k, d]; layers.<L>.mlp.0.weight [d, d],
mlp.0.bias [d], mlp.2.weight [d, d], mlp.2.bias [d] (torch Linear layout: y = x W^T + b).
"""
import math
import time

import torch

DEFAULTS = {
    "clusters": 16,          # k, the training-free mode's default
    "steps": 100,
    "lr": 0.003,
    "density_weight": 1.0,   # lambda; a key gains when A_ij > lambda / L_i (the row's mean attention)
    "floor": 0.01,           # exploration floor added to P before sampling (the paper's +0.01)
    "windows_per_step": 2,
    "eval_density": 0.1,     # the density of the reported recall
}


class SampleWithStraightThrough(torch.autograd.Function):
    """M ~ Bernoulli(clamp(P + floor, 0, 1)); backward: grad_P = hardtanh(M * grad_M)."""

    @staticmethod
    def forward(ctx, probabilities, floor, generator):
        mask = torch.bernoulli((probabilities + floor).clamp(0.0, 1.0), generator=generator)
        ctx.save_for_backward(mask)
        return mask

    @staticmethod
    def backward(ctx, grad):
        (mask,) = ctx.saved_tensors
        return torch.nn.functional.hardtanh(mask * grad), None, None


def new_mlp(d):
    return torch.nn.Sequential(torch.nn.Linear(d, d), torch.nn.ReLU(), torch.nn.Linear(d, d))


def memberships(x, mlp, clusters):
    """sigmoid(MLP(x) C^T): x [H, N, d], clusters [H, k, d] -> [H, N, k]."""
    return torch.sigmoid(mlp(x) @ clusters.transpose(-1, -2))


def block_matrix(clusters):
    """softmax over all k^2 entries of C C^T: [H, k, d] -> [H, k, k]."""
    affinity = clusters @ clusters.transpose(-1, -2)
    h, k, _ = affinity.shape
    return torch.softmax(affinity.reshape(h, k * k), dim=-1).reshape(h, k, k)


def expected_graph(q, k, mlp, clusters):
    """P = Q^ B K^^T: q, k [H, N, d] -> [H, N, N] (no mask applied)."""
    return memberships(q, mlp, clusters) @ block_matrix(clusters) @ memberships(k, mlp, clusters).transpose(-1, -2)


def top_fraction_recall(p, dense, fraction):
    """Mean row recall of dense mass on the top ceil(fraction * L_i) keys of each row by p (causal)."""
    n = p.shape[-1]
    mask = torch.ones(n, n, dtype=torch.bool).tril()
    ranked = p.masked_fill(~mask, float("-inf")).argsort(dim=-1, descending=True, stable=True)
    counts = torch.ceil(fraction * torch.arange(1, n + 1, dtype=torch.float64) - 1e-9).long()
    keep = torch.arange(n).unsqueeze(0) < counts.unsqueeze(1)          # [N, N] by rank position
    kept_mass = (torch.gather(dense, -1, ranked) * keep).sum(-1)       # [H, N]
    return kept_mass.mean(-1)


def fit(captures, options):
    from .capture import dense_probabilities, loss_table
    d = captures.head_dim
    k = options["clusters"]
    generator = torch.Generator().manual_seed(options["seed"])
    tensors = {}
    losses = []
    for layer in range(captures.n_layers):
        started = time.time()
        scale = captures.scales[layer]
        torch.manual_seed(options["seed"] * 1000 + layer)
        mlp = new_mlp(d)
        clusters = torch.nn.Parameter(torch.empty(captures.n_heads, k, d))
        torch.nn.init.kaiming_normal_(clusters)
        optimiser = torch.optim.Adam(list(mlp.parameters()) + [clusters], lr=options["lr"])
        prepared = []
        for window in captures.layer(layer):
            q = window.q
            kk = captures.expand_kv(window.k)
            dense = dense_probabilities(q, kk, scale).float()
            n = q.shape[1]
            mask = torch.ones(n, n, dtype=torch.bool).tril()
            prepared.append((q, kk, dense, mask))
        per_step = max(1, min(options["windows_per_step"], len(prepared)))
        for _ in range(options["steps"]):
            picks = torch.randperm(len(prepared), generator=generator)[:per_step].tolist()
            optimiser.zero_grad()
            loss = 0.0
            for index in picks:
                q, kk, dense, mask = prepared[index]
                p = expected_graph(q, kk, mlp, clusters)
                sampled = SampleWithStraightThrough.apply(p, options["floor"], generator) * mask
                recall = (dense * sampled).sum(-1).mean(-1)                        # [H]
                density = (sampled.sum(-1) / mask.sum(-1)).mean(-1)                # [H], per-row fractions
                loss = loss + (-recall + options["density_weight"] * density).sum() / len(picks)
            loss.backward()
            optimiser.step()
        with torch.no_grad():
            recall = torch.zeros(captures.n_heads, dtype=torch.float64)
            for q, kk, dense, mask in prepared:
                recall += top_fraction_recall(expected_graph(q, kk, mlp, clusters).double(), dense.double(),
                                              options["eval_density"])
            recall /= len(prepared)
        losses.append((1.0 - recall).tolist())
        tensors[f"layers.{layer}.clusters"] = clusters.detach()
        tensors[f"layers.{layer}.mlp.0.weight"] = mlp[0].weight.detach()
        tensors[f"layers.{layer}.mlp.0.bias"] = mlp[0].bias.detach()
        tensors[f"layers.{layer}.mlp.2.weight"] = mlp[2].weight.detach()
        tensors[f"layers.{layer}.mlp.2.bias"] = mlp[2].bias.detach()
        print(f"sbm layer {layer}: missed mass at density {options['eval_density']} by P: "
              f"{1.0 - recall.mean():.4f} after {options['steps']} steps, {time.time() - started:.1f} s")
    return tensors, {"clusters": str(k), "fit_loss": loss_table(losses),
                     "fit_loss_kind": f"1 - dense mass recall of the top {options['eval_density']} of each row by P "
                                      "(calibration)"}

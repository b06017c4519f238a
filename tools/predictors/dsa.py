"""DSA (Liu et al. 2021) learned prediction path: per layer and query head, rank-r projections
P_q, P_k [d, r] such that the predicted scores s.(q P_q).(k P_k) match the true scores s.q.k.

Fit (research/variants.md §2.2 and §2.4): the paper trains the prediction path with an MSE term
between predicted and true scores. We minimise that MSE over the allowed (causal) pairs of the
calibration text, up to a per-row constant (a row constant does not change which keys a row's
top-k keeps, so the row-centred MSE is the objective that matters for selection):
    loss_h = mean_rows mean_{j<=i} ((S~_ij - mean_j S~_ij) - (S_ij - mean_j S_ij))^2
Initialised with the closed-form optimum of the unmasked linear problem (Σ_q^{1/2} Σ_k^{1/2} SVD,
centred key covariance, §2.4 recipe 2), then refined by full-batch Adam on the masked objective.
fit_loss = the final loss divided by the mean row variance of the true scores (0 = perfect
ranking information, 1 = no better than a constant), per layer and head.

Tensors: layers.<L>.query_proj and layers.<L>.key_proj, float32 [nHeads, headDim, rank] (the key
projection is per query head: with GQA, head h projects the keys of its KV head).
At run time attnscope quantises q~ and k~ to `bits` as in the training-free mode.
"""
import time

import torch

DEFAULTS = {
    "rank": 0,          # 0: max(1, head_dim // 4), as the training-free mode
    "steps": 150,       # Adam steps per layer (all heads at once); the closed form is a good start
    "lr": 0.01,
    "ridge": 1e-3,      # relative ridge on the covariances of the closed-form start
    "windows_per_step": 2,
}


def predicted_scores(q, k, query_proj, key_proj, scale):
    """s.(q P_q).(k P_k)^T for every pair: q, k [H, N, d], projections [H, d, r] -> [H, N, N]."""
    return scale * ((q @ query_proj) @ (k @ key_proj).transpose(-1, -2))


def _centred_error(predicted, true, mask, counts):
    """Per head: mean over rows of the mean squared difference of row-centred scores."""
    def centre(scores):
        scores = scores.masked_fill(~mask, 0.0)
        return (scores - scores.sum(-1, keepdim=True) / counts).masked_fill(~mask, 0.0)
    diff = centre(predicted) - centre(true)
    return ((diff * diff).sum(-1) / counts.squeeze(-1)).mean(-1)


def _row_variance(true, mask, counts):
    scores = true.masked_fill(~mask, 0.0)
    centred = (scores - scores.sum(-1, keepdim=True) / counts).masked_fill(~mask, 0.0)
    return ((centred * centred).sum(-1) / counts.squeeze(-1)).mean(-1)


def _inverse_sqrt_and_sqrt(cov, ridge):
    eigenvalues, vectors = torch.linalg.eigh(cov)
    eigenvalues = eigenvalues.clamp_min(0) + ridge * eigenvalues.clamp_min(0).mean().clamp_min(1e-12)
    return (vectors * eigenvalues.rsqrt()) @ vectors.T, (vectors * eigenvalues.sqrt()) @ vectors.T


def closed_form(q_all, k_all, rank, ridge):
    """The rank-r optimum of E||Q W K^T - Q K^T||^2 (unmasked) as factors P_q, P_k [d, r]."""
    sigma_q = (q_all.T @ q_all) / q_all.shape[0]
    k_centred = k_all - k_all.mean(0, keepdim=True)
    sigma_k = (k_centred.T @ k_centred) / k_all.shape[0]
    inv_q, root_q = _inverse_sqrt_and_sqrt(sigma_q, ridge)
    inv_k, root_k = _inverse_sqrt_and_sqrt(sigma_k, ridge)
    u, s, vt = torch.linalg.svd(root_q @ root_k)
    root_s = s[:rank].sqrt()
    return inv_q @ (u[:, :rank] * root_s), inv_k @ (vt[:rank].T * root_s)


def fit(captures, options):
    d = captures.head_dim
    rank = options["rank"] or max(1, d // 4)
    if rank > d:
        raise SystemExit(f"dsa: rank {rank} exceeds head_dim {d}")
    generator = torch.Generator().manual_seed(options["seed"])
    tensors = {}
    losses = []
    for layer in range(captures.n_layers):
        started = time.time()
        scale = captures.scales[layer]
        windows = captures.layer(layer)
        # Adam in float32 (twice as fast on the CPU); the closed form and the reported loss in float64.
        qs = [w.q for w in windows]
        ks = [captures.expand_kv(w.k) for w in windows]
        q_all = torch.cat(qs, dim=1).double()  # [H, T, d]
        k_all = torch.cat(ks, dim=1).double()
        starts = [closed_form(q_all[h], k_all[h], rank, options["ridge"]) for h in range(captures.n_heads)]
        query_proj = torch.stack([s[0] for s in starts]).float().requires_grad_(True)
        key_proj = torch.stack([s[1] for s in starts]).float().requires_grad_(True)
        prepared = []
        for q, k in zip(qs, ks):
            n = q.shape[1]
            mask = torch.ones(n, n, dtype=torch.bool).tril()
            counts = mask.sum(-1, keepdim=True).float()
            true = scale * (q @ k.transpose(-1, -2))
            prepared.append((q, k, true, mask, counts))
        optimiser = torch.optim.Adam([query_proj, key_proj], lr=options["lr"])

        def full_loss():
            with torch.no_grad():
                error = torch.zeros(captures.n_heads, dtype=torch.float64)
                variance = torch.zeros(captures.n_heads, dtype=torch.float64)
                for q, k, true, mask, counts in prepared:
                    q, k, true, counts = q.double(), k.double(), true.double(), counts.double()
                    predicted = predicted_scores(q, k, query_proj.double(), key_proj.double(), scale)
                    error += _centred_error(predicted, true, mask, counts)
                    variance += _row_variance(true, mask, counts)
                return error / variance

        start_loss = full_loss()
        per_step = max(1, min(options["windows_per_step"], len(prepared)))
        for _ in range(options["steps"]):
            picks = torch.randperm(len(prepared), generator=generator)[:per_step].tolist()
            optimiser.zero_grad()
            loss = 0.0
            for index in picks:
                q, k, true, mask, counts = prepared[index]
                loss = loss + _centred_error(predicted_scores(q, k, query_proj, key_proj, scale), true, mask,
                                             counts).sum() / len(picks)
            loss.backward()
            optimiser.step()
        final = full_loss()
        losses.append(final.tolist())
        tensors[f"layers.{layer}.query_proj"] = query_proj.detach().float()
        tensors[f"layers.{layer}.key_proj"] = key_proj.detach().float()
        print(f"dsa layer {layer}: relative centred MSE {start_loss.mean():.4f} (closed form) -> "
              f"{final.mean():.4f} after {options['steps']} steps, {time.time() - started:.1f} s")
    from .capture import loss_table
    return tensors, {"rank": str(rank), "fit_loss": loss_table(losses),
                     "fit_loss_kind": "row-centred score MSE / row variance of the true scores (calibration)"}

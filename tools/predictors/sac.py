"""SAC's learned edge predictor (Li et al. 2020; research/variants.md §1.2, §1.4 recipe 1), one LSTM
pointer per layer and head ("head-adaptive"), fitted by imitation on a frozen model.

For head h of a layer (the C++ forward is core/src/attention/learned_sac.cpp and must compute the
same numbers):

  node embedding   e_j = W_e [q_j ‖ k_j] + b_e                                   [dp]
  LSTM             (h_j, c_j) = LSTM(e_j, h_{j-1}, c_{j-1}), h_{-1} = c_{-1} = 0  [dh]
                   gates = W_ih e_j + W_hh h_{j-1} + b (PyTorch's order: input, forget, cell, output)
  pointer query    r_i = W_o [h_i ‖ e_i] + b_o                                   [dp]
  edge logit       l_ij = r_i · (e_j + D[min(i − j, Dmax)]),  j ≤ i (D: distance encodings)
  row policy       p_ij = softmax_j l_ij over the row's allowed keys.

The variant then keeps the global top-(α·N) pairs by log p_ij, as SAC's proxy and oracle modes do
with their scores (core/src/attention/variant_sac.cpp).

Imitation: the oracle's edges are the global top-(α·N) of the dense probabilities A, so the policy
is taught the dense rows, loss = mean over rows of KL(A_i ‖ p_i) (cross-entropy against the oracle's
row distribution; rows stay comparable across the sequence, which a global budget needs).
Deviations: the paper decodes edges one at a time with an alternating source/target pointer trained
by REINFORCE on the task loss; here the LSTM reads the sequence once (one state per source node),
every source scores all its candidate targets at once, and REINFORCE is not run. The node features
are [q ‖ k] of the frozen model's head (the paper feeds layer inputs).
"""

import math
import time

import torch

from .fitting import adam_fit, full_windows, rows_kl

DEFAULTS = {
    "dp": 0,         # node / pointer width; 0 = max(1, head_dim // 4), the proxy's rank (same scoring cost)
    "dh": 32,        # LSTM state width
    "dmax": 64,      # distance encoding clip
    "steps": 60,     # Adam steps per layer, all heads of the layer together
    "lr": 1e-2,
    "windows_per_step": 1,
}


class LayerPointer(torch.nn.Module):
    """All heads of one layer, each with its own weights. The recurrence runs in torch.nn.LSTM (one
    per head: its loop is native code, a Python loop over 512 steps would dominate the fit)."""

    def __init__(self, heads, d, dp, dh, dmax):
        super().__init__()
        self.dh = dh
        self.embed_weight = torch.nn.Parameter(torch.randn(heads, dp, 2 * d) / math.sqrt(2 * d))
        self.embed_bias = torch.nn.Parameter(torch.zeros(heads, dp))
        self.lstms = torch.nn.ModuleList(torch.nn.LSTM(dp, dh, batch_first=True) for _ in range(heads))
        self.out_weight = torch.nn.Parameter(torch.randn(heads, dp, dh + dp) / math.sqrt(dh + dp))
        self.out_bias = torch.nn.Parameter(torch.zeros(heads, dp))
        self.distance = torch.nn.Parameter(torch.zeros(heads, dmax + 1, dp))

    def file_tensors(self):
        """The tensors of the predictor file (LSTM weights stacked over heads, one summed bias)."""
        return {
            "embed_weight": self.embed_weight, "embed_bias": self.embed_bias,
            "w_ih": torch.stack([lstm.weight_ih_l0 for lstm in self.lstms]),
            "w_hh": torch.stack([lstm.weight_hh_l0 for lstm in self.lstms]),
            "lstm_bias": torch.stack([lstm.bias_ih_l0 + lstm.bias_hh_l0 for lstm in self.lstms]),
            "out_weight": self.out_weight, "out_bias": self.out_bias, "distance": self.distance,
        }

    def load_file_tensors(self, tensors):
        with torch.no_grad():
            for name in ("embed_weight", "embed_bias", "out_weight", "out_bias", "distance"):
                getattr(self, name).copy_(tensors[name])
            for head, lstm in enumerate(self.lstms):
                lstm.weight_ih_l0.copy_(tensors["w_ih"][head])
                lstm.weight_hh_l0.copy_(tensors["w_hh"][head])
                lstm.bias_ih_l0.copy_(tensors["lstm_bias"][head])
                lstm.bias_hh_l0.zero_()

    def forward(self, q, k):
        """q, k [B, H, N, d] → row log-probabilities [B, H, N, N] (-inf outside j ≤ i)."""
        batch, heads, n, _ = q.shape
        dmax = self.distance.shape[1] - 1
        nodes = torch.einsum("bhnx,hpx->bhnp", torch.cat([q, k], dim=-1), self.embed_weight) + self.embed_bias[:, None, :]
        states = torch.stack([self.lstms[head](nodes[:, head])[0] for head in range(heads)], dim=1)
        queries = torch.einsum("bhnx,hpx->bhnp", torch.cat([states, nodes], dim=-1), self.out_weight) + self.out_bias[:, None, :]
        logits = queries @ nodes.transpose(-1, -2)
        distance = torch.arange(n)[:, None] - torch.arange(n)[None, :]
        by_distance = torch.einsum("bhnp,hdp->bhnd", queries, self.distance)
        index = distance.clamp(0, dmax).expand(batch, heads, n, n)
        logits = logits + torch.gather(by_distance, 3, index)
        logits = logits.masked_fill(distance < 0, float("-inf"))
        return torch.log_softmax(logits, dim=-1)


def dense_probabilities(q, k, scale):
    from .capture import dense_probabilities as exact
    return exact(q, k, scale).float()


def fit(captures, options):
    """captures: tools/predictors/capture.py Captures (causal). Returns (tensors, metadata)."""
    heads, d = captures.n_heads, captures.head_dim
    dp, dh, dmax = options["dp"] or max(1, d // 4), options["dh"], options["dmax"]
    n, picked = full_windows(captures)
    generator = torch.Generator().manual_seed(options["seed"])
    tensors = {}
    losses, start_losses = [], []
    for layer in range(captures.n_layers):
        started = time.time()
        scale = captures.scales[layer]
        windows = [captures.layer(layer)[index] for index in picked]
        q = torch.stack([w.q for w in windows]).float()
        k = torch.stack([captures.expand_kv(w.k) for w in windows]).float()
        torch.manual_seed(options["seed"] * 1000 + layer)
        model = LayerPointer(heads, d, dp, dh, dmax)
        target = dense_probabilities(q, k, scale)

        def per_head_loss():
            with torch.no_grad():
                return torch.cat([rows_kl(target[b:b + 1], model(q[b:b + 1], k[b:b + 1]))
                                  for b in range(len(windows))]).mean(dim=(0, 2))

        start_losses.append(per_head_loss().tolist())
        adam_fit(model, lambda batch: rows_kl(target[batch], model(q[batch], k[batch])).mean(), len(windows),
                 options, generator)
        losses.append(per_head_loss().tolist())
        prefix = f"layers.{layer}."
        for name, tensor in model.file_tensors().items():
            tensors[prefix + name] = tensor.detach().contiguous()
        print(f"sac layer {layer}: row KL {sum(start_losses[-1]) / heads:.4f} (start) -> "
              f"{sum(losses[-1]) / heads:.4f} after {options['steps']} steps, {time.time() - started:.1f} s")
    from .capture import loss_table
    return tensors, {
        "dp": str(dp),
        "dh": str(dh),
        "dmax": str(dmax),
        "fit_windows": str(len(picked)),
        "fit_loss": loss_table(losses),
        "fit_loss_kind": "KL(dense row || policy row), mean over rows (calibration)",
        "start_loss": loss_table(start_losses),
    }


def forward_log_probabilities(tensors, layer, q, k):
    """The fitted policy's row log-probabilities [H, N, N] for one sequence (fixture generation)."""
    prefix = f"layers.{layer}."
    heads, _, d = q.shape
    dp = tensors[prefix + "embed_bias"].shape[1]
    dh = tensors[prefix + "w_hh"].shape[2]
    dmax = tensors[prefix + "distance"].shape[1] - 1
    model = LayerPointer(heads, d, dp, dh, dmax).to(q.dtype)
    model.load_file_tensors({name[len(prefix):]: t for name, t in tensors.items() if name.startswith(prefix)})
    with torch.no_grad():
        return model(q[None], k[None])[0]

"""Pieces the distillation fits of sea.py and sac.py share: which windows to batch, the row KL, and
the Adam loop over random minibatches of windows."""
import torch


def full_windows(captures):
    """The windows of the most common length (all but a short last one): the fits batch them.
    Returns (N, indices of those windows)."""
    lengths = [int(w.ids.numel()) for w in captures.windows]
    n = max(set(lengths), key=lambda length: (lengths.count(length), length))
    return n, [index for index, length in enumerate(lengths) if length == n]


def rows_kl(target, log_p):
    """KL(target ‖ p) per row (last axis summed): [..., N]. Entries with zero target contribute 0,
    so p may be -inf there (masked cells or keys)."""
    safe = torch.where(target > 0, target, torch.ones_like(target))
    terms = torch.where(target > 0, target * (torch.log(safe) - log_p), torch.zeros_like(target))
    return terms.sum(-1)


def adam_fit(model, batch_loss, count, options, generator):
    """options["steps"] Adam steps (lr options["lr"]), each on options["windows_per_step"] windows
    drawn from `count` with `generator`; batch_loss(indices) returns the scalar loss of a batch."""
    optimiser = torch.optim.Adam(model.parameters(), lr=options["lr"])
    per_step = max(1, min(options["windows_per_step"], count))
    for _ in range(options["steps"]):
        batch = torch.randperm(count, generator=generator)[:per_step]
        optimiser.zero_grad()
        loss = batch_loss(batch)
        loss.backward()
        optimiser.step()

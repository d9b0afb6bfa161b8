"""`train_dataloader` (03_training.ipynb): a shuffling DataLoader of batch size 100 over NeuralNetData(X, Y);
observes its settings, its first rows, its number of batches and the shapes of its first batch."""

from __future__ import annotations

import torch

from autograder.checks.kernel.api import call, need, plain, type_name
from autograder.checks.kernel.neural_nets.training._shared import _pair


def observe(ns):
    from torch.utils.data import DataLoader, RandomSampler

    loader = need(ns, "train_dataloader", DataLoader)
    x, y = need(ns, "X", torch.Tensor), need(ns, "Y", torch.Tensor)
    with torch.random.fork_rng(devices=[]):
        length = call("len(train_dataloader.dataset)", len, loader.dataset)
        items = call("train_dataloader.dataset[i]", lambda: [_pair(loader.dataset[i]) for i in range(3)])
        n_batches = call("len(train_dataloader)", len, loader)
        batch = call("next(iter(train_dataloader))", lambda: next(iter(loader)))
    pair = isinstance(batch, (tuple, list)) and len(batch) == 2 and all(isinstance(v, torch.Tensor) for v in batch)
    return {
        "batch_size": loader.batch_size,
        "shuffle": isinstance(loader.sampler, RandomSampler),
        "sampler": type_name(loader.sampler),
        "len": length,
        "n_X": len(x),
        "items": items,
        "n_batches": n_batches,
        "batch_shapes": [[int(d) for d in v.shape] for v in batch] if pair else None,
        "X": plain(x[:3]),
        "Y": plain(y[:3]),
    }

"""`NeuralNetData` (03_training.ipynb): a Dataset of (X[i], Y[i]) float pairs; observes its length, an item and
the batches a DataLoader draws from it, on hidden data."""

from __future__ import annotations

import torch

from autograder.checks.kernel.api import call, need
from autograder.checks.kernel.neural_nets.training._shared import _pair

SEED_DATASET = 30_104


def _dataset_inputs() -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(SEED_DATASET)
    return (
        torch.randn(37, 2, generator=generator, dtype=torch.float64),
        torch.randn(37, 1, generator=generator, dtype=torch.float64),
    )


def observe(ns):
    from torch.utils.data import DataLoader, Dataset

    cls = need(ns, "NeuralNetData", type, "the class NeuralNetData")
    x, y = _dataset_inputs()
    with torch.random.fork_rng(devices=[]):
        dataset = call("NeuralNetData", cls, x.clone(), y.clone())
        length = call("len(NeuralNetData(...))", len, dataset)
        item = _pair(call("NeuralNetData(...)[i]", lambda: dataset[5]))
        loader = DataLoader(dataset, batch_size=10, shuffle=False)
        batches = call("a DataLoader over NeuralNetData", lambda: [_pair(b) for b in loader])
    return {"dataset": isinstance(dataset, Dataset), "len": length, "item": item, "batches": batches}

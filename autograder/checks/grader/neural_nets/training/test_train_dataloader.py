"""`train_dataloader` (03_training.ipynb): a shuffling DataLoader of batch size 100 over the training rows (X, Y),
every row in some batch, batches of shape (100, 1)."""

from __future__ import annotations

import math

from autograder.checks.grader.api import expect
from autograder.checks.grader.neural_nets.training._shared import _close


def test_train_dataloader(obs):
    expect(
        obs["batch_size"] == 100,
        f"train_dataloader's batch size is {obs['batch_size']}: the lecture uses batch_size=100.",
    )
    expect(
        obs["shuffle"],
        f"train_dataloader does not shuffle (its sampler is a {obs['sampler']}): pass shuffle=True, "
        "so that every epoch sees the rows in a new order.",
    )
    expect(
        obs["len"] == obs["n_X"],
        f"train_dataloader's dataset has {obs['len']} rows but X has {obs['n_X']}: build it from the "
        "training data only, NeuralNetData(X, Y).",
    )
    for item, x_row, y_row in zip(obs["items"], obs["X"], obs["Y"]):
        expect(
            item["ok"]
            and _close(item["values"][0].reshape(-1), x_row.reshape(-1).float())
            and _close(item["values"][1].reshape(-1), y_row.reshape(-1).float()),
            "train_dataloader's dataset does not hold the training rows (X, Y) in their order: "
            "build it with NeuralNetData(X, Y).",
        )
    expected = math.ceil(obs["n_X"] / 100)
    expect(
        obs["n_batches"] == expected,
        f"train_dataloader gives {obs['n_batches']} batches for the {obs['n_X']} rows of X; batches of 100 "
        f"rows give {expected}: keep every row (no drop_last=True), so that an epoch sees all the training data.",
    )
    shapes = obs["batch_shapes"]
    expect(
        shapes == [[100, 1], [100, 1]],
        "train_dataloader's batches are "
        + (f"of shapes {tuple(shapes[0])} and {tuple(shapes[1])}" if shapes else "not pairs (X batch, Y batch)")
        + ": they should be (100, 1) and (100, 1), one row per example and one column, as X and Y have "
        "after the unsqueeze cell: build it with NeuralNetData(X, Y).",
    )

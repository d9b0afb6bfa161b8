"""`train_dataloader` (03_training.ipynb): a shuffling DataLoader of batch size 100 over the training rows (X, Y)."""

from __future__ import annotations

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

"""`NeuralNetData` (03_training.ipynb): a torch Dataset whose items are the float pairs (X[i], Y[i]), in order."""

from __future__ import annotations

import math

import torch

from autograder.checks.grader.api import expect
from autograder.checks.grader.neural_nets.training._shared import _close
from autograder.checks.kernel.neural_nets.training import NeuralNetData as kernel


def test_NeuralNetData(obs):
    x, y = kernel._dataset_inputs()
    expect(obs["dataset"], "NeuralNetData should inherit from torch.utils.data.Dataset.")
    expect(
        obs["len"] == len(x),
        "len(NeuralNetData(X, Y)) is not the number of rows of X: __len__ should return len(self.X).",
    )
    item = obs["item"]
    expect(
        item["ok"],
        f"NeuralNetData(X, Y)[i] returned a {item.get('type')}: it should return the pair (X[i], Y[i]) of tensors.",
    )
    expect(
        item["dtypes"] == ["torch.float32", "torch.float32"],
        f"NeuralNetData(X, Y)[i] returned tensors of dtype {item['dtypes'][0]} and {item['dtypes'][1]}: "
        "return float tensors, self.X[idx].float(), self.Y[idx].float() (the network's weights are float32).",
    )
    x_item, y_item = item["values"]
    expect(
        x_item.shape == x[5].shape and y_item.shape == y[5].shape,
        "NeuralNetData(X, Y)[i] should return row i of X and row i of Y (shapes "
        "(features,) and (outputs,) for 2-D data).",
    )
    expect(
        _close(x_item, x[5].float()) and _close(y_item, y[5].float()),
        "NeuralNetData(X, Y)[i] does not return (X[i], Y[i]).",
    )
    batches = obs["batches"]
    expect(all(b["ok"] for b in batches), "A DataLoader over NeuralNetData did not give (X batch, Y batch) pairs.")
    expect(
        len(batches) == math.ceil(len(x) / 10) and batches[0]["values"][0].shape == (10, x.shape[1]),
        "A DataLoader with batch_size=10 over NeuralNetData(X, Y) did not give batches of 10 rows.",
    )
    expect(
        _close(torch.cat([b["values"][0] for b in batches]), x.float())
        and _close(torch.cat([b["values"][1] for b in batches]), y.float()),
        "A DataLoader (without shuffling) over NeuralNetData(X, Y) did not give back the rows of X and Y in order.",
    )

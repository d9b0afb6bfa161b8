"""`best_state` (03_training.ipynb): best_epoch and best_state belong to the lowest validation loss, and
neural_net holds best_state."""

from __future__ import annotations

import math

import torch

from autograder.checks.grader.api import close, expect
from autograder.checks.grader.neural_nets.training._shared import _predict
from autograder.checks.kernel.neural_nets.training._shared import _column


def test_best_state(obs):
    losses = obs["Losses_valid"]
    expect(
        losses and all(isinstance(v, float) for v in losses),
        "Losses_valid should hold the validation loss of every epoch, as numbers.",
    )
    lowest = min(losses)
    best_epoch = losses.index(lowest) + 1
    expect(
        obs["best_epoch"] == best_epoch,
        "best_epoch is not the epoch of the lowest validation loss in Losses_valid (epochs count from 1): "
        "check keep_best.",
    )
    x_valid, y_valid = _column(obs["X_valid"]), _column(obs["Y_valid"])
    expect(x_valid is not None and y_valid is not None, "X_valid and Y_valid should be (N, 1) tensors.")
    prediction = _predict(obs["best_state"], x_valid, "best_state").reshape(-1)
    mse = float(torch.mean((prediction.float() - y_valid.float()) ** 2))
    expect(
        math.isclose(mse, lowest, rel_tol=1e-4, abs_tol=1e-6),
        "The validation loss of best_state is not the lowest entry of Losses_valid: keep_best should store "
        "a copy of the parameters (copy.deepcopy(model.state_dict())) in the epoch it records.",
    )
    state = obs["state"]
    expect(
        set(state) == set(obs["best_state"]) and all(close(state[k], obs["best_state"][k], atol=0.0) for k in state),
        "neural_net does not hold best_state: load it with neural_net.load_state_dict(best_state) before the test MSE.",
    )

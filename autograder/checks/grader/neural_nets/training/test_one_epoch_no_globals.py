"""`one_epoch_no_globals` (03_training.ipynb): one_epoch assigns no global and reads no global variable."""

from __future__ import annotations

from autograder.checks.grader.api import expect


def test_one_epoch_no_globals(obs):
    assigned = obs["assigned"]
    expect(
        not assigned,
        f"one_epoch assigns to the global variable(s) {', '.join(assigned)} (a `global` statement): "
        "a function should take what it needs as arguments and give results back with return. "
        "Count the epochs in the training loop, not inside one_epoch.",
    )
    variables = [name for name, kind in obs["read"].items() if kind in ("variable", "undefined")]
    expect(
        not variables,
        f"one_epoch reads the global variable(s) {', '.join(variables)}: use only its arguments "
        "(train_dataloader, X_valid, Y_valid, model, optim, Losses, Losses_valid), and modules such as torch.",
    )

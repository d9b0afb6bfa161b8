"""`test_mse` (03_training.ipynb): the MSE of neural_net on held-out test rows (X_test, Y_test of shape (rows, 1)),
computed right and below 1.5 × the noise variance."""

from __future__ import annotations

import math

import torch

from autograder.checks.grader.api import expect
from autograder.checks.grader.neural_nets.training._shared import _course_data, _match_rows, _predict, _split_sizes
from autograder.checks.kernel.neural_nets.training._shared import _column


def test_test_mse(obs):
    data = _course_data()
    n = len(data["x"])
    expected_rows = _split_sizes(n)[2]
    x_test, y_test = _column(obs["X_test"]), _column(obs["Y_test"])
    expect(
        x_test is not None and y_test is not None and len(x_test) == len(y_test),
        "X_test and Y_test should be (N, 1) tensors with the same number of rows.",
    )
    expect(
        len(x_test) == expected_rows,
        f"X_test has {len(x_test)} rows; the 15% test part of the {n} rows has {expected_rows} (n - floor(0.85·n)).",
    )
    shapes = [tuple(obs[name].shape) for name in ("X_test", "Y_test")]
    expect(
        shapes == [(expected_rows, 1)] * 2,
        f"X_test and Y_test have shapes {shapes[0]} and {shapes[1]}: they should keep the shape "
        f"({expected_rows}, 1) the unsqueeze cell gave them, one row per test example and one column.",
    )
    table = torch.stack([data["X_all"], data["Y_all"]], dim=1)
    index = _match_rows(torch.stack([x_test, y_test], dim=1), table)
    expect(
        bool((index >= 0).all()) and len(set(index.tolist())) == len(index),
        "Some rows of (X_test, Y_test) are not rows of the standardized data (or appear twice): "
        "the test MSE must be measured on held-out rows of X_all and Y_all.",
    )
    x_train, y_train = _column(obs["X"]), _column(obs["Y"])
    if x_train is not None and y_train is not None and len(x_train) == len(y_train):
        train_index = _match_rows(torch.stack([x_train, y_train], dim=1), table)
        expect(
            not set(index.tolist()) & set(train_index.tolist()),
            "Some test rows are also in the training data (X, Y): the test MSE must be measured on "
            "rows the network never trained on.",
        )
    prediction = _predict(obs["state"], x_test)
    mse = float(torch.mean((prediction.reshape(-1) - y_test) ** 2))
    student = obs["test_mse"]
    expect(student is not None, "test_mse should be a number (or a one-element tensor).")
    expect(
        math.isclose(student, mse, rel_tol=1e-4, abs_tol=1e-6),
        "test_mse is not the MSE of neural_net on (X_test, Y_test): compute "
        "torch.nn.functional.mse_loss(neural_net(X_test), Y_test) with the trained network "
        "(in standardized units).",
    )
    threshold = 1.5 * data["noise_floor"]
    expect(
        mse < threshold,
        f"The network's test MSE is {mse:.3f}, not below 1.5 × the noise variance ({threshold:.3f} in "
        "standardized units): train for more epochs, or, if the loss got stuck on a plateau, "
        "re-run training from another seed.",
    )

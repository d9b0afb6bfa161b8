"""`baseline_mse` (03_training.ipynb): the test MSE of the least-squares line fitted on X, Y, within 0.1%, and
between the noise floor and 1 (in standardized units); the usual mistakes are named."""

from __future__ import annotations

import math

import torch

from autograder.checks.grader.api import CheckFailed, expect
from autograder.checks.grader.neural_nets.training._shared import _course_data
from autograder.checks.kernel.neural_nets.training._shared import _column

BASELINE_TOL = 1e-3  # relative: "to within 0.1%" in the notebook


def _line_mse(x_fit, y_fit, x, y) -> float:
    """The MSE on (x, y) of the least-squares line fitted on (x_fit, y_fit), in float64."""
    design = torch.stack([x_fit, torch.ones_like(x_fit)], dim=1)
    coefficients = torch.linalg.lstsq(design, y_fit.unsqueeze(1)).solution.reshape(-1)
    return float(torch.mean((x * coefficients[0] + coefficients[1] - y) ** 2))


def test_baseline_mse(obs):
    columns = {name: _column(obs[name]) for name in ("X", "Y", "X_test", "Y_test")}
    expect(
        all(v is not None for v in columns.values())
        and len(columns["X"]) == len(columns["Y"]) > 1
        and len(columns["X_test"]) == len(columns["Y_test"]) > 0,
        "X, Y, X_test and Y_test should be (N, 1) tensors, X as many rows as Y, X_test as Y_test.",
    )
    x, y, x_test, y_test = (columns[n] for n in ("X", "Y", "X_test", "Y_test"))
    student = obs["baseline_mse"]
    expect(student is not None, "baseline_mse should be a number (or a one-element tensor).")
    expected = _line_mse(x, y, x_test, y_test)

    def near(value: float) -> bool:
        return math.isclose(student, value, rel_tol=BASELINE_TOL)

    data = _course_data()
    if near(expected):
        expect(
            data["noise_floor"] < student < 1,
            "baseline_mse is the test MSE of the least-squares line on your X, Y, X_test and Y_test, but "
            "not between the noise floor and 1, where a straight line's test MSE in standardized units "
            "lies: check that X_all and Y_all are standardized and that the split is shuffled.",
        )
        return
    y_var = float(data["y_sigma"]) ** 2
    if near(expected * y_var):
        raise CheckFailed(
            "baseline_mse is in the data's original units (the MSE times the variance of y): "
            "compute it on the standardized X_test, Y_test, like the network's test MSE."
        )
    if near(_line_mse(x_test, y_test, x_test, y_test)):
        raise CheckFailed(
            "baseline_mse is the MSE of a line fitted on the test data: fit the line on the "
            "training data X, Y only, then measure it on X_test, Y_test."
        )
    if near(float(torch.mean((y_test - y.mean()) ** 2))) or near(float(torch.mean((y_test - y_test.mean()) ** 2))):
        raise CheckFailed(
            "baseline_mse is the MSE of a constant prediction (the mean of y): fit a straight line "
            "a·x + b, e.g. with torch.linalg.lstsq on the columns x and 1."
        )
    if near(_line_mse(x, y, x, y)):
        raise CheckFailed("baseline_mse is the line's MSE on the training data: measure it on X_test, Y_test.")
    raise CheckFailed(
        "baseline_mse is not the test MSE of the least-squares line fitted on X, Y (to within 0.1%): "
        "fit y ≈ a·x + b on the training data (torch.linalg.lstsq, or a Linear(1, 1) trained until "
        "it stops improving) and compute its MSE on (X_test, Y_test) in standardized units."
    )

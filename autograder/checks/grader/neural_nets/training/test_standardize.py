"""`standardize` (03_training.ipynb): (data - mean) / std with the sample standard deviation, column by
column, on 2-D and 1-D data, without changing its argument."""

from __future__ import annotations

import torch

from autograder.checks.grader.api import CheckFailed, close, expect
from autograder.checks.grader.neural_nets.training._shared import TOL, _close
from autograder.checks.kernel.neural_nets.training import standardize as kernel


def _expect_standardized(x: torch.Tensor, result: dict, what: str) -> None:
    """standardize(x) returned (x - mean) / std with the sample std, column by column."""
    expect(
        result["ok"],
        f"standardize({what}) returned a {result.get('type')}"
        + (f" of length {result['len']}" if result.get("len") is not None else "")
        + ": it should return three tensors, (data_standardized, column_mu, column_sigma).",
    )
    expect(
        not result["mutated"],
        f"standardize changed the tensor it was given ({what}) in place: compute new tensors instead.",
    )
    z, mu, sigma = result["values"]
    ref_mu, ref_sigma = x.mean(dim=0), x.std(dim=0)
    expect(
        z.shape == x.shape,
        f"On {what} of shape {tuple(x.shape)}, data_standardized has shape {tuple(z.shape)}: "
        "it should have the shape of the data.",
    )
    expect(
        mu.numel() == ref_mu.numel() and sigma.numel() == ref_sigma.numel(),
        f"On {what}, column_mu and column_sigma should hold one value per column (reduce over the rows: dim=0).",
    )
    mu, sigma = mu.reshape(ref_mu.shape), sigma.reshape(ref_sigma.shape)
    expect(_close(mu, ref_mu), f"On {what}, column_mu is not the mean of each column: use data.mean(dim=0).")
    if _close(sigma, x.std(dim=0, correction=0)) and not _close(sigma, ref_sigma):
        raise CheckFailed(
            f"On {what}, column_sigma is the population standard deviation (dividing by N). Use "
            "torch's default, data.std(dim=0): the sample standard deviation, which divides by "
            "N - 1 (Bessel's correction)."
        )
    expect(
        _close(sigma, ref_sigma),
        f"On {what}, column_sigma is not the standard deviation of each column: use torch's "
        "default data.std(dim=0) (the sample standard deviation).",
    )
    expect(
        _close(z, (x - ref_mu) / ref_sigma),
        f"On {what}, data_standardized differs from (data - column_mu) / column_sigma by more than {TOL}.",
    )
    expect(
        close(z.double().mean(dim=0), torch.zeros_like(ref_mu), atol=TOL, rtol=1e-5)
        and close(z.double().std(dim=0), torch.ones_like(ref_sigma), atol=TOL, rtol=1e-5),
        f"On {what}, the columns of data_standardized do not have mean 0 and standard deviation 1.",
    )
    expect(
        _close(z.double() * sigma.double() + mu.double(), x),
        f"On {what}, data_standardized * column_sigma + column_mu does not give the data back.",
    )


def test_standardize(obs):
    for x, result, what in zip(kernel._standardize_inputs(), obs["results"], ("a 2-D tensor", "a 1-D tensor")):
        _expect_standardized(x, result, what)

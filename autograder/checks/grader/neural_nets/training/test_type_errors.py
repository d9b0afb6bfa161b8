"""`type_errors` (03_training.ipynb): standardize and unstandardize raise TypeError on a list, a tuple and a number."""

from __future__ import annotations

from autograder.checks.grader.api import expect


def _expect_type_error(raised: str, function: str, argument: str, what: str = "a list") -> None:
    """`function` must raise TypeError when given `what` instead of a tensor."""
    expect(
        raised == "TypeError",
        (
            f"{function} accepted {what} without complaint"
            if raised == "nothing"
            else f"{function} raised {raised} when given {what}"
        )
        + f": check {argument} with isinstance({argument}, torch.Tensor) and raise TypeError with a "
        "message saying a tensor is expected"
        + (" (an assert vanishes under python -O and explains nothing)." if raised == "AssertionError" else "."),
    )


def test_type_errors(obs):
    for function, argument in (("standardize", "data"), ("unstandardize", "data_stand")):
        for raised, what in zip(obs[function], ("a list", "a tuple", "a number")):
            _expect_type_error(raised, function, argument, what)

"""`unstandardize` (03_training.ipynb): data_stand * column_sigma + column_mu, on 2-D data and a 1-D round trip;
and unstandardize(*standardize(data)) gives data back with the notebook's own standardize."""

from __future__ import annotations

from autograder.checks.grader.api import expect
from autograder.checks.grader.neural_nets.training._shared import TOL, _close, _is_tensor
from autograder.checks.kernel.neural_nets.training import unstandardize as kernel


def test_unstandardize(obs):
    for (z, mu, sigma), out, what in zip(
        kernel._unstandardize_inputs(), obs["outputs"], ("a 2-D tensor", "a 1-D tensor (a round trip)")
    ):
        expect(_is_tensor(out), f"unstandardize({what}, ...) returned a {out}, not a tensor.")
        expect(
            out.shape == z.shape,
            f"On {what} of shape {tuple(z.shape)}, unstandardize returned shape {tuple(out.shape)}.",
        )
        expect(
            _close(out, z * sigma + mu),
            f"On {what}, unstandardize differs from data_stand * column_sigma + column_mu by more "
            f"than {TOL}: multiply by the standard deviation, then add the mean.",
        )
    trip = obs["round_trip"]
    back, data = trip["back"], trip["data"]
    expect(
        back is not None and back.shape == data.shape and _close(back, data),
        "unstandardize(*standardize(data)) does not give data back, as the visible check asks: "
        + (
            "standardize should return three values and unstandardize a tensor."
            if back is None
            else "unstandardize should undo standardize, and standardize should leave its argument unchanged "
            "(no in-place operations such as data -= ...)."
        ),
    )

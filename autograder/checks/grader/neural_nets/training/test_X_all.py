"""`X_all` (03_training.ipynb): X_all, Y_all are the standardized columns of the course data, of shape (len(df),),
with their means and sample standard deviations."""

from __future__ import annotations

from autograder.checks.grader.api import expect
from autograder.checks.grader.neural_nets.training._shared import TOL, _close, _course_data


def test_X_all(obs):
    data = _course_data()
    n = len(data["x"])
    for column, raw in (("X", data["x"]), ("Y", data["y"])):
        low = column.lower()
        values = obs[f"{column}_all"]
        expect(
            values.numel() == n,
            f"{column}_all has {values.numel()} values, but the data has {n} rows: standardize the "
            f"whole column df['{low}'].",
        )
        values = values.reshape(-1).double()
        other = data["Y_all" if column == "X" else "X_all"]
        expect(
            not _close(values, other), f"{column}_all holds the other column: standardize df['{low}'] for {column}_all."
        )
        expect(
            not _close(values, raw),
            f"{column}_all is the raw column df['{low}']: standardize it with your standardize function.",
        )
        expect(
            _close(values, data[f"{column}_all"]),
            f"{column}_all is not the standardized df['{low}'] (in the data's row order, to within "
            f"{TOL}): {column}_all, {low}_mu, {low}_sigma = standardize(torch.tensor(df['{low}'].values)).",
        )
        for stat in ("mu", "sigma"):
            value = obs[f"{low}_{stat}"]
            expect(
                value.numel() == 1 and _close(value.reshape(()).double(), data[f"{low}_{stat}"]),
                f"{low}_{stat} is not the {'mean' if stat == 'mu' else 'standard deviation'} of "
                f"df['{low}'] that standardize returns.",
            )
        shape = tuple(obs[f"{column}_all"].shape)
        expect(
            shape == (n,),
            f"{column}_all has shape {shape}: it should be one value per row, shape ({n},) = (len(df),). "
            f"Standardize the column df['{low}'] itself (torch.tensor(df['{low}'].values)), not a table "
            f"such as df[['{low}']].",
        )

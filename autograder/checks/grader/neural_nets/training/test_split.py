"""`split` (03_training.ipynb): training, validation and test parts of 70 / 15 / 15 %, disjoint, covering every
row of X_all, Y_all, in shuffled order; the X parts are rows of X_all as they are (its shape and dtype)."""

from __future__ import annotations

import torch

from autograder.checks.grader.api import CheckFailed, expect
from autograder.checks.grader.neural_nets.training._shared import _match_rows, _split_sizes
from autograder.checks.kernel.neural_nets.training import split as kernel


def _expect_split_sizes(obs, n: int) -> tuple[int, int, int]:
    """The three parts have 70% / 15% / 15% of the n rows, X and Y alike."""
    sizes = _split_sizes(n)
    got = []
    for x_name, y_name, _ in kernel.PARTS:
        expect(
            len(obs[x_name]) == len(obs[y_name]),
            f"{x_name} and {y_name} have different numbers of rows: index both with the same indices.",
        )
        got.append(len(obs[x_name]))
    if tuple(got) != sizes:
        shares = " / ".join(f"{100 * g / n:.0f}%" for g in got) if n else "?"
        raise CheckFailed(
            f"The split has {got[0]} / {got[1]} / {got[2]} rows (train / validation / test, about "
            f"{shares}); this exercise asks for 70% training, 15% validation and 15% test data: "
            f"{sizes[0]} / {sizes[1]} / {sizes[2]} rows for {n} rows, with the borders "
            "floor(0.7·N) and floor(0.85·N)."
        )
    return sizes


def test_split(obs):
    n = len(obs["X_all"])
    expect(len(obs["Y_all"]) == n, "X_all and Y_all have different numbers of rows.")
    sizes = _expect_split_sizes(obs, n)
    table = torch.stack([obs["X_all"], obs["Y_all"]], dim=1)
    seen = torch.zeros(n, dtype=torch.long)
    indices = {}
    for x_name, y_name, label in kernel.PARTS:
        index = _match_rows(torch.stack([obs[x_name], obs[y_name]], dim=1), table)
        expect(
            bool((index >= 0).all()),
            f"Some rows of ({x_name}, {y_name}) are not rows of (X_all, Y_all): take {x_name} and "
            f"{y_name} from X_all and Y_all with the same {label} indices.",
        )
        seen.index_add_(0, index, torch.ones_like(index))
        indices[label] = index
    expect(
        bool((seen <= 1).all()),
        "The training, validation and test parts overlap (a row of the data is in more than one "
        "part, or twice in one): cut one random order of the indices into three slices.",
    )
    expect(bool((seen == 1).all()), "The three parts together do not hold every row of the data.")
    expect(
        not torch.equal(indices["training"], torch.arange(sizes[0])),
        "The training rows are the first 70% of the data in their original order: shuffle the "
        "indices first with torch.randperm(len(X_all)).",
    )
    all_shape, all_dtype = obs["layout"]["X_all"]
    # Rows of X_all as they are; or as the notebook's next cell makes them, X.unsqueeze(1).float(), where
    # the parts are read after that cell (a notebook judged as a whole, after it ran to its end).
    layouts = ([all_shape[1:], all_dtype], [[*all_shape[1:], 1], "torch.float32"])
    for x_name, _, _ in kernel.PARTS:
        shape, dtype = obs["layout"][x_name]
        expect(
            [shape[1:], dtype] in layouts,
            f"{x_name} (shape {tuple(shape)}, {dtype}) is not made of rows of X_all as they are (shape "
            f"{tuple(all_shape)}, {all_dtype}), so the three parts together are not X_all's rows: take "
            f"{x_name} from X_all by indexing only, X_all[indices]; the notebook's next cell adds the "
            "column dimension and converts to float32.",
        )

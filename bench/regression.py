"""Benchmark: the lesson's regression reference (source/neural_nets/03_training.ipynb, solutions
filled in) trained in this process; its test MSE over the data's noise floor, both in
standardized y units.

    regression_reference: mse_over_noise_floor=0.874
"""

from __future__ import annotations

import contextlib
import io
import sys

from autograder.course import notebooks
from autograder.data import recipes
from autograder.paths import SOURCE

NOTEBOOK = SOURCE / "neural_nets" / "03_training.ipynb"


def run() -> dict[str, float]:
    with contextlib.redirect_stdout(io.StringIO()):
        ns = notebooks.run_in_process(NOTEBOOK, upto="answer_test_mse")
    floor = recipes().noise_floor_standardized()
    mse = float(ns["test_mse"])
    return {"test_mse": mse, "noise_floor": floor, "mse_over_noise_floor": mse / floor}


def main() -> int:
    result = run()
    print(f"regression_reference: mse_over_noise_floor={result['mse_over_noise_floor']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: the quiz's reference MNIST classifier, trained on this machine.

Runs the code cells of source/mnist_quiz/01_quiz.ipynb in this process, from the top up to and
including the reference training (solution cell `answer_mnist_accuracy`), so what is timed is
exactly the notebook's own code (the training cell measures itself with time.perf_counter, data
loading excluded). Then it measures the test accuracy the way the hidden check does (all 10,000
test images, eval mode, batches of 1000) and prints one line:

    mnist_reference: accuracy=0.9912 train_seconds=23.4

Run: .venv/bin/python bench/mnist_reference.py   (the notebook sets 2 threads itself; on a busy
machine the time is longer, the accuracy is the same).
"""

from __future__ import annotations

import contextlib
import io
import sys

from autograder.checks.grader.mnist_quiz.quiz import accuracy_from
from autograder.checks.kernel.mnist_quiz.quiz import observe_mnist_accuracy_97
from autograder.course import notebooks
from autograder.paths import SOURCE

NOTEBOOK = SOURCE / "mnist_quiz" / "01_quiz.ipynb"
TRAINING = "answer_mnist_accuracy"  # the solution cell that trains mnist_model


def run(quiet: bool = True) -> dict[str, float]:
    """Train the reference; return {"accuracy": share of test images right, "train_seconds": s}."""
    notebooks.cell(notebooks.read(NOTEBOOK), TRAINING)  # a clear KeyError if the cell was renamed
    output = io.StringIO() if quiet else sys.stdout
    with contextlib.redirect_stdout(output):
        ns = notebooks.run_in_process(NOTEBOOK, upto=TRAINING)
    # The observer finds data/MNIST from the working directory, as it does in the student's kernel.
    with notebooks.working_directory(NOTEBOOK.parent):
        observation = observe_mnist_accuracy_97(ns)
    return {"accuracy": accuracy_from(observation), "train_seconds": float(ns["train_seconds"])}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    result = run(quiet="--verbose" not in argv)
    print(f"mnist_reference: accuracy={result['accuracy']:.4f} train_seconds={result['train_seconds']:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

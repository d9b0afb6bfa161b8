"""`mnist_accuracy_90` (01_quiz.ipynb): mnist_model classifies at least 90% of the MNIST test images; observes its
predicted digit for every test image (read from data/MNIST/raw next to the notebook)."""

from __future__ import annotations

from pathlib import Path

from autograder.checks.kernel.mnist_quiz.quiz._shared import _observe_predictions

MNIST_RAW = Path("data") / "MNIST" / "raw"
TEST_IMAGES = "t10k-images-idx3-ubyte"  # the images mnist_model is called on
BATCH = 1000


def observe(ns):
    return _observe_predictions(ns, MNIST_RAW, TEST_IMAGES, BATCH)

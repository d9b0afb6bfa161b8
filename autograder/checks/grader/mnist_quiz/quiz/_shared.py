"""Grader side of 01_quiz.ipynb: the grader's own MNIST test labels and the judges its items share. Never
sent into a kernel."""

from __future__ import annotations

import hashlib

import torch

from autograder.checks.grader.api import expect
from autograder.checks.kernel.mnist_quiz.quiz._shared import read_idx
from autograder.paths import DATA

COURSE_RAW = DATA / "MNIST" / "raw"  # the grader's own copy of the MNIST files

TEST_LABELS = "t10k-labels-idx1-ubyte"

N_TEST = 10_000


def _judge_scores(desc: dict, n: int) -> None:
    expect(desc["type"] == "Tensor", f"mnist_model returned a {desc['type']}; it should return one tensor of scores.")
    shape = tuple(desc["shape"])
    expect(
        len(shape) == 2 and shape[1] == 10 and shape[0] == n,
        f"mnist_model maps a batch of {n} images of shape ({n}, 1, 28, 28) to a tensor of shape "
        f"{shape}; it should give ({n}, 10): one score per digit 0-9 for every image.",
    )
    expect(desc["floating"], "mnist_model's scores should be floating point numbers.")


def accuracy(obs: dict, images: str) -> float:
    """The share of the test images (the idx file `images`) whose predicted digit is the true label."""
    images_md5 = hashlib.md5((COURSE_RAW / images).read_bytes()).hexdigest()
    expect(
        obs["images_md5"] == images_md5,
        "The MNIST test images the check read next to your notebook differ from the course's "
        "copy: do not modify data/MNIST (run `python -m autograder data` to restore it).",
    )
    if "predictions" not in obs:
        _judge_scores(obs["scores"], obs["batch"])
    predictions = obs["predictions"]
    expect(
        isinstance(predictions, torch.Tensor)
        and predictions.dtype == torch.int64
        and tuple(predictions.shape) == (N_TEST,),
        "The check could not read mnist_model's predictions for the test images.",
    )
    labels, _ = read_idx(COURSE_RAW / TEST_LABELS)
    return (predictions == labels.to(torch.int64)).double().mean().item()


def _judge_accuracy(accuracy: float, threshold: float) -> None:
    hint = ""
    if accuracy < 0.2:
        hint = (
            " That is about chance (10%): did your training cell run, and does it train "
            "mnist_model itself (not a copy of it)?"
        )
    expect(
        accuracy >= threshold,
        f"mnist_model classifies {accuracy:.2%} of the 10,000 test images correctly (in eval mode); "
        f"this item needs at least {threshold:.0%}.{hint}",
    )

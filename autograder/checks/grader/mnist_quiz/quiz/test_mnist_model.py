"""Grader side of `mnist_model` (01_quiz.ipynb): the verdict, in the grader's process only."""

from __future__ import annotations

from autograder.checks.grader.api import expect
from autograder.checks.kernel.mnist_quiz.quiz import mnist_model as kernel
from autograder.checks.grader.mnist_quiz.quiz._shared import _judge_scores


def test_mnist_model(obs):
    _judge_scores(obs, kernel.SHAPE_N)
    expect(obs["finite"], "mnist_model gives NaN or infinite scores on some images.")

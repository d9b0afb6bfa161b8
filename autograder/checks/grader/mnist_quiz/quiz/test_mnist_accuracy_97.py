"""Grader side of `mnist_accuracy_97` (01_quiz.ipynb): the verdict, in the grader's process only."""

from __future__ import annotations

from autograder.checks.grader.mnist_quiz.quiz._shared import THRESHOLDS, _judge_accuracy


def test_mnist_accuracy_97(obs):
    _judge_accuracy(obs, THRESHOLDS["mnist_accuracy_97"])

"""The benchmark runs end to end on tiny classes and ends with the five comparable lines.
(No timing is asserted: figures belong in bench/RESULTS.md.)"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from autograder.paths import ROOT

# 15 minutes of grading, training and nbgrader: `make test-bench` runs it, `make test` (CI) does not.
pytestmark = [pytest.mark.slow, pytest.mark.bench]


def test_the_benchmark_runs_on_a_tiny_class():
    run = subprocess.run(
        [sys.executable, "-m", "bench", "--students", "2", "--jobs", "2", "--quiz-students", "2"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    last = run.stdout.strip().splitlines()[-5:]
    number = r"[0-9]+(\.[0-9]+)?"
    assert re.fullmatch(rf"dask_vs_jobs: {number}", last.pop(0)), last
    assert "(same grades.csv: True)" in run.stdout
    assert re.fullmatch(rf"throughput_vs_nbgrader: {number}", last[0]), last
    assert re.fullmatch(rf"quiz_reference_in_class_vs_alone: {number}", last[1]), last
    assert re.fullmatch(rf"mnist_reference: accuracy={number} train_seconds={number}", last[2]), last
    assert re.fullmatch(rf"regression_reference: mse_over_noise_floor={number}", last[3]), last
    accuracy = float(last[2].split("accuracy=")[1].split()[0])
    assert 0.9 < accuracy <= 1.0  # the reference trains for real

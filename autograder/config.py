"""Where things are, and the limits each assignment is graded under."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "source"
RELEASE = ROOT / "release"
SOLUTIONS = ROOT / "solutions"
DATA = ROOT / "data"
WORK = ROOT / ".work"  # scratch output (git-ignored)


@dataclass(frozen=True)
class Limits:
    """Grading limits of one assignment (override per run with the grade command's options)."""

    cell_timeout: float = 120.0       # seconds one cell may run
    total_timeout: float = 600.0      # seconds a whole submission (all its notebooks) may run
    memory_mb: int = 4096             # resident memory of the student's kernel
    cores: int = 1                    # CPU cores a notebook gets, its own (see grade.plan_slots)
    data_files: tuple[str, ...] = ()  # paths under data/ the student's notebooks read


LIMITS = {
    "neural_nets": Limits(cell_timeout=120, total_timeout=600, cores=1,
                          data_files=("nn_dataframe.pt", "nn_dataframe_trend.pt")),
    # The quiz trains a classifier: the notebook says "10 minutes on 2 CPU cores" to students.
    "mnist_quiz": Limits(cell_timeout=600, total_timeout=600, memory_mb=6144, cores=2,
                         data_files=("MNIST/raw",)),
}
NEAR_LIMIT = 0.8  # a submission that used more than this share of its time limit is reported

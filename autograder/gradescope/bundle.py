"""What run.py knows of the bundle it runs from (gradescope.json, written by build.py) and of the
submission it grades; and the one exception that means "not graded here"."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..course import Visibility
from ..paths import ROOT
from . import BUNDLE_CONFIG


class NotGraded(Exception):
    """The submission cannot be graded here. `student` is shown to the student; `staff` (details,
    what to do) goes to stdout, which only course staff see."""

    def __init__(self, student: str, staff: str = ""):
        super().__init__(student)
        self.student, self.staff = student, staff


@dataclass(frozen=True)
class Bundle:
    assignment: str
    notebooks: tuple[str, ...]
    sandbox: bool
    data_sha256: dict
    visibility: Visibility = Visibility()

    @classmethod
    def read(cls) -> Bundle:
        data = json.loads((ROOT / BUNDLE_CONFIG).read_text())
        return cls(
            data["assignment"],
            tuple(data["notebooks"]),
            bool(data["sandbox"]),
            data["data_sha256"],
            Visibility(**data.get("visibility", {})),
        )


@dataclass
class Found:
    """What the submission folder holds."""

    submission: Path
    notebooks: dict[str, Path]  # release name -> the file graded
    notes: list[str]  # for the summary (duplicates)
    others: list[str]  # other notebooks in the submission, relative paths

    def relative(self, name: str) -> str:
        return self.notebooks[name].relative_to(self.submission).as_posix()

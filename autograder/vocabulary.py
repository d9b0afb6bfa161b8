"""The words every part of the grader shares: a submission's statuses, and the results of one item
and of one submission. Plain dataclasses: this module imports nothing but the standard library, so
the report, the exports and the command line read results without loading torch or a kernel."""

from __future__ import annotations

from dataclasses import dataclass, field

# Statuses, from best to worst; a submission gets the worst of its notebooks'. "review": graded,
# but the notebook installed hooks in its interpreter (submission/hooks.py): staff look first.
GRADED, REVIEW, MISSING, INVALID, CRASHED, TIMEOUT, ERROR = (
    "graded",
    "review",
    "missing",
    "invalid notebook",
    "crashed",
    "timeout",
    "grader error",
)
SEVERITY = (GRADED, REVIEW, MISSING, INVALID, CRASHED, TIMEOUT, ERROR)


@dataclass
class ItemResult:
    grade_id: str
    notebook: str
    max_score: float
    score: float = 0.0
    passed: bool = False
    message: str = ""
    metrics: dict[str, float] = field(default_factory=dict)  # figures the grader measured (an item's MEASURES)
    visible: bool | None = None  # its visible checks passed (None: not run); Gradescope shows it apart


@dataclass
class SubmissionResult:
    student_id: str
    assignment: str
    status: str = GRADED
    reason: str = ""
    execution_time: float = 0.0
    submission_sha256: str = ""
    items: list[ItemResult] = field(default_factory=list)
    manual: dict[str, float] = field(default_factory=dict)  # grade_id -> points, graded by a TA
    timing: dict[str, dict] = field(default_factory=dict)  # notebook -> seconds, slowest cell and its seconds
    review: list[str] = field(default_factory=list)  # what staff should look at (hooks found); not for the student

    @property
    def staff_reason(self) -> str:
        """The reason, and what staff should look at (grades.csv, the report; never the student)."""
        return "; ".join(filter(None, [self.reason, *(f"review: {found}" for found in self.review)]))

    @property
    def score(self) -> float:
        return sum(i.score for i in self.items)

    @property
    def max_score(self) -> float:
        return sum(i.max_score for i in self.items)

    def worsen(self, status: str, reason: str) -> None:
        """Keep the worst status; collect every reason."""
        if SEVERITY.index(status) > SEVERITY.index(self.status):
            self.status = status
        if reason:
            self.reason = f"{self.reason}; {reason}" if self.reason else reason


@dataclass
class Outcome:
    """Everything the grading of one submission produced, written by nobody yet: the runners hand
    it to the batch (or to Gradescope's run), which writes it (outputs/results.py)."""

    result: SubmissionResult
    log: str = ""  # grading.log, for course staff
    executed: dict[str, str] = field(default_factory=dict)  # notebook -> executed copy (JSON text)
    observations: dict[str, bytes] = field(default_factory=dict)  # notebook -> saved observations (grader side)

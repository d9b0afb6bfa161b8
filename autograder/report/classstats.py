"""The class's numbers for report.html: pure functions over a list of SubmissionResult, no files,
no HTML. Item statistics follow PrairieLearn's assessment statistics (share of full points, mean,
discrimination), computed over the notebooks that ran."""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from ..vocabulary import GRADED, MISSING, SEVERITY, SubmissionResult

LOW_DISCRIMINATION = 0.1  # at or below this, an item hardly separates strong from weak students
TOP_MESSAGES = 5  # failure messages shown per item; the rest are counted together

COVERAGE = (
    "each item over the students whose notebook holding it ran (in full or until it timed out or "
    "crashed); a notebook not submitted, not readable or not graded is left out"
)
DISCRIMINATION = (
    "discrimination: the Pearson correlation, over those students, of the item's score with the "
    "rest of their total (their total minus this item); 1 means that students who do well on the "
    "rest score on this item, 0 or less that the item does not follow the rest"
)


@dataclass(frozen=True)
class ScoreSummary:
    scores: tuple[float, ...]  # every student's total
    max_score: float
    mean: float | None
    median: float | None
    sd: float | None = None  # sample standard deviation (2 students or more)
    quartiles: tuple[float, float, float] | None = None  # Q1, median, Q3 (2 students or more)


@dataclass(frozen=True)
class FailureGroup:
    message: str
    students: tuple[str, ...]  # sorted


@dataclass(frozen=True)
class ItemStats:
    grade_id: str
    notebook: str
    points: float
    covered: int  # students counted (see COVERAGE)
    full_share: float | None  # share of them with full points
    mean: float | None  # their mean score on the item
    discrimination: float | None
    undefined_because: str  # why discrimination is None ("" when it is defined)
    flags: tuple[str, ...]  # what makes the item suspicious, in words
    failures: tuple[FailureGroup, ...]  # most common first
    other_failures: int  # students with a message beyond the TOP_MESSAGES groups


@dataclass(frozen=True)
class Timing:
    seconds: tuple[float, ...]  # per submission
    median: float | None
    slowest: tuple[str, float] | None  # student, seconds
    total: float


def score_summary(results: list[SubmissionResult]) -> ScoreSummary:
    scores = tuple(r.score for r in results)
    spread = len(scores) >= 2
    return ScoreSummary(
        scores,
        max((r.max_score for r in results), default=0.0),
        statistics.fmean(scores) if scores else None,
        statistics.median(scores) if scores else None,
        statistics.stdev(scores) if spread else None,
        tuple(statistics.quantiles(scores, n=4, method="inclusive")) if spread else None,
    )


def sent_nothing(result: SubmissionResult) -> bool:
    """Missing with no notebook run: a rostered student who sent nothing, or an empty folder. The
    report counts them apart, so that they do not pull the class's numbers down."""
    return result.status == MISSING and not result.timing


def notebook_scores(results: list[SubmissionResult]) -> dict[str, tuple[float, tuple[float, ...]]]:
    """notebook -> (its points, each student's score on it), over the students whose notebook ran."""
    found: dict[str, tuple[float, list[float]]] = {}
    for r in results:
        by_nb: dict[str, list] = {}
        for i in r.items:
            by_nb.setdefault(i.notebook, []).append(i)
        for nb, its in by_nb.items():
            if nb in r.timing:
                found.setdefault(nb, (sum(i.max_score for i in its), []))[1].append(sum(i.score for i in its))
    return {nb: (points, tuple(scores)) for nb, (points, scores) in sorted(found.items())}


def pearson(xs: list[float], ys: list[float]) -> float | None:
    """The correlation of xs and ys; None when either has no variance (or fewer than 2 values)."""
    try:
        r = statistics.correlation(xs, ys)
    except statistics.StatisticsError:  # fewer than 2 values, or a constant input
        return None
    return max(-1.0, min(1.0, r))  # rounding can step just outside


def item_order(results: list[SubmissionResult]) -> list[tuple[str, str, float]]:
    """(grade_id, notebook, points) of every item, in the order results list them."""
    seen: dict[str, tuple[str, str, float]] = {}
    for r in results:
        for i in r.items:
            seen.setdefault(i.grade_id, (i.grade_id, i.notebook, i.max_score))
    return list(seen.values())


def ran(result: SubmissionResult, notebook: str) -> bool:
    """Whether the notebook ran (see COVERAGE): the grader records a timing for each one it ran."""
    return notebook in result.timing


def item_stats(results: list[SubmissionResult]) -> list[ItemStats]:
    """Every item's numbers, the suspicious and hardest first (see `hardest_first`)."""
    stats = []
    for grade_id, notebook, points in item_order(results):
        rows = [(r, i) for r in results if ran(r, notebook) for i in r.items if i.grade_id == grade_id]
        scores = [i.score for _, i in rows]
        rest = [r.score - i.score for r, i in rows]
        full = [i.score >= i.max_score for _, i in rows]
        discrimination = pearson(scores, rest)
        if discrimination is not None or not rows:
            why = "" if rows else "no student's notebook ran"
        elif len(rows) < 2:
            why = "one student only"
        elif len(set(scores)) < 2:
            why = f"every student scored {scores[0]:g}"
        else:
            why = "the rest of the total is the same for every student"
        groups: dict[str, list[str]] = {}
        for r, i in rows:
            if not i.passed:
                groups.setdefault(i.message or "(no message)", []).append(r.student_id)
        failures = sorted(
            (FailureGroup(m, tuple(sorted(s))) for m, s in groups.items()), key=lambda g: (-len(g.students), g.message)
        )
        flags = []
        if rows and not any(full):
            flags.append("nobody has full points")
        if discrimination is not None and discrimination <= LOW_DISCRIMINATION:
            flags.append("negative discrimination" if discrimination < 0 else "discrimination near 0")
        stats.append(
            ItemStats(
                grade_id,
                notebook,
                points,
                len(rows),
                sum(full) / len(rows) if rows else None,
                statistics.fmean(scores) if rows else None,
                discrimination,
                why,
                tuple(flags),
                tuple(failures[:TOP_MESSAGES]),
                sum(len(g.students) for g in failures[TOP_MESSAGES:]),
            )
        )
    return hardest_first(stats)


def hardest_first(stats: list[ItemStats]) -> list[ItemStats]:
    """Suspicious items first, then by share of full points (lowest first), then mean share of the
    points; ties keep the assignment's order."""

    def key(s: ItemStats):
        full = 2.0 if s.full_share is None else s.full_share
        mean = 2.0 if s.mean is None or not s.points else s.mean / s.points
        return (not s.flags, full, mean)

    return sorted(stats, key=key)


def status_groups(results: list[SubmissionResult]) -> dict[str, tuple[str, ...]]:
    """status -> the students with it (sorted), best status first; every status is listed, statuses
    this grader does not know last."""
    groups: dict[str, list[str]] = {s: [] for s in SEVERITY}
    for r in results:
        groups.setdefault(r.status, []).append(r.student_id)
    return {s: tuple(sorted(ids)) for s, ids in groups.items()}


def timing(results: list[SubmissionResult]) -> Timing:
    seconds = tuple(r.execution_time for r in results)
    slowest = max(results, key=lambda r: r.execution_time, default=None)
    return Timing(
        seconds,
        statistics.median(seconds) if seconds else None,
        (slowest.student_id, slowest.execution_time) if slowest else None,
        sum(seconds),
    )


def graded_share(results: list[SubmissionResult]) -> float | None:
    return sum(r.status == GRADED for r in results) / len(results) if results else None

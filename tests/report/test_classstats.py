"""The class's numbers (autograder/statistics.py), on small classes whose right numbers are known."""

from __future__ import annotations

import pytest

from autograder.report import classstats as statistics
from autograder.vocabulary import CRASHED, GRADED, MISSING, SEVERITY, TIMEOUT, ItemResult, SubmissionResult

NB = "01.ipynb"


def student(
    sid: str,
    scores: dict[str, float],
    status: str = GRADED,
    seconds: float = 1.0,
    ran: bool = True,
    messages: dict[str, str] | None = None,
) -> SubmissionResult:
    """Items worth 1 point each unless the score says more; an item below its points failed."""
    messages = messages or {}
    items = [
        ItemResult(gid, NB, max(1.0, s), s, s >= max(1.0, s), "" if s >= max(1.0, s) else messages.get(gid, "wrong"))
        for gid, s in scores.items()
    ]
    return SubmissionResult(
        sid, "a", status=status, execution_time=seconds, items=items, timing={NB: {"seconds": seconds}} if ran else {}
    )


def by_id(stats):
    return {s.grade_id: s for s in stats}


def test_pearson_known_values():
    assert statistics.pearson([1, 0], [1, 0]) == pytest.approx(1)
    assert statistics.pearson([1, 0], [0, 1]) == pytest.approx(-1)
    assert statistics.pearson([1, 2, 3], [1, 3, 2]) == pytest.approx(0.5)
    assert statistics.pearson([1, 1], [0, 1]) is None
    assert statistics.pearson([0, 1], [2, 2]) is None
    assert statistics.pearson([1], [1]) is None


def test_discrimination_one_minus_one_and_undefined():
    # A follows B (r = 1); C goes against D (r = -1 each way); E: everyone the same (undefined).
    cls = [student("s1", {"A": 1, "B": 1, "E": 1}), student("s2", {"A": 0, "B": 0, "E": 1})]
    stats = by_id(statistics.item_stats(cls))
    # rest of A = total - A = B + E: s1 2, s2 1; A: 1, 0
    assert stats["A"].discrimination == pytest.approx(1)
    assert stats["E"].discrimination is None
    assert stats["E"].undefined_because == "every student scored 1"
    assert stats["E"].flags == ()  # everyone has full points: not suspicious
    cls = [student("s1", {"C": 1, "D": 0}), student("s2", {"C": 0, "D": 1})]
    stats = by_id(statistics.item_stats(cls))
    assert stats["C"].discrimination == pytest.approx(-1)
    assert stats["C"].flags == ("negative discrimination",)


def test_rest_without_variance_is_said():
    cls = [student("s1", {"A": 1, "B": 1}), student("s2", {"A": 0, "B": 1})]
    a = by_id(statistics.item_stats(cls))["A"]
    assert a.discrimination is None
    assert a.undefined_because == "the rest of the total is the same for every student"


def test_full_share_mean_and_nobody_passes():
    cls = [
        student("s1", {"A": 1, "B": 0}),
        student("s2", {"A": 1, "B": 0}),
        student("s3", {"A": 0, "B": 0}),
        student("s4", {"A": 1, "B": 0}),
    ]
    stats = by_id(statistics.item_stats(cls))
    assert stats["A"].full_share == pytest.approx(0.75)
    assert stats["A"].mean == pytest.approx(0.75)
    assert stats["B"].full_share == 0
    assert "nobody has full points" in stats["B"].flags
    assert [s.grade_id for s in statistics.item_stats(cls)] == ["B", "A"]  # suspicious first


def test_partial_points_are_not_full():
    cls = [student("s1", {"A": 1.5}), student("s2", {"A": 2})]
    cls[0].items[0].max_score = 2
    a = by_id(statistics.item_stats(cls))["A"]
    assert a.full_share == pytest.approx(0.5) and a.mean == pytest.approx(1.75)


def test_notebooks_that_did_not_run_are_left_out():
    cls = [
        student("s1", {"A": 1, "B": 1}),
        student("s2", {"A": 0, "B": 1}),
        student("gone", {"A": 0, "B": 0}, status=MISSING, ran=False, messages={"A": "01.ipynb was not submitted."}),
        student("dead", {"A": 0, "B": 0}, status=CRASHED, messages={"A": "the kernel died"}),
    ]
    a = by_id(statistics.item_stats(cls))["A"]
    assert a.covered == 3
    assert [(g.message, g.students) for g in a.failures] == [("the kernel died", ("dead",)), ("wrong", ("s2",))]


def test_failure_groups_are_counted_most_common_first_and_bounded():
    cls = [student(f"s{n}", {"A": 0}, messages={"A": "same"}) for n in range(3)]
    cls += [student(f"t{n}", {"A": 0}, messages={"A": f"odd {n}"}) for n in range(statistics.TOP_MESSAGES + 2)]
    cls.append(student("ok", {"A": 1}))
    a = statistics.item_stats(cls)[0]
    assert a.failures[0] == statistics.FailureGroup("same", ("s0", "s1", "s2"))
    assert len(a.failures) == statistics.TOP_MESSAGES
    assert a.other_failures == 3  # 7 one-student groups, 4 shown
    assert not any(s == "ok" for g in a.failures for s in g.students)


def test_score_summary_status_groups_and_timing():
    cls = [
        student("b", {"A": 1, "B": 1}, seconds=4),
        student("a", {"A": 0, "B": 1}, seconds=2),
        student("c", {"A": 0, "B": 0}, status=TIMEOUT, seconds=10),
    ]
    summary = statistics.score_summary(cls)
    assert summary.scores == (2, 1, 0) and summary.max_score == 2
    assert summary.mean == pytest.approx(1) and summary.median == 1
    groups = statistics.status_groups(cls)
    assert list(groups)[: len(SEVERITY)] == list(SEVERITY)
    assert groups[GRADED] == ("a", "b") and groups[TIMEOUT] == ("c",) and groups[CRASHED] == ()
    t = statistics.timing(cls)
    assert t.median == 4 and t.slowest == ("c", 10) and t.total == 16


def test_an_empty_class_has_no_numbers():
    assert statistics.score_summary([]).mean is None
    assert statistics.item_stats([]) == []
    assert statistics.timing([]).median is None

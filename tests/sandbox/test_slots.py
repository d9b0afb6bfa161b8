"""Cores per grading slot: what a notebook gets, and what the TA is told when it is less."""

from __future__ import annotations

import pytest

from autograder.sandbox import slots

EIGHT = list(range(8))


@pytest.mark.parametrize(
    "per_notebook, jobs, expected",
    [
        (1, None, (8, 1)),  # the lesson: one notebook per core
        (2, None, (4, 2)),  # the quiz: 2 cores each
        (2, 2, (2, 2)),  # fewer jobs than the machine allows: still the promised 2 cores, not more
        (3, None, (2, 3)),
    ],
)
def test_the_default_keeps_the_assignments_promise(per_notebook, jobs, expected):
    plan = slots.plan(per_notebook, jobs, EIGHT)
    assert (plan.jobs, plan.cores) == expected and plan.note == ""


def test_one_quiz_at_a_time_on_two_cores():
    assert slots.plan(2, None, [0, 1]) == slots.SlotPlan(1, 2)


def test_more_jobs_than_the_promise_allows_is_said():
    plan = slots.plan(2, 8, EIGHT)
    assert (plan.jobs, plan.cores) == (8, 1)
    assert "each notebook gets 1 core(s), not the 2" in plan.note and "--jobs 4" in plan.note


def test_more_jobs_than_cores_is_said():
    plan = slots.plan(1, 3, [0, 1])
    assert plan.cores == 1 and "share cores" in plan.note


def test_slots_own_cores_that_do_not_overlap():
    owned = [slots.cpus_of(slot, 2, EIGHT) for slot in range(4)]
    assert owned == [[0, 1], [2, 3], [4, 5], [6, 7]]
    assert slots.cpus_of(0, 1, [3, 5]) == [3] and slots.cpus_of(1, 1, [3, 5]) == [5]


# ----------------------------------------------------------------------------- CPU quotas (containers)
def fake_cgroup(tmp_path, proc_lines: str, files: dict[str, str]):
    proc = tmp_path / "proc_self_cgroup"
    proc.write_text(proc_lines)
    for name, text in files.items():
        path = tmp_path / "cgroup" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return proc, tmp_path / "cgroup"


@pytest.mark.parametrize(
    "cpu_max, expected", [("max 100000\n", None), ("150000 100000\n", 1.5), ("200000 100000\n", 2.0)]
)
def test_a_cgroup_v2_quota_is_read(tmp_path, cpu_max, expected):
    proc, root = fake_cgroup(tmp_path, "0::/\n", {"cpu.max": cpu_max})
    assert slots.cgroup_quota(proc, root) == expected


def test_the_smallest_quota_of_a_v2_cgroup_and_its_ancestors_wins(tmp_path):
    proc, root = fake_cgroup(
        tmp_path,
        "0::/kubepods/pod1\n",
        {"cpu.max": "max 100000\n", "kubepods/cpu.max": "400000 100000\n", "kubepods/pod1/cpu.max": "50000 100000\n"},
    )
    assert slots.cgroup_quota(proc, root) == 0.5


@pytest.mark.parametrize("quota, expected", [("-1\n", None), ("300000\n", 3.0)])
def test_a_cgroup_v1_quota_is_read(tmp_path, quota, expected):
    proc, root = fake_cgroup(
        tmp_path,
        "4:memory:/docker/x\n3:cpu,cpuacct:/\n0::/\n",
        {"cpu,cpuacct/cpu.cfs_quota_us": quota, "cpu,cpuacct/cpu.cfs_period_us": "100000\n"},
    )
    assert slots.cgroup_quota(proc, root) == expected


def test_no_cgroup_file_means_no_quota(tmp_path):
    assert slots.cgroup_quota(tmp_path / "missing", tmp_path) is None


def test_a_quota_counts_as_cores_and_turns_pinning_off(monkeypatch):
    monkeypatch.setattr(slots, "cgroup_quota", lambda: 1.5)
    monkeypatch.setattr(slots.os, "sched_getaffinity", lambda pid: set(range(8)))
    monkeypatch.setattr(slots.os, "cpu_count", lambda: 8)
    assert slots.machine_cores() == [0]  # 1.5 CPUs' worth of time: one whole core per notebook
    assert not slots.pinning()  # every container of the host would pile onto CPU 0
    monkeypatch.setattr(slots.os, "sched_getaffinity", lambda pid: {2, 3})  # a cpuset as well
    assert slots.pinning()


def test_without_a_quota_slots_are_pinned(monkeypatch):
    monkeypatch.setattr(slots, "cgroup_quota", lambda: None)
    assert slots.pinning()

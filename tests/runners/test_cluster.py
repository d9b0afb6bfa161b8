"""Grading on a Dask cluster (autograder/cluster.py): the same results as local grading, faults
that cost no submission, and clear messages when the cluster cannot grade."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from autograder import course, demo, exits, grade
from autograder.paths import ROOT
from autograder.runners import cluster
from autograder.submission import Job
from tests.conftest import ctrl_c_after_first_result, grade_corpus
from tests.corpus import ASSIGNMENT, NOTEBOOKS, kill_workers_grading, marked, perfect, with_layers
from tests.sandbox.test_sandbox import NOBODY, as_user


# ----------------------------------------------------------------------------- grading slots per host
def slot_lock(slot: int) -> str:
    return f"nn-course-slot-{os.getuid()}-{slot}.lock"


def test_a_worker_claims_the_lowest_free_slot_and_holds_it_until_it_releases(tmp_path, monkeypatch):
    monkeypatch.setattr(cluster, "SLOT_LOCKS", tmp_path)
    (first, held), (second, other) = cluster.claim_slot(), cluster.claim_slot()
    assert (first, second) == (0, 1) and held.is_locked and other.is_locked
    assert (tmp_path / slot_lock(0)).stat().st_mode & 0o777 == 0o600
    held.release()
    again, _ = cluster.claim_slot()
    assert again == 0
    with pytest.raises(cluster.Timeout):  # as another worker finds it
        cluster.FileLock(tmp_path / slot_lock(1), timeout=0).acquire()


def test_a_slot_lock_that_is_a_link_or_another_users_is_left_alone(tmp_path, monkeypatch):
    monkeypatch.setattr(cluster, "SLOT_LOCKS", tmp_path)
    target = tmp_path / "precious"
    target.write_text("keep me")
    (tmp_path / slot_lock(0)).symlink_to(target)
    (tmp_path / slot_lock(1)).symlink_to(tmp_path / "nowhere")
    expected = 2
    if os.geteuid() == 0:
        (tmp_path / slot_lock(2)).write_text("")
        os.chown(tmp_path / slot_lock(2), NOBODY, NOBODY)
        expected = 3
    slot, _ = cluster.claim_slot()
    assert slot == expected and target.read_text() == "keep me" and not (tmp_path / "nowhere").exists()


# ----------------------------------------------------------------------------- submissions as bytes
def job_for(folder):
    spec = course.load(ASSIGNMENT)
    return Job(spec, folder.name, folder, spec.limits, "", 1, True)


def test_a_submission_travels_as_bytes_and_links_stay_links(tmp_path):
    first, second, third = NOTEBOOKS
    student = tmp_path / "class" / "s1"
    student.mkdir(parents=True)
    (student / first).write_bytes(b'{"cells": [broken')
    (student / second).symlink_to("/etc/passwd")
    (student / "notes.txt").write_text("not a notebook of the assignment")
    packed = cluster.pack(job_for(student))
    assert packed == cluster.Submission(False, {first: b'{"cells": [broken', second: None})

    (tmp_path / "worker").mkdir()
    copy = tmp_path / "worker" / "s1"
    cluster.unpack(packed, copy)
    assert (copy / first).read_bytes() == b'{"cells": [broken'
    assert (copy / second).is_symlink() and not (copy / third).exists()


def test_a_linked_student_folder_stays_a_link(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "linked").symlink_to(tmp_path / "real")
    packed = cluster.pack(job_for(tmp_path / "linked"))
    assert packed.folder_is_link and packed.files == {}
    (tmp_path / "worker").mkdir()
    cluster.unpack(packed, tmp_path / "worker" / "linked")
    assert (tmp_path / "worker" / "linked").is_symlink()


# ----------------------------------------------------------------------------- misuse
@pytest.mark.parametrize(
    "options, message",
    [
        ({"dask": "local:two"}, "local:N"),
        ({"dask": "local:0"}, "local:N"),
        ({"dask": "local:2", "jobs": 2}, "drop --jobs"),
    ],
)
def test_misuse_of_dask_exits_2_with_a_message(tmp_path, capsys, options, message):
    (tmp_path / "class").mkdir()
    assert grade.main(ASSIGNMENT, tmp_path / "class", tmp_path / "out", progress=False, **options) == 2
    assert message in capsys.readouterr().err


def test_an_unreachable_scheduler_is_named(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT", "2s")
    (tmp_path / "class").mkdir()
    assert grade.main(ASSIGNMENT, tmp_path / "class", tmp_path / "out", progress=False, dask="tcp://127.0.0.1:9") == 2
    err = capsys.readouterr().err
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in err
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_a_worker_with_another_version_of_the_course_is_refused(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(course.Assignment, "digest", lambda self: "not the workers' version")
    (tmp_path / "class").mkdir()
    assert grade.main(ASSIGNMENT, tmp_path / "class", tmp_path / "out", progress=False, dask="local:1") == 2
    err = capsys.readouterr().err
    assert "a Dask worker cannot grade: this worker has another version of the course" in err


# ----------------------------------------------------------------------------- the same results
def comparable(out, student):
    """results.json without what differs from run to run (times)."""
    data = json.loads((out / student / "results.json").read_text())
    data.pop("execution_time")
    data["extra_data"].pop("timing")
    return data


@pytest.mark.slow
def test_dask_grades_the_crafted_class_exactly_as_local_grading(corpus, graded, tmp_path):
    local_code, local_rows, local_out = graded
    code, rows, out = grade_corpus(corpus, tmp_path / "out", dask="local:2")
    assert code == local_code == exits.CRASHES  # the crafted class holds crashes (os_exit, sys_exit)
    assert (out / "grades.csv").read_bytes() == (local_out / "grades.csv").read_bytes()
    for student in rows:
        assert comparable(out, student) == comparable(local_out, student), student
        assert (out / student / "feedback.html").read_bytes() == (local_out / student / "feedback.html").read_bytes()
        assert sorted(p.name for p in (out / student).rglob("*")) == sorted(
            p.name for p in (local_out / student).rglob("*")
        ), student


@pytest.mark.slow
def test_a_rerun_on_dask_skips_what_is_graded(tmp_path, capsys):
    submissions = tmp_path / "class"
    demo.write_student(submissions / "s1", perfect())
    assert grade.main(ASSIGNMENT, submissions, tmp_path / "out", progress=False, dask="local:1") == 0
    before = (tmp_path / "out" / "s1" / "results.json").stat().st_mtime_ns
    assert grade.main(ASSIGNMENT, submissions, tmp_path / "out", progress=False, dask="local:1") == 0
    assert "1 already graded" in capsys.readouterr().out
    assert (tmp_path / "out" / "s1" / "results.json").stat().st_mtime_ns == before


# ----------------------------------------------------------------------------- faults
@pytest.mark.slow
def test_killed_workers_cost_no_submission(tmp_path):
    """`unlucky` loses its worker once (graded again elsewhere, full points); `victim` kills every
    worker that grades it (crashed); the others never notice, even those the scheduler had placed
    behind a dying submission on its worker."""
    submissions = tmp_path / "class"
    demo.write_student(submissions / "victim", with_layers(answer_layer1=marked("VICTIM")))
    demo.write_student(submissions / "unlucky", appended_marker(perfect(), "UNLUCKY"))
    for student in ("bystander1", "bystander2"):
        demo.write_student(submissions / student, perfect())
    stop, victims, unlucky = threading.Event(), set(), set()
    killers = [
        threading.Thread(target=kill_workers_grading, args=("VICTIM", stop, None, victims), daemon=True),
        threading.Thread(target=kill_workers_grading, args=("UNLUCKY", stop, 1, unlucky), daemon=True),
    ]
    for killer in killers:
        killer.start()
    try:
        code, rows, _ = grade_corpus(submissions, tmp_path / "out", dask="local:2")
    finally:
        stop.set()
        for killer in killers:
            killer.join()
    # Each time the victim's grading starts, its worker dies: crashed after at least two such
    # deaths (Dask may already have given the task to a further worker).
    assert code == exits.CRASHES and len(victims) >= 2 and len(unlucky) == 1  # the victim crashed
    assert rows["victim"]["status"] == "crashed"
    assert re.search(r"the grading worker died (twice|[0-9]+ times)", rows["victim"]["reason"])
    for student in ("unlucky", "bystander1", "bystander2"):
        assert rows[student]["status"] == "graded", rows[student]
        assert rows[student]["score"] == rows[student]["max_score"], rows[student]


def appended_marker(submission, marker):
    """A perfect submission whose first notebook ends with a cell that leaves `marker` and waits
    a moment (long enough for the killer), so it is graded fully when its worker survives."""
    from nbformat.v4 import new_code_cell

    first = NOTEBOOKS[0]
    submission[first].cells.append(new_code_cell(marked(marker).replace("time.sleep(120)", "time.sleep(5)")))
    return submission


@pytest.mark.slow
def test_ctrl_c_cancels_the_tasks_and_keeps_finished_results(tmp_path):
    submissions, out = tmp_path / "class", tmp_path / "out"
    demo.write_student(submissions / "quick", perfect())
    for student in ("slow1", "slow2", "slow3"):
        demo.write_student(submissions / student, with_layers(answer_layer1=marked("SLOW")))
    command = [
        sys.executable,
        "-m",
        "autograder",
        "grade",
        ASSIGNMENT,
        str(submissions),
        "--out",
        str(out),
        "--dask",
        "local:1",
    ]
    # Like Ctrl-C in a terminal: SIGINT to the whole process group (the client and its cluster).
    code, err = ctrl_c_after_first_result(command, out, wait=300, timeout=120)
    assert code == 130, err[-3000:]
    assert "finished results are kept" in err
    assert sorted(p.parent.name for p in out.glob("*/results.json")) == ["quick"]
    assert [line.split(",")[0] for line in (out / "grades.csv").read_text().splitlines()[1:]] == ["quick"]


def test_a_missing_scheduler_file_is_named(tmp_path, capsys):
    (tmp_path / "class").mkdir()
    assert (
        grade.main(ASSIGNMENT, tmp_path / "class", tmp_path / "out", progress=False, dask=str(tmp_path / "sched.json"))
        == 2
    )
    assert "no such scheduler file" in capsys.readouterr().err


@pytest.mark.slow
def test_an_existing_scheduler_and_worker_started_by_hand(tmp_path):
    """The set-up of a real cluster: `dask scheduler` and `dask worker` processes started apart from
    the grader (as srun or a Kubernetes pod would), found through their scheduler file. As root,
    the worker runs as an unprivileged user, as a cluster job does; its sandbox is then built
    without root."""
    root = os.geteuid() == 0
    shared = Path(tempfile.mkdtemp(prefix="nn-course-cluster-"))  # pytest's tmp_path is closed to others
    shared.chmod(0o755)
    home = shared / "home"
    home.mkdir()
    if root:
        os.chown(home, NOBODY, NOBODY)
    submissions = tmp_path / "class"
    demo.write_student(submissions / "s1", perfect())
    demo.write_student(submissions / "s2", {n: demo.blank(ASSIGNMENT, n) for n in NOTEBOOKS})
    sched = shared / "sched.json"
    scheduler = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "distributed.cli.dask_scheduler",
            "--scheduler-file",
            str(sched),
            "--port",
            "0",
            "--dashboard-address",
            ":0",
        ],
        stderr=subprocess.DEVNULL,
    )
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "distributed.cli.dask_worker",
            "--scheduler-file",
            str(sched),
            "--nthreads",
            "1",
            "--nworkers",
            "1",
        ],
        cwd=ROOT,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "HOME": str(home)},
        preexec_fn=as_user(NOBODY) if root else None,
    )
    try:
        deadline = time.monotonic() + 60
        while not sched.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        code, rows, _ = grade_corpus(submissions, tmp_path / "out", dask=str(sched))
    finally:
        for process in (worker, scheduler):
            process.terminate()
            process.wait(timeout=60)
        shutil.rmtree(shared)
    assert code == 0
    if root:  # the worker's lock file shows who graded
        assert any(p.stat().st_uid == NOBODY for p in cluster.SLOT_LOCKS.glob(f"nn-course-slot-{NOBODY}-*.lock"))
    assert rows["s1"]["status"] == "graded" and rows["s1"]["score"] == rows["s1"]["max_score"]
    assert rows["s2"]["status"] == "graded" and rows["s2"]["score"] == "0"


@pytest.mark.slow
def test_the_dask_dashboard_is_served():
    import urllib.request

    client, local = cluster.connect("local:1", course.load(ASSIGNMENT), isolated=True)
    try:
        with urllib.request.urlopen(client.dashboard_link, timeout=30) as page:
            assert page.status == 200 and b"Dask" in page.read()
    finally:
        cluster.close(client, local)

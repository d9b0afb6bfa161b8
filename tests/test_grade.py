"""The grading engine end to end: a class of crafted submissions, graded in one batch, each graded
as a TA would expect, the batch never aborting. Slow: every notebook runs in a fresh kernel."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell

from autograder import course, demo, exits, grade
from autograder.paths import ENGINE, ROOT
from autograder.sandbox import slots
from autograder.submission import execute, scrub
from tests.conftest import ctrl_c_after_first_result
from tests.corpus import (
    ASSIGNMENT,
    CELL_TIMEOUT,
    CLASS,
    FORGED_PROBE,
    LAYERS,
    LINKED,
    NOTEBOOKS,
    TRAINING,
    VICTIM,
    kill_workers_grading,
    perfect,
    with_layers,
)

pytestmark = pytest.mark.slow


def results(out, student):
    return json.loads((out / student / "results.json").read_text())


def test_the_batch_completes_with_a_row_per_student(graded):
    code, rows, _ = graded
    # os_exit crashed (its kernel died): the batch ran, and its exit status says a submission crashed
    assert code == exits.for_statuses(r["status"] for r in rows.values()) == exits.CRASHES
    assert set(rows) == set(CLASS) | set(LINKED)


def test_perfect_gets_full_points_blank_gets_zero(graded):
    _, rows, _ = graded
    assert rows["perfect"]["status"] == "graded"
    assert float(rows["perfect"]["score"]) == float(rows["perfect"]["max_score"]) > 0
    assert float(rows["blank"]["score"]) == 0 and rows["blank"]["status"] == "graded"


def test_partly_right_loses_exactly_its_wrong_items(graded):
    _, rows, out = graded
    assert rows["partly"]["mse"] == "0" and rows["partly"]["layer2"] == "0"
    failed = {t["name"] for t in results(out, "partly")["tests"] if t["score"] < t["max_score"]}
    assert failed == {"mse", "layer2"}


def test_edited_tests_and_inflated_points_change_nothing(graded):
    _, rows, _ = graded
    assert rows["edited_tests"]["sigmoid"] == "0"
    assert rows["edited_tests"]["relu"] == rows["perfect"]["relu"] != "0"  # deleted test still graded
    assert rows["edited_tests"]["max_score"] == rows["perfect"]["max_score"]


def test_always_equal_objects_do_not_pass(graded):
    _, rows, _ = graded
    assert rows["always_equal"]["w_weight"] == "0"


def test_monkeypatched_comparisons_do_not_rescue_a_wrong_answer(graded):
    _, rows, _ = graded
    assert rows["monkeypatched"]["W"] == "0"
    assert rows["monkeypatched"]["sigmoid"] == rows["perfect"]["sigmoid"] != "0"


def test_fake_results_are_ignored(graded):
    _, rows, out = graded
    assert rows["fake_results"]["W"] == "0"
    assert float(results(out, "fake_results")["score"]) < float(rows["perfect"]["score"])


def test_warnings_and_stderr_cost_nothing(graded):
    _, rows, _ = graded
    assert rows["warnings"]["score"] == rows["perfect"]["score"]


def test_os_exit_is_a_crash_and_earlier_items_keep_their_points(graded):
    _, rows, _ = graded
    row = rows["os_exit"]
    assert row["status"] == "crashed" and "kernel died" in row["reason"]
    assert row["sigmoid"] != "0" and row["layer1"] != "0" and row["relu"] == "0"


def test_sys_exit_only_fails_its_own_item(graded):
    _, rows, _ = graded
    assert rows["sys_exit"]["status"] == "graded"
    assert rows["sys_exit"]["relu"] == "0" and rows["sys_exit"]["mse"] == rows["perfect"]["mse"]


def test_an_infinite_loop_times_out_and_the_batch_goes_on(graded):
    _, rows, _ = graded
    row = rows["infinite_loop"]
    assert row["status"] == "timeout" and f"{CELL_TIMEOUT:g} s" in row["reason"]
    assert row["sigmoid"] != "0" and row["relu"] == "0"


def test_a_memory_bomb_fails_its_item_only(graded):
    _, rows, _ = graded
    assert rows["memory_bomb"]["relu"] == "0"
    assert rows["memory_bomb"]["mse"] == rows["perfect"]["mse"]


def test_broken_files_are_invalid_notebooks(graded):
    _, rows, out = graded
    assert rows["invalid_json"]["status"] == "invalid notebook"
    assert "not valid JSON" in rows["invalid_json"]["reason"]
    assert float(rows["invalid_json"]["score"]) == 0


def test_a_folder_without_notebooks_is_missing(graded):
    _, rows, _ = graded
    assert rows["no_notebooks"]["status"] == "missing"
    assert float(rows["no_notebooks"]["score"]) == 0


def test_an_nbformat_44_notebook_is_graded_like_any_other(graded):
    _, rows, _ = graded
    assert rows["nbformat44"]["score"] == rows["perfect"]["score"]


def test_student_code_cannot_read_hidden_files_or_reach_the_network(graded):
    _, rows, out = graded
    executed = nbformat.read(str(out / "snoop" / "executed" / LAYERS), as_version=4)
    printed = "".join(o.get("text", "") for c in executed.cells for o in c.get("outputs", []))
    assert "DENIED" in printed and "READ " not in printed
    assert "OFFLINE" in printed and "NETWORK" not in printed
    assert "UID 0" not in printed and "UID " in printed
    assert rows["snoop"]["score"] == rows["perfect"]["score"]


def test_no_kernel_or_zygote_outlives_the_batch(graded):
    left = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if b"kernel_factory" in cmdline.read_bytes():
                left.append(cmdline.parent.name)
        except OSError:
            continue
    assert left == []


def test_feedback_never_shows_hidden_tests(graded):
    _, _, out = graded
    for student in [*CLASS, *LINKED]:
        page = (out / student / "feedback.html").read_text()
        assert "BEGIN HIDDEN TESTS" not in page and "autograder.checks" not in page
        assert "observe_" not in page and "def test_" not in page


def test_results_json_has_gradescope_fields(graded):
    _, _, out = graded
    data = results(out, "partly")
    assert {"score", "execution_time", "output", "tests"} <= set(data)
    assert all({"name", "score", "max_score", "output", "visibility"} <= set(t) for t in data["tests"])


def test_a_rerun_skips_what_is_graded_and_force_regrades_the_same(graded, tmp_path):
    _, rows, out = graded
    again = tmp_path / "again"
    shutil.copytree(out, again)
    before = (again / "perfect" / "results.json").stat().st_mtime_ns
    submissions = out.parent / "submissions"
    assert grade.main(ASSIGNMENT, submissions, again, jobs=1, progress=False) == exits.CRASHES  # os_exit, kept
    assert (again / "perfect" / "results.json").stat().st_mtime_ns == before
    (again / "perfect").joinpath("results.json").unlink()
    # Only `perfect` is graded again (the others are skipped): same scores, per item.
    assert grade.main(ASSIGNMENT, submissions, again, jobs=1, progress=False) == exits.CRASHES  # os_exit, kept
    rerun = {r["student_id"]: r for r in csv.DictReader((again / "grades.csv").open())}
    assert rerun["perfect"] == rows["perfect"]


def test_misuse_exits_2_with_a_message(tmp_path, capsys):
    assert grade.main("no_such_assignment", tmp_path, tmp_path / "out") == 2
    assert "unknown assignment" in capsys.readouterr().err
    assert grade.main(ASSIGNMENT, tmp_path / "nowhere", tmp_path / "out") == 2
    assert "is not a folder" in capsys.readouterr().err


def test_ctrl_c_keeps_finished_results_and_a_rerun_finishes_the_rest(tmp_path):
    import subprocess
    import sys

    submissions, out = tmp_path / "submissions", tmp_path / "out"
    for student in ("s1", "s2", "s3"):
        demo.write_student(submissions / student, perfect())
    command = [
        sys.executable,
        "-m",
        "autograder",
        "grade",
        ASSIGNMENT,
        str(submissions),
        "--out",
        str(out),
        "--jobs",
        "1",
    ]
    # Like Ctrl-C in a terminal: SIGINT to the whole process group, once the first student is done.
    code, err = ctrl_c_after_first_result(command, out)
    assert code == 130, err[-2000:]
    assert "finished results are kept" in err
    finished = sorted(p.parent.name for p in out.glob("*/results.json"))
    assert finished and len(finished) < 3
    for student in finished:
        json.loads((out / student / "results.json").read_text())  # complete, not half written
    graded_rows = list(csv.DictReader((out / "grades.csv").open()))
    assert sorted(r["student_id"] for r in graded_rows) == finished
    assert not list(out.rglob("*.tmp"))
    # the class report of what was graded by then, saying the batch was interrupted
    assert f"class report so far: {out / 'report.html'}" in err
    assert json.loads((out / "batch.json").read_text())["completed"] is False
    assert "interrupted (Ctrl-C)" in (out / "report.html").read_text()
    again = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert again.returncode == 0
    assert f"{len(finished)} already graded" in again.stdout
    assert f"class report: {out / 'report.html'}" in again.stdout
    batch = json.loads((out / "batch.json").read_text())
    assert batch["completed"] and batch["skipped"] == len(finished) and batch["graded"] == 3 - len(finished)
    rows = {r["student_id"]: r for r in csv.DictReader((out / "grades.csv").open())}
    assert set(rows) == {"s1", "s2", "s3"} and all(r["score"] == r["max_score"] for r in rows.values())


# ----------------------------------------------------------------------------- the trust boundary
def executed_text(out, student, notebook):
    executed = nbformat.read(str(out / student / "executed" / notebook), as_version=4)
    return executed, "".join(o.get("text", "") for c in executed.cells for o in c.get("outputs", []))


def test_nothing_of_the_grader_stays_in_the_kernel_after_a_probe(graded):
    _, rows, out = graded
    _, printed = executed_text(out, "reference_thief", TRAINING)
    assert "CLEAN" in printed and "LEAK" not in printed, printed[-3000:]
    assert rows["reference_thief"]["one_epoch"] == "0"
    assert rows["reference_thief"]["standardize"] == rows["perfect"]["standardize"] != "0"


def test_student_cells_with_grader_metadata_change_nothing_and_stay_visible(graded):
    _, rows, out = graded
    assert rows["forged_roles"]["W"] == "0"
    assert rows["forged_roles"]["layer1"] == rows["perfect"]["layer1"] != "0"
    executed, printed = executed_text(out, "forged_roles", LAYERS)
    assert "FORGED TEST RAN" in printed and "FORGED PROBE RAN" in printed
    sources = [c.source for c in executed.cells]
    assert 'print("FORGED TEST RAN")' in sources and FORGED_PROBE in sources


def test_exception_text_reaching_the_student_is_bounded_and_carries_no_hidden_check(graded):
    _, rows, out = graded
    assert rows["exfiltrate"]["tanh"] == "0"
    tanh = next(t for t in results(out, "exfiltrate")["tests"] if t["name"] == "tanh")
    assert "The visible checks failed" in tanh["output"] and len(tanh["output"]) <= scrub.MESSAGE_CHARS
    page = (out / "exfiltrate" / "feedback.html").read_text()
    assert len(page) < 20_000
    for secret in ("observe_", "autograder", "def test_", "BEGIN HIDDEN"):
        assert secret not in page and secret not in json.dumps(results(out, "exfiltrate"))


def test_output_is_bounded_while_the_notebook_runs(graded):
    _, rows, out = graded
    assert rows["print_flood"]["score"] == rows["perfect"]["score"]
    _, printed = executed_text(out, "print_flood", LAYERS)
    assert "dropped by the grader" in printed
    assert (out / "print_flood" / "executed" / LAYERS).stat().st_size < 2 * execute.CELL_OUTPUT_CHARS


def test_a_tensor_subclass_fails_its_item_cleanly(graded):
    _, rows, out = graded
    row = rows["tensor_subclass"]
    assert row["status"] == "graded" and row["W"] == "0"
    assert row["layer1"] == rows["perfect"]["layer1"] != "0" and row["sigmoid"] == rows["perfect"]["sigmoid"]
    w = next(t for t in results(out, "tensor_subclass")["tests"] if t["name"] == "W")
    assert "plain torch tensors" in w["output"]


def test_a_symbolic_link_to_another_students_work_is_refused(graded):
    _, rows, _ = graded
    row = rows["symlinked"]
    assert row["status"] == "invalid notebook" and "symbolic link" in row["reason"]
    assert float(row["score"]) == 0


# ----------------------------------------------------------------------------- faults and re-runs
def test_a_dead_worker_costs_only_the_submission_it_was_grading(tmp_path):
    import threading

    submissions, out = tmp_path / "submissions", tmp_path / "out"
    demo.write_student(submissions / "victim", with_layers(answer_layer1=VICTIM))
    for student in ("bystander1", "bystander2"):
        demo.write_student(submissions / student, perfect())
    stop = threading.Event()
    killer = threading.Thread(target=kill_workers_grading, args=("VICTIM", stop), daemon=True)
    killer.start()
    try:
        assert grade.main(ASSIGNMENT, submissions, out, jobs=2, progress=False) == exits.CRASHES
    finally:
        stop.set()
        killer.join()
    rows = {r["student_id"]: r for r in csv.DictReader((out / "grades.csv").open())}
    assert rows["victim"]["status"] == "crashed" and "worker died" in rows["victim"]["reason"]
    for student in ("bystander1", "bystander2"):
        assert rows[student]["status"] == "graded" and rows[student]["score"] == rows[student]["max_score"]


def test_the_digest_that_skips_graded_work_covers_the_whole_engine(tmp_path, monkeypatch):
    spec = course.load(ASSIGNMENT)
    engine = tmp_path / "autograder"
    shutil.copytree(ENGINE, engine, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(course, "ENGINE", engine)
    before = spec.digest()
    for changed in (
        "checks/kernel/api.py",
        "checks/grader/api.py",
        "course/__init__.py",
        "submission/probe.py",
        "submission/scrub.py",
        "vocabulary.py",
        "outputs/results.py",
    ):
        path = engine / changed
        path.write_text(path.read_text() + "\n# changed\n")
        assert spec.digest() != before, changed
        before = spec.digest()
    # The class report only reads results: restyling it does not grade the class again.
    readers = [p for folder in course.AFTER_GRADING for p in (engine / folder).rglob("*") if p.is_file()]
    assert {p.name for p in readers} >= {"__init__.py", "classstats.py", "report.html.j2"}
    for path in readers:
        path.write_text(path.read_text() + "\n# restyled\n")
        assert spec.digest() == before, path


# ----------------------------------------------------------------------------- cores per slot
# 64 torch threads, and 4 spinning processes, each in a session of its own (so that the kernel's
# scheduler does not group them with the notebook's kernel), on every core it can get.
HOG = """\
import os, subprocess, sys, time, torch
print("THREADS", torch.get_num_threads(), "CORES", sorted(os.sched_getaffinity(0)))
torch.set_num_threads(64)
spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"], start_new_session=True)
            for _ in range(4)]
print("SPINNER CORES", sorted(os.sched_getaffinity(spinners[0].pid)))
a = torch.randn(800, 800)
end = time.monotonic() + 5
while time.monotonic() < end:
    a @ a
for spinner in spinners:
    spinner.kill()
"""


def test_a_notebook_that_asks_for_every_core_stays_on_its_own_slot(tmp_path):
    """A hog (64 torch threads and 4 spinning processes in sessions of their own) graded beside a
    perfect submission, 2 slots of 1 core: the hog's kernel gets 1 thread and 1 core, and the
    processes it starts inherit that one core, so the other slot's core stays free. (What this is
    worth in time is measured in bench/, not asserted here.)"""
    hog = perfect()
    hog[LAYERS].cells.insert(0, new_code_cell(HOG))
    demo.write_student(tmp_path / "batch" / "hog", hog)
    demo.write_student(tmp_path / "batch" / "victim", perfect())
    assert grade.main(ASSIGNMENT, tmp_path / "batch", tmp_path / "batch_out", jobs=2, progress=False) == 0
    beside_hog = results(tmp_path / "batch_out", "victim")
    assert beside_hog["score"] == beside_hog["max_score"]
    _, printed = executed_text(tmp_path / "batch_out", "hog", LAYERS)
    cores = slots.machine_cores()
    assert f"THREADS 1 CORES [{cores[0]}]" in printed or f"THREADS 1 CORES [{cores[1]}]" in printed, printed
    hog_core = printed.split("CORES ")[1].split("\n")[0]
    assert f"SPINNER CORES {hog_core}" in printed
    timing = beside_hog["extra_data"]["timing"]
    assert set(timing) == set(NOTEBOOKS) and all(
        t["seconds"] >= t["slowest_cell_seconds"] >= 0 and t["seconds"] > 0 for t in timing.values()
    )  # a fast cell rounds to 0.0 s


def test_an_observation_published_by_student_code_during_a_check_makes_the_item_fail(graded):
    _, rows, out = graded
    assert rows["forging_sigmoid"]["sigmoid"] == "0" and rows["forging_sigmoid"]["tanh"] == rows["perfect"]["tanh"]
    sigmoid = next(t for t in results(out, "forging_sigmoid")["tests"] if t["name"] == "sigmoid")
    assert "published output in the format" in sigmoid["output"]


def test_malformed_kernel_messages_are_dropped_not_fatal(graded):
    _, rows, out = graded
    _, printed = executed_text(out, "malformed_messages", LAYERS)
    assert "SENT" in printed
    assert rows["malformed_messages"]["status"] == "graded"
    assert rows["malformed_messages"]["score"] == rows["perfect"]["score"]


def test_only_the_notebook_that_reaches_into_other_frames_is_up_for_review(graded):
    """Issue 21: hooks are reported to staff (grades.csv), never to the student in detail; no
    honest submission of the class is marked."""
    _, rows, out = graded
    assert {s for s, r in rows.items() if r["status"] == "review"} == {"reference_thief"}
    assert f"review: {TRAINING}: frame walking (in the code)" in rows["reference_thief"]["reason"]
    assert float(rows["reference_thief"]["score"]) > 0  # graded as any other, then looked at
    page = (out / "reference_thief" / "feedback.html").read_text()
    assert "Course staff will look at this submission" in page and "frame walking" not in page

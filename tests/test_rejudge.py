"""Saved observations and `python -m autograder rejudge`: the grader-side tests run by pytest give
the plain loop's verdicts; what judging read is saved and read back; a class is judged again
without a kernel, identically, and a fixed check changes only its own item.

Fast: a class of 01_layers.ipynb run in this process (no kernel), written as grading writes it.
Slow: the crafted class (the `graded` fixture) judged again."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
import warnings

import pytest
import torch
from nbformat.v4 import new_output

from autograder import course, demo, rejudge, report
from autograder.checks import COULD_NOT_JUDGE, items, runner, verdict
from autograder.checks.grader.api import MAX_PAYLOAD_CHARS, decode
from autograder.checks.kernel.api import CheckFailed, encode, observe
from autograder.course import notebooks
from autograder.course.items import source_tests
from autograder.outputs import results
from autograder.paths import ROOT, SOURCE
from autograder.submission import judge, saved
from autograder.submission.plan import Context, build
from autograder.submission.probe import ProbeResult
from autograder.vocabulary import INVALID, ItemResult, Outcome, SubmissionResult

ASSIGNMENT, LAYERS = "neural_nets", "01_layers.ipynb"
STUDENT_FILES = ("results.json", "feedback.html")


@pytest.fixture(scope="module")
def namespace():
    """The reference solution of 01_layers, run in this process."""
    return notebooks.run_in_process(SOURCE / ASSIGNMENT / LAYERS)


def executed(ns: dict, visible_error: str | None = None, no_probe: str | None = None):
    """(plan, probes) as if the perfect 01_layers had run in a kernel with `ns` as its namespace:
    the test cell of `visible_error` raised, the probe of `no_probe` never ran."""
    tests = source_tests(course.load(ASSIGNMENT).sources[LAYERS], LAYERS)
    plan = build(Context(ASSIGNMENT, tests), demo.answered(ASSIGNMENT, LAYERS), LAYERS)
    for count, cell in enumerate((c for c in plan.nb.cells if c.cell_type == "code"), 1):
        cell.execution_count = count
    for index, test in plan.test_at.items():
        if test.grade_id == visible_error:
            plan.nb.cells[index].outputs = [
                new_output("error", ename="AssertionError", evalue="layer2 has the wrong shape", traceback=["x"])
            ]
    probes = {
        t.grade_id: ProbeResult([encode(observe(items(ASSIGNMENT)[t.grade_id].observer, ns))])
        for t in tests
        if t.grade_id != no_probe
    }
    return plan, probes


def graded_student(out, student: str, ns: dict, **faults) -> SubmissionResult:
    """Write one student's files as a grading does; their result."""
    plan, probes = executed(ns, **faults)
    log: list[str] = []
    result = SubmissionResult(student, ASSIGNMENT, submission_sha256=f"sha-{student}", execution_time=12.3)
    result.items = judge.judge(plan, probes, "", log)
    outcome = Outcome(
        result,
        "graded\n" + "\n".join(log),
        {LAYERS: "{}"},
        {LAYERS: saved.dump(plan, probes, "", result.submission_sha256)},
    )
    results.write_outcome(out, outcome)
    return result


@pytest.fixture
def out(tmp_path, namespace):
    """A graded class: right, wrong_W (W is off by one), faulty (a visible error and a missing probe),
    and invalid (no observations: its notebook could not be read)."""
    out = tmp_path / "out"
    wrong = dict(namespace, W=namespace["W"] + 1.0)
    done = [
        graded_student(out, "right", namespace),
        graded_student(out, "wrong_W", wrong),
        graded_student(out, "faulty", namespace, visible_error="layer2", no_probe="Y_pred"),
    ]
    invalid = SubmissionResult(
        "invalid",
        ASSIGNMENT,
        INVALID,
        "01_layers.ipynb is not valid JSON",
        submission_sha256="sha-invalid",
        items=[ItemResult("W", LAYERS, 1.0, message="not readable")],
    )
    results.write_outcome(out, Outcome(invalid, "invalid\n"))
    results.write_atomic(out / "grades.csv", results.grades_csv([*done, invalid], course.load(ASSIGNMENT).item_ids))
    report.write(out, [*done, invalid])
    return out


def grades(out) -> list[dict]:
    return list(csv.DictReader((out / "grades.csv").open()))


def files(out) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


# ----------------------------------------------------------------------------- saving, loading
def test_saved_observations_read_back_judge_the_same(namespace):
    plan, probes = executed(namespace, visible_error="layer2", no_probe="Y_pred")
    back = saved.load(saved.dump(plan, probes, "the kernel died", "sha"))
    assert (back.digest, back.stopped, back.plan.tests, back.plan.answer_at) == (
        "sha",
        "the kernel died",
        plan.tests,
        plan.answer_at,
    )
    assert {i: t.grade_id for i, t in back.plan.test_at.items()} == {i: t.grade_id for i, t in plan.test_at.items()}
    assert back.probes == probes and "Y_pred" not in back.probes
    assert judge.judge(back.plan, back.probes, back.stopped, []) == judge.judge(plan, probes, "the kernel died", [])


def test_a_test_cell_whose_reply_said_error_fails_again_when_re_judged(namespace):
    """Issue 21: an exception handler hid a failing visible assert (no error output); the kernel's
    reply said "error". Saved with the observations, so re-judging fails the item too."""
    plan, probes = executed(namespace)
    index = next(i for i, t in plan.test_at.items() if t.grade_id == "layer2")
    graded = judge.judge(plan, probes, "", [], frozenset({index}))
    back = saved.load(saved.dump(plan, probes, "", "sha", frozenset({index})))
    assert back.failed_cells == {index}
    again = judge.judge(back.plan, back.probes, back.stopped, [], back.failed_cells)
    assert again == graded and not {r.grade_id: r for r in again}["layer2"].passed


def test_saved_observations_are_plain_data(namespace):
    plan, probes = executed(namespace)
    record = torch.load(io.BytesIO(saved.dump(plan, probes, "", "sha")), weights_only=True)
    assert set(record["probes"]) == {t.grade_id for t in plan.tests}
    assert all(decode(p["payload"])["ok"] for p in record["probes"].values())


def test_forged_and_oversized_observations_are_judged_again_the_same(namespace):
    plan, probes = executed(namespace)
    probes["W"] = ProbeResult(["forged"] * 1000)
    probes["layer1"] = ProbeResult(["A" * (MAX_PAYLOAD_CHARS + 10)])
    data = saved.dump(plan, probes, "", "sha")
    assert len(data) < MAX_PAYLOAD_CHARS + 100_000
    back = saved.load(data)
    assert judge.judge(back.plan, back.probes, "", []) == judge.judge(plan, probes, "", [])


@pytest.mark.parametrize("data", [b"not a torch file", b""])
def test_unreadable_observations_say_what_to_do(data):
    with pytest.raises(saved.UnreadableObservations, match=r"some\.pt cannot be read.*--force"):
        saved.load(data, "some.pt")


def test_observations_of_another_format_are_refused():
    buffer = io.BytesIO()
    torch.save({"format": saved.FORMAT + 1}, buffer)
    with pytest.raises(saved.UnreadableObservations, match="format"):
        saved.load(buffer.getvalue())


def test_observations_are_staff_only_and_a_regrading_replaces_them(out):
    assert (out / "right" / "observations" / "01_layers.pt").is_file()
    assert not (out / "invalid" / "observations").exists()
    for page in [out / "report.html", *out.glob("*/feedback.html"), *out.glob("*/results.json")]:
        assert "observations" not in page.read_text(), page
    right = results.read_student(out, "right")
    results.write_outcome(out, Outcome(right, "graded again\n"))  # now without observations
    assert not list((out / "right" / "observations").glob("*.pt"))


# ----------------------------------------------------------------------------- pytest runs the tests
def test_the_pytest_runner_gives_the_plain_loops_verdicts(namespace, monkeypatch):
    catalog = items(ASSIGNMENT)
    observed = {
        gid: decode(encode(observe(catalog[gid].observer, namespace)))
        for gid in ("layer1", "w_bias", "w_weight", "W", "layer2")
    }
    observed["layer2"] = {"ok": False, "message": "`layer2` is not defined"}

    def failing(obs):
        raise CheckFailed("W is not the transpose of w_weight.")

    def buggy(obs):
        return obs["a key no observation has"]

    def warning(obs):
        warnings.warn("a check's own warning", UserWarning, stacklevel=2)

    def unknown_fixture(obs, nope):
        pass

    monkeypatch.setattr(catalog["W"].grader_module, "test_W", failing)
    monkeypatch.setattr(catalog["layer1"].grader_module, "test_layer1", buggy)
    monkeypatch.setattr(catalog["w_bias"].grader_module, "test_w_bias", warning)
    monkeypatch.setattr(catalog["w_weight"].grader_module, "test_w_weight", unknown_fixture)
    monkeypatch.setattr(catalog["W"].grader_module, "MEASURES", {"one": lambda data: 1.0}, raising=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a warning that reached us would fail the test
        found = runner.verdicts({gid: (catalog[gid], obs) for gid, obs in observed.items()})
    plain = {gid: verdict(catalog[gid], obs) for gid, obs in observed.items()}
    assert {g: (v.passed, v.message, v.metrics) for g, v in found.items()} == {
        g: (v.passed, v.message, v.metrics) for g, v in plain.items()
    }
    assert found["W"].message == "W is not the transpose of w_weight." and found["W"].metrics == {"one": 1.0}
    assert found["layer1"].message == COULD_NOT_JUDGE and "KeyError" in found["layer1"].log
    assert "in buggy" in found["layer1"].log and "pluggy" not in found["layer1"].log
    assert found["w_weight"].message == COULD_NOT_JUDGE and "fixture 'nope' not found" in found["w_weight"].log
    assert found["w_bias"].passed and not found["layer2"].passed


def test_the_pytest_runner_leaves_no_trace(namespace, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PYTEST_ADDOPTS", "--this-option-does-not-exist")
    item = items(ASSIGNMENT)["w_bias"]
    path, modules = list(sys.path), set(sys.modules)
    found = runner.verdicts({"a": (item, decode(encode(observe(item.observer, namespace))))})
    assert found["a"].passed
    assert sys.path == path and os.environ["PYTEST_ADDOPTS"] == "--this-option-does-not-exist"
    assert not list(tmp_path.iterdir()) and not list((ROOT / "autograder").rglob(".pytest_cache"))
    assert not {m for m in set(sys.modules) - modules if m.startswith("autograder.checks.grader")}


# ----------------------------------------------------------------------------- rejudge
def test_rejudging_an_unchanged_class_rewrites_the_same_files(out, capsys):
    before = files(out)
    assert rejudge.main(out) == 0
    after = files(out)
    assert set(after) == set(before)
    changed = {name for name in before if before[name] != after[name]}
    assert changed == {"report.html", "right/grading.log", "wrong_W/grading.log", "faulty/grading.log"}
    log = (out / "right" / "grading.log").read_text()
    assert log.startswith(before["right/grading.log"].decode()) and "re-judged " in log
    printed = capsys.readouterr().out
    assert "re-judged 3 submission(s)" in printed and "0 changed" in printed and "kept their result: invalid" in printed


def test_a_fixed_check_changes_only_its_own_item(out, monkeypatch):
    before = files(out)
    grader = items(ASSIGNMENT)["W"].grader_module

    def stricter(obs):
        raise CheckFailed("W should be computed with .T")

    monkeypatch.setattr(grader, "test_W", stricter)
    assert rejudge.main(out) == 0
    for student in ("right", "wrong_W", "faulty"):
        old = json.loads(before[f"{student}/results.json"])
        new = json.loads((out / student / "results.json").read_text())
        differ = [o["name"] for o, n in zip(old["tests"], new["tests"], strict=True) if o != n]
        assert differ == ["W"], student
        assert "W should be computed with .T" in (out / student / "feedback.html").read_text()
        if student != "wrong_W":  # wrong_W failed W already: its message changes, not its score
            assert new["score"] == old["score"] - 1
            assert "W: 1 -> 0/1 W should be computed with .T" in (out / student / "grading.log").read_text()
    old_rows = list(csv.DictReader(io.StringIO(before["grades.csv"].decode())))
    for old, new in zip(old_rows, grades(out), strict=True):
        assert {k for k in old if old[k] != new[k]} == (
            set() if old["student_id"] in ("wrong_W", "invalid") else {"score", "W"}
        ), old["student_id"]
    assert before["invalid/results.json"] == (out / "invalid" / "results.json").read_bytes()


def test_observations_that_do_not_match_results_json_keep_the_result(out, capsys):
    shutil.copy(out / "right" / "observations" / "01_layers.pt", out / "wrong_W" / "observations" / "01_layers.pt")
    (out / "faulty" / "observations" / "01_layers.pt").write_bytes(b"garbage")
    before = files(out)
    assert rejudge.main(out) == 1
    err = capsys.readouterr().err
    assert "wrong_W kept their result" in err and "not from the grading that wrote results.json" in err
    assert "faulty kept their result" in err and "--force" in err
    for student in ("wrong_W", "faulty"):
        assert (out / student / "grading.log").read_bytes() == before[f"{student}/grading.log"]


def test_rejudge_refuses_a_folder_without_results(tmp_path, capsys):
    assert rejudge.main(tmp_path) == 2
    assert "no graded submission" in capsys.readouterr().err
    assert rejudge.main(tmp_path / "nowhere") == 2


def test_rejudge_needs_the_assignment_out_holds(out, capsys):
    assert rejudge.main(out, "mnist_quiz") == 2
    assert "holds no result of mnist_quiz" in capsys.readouterr().err


def test_the_command_line_rejudges(out):
    run = subprocess.run(
        [sys.executable, "-m", "autograder", "rejudge", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert run.returncode == 0, run.stderr
    assert "re-judged 3 submission(s) of neural_nets" in run.stdout


# ----------------------------------------------------------------------------- plain pytest
def test_plain_pytest_judges_the_saved_observations(out):
    command = [
        sys.executable,
        "-m",
        "pytest",
        "autograder/checks/grader/neural_nets/layers",
        "-p",
        "no:cacheprovider",
        "-q",
        "--observations",
    ]
    run = subprocess.run([*command, str(out)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode == 1, run.stdout + run.stderr
    failed = sorted(line.split()[1] for line in run.stdout.splitlines() if line.startswith("FAILED"))
    assert failed == [
        "autograder/checks/grader/neural_nets/layers/test_W.py::test_W[wrong_W]",
        "autograder/checks/grader/neural_nets/layers/test_Z_by_hand.py::test_Z_by_hand[wrong_W]",
    ]
    seen = next(
        t["output"] for t in json.loads((out / "wrong_W" / "results.json").read_text())["tests"] if t["name"] == "W"
    )
    assert f"CheckFailed: {seen}" in run.stdout and "2 failed, 26 passed" in run.stdout
    one = subprocess.run([*command, str(out / "right")], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert one.returncode == 0 and "[wrong_W]" not in one.stdout, one.stdout
    none = subprocess.run(command[:-1], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert none.returncode == 4 and "--observations OUT/STUDENT" in none.stderr
    nowhere = subprocess.run([*command, str(out / "nobody")], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert nowhere.returncode == 4 and "not a folder" in nowhere.stderr


# ----------------------------------------------------------------------------- the crafted class
@pytest.mark.slow
def test_rejudging_the_crafted_class(graded, tmp_path, monkeypatch):
    """Judged again from its saved observations, the crafted class gets the full run's files, and
    so it does with the plain loop of verdicts instead of pytest; with one check changed, only that
    item's grades change."""
    _, rows, full = graded
    out = tmp_path / "out"
    shutil.copytree(full, out)
    assert rejudge.main(out) == 0
    kept = {s for s in rows if not (out / s / "observations").is_dir()}
    assert kept >= {"invalid_json", "no_notebooks", "symlinked"}

    def same_as_the_full_run():
        assert (out / "grades.csv").read_bytes() == (full / "grades.csv").read_bytes()
        for student in rows:
            for name in STUDENT_FILES:
                assert (out / student / name).read_bytes() == (full / student / name).read_bytes(), (student, name)
            log = (out / student / "grading.log").read_text()
            assert ("re-judged " in log) == (student not in kept), student

    same_as_the_full_run()
    with monkeypatch.context() as patch:  # the plain loop, as before pytest ran the tests
        patch.setattr(runner, "verdicts", lambda cases: {k: verdict(*case) for k, case in cases.items()})
        assert rejudge.main(out) == 0
    same_as_the_full_run()

    def changed(obs):
        raise CheckFailed("mse changed by the test")

    monkeypatch.setattr(items(ASSIGNMENT)["mse"].grader_module, "test_mse", changed)
    rejudge.main(out)
    again = {r["student_id"]: r for r in grades(out)}
    for student, row in rows.items():
        differ = {k for k in row if row[k] != again[student][k]}
        assert differ <= {"mse", "score"}, (student, differ)
        assert ("mse" in differ) == (row["mse"] not in ("0", "")), student
        if "mse" in differ:
            assert "mse changed by the test" in (out / student / "feedback.html").read_text()

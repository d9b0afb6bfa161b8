"""From the handout to the grade: the reference answers (solutions/) and the blank handout,
exported with nncheck.py and handed in as the export zip, graded by `python -m autograder grade`
and by Gradescope's run_autograder (a simulated /autograder); and nncheck.py's self-check agrees,
item for item, with the grader's visible checks on the reference, the blank and a partly right
submission. These tests run notebooks: run them with `flock /tmp/nn-grading.lock`."""

from __future__ import annotations

import re
import shutil

import pytest

from autograder import grade
from autograder.course import notebooks
from autograder.outputs import results
from tests.handout.conftest import nncheck, reference, student_copy, write

pytestmark = pytest.mark.slow
A = "neural_nets"
NN = ("01_layers.ipynb", "02_activations_losses.ipynb", "03_training.ipynb")
WRONG = {"answer_W": "W = w_weight", "answer_layer2": "layer2 = torch.nn.Linear(2, 3)"}  # 01: partly right
LINE = re.compile(r"^  (PASS|FAIL)  (\S+) \(")


@pytest.fixture(scope="module")
def exported(handouts, tmp_path_factory):
    """student -> (their handout folder, the class folder holding their export zip only)."""
    root = tmp_path_factory.mktemp("roundtrip")
    made = {
        "ada": {nb: reference(A, nb) for nb in NN},
        "blaise": {},
        "carl": {"01_layers.ipynb": reference(A, "01_layers.ipynb", WRONG)},
    }
    folders = {}
    for student, given in made.items():
        folder = student_copy(handouts, A, root / student)
        for name, nb in given.items():
            write(folder, name, nb)
        (root / "class" / student).mkdir(parents=True)
        done = nncheck(folder, "export", "--student", student, "--out", str(root / "class" / student))
        assert done.returncode == 0, done.stderr
        folders[student] = folder
    return folders, root / "class"


@pytest.fixture(scope="module")
def graded(exported):
    folders, submissions = exported
    out = submissions.parent / "out"
    assert grade.main(A, submissions, out, jobs=1, progress=False) == 0
    return {student: (results.read_student(out, student), out / student / "executed") for student in folders}


def visible_in(executed) -> dict[str, bool]:
    """grade_id -> the grader's visible checks passed, from the notebook the grader executed: its test
    cell ran and raised nothing (judge.observed's ItemResult.visible, which results.json omits)."""
    found = {}
    for path in sorted(executed.glob("*.ipynb")):
        for cell in notebooks.read(path).cells:
            role = cell.metadata.get("autograder", {})
            if role.get("role") == "test":
                ran = cell.get("execution_count") is not None
                found[role["grade_id"]] = ran and not any(o.output_type == "error" for o in cell.outputs)
    return found


def test_the_reference_exported_gets_full_marks_and_the_blank_handout_zero(graded):
    ada, blaise = graded["ada"][0], graded["blaise"][0]
    assert ada.status == "graded" and ada.score == ada.max_score > 0, [i.message for i in ada.items if not i.passed]
    assert blaise.status == "graded" and blaise.score == 0
    assert sorted(blaise.timing) == sorted(NN)  # every notebook of the blank export was run
    assert not [i for i in blaise.items if "not submitted" in i.message]


def test_gradescope_grades_the_uploaded_export_as_it_is(exported, tmp_path):
    from autograder.gradescope import build
    from tests.gradescope.test_gradescope import points, run_autograder

    folders, submissions = exported
    bundle = build.build(A, tmp_path)
    upload = (submissions / "ada" / f"{A}-ada.zip").read_bytes()
    data, stdout = run_autograder(bundle, {f"{A}-ada.zip": upload})
    assert data["score"] > 0 and all(t["score"] == t["max_score"] for t in data["tests"] if t["max_score"] > 0), stdout
    assert sum(points(data).values()) == data["score"]


def check_table(folder, *notebooks) -> dict[str, bool]:
    done = nncheck(folder, "check", *notebooks)
    assert done.returncode in (0, 1), done.stdout + done.stderr
    rows = [LINE.match(line) for line in done.stdout.splitlines()]
    return {m.group(2): m.group(1) == "PASS" for m in rows if m}


@pytest.mark.parametrize("student", ["ada", "blaise", "carl"])
def test_the_self_check_agrees_with_the_graders_visible_checks(exported, graded, student):
    """01 and 02 for each (03 of the reference trains for minutes: its items are checked blank)."""
    folders, _ = exported
    checked = check_table(folders[student], "01_layers.ipynb", "02_activations_losses.ipynb")
    result, executed = graded[student]
    grader = visible_in(executed)
    assert checked == {i.grade_id: grader[i.grade_id] for i in result.items if i.notebook in NN[:2]}
    if student == "carl":
        failed = [g for g, ok in checked.items() if not ok]
        assert failed[0] == "W" and "layer2" in failed and "Z_by_hand" in failed  # Z_by_hand uses W
        assert checked["layer1"] and checked["w_weight"]


def test_a_cell_past_the_cell_limit_times_out_in_check(handouts, tmp_path):
    import json

    from autograder import course

    folder = student_copy(handouts, A, tmp_path)
    config = json.loads((folder / "nncheck.json").read_text())
    assert config["limits"]["cell_timeout"] == course.settings(A).limits.cell_timeout  # the grader's
    config["limits"]["cell_timeout"] = 20  # what a sleep past the assignment's 120 s shows, sooner
    (folder / "nncheck.json").write_text(json.dumps(config))
    nb = reference(A, "01_layers.ipynb")
    nb.cells[
        next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
    ].source += "\nimport time\ntime.sleep(300)"
    write(folder, "01_layers.ipynb", nb)
    done = nncheck(folder, "check", "01_layers.ipynb")
    assert done.returncode == 1
    stopped = re.search(
        r"\(stopped: (01_layers.ipynb, cell \d+ ran longer than the 20 s a cell may run)\)", done.stdout
    )
    assert stopped, done.stdout
    assert f"FAIL  layer1 (1 pt): Not run: the notebook stopped before this item ({stopped.group(1)})." in done.stdout
    # the grader, at the same cell limit, stops at the same cell and says so in the same words
    (tmp_path / "class" / "dora").mkdir(parents=True)
    shutil.copy(folder / "01_layers.ipynb", tmp_path / "class" / "dora")
    assert grade.main(A, tmp_path / "class", tmp_path / "out", jobs=1, cell_timeout=20, progress=False) == 0
    dora = results.read_student(tmp_path / "out", "dora")
    assert dora.status == "timeout" and stopped.group(1) in dora.reason


def test_the_check_from_a_notebook_cell_prints_the_table(handouts, tmp_path):
    """`import nncheck; nncheck.check(...)` in a last cell, the notebook run in JupyterLab's way
    (a kernel in the handout folder): the table is the cell's output; the check's own run of that
    cell skips it (no check inside a check)."""
    import nbformat
    from nbclient import NotebookClient

    folder = student_copy(handouts, A, tmp_path)
    nb = reference(A, "01_layers.ipynb")
    nb.cells.append(nbformat.v4.new_code_cell('import nncheck\nnncheck.check("01_layers.ipynb")'))
    write(folder, "01_layers.ipynb", nb)
    shutil.rmtree(folder / "data")  # 01 reads no data
    NotebookClient(nb, timeout=600, resources={"metadata": {"path": str(folder)}}).execute()
    shown = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    assert "10/10 items pass their visible checks" in shown, shown
    assert "PASS  Y_pred (1 pt)" in shown

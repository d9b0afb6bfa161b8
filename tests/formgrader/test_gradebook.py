"""Manual grading end to end: `grade --gradebook` writes a graded class into nbgrader's gradebook,
TAs enter points through nbgrader.api.Gradebook (what formgrader's API handlers do), and the final
tables (our grades.csv, `nbgrader export`) hold automatic + manual points, across re-runs."""

from __future__ import annotations

import base64
import csv
import json
import shutil
import subprocess
import sys

import nbformat
import pytest

from autograder import demo, grade
from autograder.course import notebooks
from autograder.course.notebooks import nbgrader_env
from autograder.formgrader import gradebook, pictures
from autograder.outputs import results
from autograder.paths import ROOT
from autograder.vocabulary import ItemResult

QUIZ = "mnist_quiz"
NB = "01_quiz.ipynb"
MANUAL = "log_reg_diagram"
PNG = base64.b64encode(
    bytes.fromhex(  # a 1x1 PNG
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
    )
).decode()
CHEAP = {  # the quiz without its minutes of training: a linear model, untrained
    "answer_mnist_model": "mnist_model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 10))",
    "answer_mnist_accuracy": "pass",
}


def has_chromium() -> bool:
    return shutil.which("chromium") is not None or shutil.which("google-chrome") is not None


def quiz(diagram_code: str | None = None, answer: str | None = None, attachment: bool = False):
    replace = dict(CHEAP)
    if diagram_code is None:  # the release's cell, untouched
        replace["answer_log_reg_diagram"] = notebooks.cell(demo.blank(QUIZ, NB), "answer_log_reg_diagram").source
    nb = demo.answered(QUIZ, NB, replace)
    if answer is not None:
        cell = notebooks.cell(nb, MANUAL)
        cell.source = answer + ("\n\n![drawing](attachment:drawing.png)" if attachment else "")
        if attachment:
            cell["attachments"] = {"drawing.png": {"image/png": PNG}}
    return nb


# ----------------------------------------------------------------------------- fast
def test_grades_csv_with_gradebook_scores_counts_manual_points():
    r = results.SubmissionResult("ann", QUIZ, items=[ItemResult("log_reg", NB, 2, 2, True)], manual={MANUAL: 2})
    rows = list(
        csv.DictReader(results.grades_csv([r], ["log_reg", MANUAL], {"ann": {"log_reg": 2, MANUAL: None}}).splitlines())
    )
    assert (rows[0]["score"], rows[0]["max_score"], rows[0][MANUAL]) == ("2", "4", "pending")
    rows = list(
        csv.DictReader(results.grades_csv([r], ["log_reg", MANUAL], {"ann": {"log_reg": 1, MANUAL: 1.5}}).splitlines())
    )
    assert (rows[0]["score"], rows[0]["log_reg"], rows[0][MANUAL]) == ("2.5", "1", "1.5")
    assert list(csv.DictReader(results.grades_csv([r], ["log_reg", MANUAL]).splitlines()))[0][MANUAL] == "manual"


def test_outputs_that_would_run_in_formgrader_are_not_kept():
    cell = nbformat.v4.new_code_cell(
        "x",
        outputs=[
            nbformat.v4.new_output("display_data", data={"text/html": "<script>alert(1)</script>", "text/plain": "df"}),
            nbformat.v4.new_output("display_data", data={"image/svg+xml": "<svg onload='x()'/>"}),
            nbformat.v4.new_output("display_data", data={"image/png": PNG + '"><script>'}),
            nbformat.v4.new_output(
                "display_data", data={"image/png": PNG}, metadata={"image/png": {"width": '1"><script>'}}
            ),
        ],
    )
    shown = gradebook.shown_outputs(cell, pictures.Renderer())
    text = json.dumps(shown)
    assert "script" not in text and "svg" not in text.replace("image/svg+xml not shown", "")
    assert shown[0].data == {"text/plain": "df\n[output of type text/html not shown here: see executed/]"}
    assert "image/png" not in shown[2].data  # not base64: dropped
    assert shown[3].data["image/png"] == PNG and shown[3].metadata == {}


def test_a_plotly_figure_becomes_a_picture():
    if not has_chromium():
        pytest.skip("no Chromium here (apt-get install chromium): plotly figures cannot be drawn")
    import plotly.graph_objects as go

    figure = json.loads(go.Figure(go.Scatter(x=[0, 1], y=[0, 1])).to_json())
    cell = nbformat.v4.new_code_cell(
        "fig",
        outputs=[
            nbformat.v4.new_output(
                "execute_result", data={pictures.PLOTLY: figure, "text/html": "<div/>"}, execution_count=1
            )
        ],
    )
    bad = nbformat.v4.new_code_cell(
        "fig",
        outputs=[
            nbformat.v4.new_output(
                "display_data", data={pictures.PLOTLY: {"data": [{"type": "scatter", "nonsense": 1}]}}
            )
        ],
    )
    with pictures.Renderer() as renderer:
        [shown] = gradebook.shown_outputs(cell, renderer)
        [refused] = gradebook.shown_outputs(bad, renderer)
    assert base64.b64decode(shown.data["image/png"]).startswith(b"\x89PNG")
    assert "not a valid plotly figure" in refused.data["text/plain"]


def test_without_chromium_a_figure_is_a_note_that_says_what_to_install(monkeypatch):
    monkeypatch.setenv("BROWSER_PATH", "/nonexistent/chromium")
    cell = nbformat.v4.new_code_cell(
        "fig",
        outputs=[
            nbformat.v4.new_output("display_data", data={pictures.PLOTLY: {"data": [{"type": "scatter", "x": [0, 1]}]}})
        ],
    )
    with pictures.Renderer() as renderer:
        [shown] = gradebook.shown_outputs(cell, renderer)
    assert list(shown.data) == ["text/plain"] and "apt-get install chromium" in shown.data["text/plain"]


def test_a_gradebook_folder_that_does_not_exist_is_refused_before_grading(tmp_path, capsys):
    (tmp_path / "subs" / "ann").mkdir(parents=True)
    assert (
        grade.main(
            QUIZ, tmp_path / "subs", tmp_path / "out", progress=False, sandboxed=False, gradebook=tmp_path / "nowhere"
        )
        == 2
    )
    assert "--gradebook" in capsys.readouterr().err and not (tmp_path / "out" / "grades.csv").exists()


# ----------------------------------------------------------------------------- end to end
def run_grade(subs, out, course, force=False):
    assert grade.main(QUIZ, subs, out, jobs=1, force=force, progress=False, gradebook=course) == 0
    return {r["student_id"]: r for r in csv.DictReader((out / "grades.csv").open())}


def grades(course, student):
    from nbgrader.api import Gradebook

    with Gradebook(gradebook.db_url(course)) as gb:
        nb = gb.find_submission_notebook(NB[:-6], QUIZ, student)
        return (
            {g.name: (g.auto_score, g.manual_score, g.needs_manual_grade) for g in nb.grades},
            {c.name: c.manual_comment for c in nb.comments},
        )


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("manual")
    course, subs, out = root / "course", root / "submissions", root / "out"
    course.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", course)
    solution = notebooks.cell(demo.answered(QUIZ, NB), "answer_log_reg_diagram").source
    drawing = notebooks.without_solution_markers(solution)
    demo.write_student(
        subs / "ann", {NB: quiz(answer="4 inputs x1..x4, weights w1..w4, bias b, sigmoid output.", attachment=True)}
    )
    demo.write_student(subs / "bob", {NB: quiz(diagram_code=drawing)})  # answered only in code
    blank = demo.blank(QUIZ, NB)  # with HTML that would run in the TA's formgrader page, and forged metadata
    for cell in blank.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade_id") == MANUAL:  # "my diagram is not graded", so it can't be marked down
            meta.update(grade=False, solution=False, locked=True)
        elif meta.get("grade_id") == "log_reg":  # and the test I pass is worth 100
            meta["points"] = 100
    blank.cells += [
        nbformat.v4.new_markdown_cell("<script>alert(1)</script> and a < b"),
        nbformat.v4.new_raw_cell("<img src=x onerror=alert(2)>"),
    ]
    demo.write_student(subs / "cyd", {NB: blank})
    rows = run_grade(subs, out, course)
    return course, subs, out, rows


@pytest.mark.slow
def test_gradebook_holds_our_auto_scores_and_every_manual_item_pending(graded):
    course, _, out, rows = graded
    for student in ("ann", "bob", "cyd"):
        ours = results.read_student(out, student)
        scores, _ = grades(course, student)
        assert {i.grade_id: float(scores[i.grade_id][0]) for i in ours.items} == {
            i.grade_id: i.score for i in ours.items
        }
        assert scores[MANUAL] == (None, None, True), student
        assert rows[student][MANUAL] == "pending"
    assert float(rows["ann"]["log_reg"]) == 2 and float(rows["cyd"]["log_reg"]) == 0


@pytest.mark.slow
def test_metadata_a_student_forges_changes_nothing_in_the_gradebook(graded):
    course = graded[0]
    cyd = notebooks.read(course / "autograded" / "cyd" / QUIZ / NB)
    assert notebooks.nbgrader(notebooks.cell(cyd, "log_reg"))["points"] == 2
    assert notebooks.nbgrader(notebooks.cell(cyd, MANUAL))["grade"] is True
    from nbgrader.api import Gradebook

    with Gradebook(gradebook.db_url(course)) as gb:
        ann, cyd_nb = (gb.find_submission_notebook(NB[:-6], QUIZ, s) for s in ("ann", "cyd"))
        assert cyd_nb.max_score == ann.max_score and cyd_nb.needs_manual_grade


@pytest.mark.slow
def test_autograded_notebook_shows_answers_as_pictures_and_the_rubric(graded):
    course = graded[0]
    ann = notebooks.read(course / "autograded" / "ann" / QUIZ / NB)
    assert notebooks.cell(ann, MANUAL).attachments["drawing.png"]["image/png"] == PNG
    assert "BEGIN MARK SCHEME" in notebooks.cell(ann, "log_reg_diagram_rubric").source
    assert notebooks.nbgrader(notebooks.cell(ann, "log_reg"))["points"] == 2
    bob = notebooks.read(course / "autograded" / "bob" / QUIZ / NB)
    drawing = notebooks.cell(bob, "answer_log_reg_diagram")
    mimes = [m for o in drawing.outputs for m in o.get("data", {})]
    if not has_chromium():
        pytest.skip("no Chromium here (apt-get install chromium): the figure is a note, not a picture")
    assert "image/png" in mimes and pictures.PLOTLY not in mimes
    png = next(o.data["image/png"] for o in drawing.outputs if "image/png" in o.get("data", {}))
    assert len(base64.b64decode(png)) > 5000  # a drawn diagram, not an empty canvas
    assert f'src="data:image/png;base64,{png}' in formgrader_page(course, "bob").replace("\n", "")


def formgrader_page(course, student):
    """The page formgrader serves for one submitted notebook (its SubmissionHandler, without a server)."""
    from nbconvert import HTMLExporter
    from nbgrader.server_extensions.formgrader import handlers

    exporter = HTMLExporter(template_name="formgrade", extra_template_basedirs=[handlers.template_path])
    resources = {
        "assignment_id": QUIZ,
        "notebook_id": NB[:-6],
        "submission_id": "s",
        "index": 0,
        "total": 1,
        "base_url": "",
        "student": student,
        "last_name": None,
        "first_name": None,
        "notebook_path": "",
    }
    return exporter.from_filename(str(course / "autograded" / student / QUIZ / NB), resources=resources)[0]


@pytest.mark.slow
def test_student_html_does_not_reach_the_formgrader_page(graded):
    html = formgrader_page(graded[0], "cyd")
    assert "alert(1)" in html and "alert(2)" in html  # shown as text...
    assert "<script>alert" not in html and "<img src=x" not in html  # ...never as HTML
    assert "Rubric for" in html


@pytest.mark.slow
def test_manual_scores_survive_regrading_and_reach_both_final_tables(graded):
    from nbgrader.api import Gradebook

    course, subs, out, rows = graded
    entered = {"ann": 1.5, "bob": 2.0, "cyd": 0.0}
    with Gradebook(gradebook.db_url(course)) as gb:  # what formgrader's GradeHandler.put does
        for student, points in entered.items():
            g = gb.find_grade(MANUAL, NB[:-6], QUIZ, student)
            g.manual_score, g.needs_manual_grade = points, False
            gb.find_comment(MANUAL, NB[:-6], QUIZ, student).manual_comment = f"comment for {student}"
        gb.db.commit()
    for force in (False, True):
        again = run_grade(subs, out, course, force=force)
        for student, points in entered.items():
            scores, comments = grades(course, student)
            assert scores[MANUAL][1:] == (points, False), (force, student)
            assert comments[MANUAL] == f"comment for {student}"
            assert float(again[student][MANUAL]) == points
            assert float(again[student]["score"]) == float(rows[student]["score"]) + points
            assert float(again[student]["max_score"]) == 11
    # ann submits again with another answer: her score stays, flagged for a TA to look again
    demo.write_student(subs / "ann", {NB: quiz(answer="A net with a hidden layer of 3 nodes.")})
    run_grade(subs, out, course)
    assert grades(course, "ann")[0][MANUAL][1:] == (1.5, True)
    assert grades(course, "bob")[0][MANUAL][1:] == (2.0, False)
    assert (
        "hidden layer of 3" in notebooks.cell(notebooks.read(course / "autograded" / "ann" / QUIZ / NB), MANUAL).source
    )
    subprocess.run(
        [sys.executable, "-m", "nbgrader", "export", "--to", "export.csv", "--log-level=ERROR"],
        cwd=course,
        env=nbgrader_env(),
        check=True,
    )
    exported = {r["student_id"]: r for r in csv.DictReader((course / "export.csv").open())}
    for student in entered:
        assert float(exported[student]["score"]) == float(again[student]["score"])
        assert float(exported[student]["max_score"]) == 11


def test_figures_are_drawn_from_inside_a_running_event_loop():
    """A TA's notebook, or Playwright's sync API in this very suite, already runs an asyncio loop:
    kaleido's own loop must not collide with it."""
    if not has_chromium():
        pytest.skip("no Chromium here (apt-get install chromium): plotly figures cannot be drawn")
    import asyncio
    import threading

    async def inside_a_loop():
        with pictures.Renderer() as renderer:
            return renderer.png({"data": [{"type": "bar", "y": [1, 2]}]})

    # In a thread of its own: the suite's main thread may already hold Playwright's loop.
    drawn = []
    thread = threading.Thread(target=lambda: drawn.append(asyncio.run(inside_a_loop())))
    thread.start()
    thread.join(timeout=120)
    [(png, why)] = drawn
    assert why == "" and png.startswith(b"\x89PNG")

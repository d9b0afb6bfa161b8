"""Write a graded class into nbgrader's gradebook (`grade ... --gradebook COURSE`), so that TAs
grade the manual items in nbgrader's formgrader and `nbgrader export` gives the final table.

For each graded student, as `nbgrader autograde` would:
- `COURSE/autograded/<student>/<assignment>/<notebook>.ipynb`: our executed notebook, each
  graded cell with its nbgrader metadata from source/ (so formgrader shows a score box), locked
  cells (the rubric) as in source/, and only outputs nbconvert's HTML shows safely, plus a PNG of
  every plotly figure (see pictures.py);
- in `COURSE/gradebook.db` (through nbgrader.api.Gradebook, the API formgrader uses): the student,
  the submission, each autograded item's `auto_score` (our points), and each manual item waiting
  for a TA (`needs_manual_grade`), whatever the answer looks like (text, an image, or only code).

Scores and comments a TA entered (`manual_score`, `manual_comment`) are never written here; they
are read back for grades.csv. The assignment's cells reach the gradebook through nbgrader's own
`generate_assignment` (into a scratch release folder), exactly as nbgrader records them.
"""

from __future__ import annotations

import base64
import binascii
import copy
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook

from ..course import notebooks
from ..course.notebooks import nbgrader_env
from ..outputs import results
from ..paths import ROOT, SOURCE
from ..vocabulary import SubmissionResult
from .pictures import PLOTLY, Renderer

# What nbconvert's HTML exporter (formgrader's view) shows without running anything a student
# wrote: text, and pictures whose base64 is checked here. HTML, SVG and JavaScript outputs would
# run in the TA's Jupyter page; they are replaced by a note (the TA can open executed/ instead).
SHOWN = ("text/plain", "image/png", "image/jpeg")
PICTURES = ("image/png", "image/jpeg", "image/gif")


# Raw HTML in a student's markdown or raw cell would reach formgrader's page as it is (nbconvert
# passes it through): every `<` that could open a tag is written as `&lt;`, which shows as `<`.
TAG_START = re.compile(r"<(?=[A-Za-z/!?])")


class GradebookError(Exception):
    """The gradebook cannot be written; the message says what to do."""


def db_url(course: Path) -> str:
    return f"sqlite:///{course.resolve() / 'gradebook.db'}"


def prepare(course: Path, assignment: str) -> None:
    """Record the assignment, its notebooks and cells in COURSE/gradebook.db with nbgrader's
    generate_assignment (our source/, a scratch release folder; the course's release/ is untouched)."""
    course = course.resolve()
    if not course.is_dir():
        raise GradebookError(
            f"--gradebook {course}: no such folder; give the nbgrader course folder (this repository: `--gradebook .`)"
        )
    with tempfile.TemporaryDirectory(prefix="gradebook-release-") as scratch:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "nbgrader",
                "generate_assignment",
                assignment,
                "--force",
                "--log-level=ERROR",
                f"--CourseDirectory.root={course}",
                f"--CourseDirectory.source_directory={SOURCE}",
                f"--CourseDirectory.release_directory={scratch}",
            ],
            cwd=ROOT,
            env=nbgrader_env(),
            capture_output=True,
            text=True,
        )
    if done.returncode:
        raise GradebookError(
            f"nbgrader could not record {assignment} in {db_url(course)}: {(done.stderr or done.stdout).strip()[-600:]}"
        )


# ----------------------------------------------------------------------------- autograded notebooks
def safe_base64(text) -> str | None:
    """The same picture re-encoded (so no character of the student's text reaches the page), or None."""
    try:
        return base64.b64encode(
            base64.b64decode("".join(text) if isinstance(text, list) else text, validate=False)
        ).decode()
    except (binascii.Error, ValueError, TypeError):
        return None


def shown_outputs(cell, renderer: Renderer) -> list:
    """A code cell's outputs as a TA may see them in formgrader."""
    shown = []
    for output in cell.get("outputs", []):
        if output.output_type in ("stream", "error"):
            shown.append(output)
            continue
        data, kept = output.get("data", {}), {}
        for mime in SHOWN:
            if mime in data:
                kept[mime] = data[mime] if mime == "text/plain" else safe_base64(data[mime])
        kept = {k: v for k, v in kept.items() if v is not None}
        if PLOTLY in data:
            png, why = renderer.png(data[PLOTLY])
            kept.pop("text/plain", None)
            if png is None:
                kept = {"text/plain": f"[a plotly figure the grader could not draw: {why}]"}
            else:
                kept = {
                    "image/png": base64.b64encode(png).decode(),
                    "text/plain": "[plotly figure, drawn by the grader from the student's figure]",
                }
        dropped = sorted(set(data) - set(kept) - {PLOTLY})
        if dropped and not any(m in kept for m in PICTURES):
            kept.setdefault("text/plain", "")
            kept["text/plain"] += f"\n[output of type {', '.join(dropped)} not shown here: see executed/]"
        output.data, output.metadata = kept, {}
        shown.append(output)
    return shown


def autograded(executed, source_nb, gb: Gradebook, notebook_id: str, assignment: str, renderer: Renderer):
    """The notebook formgrader shows: the executed notebook with nbgrader metadata from source/."""
    nb = copy.deepcopy(executed)
    by_id = {notebooks.grade_id(c): c for c in source_nb.cells if notebooks.grade_id(c)}
    seen = set()
    for cell in nb.cells:
        claimed = cell.metadata.pop("nbgrader", {})
        ours = cell.metadata.get("autograder", {})
        gid = ours.get("grade_id") if ours.get("role") == "test" else claimed.get("grade_id")
        source, restored = by_id.get(gid), False
        if (
            source is not None
            and gid not in seen
            and source.cell_type == cell.cell_type
            and (ours.get("role") == "test") == notebooks.is_test_cell(source)
        ):
            seen.add(gid)
            meta = copy.deepcopy(notebooks.nbgrader(source))
            recorded = gb.find_source_cell(gid, notebook_id, assignment)
            meta["checksum"] = recorded.checksum
            if meta.get("locked") and not meta.get("solution") and not notebooks.is_test_cell(source):
                cell.source, restored = recorded.source, True  # the rubric (mark scheme included)
            cell.metadata["nbgrader"] = meta
        if cell.cell_type == "code":
            cell.outputs = shown_outputs(cell, renderer)
        elif not restored:
            cell.source = TAG_START.sub("&lt;", cell.source)  # the student's text, never the page's HTML
        for attachment in cell.get("attachments", {}).values():
            for mime in list(attachment):
                attachment[mime] = safe_base64(attachment[mime]) if mime in PICTURES else None
                if attachment[mime] is None:
                    del attachment[mime]
    for gid, source in by_id.items():  # a manual answer the student deleted still gets a score box
        if gid not in seen and notebooks.nbgrader(source).get("grade") and notebooks.is_solution_cell(source):
            cell = nbformat.v4.new_markdown_cell(
                f"*(The student's notebook has no cell `{gid}`: deleted.)*",
                metadata={"nbgrader": copy.deepcopy(notebooks.nbgrader(source))},
            )
            cell.metadata.nbgrader["checksum"] = gb.find_source_cell(gid, notebook_id, assignment).checksum
            nb.cells.append(cell)
    for index, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{index}"
    return nb


# ----------------------------------------------------------------------------- scores
def record_scores(
    gb: Gradebook, result: SubmissionResult, notebook_id: str, ran: bool, changed_answer: bool = False
) -> None:
    """Our points as auto scores; manual items waiting for a TA (zero when the notebook did not
    run: nothing to read), and flagged again when the notebook a TA graded has changed since.
    Never touches what a TA entered."""
    ours = {i.grade_id: i.score for i in result.items}
    submitted = gb.find_submission_notebook(notebook_id, result.assignment, result.student_id)
    for grade in submitted.grades:
        if grade.name in ours:
            changed = grade.auto_score is None or float(grade.auto_score) != ours[grade.name]
            grade.auto_score = ours[grade.name]
            if grade.manual_score is None:
                grade.needs_manual_grade = False
            elif changed:
                grade.needs_manual_grade = True  # a TA overrode a score that has since changed: look again
        elif grade.max_score == 0:  # a rubric shown as a task cell: nothing to grade
            grade.auto_score, grade.needs_manual_grade = 0, False
        elif not ran:
            grade.auto_score = 0
            if grade.manual_score is None:
                grade.needs_manual_grade = False
        else:
            grade.auto_score = None
            grade.needs_manual_grade = grade.manual_score is None or changed_answer or grade.needs_manual_grade
    gb.db.commit()


def final_scores(gb: Gradebook, assignment: str, student: str) -> dict[str, float | None]:
    """grade_id -> the gradebook's score (a TA's manual score wins over the auto score; None: waiting)."""
    return {
        grade.name: None if grade.manual_score is None and grade.auto_score is None else float(grade.score)
        for nb in gb.find_submission(assignment, student).notebooks
        for grade in nb.grades
    }


def written_from(path: Path) -> str | None:
    """The submission digest an autograded notebook was made from (None: none there, or not ours)."""
    try:
        return notebooks.read(path).metadata.get("autograder", {}).get("submission_sha256")
    except (FileNotFoundError, ValueError, nbformat.reader.NotJSONError):
        return None


def record(
    course: Path, graded: list[SubmissionResult], out: Path, sources: dict
) -> dict[str, dict[str, float | None]]:
    """Write every result into COURSE's gradebook, and each autograded notebook whose submission
    (or grader) changed since it was written. Returns the final scores (see final_scores)."""
    course = course.resolve()
    final = {}
    with Gradebook(db_url(course)) as gb, Renderer() as renderer:
        for result in sorted(graded, key=lambda r: r.student_id):
            gb.update_or_create_student(result.student_id)
            gb.update_or_create_submission(result.assignment, result.student_id)
            for name, source_nb in sources.items():
                notebook_id = Path(name).stem
                target = course / "autograded" / result.student_id / result.assignment / name
                executed = out / result.student_id / "executed" / name
                ran = name in result.timing and executed.is_file()
                before = written_from(target)
                changed = ran and before != result.submission_sha256
                if changed:
                    nb = autograded(notebooks.read(executed), source_nb, gb, notebook_id, result.assignment, renderer)
                    nb.metadata["autograder"] = {"submission_sha256": result.submission_sha256}
                    results.write_atomic(target, nbformat.writes(nb), private=True)  # staff: the whole answer
                elif not ran:
                    target.unlink(missing_ok=True)  # never show a TA an answer from an older submission
                record_scores(gb, result, notebook_id, ran, changed_answer=changed and before is not None)
            final[result.student_id] = final_scores(gb, result.assignment, result.student_id)
    if renderer.broken:
        print(
            f"warning: plotly figures show as a note in formgrader, not as pictures: {renderer.broken}", file=sys.stderr
        )
    return final

"""release/ and solutions/ follow source/, and nothing solution-like or hidden reaches students."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import nbformat
import pytest

from autograder import release
from autograder.checks import items
from autograder.course import names as assignment_names
from autograder.course import notebooks
from autograder.paths import RELEASE, ROOT, SOLUTIONS, SOURCE

FORBIDDEN_IN_RELEASE = (
    "BEGIN SOLUTION",
    "END SOLUTION",
    "BEGIN HIDDEN TESTS",
    "END HIDDEN TESTS",
    "BEGIN MARK SCHEME",
    "END MARK SCHEME",
    "autograder.checks",
)


def released(assignment):
    return sorted((RELEASE / assignment).glob("*.ipynb"))


@pytest.mark.parametrize("assignment", assignment_names())
def test_every_source_notebook_is_released_and_solved(assignment):
    names = sorted(p.name for p in (SOURCE / assignment).glob("*.ipynb"))
    assert names, f"source/{assignment}/ has no notebooks"
    assert [p.name for p in released(assignment)] == names
    assert sorted(p.name for p in (SOLUTIONS / assignment).glob("*.ipynb")) == names


@pytest.mark.parametrize("assignment", assignment_names())
def test_solutions_are_up_to_date(assignment):
    assert not release.is_stale(assignment), (
        f"solutions/{assignment}/ was made from another source/ or other checks: "
        f"run `python -m autograder release {assignment}` and commit release/ and solutions/"
    )


@pytest.mark.parametrize("assignment", assignment_names())
def test_release_is_what_nbgrader_makes_from_source(assignment, tmp_path):
    shutil.copytree(SOURCE / assignment, tmp_path / "source" / assignment)
    shutil.copy(ROOT / "nbgrader_config.py", tmp_path)
    subprocess.run(
        [sys.executable, "-m", "nbgrader", "generate_assignment", assignment, "--force", "--log-level=ERROR"],
        cwd=tmp_path,
        env=release.nbgrader_env(),
        check=True,
    )
    # Students get the notebooks only (not assignment.toml: nbgrader_config.py ignores it).
    assert sorted(p.name for p in (tmp_path / "release" / assignment).iterdir()) == [
        p.name for p in released(assignment)
    ]
    for committed in released(assignment):
        fresh = notebooks.read(tmp_path / "release" / assignment / committed.name)
        assert notebooks.read(committed) == fresh, (
            f"release/{assignment}/{committed.name} is out of date: run `python -m autograder release "
            f"{assignment}` and commit"
        )


@pytest.mark.parametrize("assignment", assignment_names())
def test_no_solution_or_hidden_test_reaches_release(assignment):
    for path in released(assignment):
        text = path.read_text()
        for marker in FORBIDDEN_IN_RELEASE:
            assert marker not in text, f"{path.name} contains {marker!r}"
        source = notebooks.read(SOURCE / assignment / path.name)
        released_code = "\n".join(c.source for c in notebooks.read(path).cells)
        for cell in source.cells:
            for region in re.findall(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", cell.source, re.S):
                for line in region.splitlines():
                    line = line.strip()
                    if len(line) >= 30 and not line.startswith("#"):
                        assert line not in released_code, f"{path.name} reveals solution code: {line!r}"
            hidden = notebooks.hidden_part(cell.source)
            assert not hidden or hidden not in released_code


@pytest.mark.parametrize("assignment", assignment_names())
def test_solutions_hide_the_hidden_tests(assignment):
    for path in sorted((SOLUTIONS / assignment).glob("*.ipynb")):
        text = path.read_text()
        assert "BEGIN HIDDEN TESTS" not in text and "autograder.checks" not in text
        assert "BEGIN SOLUTION" not in text


@pytest.mark.parametrize("assignment", assignment_names())
def test_solutions_show_every_figure_without_a_kernel(assignment):
    """GitHub's viewer, nbconvert's HTML (formgrader) and a PDF have no kernel: each plotly figure
    carries a picture, and a live widget says what it is instead of its repr."""
    pictures = 0
    for path in sorted((SOLUTIONS / assignment).glob("*.ipynb")):
        outputs = [o for c in notebooks.read(path).cells for o in c.get("outputs", [])]
        figures = [o for o in outputs if "application/vnd.plotly.v1+json" in o.get("data", {})]
        assert all("image/png" in o["data"] for o in figures), path.name
        assert not [o for o in outputs if release.WIDGET in o.get("data", {})], path.name
        pictures += sum("image/png" in o.get("data", {}) or "image/svg+xml" in o.get("data", {}) for o in outputs)
    assert pictures >= 3, "the solutions should draw their figures (pictures came out empty)"


def test_a_live_widget_becomes_a_note():
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(
                "fig",
                outputs=[
                    nbformat.v4.new_output(
                        "execute_result",
                        data={release.WIDGET: {"model_id": "x"}, "text/plain": "FigureWidget({...})"},
                        execution_count=1,
                    )
                ],
            )
        ]
    )
    release.note_live_widgets(nb)
    assert nb.cells[0].outputs[0].data == {"text/plain": release.LIVE_FIGURE}


@pytest.mark.parametrize("assignment", assignment_names())
def test_every_test_cell_calls_its_own_check(assignment):
    """The hidden region of test cell X calls run(assignment, X, globals()), and X has a check."""
    catalog = items(assignment)
    for path in sorted((SOURCE / assignment).glob("*.ipynb")):
        for cell in notebooks.test_cells(notebooks.read(path)):
            gid = notebooks.grade_id(cell)
            assert f'run("{assignment}", "{gid}", globals())' in notebooks.hidden_part(cell.source), gid
            assert gid in catalog, (
                f"{gid} has no pair of check files in autograder/checks/{{kernel,grader}}/{assignment}/"
            )


@pytest.mark.parametrize("assignment", assignment_names())
def test_every_check_has_a_test_cell(assignment):
    ids = {
        notebooks.grade_id(c)
        for p in (SOURCE / assignment).glob("*.ipynb")
        for c in notebooks.test_cells(notebooks.read(p))
    }
    assert set(items(assignment)) == ids


@pytest.mark.parametrize("assignment", assignment_names())
def test_math_renders_in_jupyterlab(assignment):
    """JupyterLab's MathJax has no \\bm, and an unclosed $$ swallows the rest of a cell."""
    for path in sorted((SOURCE / assignment).glob("*.ipynb")):
        for cell in notebooks.read(path).cells:
            if cell.cell_type == "markdown":
                assert "\\bm" not in cell.source, path.name
                assert cell.source.count("$$") % 2 == 0, f"{path.name}: unclosed $$ in {cell.source[:60]!r}"


def test_every_notebook_draws_its_pictures_with_the_same_given_cell():
    """The cell that adds a PNG to each plotly figure is one and the same in every notebook that
    draws plots, and it stays off where the grader and `check` run notebooks (NN_COURSE_PICTURES=0:
    no browser starts in the sandbox)."""
    cells = {
        path.name: c.source
        for path in sorted(SOURCE.glob("*/*.ipynb"))
        for c in notebooks.read(path).cells
        if c.cell_type == "code" and "also_picture" in c.source
    }
    assert len(cells) >= 3 and len(set(cells.values())) == 1, sorted(cells)
    assert 'os.environ.get("NN_COURSE_PICTURES") != "0"' in next(iter(cells.values()))

"""Instructors: `python -m autograder release [ASSIGNMENT ...]` regenerates release/ (with
nbgrader generate_assignment) and solutions/ (the source notebooks executed, hidden tests and
solution markers removed) for each assignment whose source/ or checks changed.

solutions/<assignment>/manifest.json records the digest they were made from; a test fails when
it no longer matches (see tests/test_release.py)."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from . import course
from .course import UsageError, notebooks, source_digest
from .course.notebooks import nbgrader_env
from .paths import ROOT, SOLUTIONS, SOURCE
from .submission.execute import kernel_session, local_kernel_manager

SOLUTION_TIMEOUT = 900  # seconds per cell while executing a reference solution


def manifest_path(assignment: str) -> Path:
    return SOLUTIONS / assignment / "manifest.json"


def is_stale(assignment: str) -> bool:
    try:
        recorded = json.loads(manifest_path(assignment).read_text())["source_digest"]
    except FileNotFoundError:
        return True
    return recorded != source_digest(assignment)


def generate_release(assignment: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "nbgrader", "generate_assignment", assignment, "--force", "--log-level=WARN"],
        cwd=ROOT,
        env=nbgrader_env(),
        check=True,
    )


# Steps from an executed source notebook to a published solution, in order. Execute first (the
# hidden checks must pass on the reference); strip hidden regions after (they ran, but students
# reading solutions must not see them); strip markers; then the outputs only a live kernel can show.
def strip_hidden_tests(nb) -> None:
    for cell in nb.cells:
        if notebooks.is_test_cell(cell):
            cell.source = notebooks.visible_part(cell.source).rstrip("\n")


def strip_solution_markers(nb) -> None:
    for cell in nb.cells:
        if notebooks.is_solution_cell(cell):
            cell.source = notebooks.without_solution_markers(cell.source)


def execute(nb, folder: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="release-") as sockets:
        client = NotebookClient(
            nb,
            km=local_kernel_manager(sockets),
            timeout=SOLUTION_TIMEOUT,
            resources={"metadata": {"path": str(folder)}},
        )
        with kernel_session(client, cwd=str(folder)):
            client.execute()


WIDGET = "application/vnd.jupyter.widget-view+json"
LIVE_FIGURE = "(A live figure: it draws while the notebook runs in JupyterLab, and shows nothing here.)"


def note_live_widgets(nb) -> None:
    """A widget (the live loss graph, a go.FigureWidget) needs its kernel: without one it shows as
    its repr, or as "Loading widget..." forever. The published solution says what it is instead."""
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if WIDGET in output.get("data", {}):
                output["data"] = {"text/plain": LIVE_FIGURE}


def generate_solutions(assignment: str) -> list[Path]:
    folder = SOLUTIONS / assignment
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for path in sorted((SOURCE / assignment).glob("*.ipynb")):
        nb = notebooks.read(path)
        print(f"  executing {path.relative_to(ROOT)} ...", flush=True)
        execute(nb, SOURCE / assignment)  # run where the instructor's copy lives: same data search
        strip_hidden_tests(nb)
        strip_solution_markers(nb)
        note_live_widgets(nb)
        nbformat.write(nb, str(folder / path.name))
        written.append(folder / path.name)
    return written


def main(assignments: list[str] | None = None, force: bool = False) -> int:
    try:
        for name in assignments or []:
            course.known(name)
    except UsageError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for assignment in assignments or course.names():
        if not any((SOURCE / assignment).glob("*.ipynb")):
            print(f"{assignment}: source/{assignment}/ has no notebooks yet; skipped")
            continue
        if not force and not is_stale(assignment):
            print(f"{assignment}: release/ and solutions/ are up to date")
            continue
        print(f"{assignment}: regenerating release/ and solutions/")
        generate_release(assignment)
        generate_solutions(assignment)
        manifest = {
            "source_digest": source_digest(assignment),
            "notebooks": sorted(p.name for p in (SOURCE / assignment).glob("*.ipynb")),
        }
        manifest_path(assignment).write_text(json.dumps(manifest, indent=2) + "\n")
    return 0

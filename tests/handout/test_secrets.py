"""Nothing secret ships in a handout: no solution or hidden-test line of source/, no 32-character
window of autograder/checks/ (either half), and not the words BEGIN SOLUTION / BEGIN HIDDEN, in
any file of the handout folder nor any member of its zip (notebooks and JSON read as their text).

A window of the checks counts as secret unless students are given it anyway: it occurs in a release
notebook, or in the engine outside checks/ and handout/ (`from __future__ import annotations` and
the like: boilerplate, no check). The same rule as the scrubber's (submission/scrub.py)."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pytest

from autograder import course
from autograder.course import notebooks
from autograder.paths import ENGINE, RELEASE, SOURCE
from tests.handout.conftest import student_copy

WINDOW, LINE = 32, 25
WORDS = ("BEGIN SOLUTION", "BEGIN HIDDEN")
SPACE = re.compile(r"\s+")


def normal(text: str) -> str:
    return SPACE.sub(" ", text)


def windows(text: str) -> set[str]:
    text = normal(text)
    return {text[i : i + WINDOW] for i in range(max(0, len(text) - WINDOW + 1))}


def release_text() -> str:
    return "\n".join(c.source for p in sorted(RELEASE.glob("*/*.ipynb")) for c in notebooks.read(p).cells)


def secret_lines() -> set[str]:
    """Every line (25+ characters) of a solution cell or a hidden test region in source/ that no
    release notebook holds (a stub's `def` line is in both: it is given)."""
    public = {line.strip() for line in release_text().splitlines()}
    lines = set()
    for path in sorted(SOURCE.glob("*/*.ipynb")):
        for cell in notebooks.read(path).cells:
            text = cell.source if notebooks.is_solution_cell(cell) else notebooks.hidden_part(cell.source)
            lines |= {s for line in text.splitlines() if len(s := line.strip()) >= LINE and s not in public}
    return lines


def secret_windows() -> set[str]:
    hidden = set()
    for path in sorted((ENGINE / "checks").rglob("*.py")):
        hidden |= windows(path.read_text(encoding="utf-8"))
    public = windows(release_text())
    for path in sorted(ENGINE.rglob("*.py")):
        if not path.relative_to(ENGINE).as_posix().startswith(("checks/", "handout/")):
            public |= windows(path.read_text(encoding="utf-8"))
    return hidden - public


def strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []


def texts(name: str, data: bytes) -> list[str]:
    """A file's text; for JSON (notebooks, nncheck.json), its strings unescaped (its raw text only
    for the words: JSON's quotes and escapes make windows no file of the course holds)."""
    text = data.decode("utf-8", "replace")
    try:
        return ["\n".join(strings(json.loads(text)))]
    except ValueError:
        return [text]


def files_of(folder: Path, archive: Path) -> dict[str, bytes]:
    found = {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
    with zipfile.ZipFile(archive) as zf:
        found |= {f"zip:{i.filename}": zf.read(i) for i in zf.infolist() if not i.is_dir()}
    return found


def leaks(files: dict[str, bytes], lines: set[str], hidden: set[str]) -> list[str]:
    found = []
    for name, data in files.items():
        found += [f"{name}: {word}" for word in WORDS if word.encode() in data]
        for text in texts(name, data):
            flat = normal(text)
            found += [f"{name}: solution/hidden line {line!r}" for line in lines if normal(line) in flat]
            found += [f"{name}: checks window {w!r}" for w in sorted(windows(text) & hidden)[:3]]
    return found


@pytest.fixture(scope="module")
def secrets() -> tuple[set[str], set[str]]:
    lines, hidden = secret_lines(), secret_windows()
    assert len(lines) > 20 and len(hidden) > 1000, "the scan must have secrets to look for"
    return lines, hidden


@pytest.mark.parametrize("assignment", course.names())
def test_nothing_secret_ships(handouts, secrets, assignment):
    folder, archive = handouts[assignment]
    files = files_of(folder, archive)
    assert {"README.md", "requirements.txt", "nncheck.py", "nncheck.json"} <= set(files)
    assert not [n for n in files if n.startswith(("source", "solutions", "autograder"))]
    assert leaks(files, *secrets) == []


def test_a_planted_solution_line_and_a_checks_line_are_caught(handouts, secrets, tmp_path):
    lines, hidden = secrets
    folder = student_copy(handouts, "neural_nets", tmp_path)
    nb = notebooks.read(folder / "01_layers.ipynb")
    planted = sorted(lines)[0]
    nb.cells[-1].source += "\n" + planted
    notebooks.nbformat.write(nb, str(folder / "01_layers.ipynb"))
    check_file = sorted((ENGINE / "checks" / "grader").rglob("test_*.py"))[0]
    (folder / "notes.txt").write_text(check_file.read_text()[-400:])
    (folder / "data" / "answers.md").write_text("### BEGIN HIDDEN TESTS\n")
    archive = tmp_path / "planted.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("x/01_layers.ipynb", (folder / "01_layers.ipynb").read_bytes())
    found = leaks(files_of(folder, archive), lines, hidden)
    assert any(f.startswith("01_layers.ipynb: solution/hidden line") for f in found), found
    assert any(f.startswith("zip:x/01_layers.ipynb: solution/hidden line") for f in found), found
    assert any(f.startswith("notes.txt: checks window") for f in found), found
    assert "data/answers.md: BEGIN HIDDEN" in found


def test_the_students_tool_imports_nothing_of_the_course(handouts):
    import ast

    folder = handouts["mnist_quiz"][0]
    for name in ("nncheck.py", "fetch_data.py"):
        tree = ast.parse((folder / name).read_text())
        imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        imported |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        assert not {m for m in imported if m.split(".")[0] in ("autograder", "tests", "data")}, (name, imported)

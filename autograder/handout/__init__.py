"""Instructors: `python -m autograder handout ASSIGNMENT --out DIR` writes what students get, and
nothing else: DIR/ASSIGNMENT-handout/ and the same as DIR/ASSIGNMENT-handout.zip.

    README.md          the students' two commands (set up; check a notebook), then export
    requirements.txt   what the notebooks and the tool need (CPU-only torch said as an option)
    *.ipynb            the release notebooks (release/ASSIGNMENT/: no solution, no hidden test)
    nncheck.py         the students' tool (check, export), standalone: it imports nothing of this
                       package (nncheck.py here is copied as it is)
    nncheck.json       what the tool needs: the limits of source/ASSIGNMENT/assignment.toml, the
                       grader's size limit, and each item's visible test cell, taken from release/
    data/              the small data files the notebooks read, copied; a large one (MNIST, 50 MB)
                       is fetched by fetch_data.py, which checks it against the SHA-256 sums here

Nothing is read from solutions/ or autograder/checks/; tests/handout/ scans every file for them.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
import zipfile
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from .. import course
from ..course import UsageError, notebooks
from ..course.items import source_tests
from ..paths import DATA, RELEASE
from ..submission.plan import MAX_NOTEBOOK_BYTES

HERE = Path(__file__).resolve().parent
TOOL = ("nncheck.py", "fetch_data.py")  # copied as they are
COPY_BYTES = 5 * 2**20  # a data file up to this size ships in the handout; larger ones are fetched
ZIP_TIME = (2020, 1, 1, 0, 0, 0)  # fixed timestamps: the same handout gives the same zip
# Where each large data set comes from, as fetch_data.py knows it (its FETCHERS).
FETCHED = {"MNIST/raw": "torchvision"}


def data_plan(limits: course.Limits) -> tuple[list[str], dict[str, str]]:
    """(files copied, {file to fetch: SHA-256}) of the assignment's data_files, paths under data/."""
    copied, fetched = [], {}
    for entry in limits.data_files:
        path = DATA / entry
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        if not files or not all(f.is_file() for f in files):  # a folder's files, or one file
            raise UsageError(f"data/{entry} is missing: run `python -m autograder data` first")
        size = sum(f.stat().st_size for f in files)
        if size <= COPY_BYTES:
            copied += [f.relative_to(DATA).as_posix() for f in files]
        elif entry in FETCHED:
            fetched.update({f.relative_to(DATA).as_posix(): hashlib.sha256(f.read_bytes()).hexdigest() for f in files})
        else:
            raise UsageError(
                f"data/{entry} is {size / 2**20:.0f} MB, too large to ship in the handout, and "
                f"fetch_data.py knows no source for it: add one to its FETCHERS and to FETCHED here"
            )
    return copied, fetched


def tool_config(spec: course.Assignment, fetched: dict[str, str]) -> dict:
    """nncheck.json: what the students' tool needs, from release/ and assignment.toml only."""
    limits = spec.limits
    items = {}
    for name in spec.notebooks:
        released = notebooks.read(RELEASE / spec.name / name)
        items[name] = [
            {"grade_id": t.grade_id, "points": t.points, "code": t.visible}
            | {"before": list(t.before), "anchor": t.anchor}
            for t in source_tests(released, name)
        ]
    return {
        "assignment": spec.name,
        "notebooks": list(spec.notebooks),
        "limits": {
            "cell_timeout": limits.cell_timeout,
            "total_timeout": limits.total_timeout,
            "cores": limits.cores,
            "memory_mb": limits.memory_mb,
        },
        "max_notebook_bytes": MAX_NOTEBOOK_BYTES,
        "items": items,
        "fetch": {"torchvision": fetched} if fetched else {},
    }


def render(template: str, **context) -> str:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template(template).render(**context)


def build(assignment: str, out: Path) -> tuple[Path, Path]:
    """Write out/ASSIGNMENT-handout/ and out/ASSIGNMENT-handout.zip; return both."""
    spec = course.load(assignment)
    copied, fetched = data_plan(spec.limits)
    folder = Path(out) / f"{assignment}-handout"
    if folder.exists():
        shutil.rmtree(folder)
    (folder / "data").mkdir(parents=True)
    for name in spec.notebooks:
        shutil.copyfile(RELEASE / assignment / name, folder / name)
    for name in copied:
        (folder / "data" / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(DATA / name, folder / "data" / name)
    cfg = tool_config(spec, fetched)
    (folder / "nncheck.json").write_text(json.dumps(cfg, indent=1) + "\n", encoding="utf-8")
    for name in TOOL if fetched else TOOL[:1]:
        shutil.copyfile(HERE / name, folder / name)
    context = {
        "assignment": assignment,
        "notebooks": spec.notebooks,
        "limits": spec.limits,
        "copied": copied,
        "fetched": sorted(fetched),
        "points": sum(i["points"] for items in cfg["items"].values() for i in items),
        "max_mb": MAX_NOTEBOOK_BYTES // 2**20,
        "torchvision": bool(fetched) or any("torchvision" in (folder / n).read_text() for n in spec.notebooks),
    }
    (folder / "README.md").write_text(render("README.md.j2", **context), encoding="utf-8")
    (folder / "requirements.txt").write_text(render("requirements.txt.j2", **context), encoding="utf-8")
    return folder, write_zip(folder)


def write_zip(folder: Path) -> Path:
    """folder as folder.zip, its files under the folder's name, in a stable order."""
    target = folder.with_suffix(".zip")
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(f"{folder.name}/{path.relative_to(folder).as_posix()}", ZIP_TIME)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, path.read_bytes())
    return target


def main(assignment: str, out: Path) -> int:
    try:
        folder, zipped = build(assignment, Path(out))
    except UsageError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"wrote {folder}/ and {zipped} ({zipped.stat().st_size / 2**20:.1f} MB): give students the zip")
    return 0

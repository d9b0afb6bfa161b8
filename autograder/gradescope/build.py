"""`python -m autograder gradescope ASSIGNMENT --out DIR`: write DIR/ASSIGNMENT-gradescope.zip,
an autograder to upload to a Gradescope programming assignment.

What the zip holds, and nothing else:

* at its root: ``setup.sh`` (Gradescope runs it once, as root, to build the image),
  ``run_autograder`` (runs once per submission), ``requirements.txt`` (every distribution the
  engine needs, pinned to the versions of the environment that builds the bundle: the one the
  test suite ran in) and ``gradescope.json`` (what run.py needs to know: the assignment, whether to
  sandbox, the data's digests);
* ``autograder/``: the engine, without the folders of staff tools that never run on Gradescope
  (STAFF_ONLY) and with the hidden checks of this assignment only;
* ``release/<assignment>/`` and ``source/<assignment>/``: the notebooks (the engine reads the
  file names from the first and the test cells and points from the second), and the
  assignment's ``assignment.toml``. No answer ships: in the source notebooks, every solution
  cell's code is replaced by the names it defines (``name = ...``, all the engine reads of it),
  and every written answer by nothing (``without_solutions``);
* ``data/``: the files the assignment's notebooks read (``[limits] data_files`` of its assignment.toml),
  verified here (MNIST: by MD5, ``data/make_data.py``) and by SHA-256 again before every grading.

The zip is deterministic: the same tree gives the same bytes (sorted entries, fixed timestamps,
explicit modes: 0755 for ``run_autograder``, ``setup.sh`` and folders, 0644 for the rest).
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import sys
import zipfile
from importlib import metadata
from pathlib import Path

import nbformat
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from .. import course, release
from ..course import CONFIG, UsageError, notebooks
from ..course.items import answer_names
from ..paths import DATA, ENGINE, ROOT
from . import BUNDLE_CONFIG

TEMPLATES = Path(__file__).resolve().parent
PROJECT = "nn-course"
# Distributions the engine never imports while grading, left out of the bundle (and why); the
# optional dependencies (`pip install -e '.[cluster]'`, ...) are left out as well.
NOT_AT_RUN_TIME = {"nbgrader": "only `python -m autograder release` runs it"}
# Modules of the engine a bundle does without: grading on a Dask cluster (`grade --dask`), and
# writing nbgrader's gradebook for formgrader with its pictures (`grade --gradebook`), and building
# the students' handout (`handout`).
STAFF_ONLY = ("runners", "formgrader", "handout")
# Requirements of torch's CUDA build; the CPU-only build that setup.sh installs has none of them.
CUDA_ONLY = re.compile(r"^(nvidia-.*|cuda-.*|triton)$")
TORCH = ("torch", "torchvision")  # installed by setup.sh from PyTorch's CPU-only index
TORCH_INDEX = "https://download.pytorch.org/whl/cpu"
# Pythons an Ubuntu base image installs from its own archive: 22.04 (Gradescope's default) has
# python3.10 (its python3) and python3.11 (universe); 24.04 has python3.12 (its python3), which a TA
# on Ubuntu 24.04 builds with. setup.sh installs the one the bundle was built with.
UBUNTU_PYTHONS = {"3.10": "22.04", "3.11": "22.04", "3.12": "24.04"}
ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # every entry's timestamp: the zip format's earliest
EXECUTABLE, FILE, FOLDER = 0o100755, 0o100644, 0o040755


class BuildError(Exception):
    """The bundle cannot be built; the message says what to do."""


# ----------------------------------------------------------------------------- requirements
def project_requirements() -> list[Requirement]:
    """The project's run-time dependencies, from its pyproject.toml (or, without tomllib, from the
    installed project's metadata)."""
    try:
        import tomllib

        lines = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    except ImportError:  # Python 3.10
        lines = [r for r in metadata.requires(PROJECT) or [] if "extra ==" not in r]
    return [Requirement(line) for line in lines]


def _applies(requirement: Requirement, extras: set[str]) -> bool:
    if requirement.marker is None:
        return True
    return any(requirement.marker.evaluate({"extra": extra}) for extra in extras | {""})


def pinned_requirements() -> list[str]:
    """``name==version`` of every distribution the engine needs at run time (the project's
    dependencies but NOT_AT_RUN_TIME, and all they need in turn, CUDA-only ones excepted), at the
    version installed in this environment; sorted by name."""
    pins: dict[str, str] = {}
    todo = [(r, set(r.extras)) for r in project_requirements() if canonicalize_name(r.name) not in NOT_AT_RUN_TIME]
    todo = [(r, extras) for r, extras in todo if _applies(r, set())]
    seen: set[tuple[str, frozenset]] = set()
    while todo:
        requirement, extras = todo.pop()
        name = canonicalize_name(requirement.name)
        if (name, frozenset(extras)) in seen or CUDA_ONLY.match(name):
            continue
        seen.add((name, frozenset(extras)))
        try:
            distribution = metadata.distribution(requirement.name)
        except metadata.PackageNotFoundError:
            raise BuildError(
                f"{requirement.name} (needed by the engine) is not installed in this environment: "
                "run `make setup` first"
            ) from None
        pins[name] = distribution.version
        for line in distribution.requires or []:
            needed = Requirement(line)
            if _applies(needed, extras):
                todo.append((needed, set(needed.extras)))
    return [f"{name}=={version}" for name, version in sorted(pins.items())]


def requirements_txt(pins: list[str]) -> str:
    python = ".".join(map(str, sys.version_info[:2]))
    return (
        f"# Every distribution the grading engine needs, pinned to the environment this bundle was built\n"
        f"# and tested in (Python {python}, {sys.platform}). setup.sh installs torch and torchvision first,\n"
        f"# as CPU-only builds from {TORCH_INDEX} (their versions are the same).\n"
        + "".join(f"{pin}\n" for pin in pins)
    )


# ----------------------------------------------------------------------------- contents
def engine_files(assignment: str) -> list[Path]:
    """The engine's files, without the STAFF_ONLY folders and the other assignments' checks."""
    files = []
    for path in course.engine_files():
        parts = path.relative_to(ENGINE).parts
        if parts[0] in STAFF_ONLY:
            continue
        # checks/<side>/<other assignment>/... (not checks/<side>/api.py, which every check needs)
        if parts[0] == "checks" and len(parts) > 3 and parts[1] in ("kernel", "grader") and parts[2] != assignment:
            continue
        files.append(path)
    return files


def data_files(assignment: str) -> list[Path]:
    """The data files of the assignment (a folder in LIMITS means the files in it)."""
    files = []
    for name in course.settings(assignment).limits.data_files:
        path = DATA / name
        files += sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    return files


def prepare_data(assignment: str) -> None:
    """Make the assignment's data here, as `python -m autograder data` does (the recipes of
    data/make_data.py, for the data files that have one), and check that every file is there."""
    from .. import data

    recipes = data.recipes()
    names = course.settings(assignment).limits.data_files
    for recipe in dict.fromkeys(recipes.RECIPES[name] for name in names if name in recipes.RECIPES):
        try:
            recipe()
        except recipes.DataError as err:
            raise BuildError(str(err)) from None
    missing = [str(p) for p in map(DATA.joinpath, names) if not p.exists()]
    if missing:
        raise BuildError(
            f"data files missing: {', '.join(missing)}; run `python -m autograder data`, or put "
            f"them under data/ (source/{assignment}/{CONFIG} names them in [limits] data_files)"
        )


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def render(template: str, values: dict[str, str]) -> str:
    text = (TEMPLATES / template).read_text()
    for key, value in values.items():
        text = text.replace(f"@{key}@", value)
    left = re.findall(r"@[A-Z_]+@", text)
    if left:
        raise AssertionError(f"{template}: no value for {left}")
    return text


def without_solutions(nb) -> nbformat.NotebookNode:
    """A source notebook with no answer in it: each solution code cell keeps its metadata and only
    the names it defines (what the engine reads of it: plan.item_names), a written answer nothing.
    Test cells, given cells and markdown stay as they are."""
    copy = nbformat.from_dict(nb)
    for cell in copy.cells:
        if not notebooks.is_solution_cell(cell):
            continue
        names = answer_names(cell.source) if cell.cell_type == "code" else ()
        cell.source = "".join(f"{name} = ...\n" for name in names)
        if cell.cell_type == "code":
            cell.update(outputs=[], execution_count=None)
    return copy


def contents(assignment: str, sandboxed: bool = True) -> dict[str, tuple[bytes, int]]:
    """{path in the zip: (bytes, mode)} of the bundle."""
    spec = course.load(assignment)
    pins = pinned_requirements()
    version = dict(pin.split("==") for pin in pins)
    python = python_version()
    files: dict[str, tuple[bytes, int]] = {}
    for path in engine_files(assignment):
        files[path.relative_to(ROOT).as_posix()] = (path.read_bytes(), FILE)
    for name in spec.notebooks:
        files[f"release/{assignment}/{name}"] = ((ROOT / "release" / assignment / name).read_bytes(), FILE)
        source = without_solutions(notebooks.read(ROOT / "source" / assignment / name))
        files[f"source/{assignment}/{name}"] = (nbformat.writes(source).encode(), FILE)
    files[f"source/{assignment}/{CONFIG}"] = ((ROOT / "source" / assignment / CONFIG).read_bytes(), FILE)
    data = {}
    for path in [DATA / "make_data.py", *data_files(assignment)]:  # the recipes: the checks read them too
        key = path.relative_to(ROOT).as_posix()
        files[key] = (path.read_bytes(), FILE)
        data[key] = sha256(path)
    config = {
        "assignment": assignment,
        "notebooks": list(spec.notebooks),
        "sandbox": sandboxed,
        "python": python,
        "data_sha256": data,
        "visibility": vars(course.settings(assignment).gradescope),
        "built_with": {name: version[name] for name in TORCH},
    }
    files[BUNDLE_CONFIG] = ((json.dumps(config, indent=2) + "\n").encode(), FILE)
    files["requirements.txt"] = (requirements_txt(pins).encode(), FILE)
    values = {
        "PYTHON_VERSION": python,
        "TORCH_INDEX": TORCH_INDEX,
        "TORCH_PINS": " ".join(f"{name}=={version[name]}" for name in TORCH),
    }
    files["setup.sh"] = (render("setup.sh", values).encode(), EXECUTABLE)
    files["run_autograder"] = (render("run_autograder", {}).encode(), EXECUTABLE)
    return files


def zip_bytes(files: dict[str, tuple[bytes, int]]) -> bytes:
    """A deterministic zip: folders first made explicit, entries sorted, fixed times and modes."""
    folders = {"/".join(p.split("/")[:i]) for p in files for i in range(1, p.count("/") + 1)}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(folders | set(files)):
            if name in folders:
                info = zipfile.ZipInfo(name + "/", ZIP_TIME)
                info.external_attr = (FOLDER << 16) | 0x10  # and MS-DOS's directory bit
                data = b""
            else:
                data, mode = files[name]
                info = zipfile.ZipInfo(name, ZIP_TIME)
                info.external_attr = mode << 16
                info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix: unzip applies the modes
            archive.writestr(info, data, compresslevel=6 if data else None)
    return buffer.getvalue()


def python_version() -> str:
    """This environment's Python, as X.Y: the bundle pins this environment's versions."""
    return ".".join(map(str, sys.version_info[:2]))


def build(assignment: str, out: Path, sandboxed: bool = True) -> Path:
    try:
        course.known(assignment)
    except UsageError as err:
        raise BuildError(str(err)) from None
    python = python_version()
    if python not in UBUNTU_PYTHONS:
        raise BuildError(
            f"this environment runs Python {python}; Gradescope's Ubuntu images install "
            f"Python {', '.join(UBUNTU_PYTHONS)} from their own archive, and the bundle pins the "
            "versions of this environment: build from a venv made with one of those "
            "(`make setup PYTHON=python3.11`)"
        )
    if release.is_stale(assignment):
        raise BuildError(
            f"release/{assignment}/ and solutions/{assignment}/ are older than source/ or the "
            f"checks: run `python -m autograder release {assignment}` and commit, then build"
        )
    prepare_data(assignment)
    try:
        payload = zip_bytes(contents(assignment, sandboxed))
    except UsageError as err:
        raise BuildError(str(err)) from None
    out.mkdir(parents=True, exist_ok=True)
    target = out / f"{assignment}-gradescope.zip"
    partial = target.with_name(f".{target.name}.tmp")
    partial.write_bytes(payload)
    partial.replace(target)
    return target


def main(assignment: str, out: Path, sandboxed: bool = True) -> int:
    try:
        target = build(assignment, Path(out), sandboxed)
    except BuildError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    size = target.stat().st_size / 1e6
    print(f"wrote {target} ({size:.1f} MB)")
    print(
        "Upload it on Gradescope (Configure Autograder: zip file upload, base image Ubuntu 22.04); "
        "the settings the assignment needs (memory, timeout) are in docs/gradescope.md."
    )
    if not sandboxed:
        print(
            "note: built with --no-sandbox: student code will run WITHOUT isolation on Gradescope "
            "(read docs/gradescope.md before using it)"
        )
    return 0

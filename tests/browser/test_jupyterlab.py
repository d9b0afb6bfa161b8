"""Issue 13 §3: the notebooks as a person sees them in JupyterLab, in headless Chromium. Each
notebook of release/ renders every cell, its formulas typeset by MathJax without an error and no
TeX left as text; each executed notebook of solutions/ draws its plotly figures. JupyterLab runs
from the course's venv on copies of the notebooks (tests/browser/jupyterlab.py), so the repository
is not touched, and offline: the page may only ask its own server."""

from __future__ import annotations

import base64
import json
import re
import struct
import zlib

import pytest

from autograder.paths import ROOT
from tests.browser import jupyterlab

pytestmark = pytest.mark.slow

RELEASE = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "release").glob("*/*.ipynb"))
SOLUTIONS = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "solutions").glob("*/*.ipynb"))


def test_the_notebooks_are_found():
    assert len(RELEASE) == 4 and len(SOLUTIONS) == 4, (RELEASE, SOLUTIONS)


@pytest.fixture(scope="module")
def lab(tmp_path_factory, browser):
    """`jupyter lab` on copies of release/ and solutions/ (after `browser`: no server is started
    where the tests would be skipped)."""
    root = tmp_path_factory.mktemp("lab-root")
    jupyterlab.copy_notebooks(ROOT, root)
    try:
        server = jupyterlab.start(root, tmp_path_factory.mktemp("lab-home"))
    except jupyterlab.LabDidNotStart as e:
        pytest.fail(str(e))
    yield server
    jupyterlab.stop(server)


@pytest.fixture
def open_notebook(open_page, lab):
    """`open_notebook(path)` -> (page, seen, notebook) for the notebook at `path` under the
    server's root. After the test, once each page's kernel is idle, the pages are closed and the
    kernels shut down."""
    pages = []

    def open_(path):
        notebook = json.loads((lab.root / path).read_text())
        page, seen = open_page(lab.notebook_url(path), allowed_hosts=(lab.host,))
        pages.append(page)
        return page, seen, notebook

    yield open_
    for page in pages:
        jupyterlab.wait_for_kernel(page)
        page.context.close()
    lab.shutdown_kernels()
    assert lab.api("kernels") == []


def assert_quiet(page, seen, lab):
    """The page threw nothing, logged no error, asked nothing of any host but its own server, and
    shows no dialog."""
    assert page.locator(".jp-Dialog").all_inner_texts() == []
    assert seen.page_errors == [], seen.page_errors
    assert seen.console_errors == [], seen.console_errors
    assert seen.blocked == [], f"the page asked hosts other than {lab.host}: {seen.blocked}"
    assert seen.requests, "no request was seen: the offline guard did not watch this page"


@pytest.mark.parametrize("path", RELEASE)
def test_release_notebook_renders_with_its_formulas_typeset(open_notebook, lab, path):
    page, seen, notebook = open_notebook(path)
    assert jupyterlab.math_problems(page, notebook) == []
    formulas = sum(
        jupyterlab.formulas_in_source(jupyterlab.source_text(c))
        for c in notebook["cells"]
        if c["cell_type"] == "markdown"
    )
    assert formulas > 0 and page.locator(".jp-NotebookPanel mjx-container").count() == formulas
    assert_quiet(page, seen, lab)


@pytest.mark.parametrize("path", SOLUTIONS)
def test_solution_notebook_draws_its_figures(open_notebook, lab, path):
    """Plotly figures drawn by plotly.js, and the SVG pictures (network diagrams) shown."""
    page, seen, notebook = open_notebook(path)
    assert jupyterlab.plotly_outputs(notebook) or jupyterlab.svg_outputs(notebook), f"{path} has no figure to look at"
    assert jupyterlab.math_problems(page, notebook) == []
    assert jupyterlab.plot_problems(page, notebook) == []
    assert jupyterlab.picture_problems(page, notebook) == []
    assert_quiet(page, seen, lab)


def break_formulas(notebook: dict) -> dict:
    """The notebook with formulas broken in the ways TeX goes wrong on a page, one cell each: a
    TeX error and an undefined command; braces that never close; a `$$` that never closes."""
    cells = [
        c
        for c in notebook["cells"]
        if c["cell_type"] == "markdown" and jupyterlab.formulas_in_source(jupyterlab.source_text(c)) >= 2
    ]
    assert len(cells) >= 3, "the notebook has too few cells with formulas to break"
    source = jupyterlab.source_text(cells[0])
    # its first two inline formulas: a TeX error (a double superscript), an undefined command
    (a0, a1), (b0, b1) = [m.span() for m in re.finditer(r"(?<!\$)\$(?!\$)[^$]+\$", source)][:2]
    cells[0]["source"] = source[:a0] + "$x^^2$" + source[a1:b0] + r"$\fracc{1}{2}$" + source[b1:]
    cells[1]["source"] = jupyterlab.source_text(cells[1]) + "\n\nUnbalanced braces: $\\frac{1}{$.\n"
    cells[2]["source"] = jupyterlab.source_text(cells[2]) + "\n\n$$ \\mathbf{y} = \\sigma(\\mathbf{x})\n"
    return notebook


def test_broken_formulas_are_reported(open_notebook, lab):
    """The check of the release notebooks catches a MathJax error, an undefined command and TeX left
    as text (a raw `$$`), in a scratch copy of a release notebook: the same function says []
    of the intact copy."""
    notebook = json.loads((lab.root / "release/neural_nets/01_layers.ipynb").read_text())
    scratch = lab.root / "scratch" / "broken.ipynb"
    scratch.parent.mkdir(exist_ok=True)
    scratch.write_text(json.dumps(break_formulas(notebook)))

    page, seen, broken = open_notebook("scratch/broken.ipynb")
    problems = jupyterlab.math_problems(page, broken)
    text = "\n".join(problems)
    assert "MathJax error: Missing open brace for superscript" in text, problems
    assert "undefined TeX command (red) in formula '\\\\fracc12'" in text, problems
    assert "TeX shown as text, '$$'" in text, problems
    assert "TeX shown as text, '$'" in text, problems  # `$\frac{1}{$`: never typeset
    assert re.search(r"cell \d+: \d+ formulas in its source, \d+ typeset", text), problems
    assert_quiet(page, seen, lab)


def png(width: int, height: int) -> str:
    """A grey PNG picture of that size, base64 as in a notebook's output."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    picture = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )
    return base64.b64encode(picture).decode()


def with_pictures(notebook: dict, picture: str) -> dict:
    """The notebook with `picture` as image/png next to each plotly figure, as plotly's static
    export puts it."""
    for cell in notebook["cells"]:
        for output in cell.get("outputs", []):
            if jupyterlab.PLOTLY_MIME in output.get("data", {}):
                output["data"]["image/png"] = picture
    return notebook


def test_figures_that_carry_a_picture_are_drawn_too(open_notebook, lab):
    """A plotly output that also holds its picture (image/png) shows the picture; hovering it draws
    the plot: the figures check sees both, and says so when the picture is broken."""
    path = "solutions/neural_nets/02_activations_losses.ipynb"
    notebook = json.loads((lab.root / path).read_text())
    scratch = lab.root / "scratch" / "pictures.ipynb"
    scratch.parent.mkdir(exist_ok=True)
    scratch.write_text(json.dumps(with_pictures(notebook, png(60, 40))))
    page, seen, shown = open_notebook("scratch/pictures.ipynb")
    assert jupyterlab.math_problems(page, shown) == []  # waits until the cells are there
    assert page.locator(".jp-RenderedPlotly img.plot-img").count() == len(jupyterlab.plotly_outputs(shown))
    assert jupyterlab.plot_problems(page, shown) == []
    assert_quiet(page, seen, lab)

    scratch.write_text(json.dumps(with_pictures(notebook, base64.b64encode(b"not a picture").decode())))
    page, seen, shown = open_notebook("scratch/pictures.ipynb")
    problems = jupyterlab.plot_problems(page, shown, timeout=20)
    figures = [cell for cell, _ in jupyterlab.plotly_outputs(shown)]
    assert problems == [
        p
        for cell in figures
        for p in (f"cell {cell}: the figure's picture did not load", f"cell {cell}: no plot drawn (its SVG: None)")
    ]


def test_a_picture_jupyterlab_would_not_show_is_reported(open_notebook, lab):
    """An SVG diagram as image/svg+xml only: JupyterLab shows a downloaded (untrusted) notebook's
    SVG as its text, and the pictures check says so; the solution's own output (an <img> in HTML
    beside the SVG) is shown."""
    path = "solutions/neural_nets/01_layers.ipynb"
    notebook = json.loads((lab.root / path).read_text())
    assert jupyterlab.svg_outputs(notebook), "the solution draws no SVG diagram"
    for cell in notebook["cells"]:
        for output in cell.get("outputs", []):
            if "image/svg+xml" in output.get("data", {}):
                output["data"] = {k: v for k, v in output["data"].items() if k != "text/html"}
    scratch = lab.root / "scratch" / "svg-only.ipynb"
    scratch.parent.mkdir(exist_ok=True)
    scratch.write_text(json.dumps(notebook))
    page, seen, shown = open_notebook("scratch/svg-only.ipynb")
    problems = jupyterlab.picture_problems(page, shown, timeout=15)
    assert problems and "the page shows loaded ones in cells []" in problems[0], problems
    assert_quiet(page, seen, lab)

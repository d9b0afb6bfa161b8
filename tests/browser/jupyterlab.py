"""JupyterLab as a person opens it, for the browser tests: a `jupyter lab` of the course's venv,
started on a free local port with a random token, serving copies of the notebooks, and the checks
of what its page shows (formulas typeset by MathJax, plotly figures drawn).

The server is isolated from the developer's own Jupyter: its config, data (where the trust
database lives), runtime, and JupyterLab's user settings and workspaces are temporary folders.
Its own user settings attach every cell to the page (`windowingMode: none`; JupyterLab 4 otherwise
leaves cells outside the viewport out of the DOM) and turn off what would reach the internet (news,
update checks, the PyPI extension manager).

Opening a notebook starts its kernel, as it does for a person; rendering needs none, and the tests
end each page's kernel once it is idle (`wait_for_kernel`, then `Lab.shutdown_kernels`: a kernel
ended while it starts makes jupyter_server answer 500 to /api/kernels). A server offering no kernel
would start none, but then JupyterLab covers the notebook with a modal "Select Kernel" dialog, which
no person sees: the page would not be theirs.

How JupyterLab 4.6 shows math (found by experiment; `@jupyterlab/mathjax-extension`, MathJax 3 with
its `noerrors` and `noundefined` TeX packages):
- a typeset formula is an `mjx-container` element in the cell's `.jp-RenderedMarkdown`;
- a TeX error (`x^^2`, `\\left( x`, `\\frac{1}`, `\\begin{a}..\\end{b}`) is typeset all the same, as an
  `mjx-merror` element whose `data-mjx-error` attribute holds MathJax's message, showing the source;
- an undefined command (`\\fracc`) is typeset as red text: an `mjx-mtext` styled `color: red`
  (`<mtext mathcolor="red">` in the assistive MathML), with no error element;
- an unclosed `$`/`$$` or unbalanced braces (`$\\frac{1}{$`) never reach MathJax: the TeX stays in
  the page as text, dollars and backslashes included.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

START_TIMEOUT = 120  # s for `jupyter lab` to answer; on 2 busy cores it takes 5 to 15 s
STOP_TIMEOUT = 20  # s for it to end after SIGTERM, before SIGKILL
RENDER_TIMEOUT = 90  # s for a notebook's cells, formulas and figures to appear
KERNEL_TIMEOUT = 60  # s for a page's kernel to start
STABLE_FOR = 3.0  # s without a new formula after which typesetting counts as finished

PLOTLY_MIME = "application/vnd.plotly.v1+json"

# JupyterLab's user settings for the test server (file name -> settings).
USER_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false", "checkForUpdates": False},
}


class LabDidNotStart(RuntimeError):
    pass


@dataclass
class Lab:
    process: subprocess.Popen
    port: int
    token: str
    root: Path  # the folder it serves
    log: Path  # its stdout and stderr

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def notebook_url(self, path: str) -> str:
        """The notebook at `path` (relative to root) in a workspace of its own: a fresh workspace
        opens only this notebook, where the default one would restore earlier tabs."""
        return f"http://{self.host}/lab/workspaces/t{uuid.uuid4().hex[:12]}/tree/{quote(path)}?token={self.token}"

    def api(self, path: str, method: str = "GET"):
        request = urllib.request.Request(
            f"http://{self.host}/api/{path}", method=method, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read()
        return json.loads(body) if body else None

    def shutdown_kernels(self) -> None:
        """End every session and kernel the pages started."""
        for session in self.api("sessions"):
            self.api(f"sessions/{session['id']}", method="DELETE")
        for kernel in self.api("kernels"):
            self.api(f"kernels/{kernel['id']}", method="DELETE")

    def log_tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:]


def wait_for_kernel(page, timeout: float = KERNEL_TIMEOUT) -> None:
    """Wait until the page's status bar says its kernel is idle ("Python 3 (ipykernel) | Idle")."""
    page.wait_for_function(
        "() => Array.from(document.querySelectorAll('.jp-StatusBar-TextItem'))"
        ".some(e => / [|] Idle$/.test(e.innerText))",
        timeout=timeout * 1000,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(root: Path, home: Path, timeout: float = START_TIMEOUT) -> Lab:
    """Start `jupyter lab` serving `root`, with its config, data, runtime, settings and workspaces
    in `home`; return once /api/status answers. Raise LabDidNotStart with its log if it ends or
    does not answer within `timeout` seconds (and then leave nothing running)."""
    dirs = {name: home / name for name in ("config", "data", "runtime", "settings", "workspaces", "ipython")}
    for path in dirs.values():
        path.mkdir(parents=True, exist_ok=True)
    for name, settings in USER_SETTINGS.items():
        target = dirs["settings"] / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(settings))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "JPY_"))}
    env.update(
        JUPYTER_CONFIG_DIR=str(dirs["config"]),
        JUPYTER_DATA_DIR=str(dirs["data"]),
        JUPYTER_RUNTIME_DIR=str(dirs["runtime"]),
        JUPYTERLAB_SETTINGS_DIR=str(dirs["settings"]),
        JUPYTERLAB_WORKSPACES_DIR=str(dirs["workspaces"]),
        IPYTHONDIR=str(dirs["ipython"]),
    )
    port, token = free_port(), secrets.token_hex(24)
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--allow-root",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",  # the port asked for, or fail: never another one
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        "--ServerApp.terminals_enabled=False",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.extension_manager=readonly",  # the default, "pypi", asks PyPI
    ]
    log = home / "jupyterlab.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            cwd=root,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    lab = Lab(process, port, token, root, log)
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise LabDidNotStart(
                f"`jupyter lab` ended with status {process.returncode} before it "
                f"answered; its output ends with:\n{lab.log_tail()}"
            )
        try:
            lab.api("status")
            return lab
        except urllib.error.HTTPError as e:
            stop(lab)
            raise LabDidNotStart(
                f"`jupyter lab` refused /api/status ({e.code}): the token was not "
                f"taken; its output ends with:\n{lab.log_tail()}"
            ) from e
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass  # not listening yet
        if time.monotonic() > deadline:
            stop(lab)
            raise LabDidNotStart(
                f"`jupyter lab` did not answer on port {port} within {timeout:.0f} s; "
                f"its output ends with:\n{lab.log_tail()}"
            )
        time.sleep(0.25)


def stop(lab: Lab) -> None:
    """SIGTERM to its process group (the server, and anything it started); SIGKILL what is left."""
    if lab.process.poll() is None:
        os.killpg(lab.process.pid, signal.SIGTERM)
        try:
            lab.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(lab.process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass  # the whole group has ended
    lab.process.wait(timeout=STOP_TIMEOUT)


def copy_notebooks(repo: Path, root: Path, folders=("release", "solutions")) -> list[Path]:
    """Copy the notebooks of `folders` (only .ipynb files) from `repo` into `root`; their paths
    relative to `root`."""
    copied = []
    for folder in folders:
        for notebook in sorted((repo / folder).glob("*/*.ipynb")):
            relative = notebook.relative_to(repo)
            (root / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(notebook, root / relative)
            copied.append(relative)
    return copied


# --- what the notebook's source says the page should show --------------------------------------

_FENCED = re.compile(r"^(`{3,}|~{3,}).*?^\1", re.S | re.M)
_CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1", re.S)
_FORMULA = re.compile(r"\$\$.+?\$\$|\$.+?\$", re.S)


def source_text(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def formulas_in_source(markdown: str) -> int:
    """How many `$...$` and `$$...$$` formulas a markdown source holds, outside code blocks and
    code spans and ignoring `\\$`. (The course's notebooks write math only this way.)"""
    text = _CODE_SPAN.sub("", _FENCED.sub("", markdown)).replace(r"\$", "")
    return len(_FORMULA.findall(text))


def plotly_outputs(notebook: dict) -> list[tuple[int, int]]:
    """(cell index, number of traces) of each plotly figure among the notebook's outputs."""
    return [
        (i, len(output["data"][PLOTLY_MIME].get("data", [])))
        for i, cell in enumerate(notebook["cells"])
        for output in cell.get("outputs", [])
        if PLOTLY_MIME in output.get("data", {})
    ]


# --- what the page shows ---------------------------------------------------------------------------

_CELLS_JS = """() => {
  const panels = document.querySelectorAll('.jp-NotebookPanel');
  if (panels.length !== 1) return {panels: panels.length, cells: []};
  const cells = Array.from(panels[0].querySelectorAll('.jp-Notebook .jp-Cell')).map(cell => {
    const type = cell.classList.contains('jp-MarkdownCell') ? 'markdown'
               : cell.classList.contains('jp-CodeCell') ? 'code' : 'raw';
    const md = cell.querySelector('.jp-RenderedMarkdown');
    if (!md || !md.innerHTML.trim()) return {type, rendered: false};
    const containers = Array.from(md.querySelectorAll('mjx-container'));
    const mathml = c => { const m = c.querySelector('mjx-assistive-mml'); return m ? m.textContent : '?'; };
    const visible = md.cloneNode(true);
    visible.querySelectorAll('mjx-container, code, pre').forEach(e => e.remove());
    return {
      type, rendered: true, formulas: containers.length,
      errors: Array.from(md.querySelectorAll('mjx-merror')).map(
        e => `${e.getAttribute('data-mjx-error')} in "${e.textContent}"`),
      undefined: containers.filter(c => Array.from(c.querySelectorAll('mjx-mtext')).some(
        t => t.style.color === 'red')).map(mathml),
      text: visible.textContent,
    };
  });
  return {panels: 1, cells};
}"""

# TeX left as text: `$$`, a `$` opening a formula (`$x`, `$\\frac`; not `$5`), a TeX command.
_RAW_TEX = re.compile(r"\$\$|\$(?=[^\s\d$])|\\[A-Za-z]+")


def snapshot(page) -> dict:
    return page.evaluate(_CELLS_JS)


def wait_until_rendered(page, notebook: dict, timeout: float = RENDER_TIMEOUT) -> dict:
    """Wait until the page shows the notebook's cells, each markdown cell rendered (not empty), and
    MathJax has typeset what it will: every formula of the source typeset, or (a formula that is
    broken never becomes one) the count of typeset formulas unchanged for STABLE_FOR seconds. Return
    the last snapshot; the checks that follow say what is wrong, including a page that never rendered."""
    expected = [formulas_in_source(source_text(c)) if c["cell_type"] == "markdown" else 0 for c in notebook["cells"]]
    deadline = time.monotonic() + timeout
    last_total, since = None, time.monotonic()
    while True:
        seen = snapshot(page)
        cells = seen["cells"]
        markdown = [c for c in cells if c["type"] == "markdown"]
        if len(cells) == len(expected) and all(c["rendered"] for c in markdown):
            counts = [c.get("formulas", 0) for c in cells]
            if counts == expected:
                return seen
            total = sum(counts)
            if total != last_total:
                last_total, since = total, time.monotonic()
            elif (total > 0 or not any(expected)) and time.monotonic() - since >= STABLE_FOR:
                return seen
        if time.monotonic() > deadline:
            return seen
        time.sleep(0.25)


def math_problems(page, notebook: dict) -> list[str]:
    """What is wrong with the cells and the math of `notebook` as `page` shows it (empty: nothing):
    cells missing or of the wrong type, formulas not typeset, MathJax errors, undefined commands,
    TeX left as text. Waits for rendering first."""
    seen = wait_until_rendered(page, notebook)
    if seen["panels"] != 1:
        return [f"the page shows {seen['panels']} notebooks, not 1"]
    cells, problems = seen["cells"], []
    if [c["type"] for c in cells] != [c["cell_type"] for c in notebook["cells"]]:
        problems.append(
            f"the page shows {len(cells)} cells ({[c['type'] for c in cells]}); the notebook "
            f"has {len(notebook['cells'])} ({[c['cell_type'] for c in notebook['cells']]})"
        )
        return problems
    for i, (cell, shown) in enumerate(zip(notebook["cells"], cells)):
        if cell["cell_type"] != "markdown":
            continue
        if not shown["rendered"]:
            problems.append(f"cell {i}: markdown not rendered")
            continue
        expected = formulas_in_source(source_text(cell))
        if shown["formulas"] != expected:
            problems.append(f"cell {i}: {expected} formulas in its source, {shown['formulas']} typeset")
        problems += [f"cell {i}: MathJax error: {e}" for e in shown["errors"]]
        problems += [f"cell {i}: undefined TeX command (red) in formula {u!r}" for u in shown["undefined"]]
        for m in _RAW_TEX.finditer(shown["text"]):
            snippet = shown["text"][max(0, m.start() - 30) : m.end() + 30].replace("\n", " ")
            problems.append(f"cell {i}: TeX shown as text, {m.group()!r} in: ...{snippet}...")
    return problems


_PLOTS_JS = """() => {
  const panel = document.querySelector('.jp-NotebookPanel');
  const cells = panel ? Array.from(panel.querySelectorAll('.jp-Notebook .jp-Cell')) : [];
  return cells.map((cell, index) => Array.from(cell.querySelectorAll('.jp-RenderedPlotly')).map(plot => {
    const img = plot.querySelector('img.plot-img');
    // plotly.js draws into the renderer's own node (its `gd`, classed js-plotly-plot)
    const gd = plot.classList.contains('js-plotly-plot') ? plot : plot.querySelector('.js-plotly-plot');
    const svg = gd && gd.querySelector('svg.main-svg');
    const box = svg ? svg.getBoundingClientRect() : null;
    return {
      index,
      image: img && img.getAttribute('src') && getComputedStyle(img).display !== 'none'
             ? {natural: img.naturalWidth, width: img.getBoundingClientRect().width} : null,
      traces: gd && gd.data ? gd.data.length : null,
      drawn: gd && gd._fullLayout ? gd.querySelectorAll('.trace, .hm, .surface').length : 0,
      size: box ? [box.width, box.height] : null,
    };
  })).flat();
}"""


def plot_problems(page, notebook: dict, timeout: float = RENDER_TIMEOUT) -> list[str]:
    """What is wrong with the plotly figures of `notebook` as `page` shows them (empty: nothing).
    Each figure among the notebook's outputs must be drawn by plotly.js in its cell: a plot with
    the figure's traces in an SVG of non-zero size. When the output also holds a picture
    (image/png), JupyterLab's plotly renderer shows the picture and draws the plot when the mouse
    enters it: the picture must have loaded, and hovering must draw the plot."""
    expected = plotly_outputs(notebook)
    deadline = time.monotonic() + timeout
    wait_until_rendered(page, notebook, timeout)
    hovered = set()
    while True:
        shown = page.evaluate(_PLOTS_JS)
        for n, plot in enumerate(shown):
            if plot["image"] and n not in hovered and plot["image"]["natural"] > 0:
                picture = page.locator(".jp-RenderedPlotly").nth(n).locator("img.plot-img")
                # what the mouse entering it does (a real hover scrolls, and the pictures that
                # pass under the still mouse get drawn on the way: a race)
                picture.dispatch_event("mouseenter", timeout=10_000)
                hovered.add(n)
        done = [
            (p["index"], p["traces"])
            for p in shown
            if p["traces"] is not None and p["size"] and min(p["size"]) > 0 and p["drawn"] > 0
        ]
        if done == expected or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    problems = []
    if [p["index"] for p in shown] != [i for i, _ in expected]:
        problems.append(
            f"plotly outputs in cells {[i for i, _ in expected]}, the page has plotly "
            f"renderers in cells {[p['index'] for p in shown]}"
        )
    for (cell, traces), plot in zip(expected, shown):
        if plot["image"] is not None and plot["image"]["natural"] == 0:
            problems.append(f"cell {cell}: the figure's picture did not load")
        if not plot["size"] or min(plot["size"]) <= 0:
            problems.append(f"cell {cell}: no plot drawn (its SVG: {plot['size']})")
        elif plot["traces"] != traces:
            problems.append(f"cell {cell}: the figure has {traces} traces, the plot {plot['traces']}")
        elif plot["drawn"] == 0:
            problems.append(f"cell {cell}: the plot has no trace drawn")
    return problems


_PICTURES_JS = """() => Array.from(document.querySelectorAll('.jp-NotebookPanel .jp-Cell')).flatMap(
  (cell, index) => Array.from(cell.querySelectorAll('.jp-OutputArea-output:not(.jp-RenderedPlotly)'))
    .map(out => out.querySelector('img[src^="data:image/svg+xml"], svg'))
    .filter(picture => picture !== null)
    .map(picture => {
      const box = picture.getBoundingClientRect();
      const loaded = picture.tagName === 'IMG' ? picture.complete && picture.naturalWidth > 0 : true;
      return {index, loaded, size: [box.width, box.height]};
    }))"""


def svg_outputs(notebook: dict) -> list[int]:
    """The cell index of each SVG picture among the notebook's outputs (the network diagrams)."""
    return [
        i
        for i, cell in enumerate(notebook["cells"])
        for output in cell.get("outputs", [])
        if "image/svg+xml" in output.get("data", {}) and PLOTLY_MIME not in output["data"]
    ]


def picture_problems(page, notebook: dict, timeout: float = RENDER_TIMEOUT) -> list[str]:
    """What is wrong with the SVG pictures of `notebook` as `page` shows them (empty: nothing): each
    must be shown in its cell, loaded and of non-zero size. JupyterLab draws an output's
    image/svg+xml only in a notebook it trusts (one the reader ran), so a picture meant for every
    reader also comes as an <img> in text/html, which is what an untrusted notebook shows."""
    expected = svg_outputs(notebook)
    wait_until_rendered(page, notebook, timeout)
    deadline = time.monotonic() + timeout
    while True:
        shown = page.evaluate(_PICTURES_JS)
        good = [p["index"] for p in shown if p["loaded"] and min(p["size"]) > 0]
        if good == expected or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    if good == expected:
        return []
    return [f"SVG pictures in cells {expected}, the page shows loaded ones in cells {good} (all: {shown})"]

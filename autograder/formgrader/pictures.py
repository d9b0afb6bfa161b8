"""Static pictures of plotly figures, for TAs reading a notebook in nbgrader's formgrader.

formgrader renders notebooks with nbconvert's HTML exporter, which has no renderer for
`application/vnd.plotly.v1+json`: a figure drawn in code shows as nothing. The grader draws each
such figure as a PNG itself, with kaleido (plotly's image export) and a headless Chromium: from
the figure's JSON, validated against plotly's schema first; never from a picture the student's
process made. Without Chromium the notebook says so where the picture would be.
"""

from __future__ import annotations

import asyncio
import json
import threading
from concurrent.futures import TimeoutError as Hung  # not the builtin TimeoutError before Python 3.11

import kaleido
import plotly.io
from kaleido.errors import BrowserFailedError, ChromeNotFoundError

PLOTLY = "application/vnd.plotly.v1+json"
SIZE = (700, 500)  # pixels, when the figure states no size
LARGEST = (1600, 1600)  # a figure may not ask for a larger picture than this
SECONDS = 30  # per figure
INSTALL = (
    "no Chromium for kaleido to draw plotly figures with: install it (Debian/Ubuntu: "
    "`apt-get install chromium`; elsewhere `.venv/bin/kaleido_get_chrome`, which downloads Chrome), "
    "then grade again"
)


class Renderer:
    """One headless browser for a whole batch (starting it takes seconds, a figure a fraction),
    started at the first figure. Use as a context manager; `png(data)` returns (PNG bytes, "") or
    (None, why not). Errors reach the caller: nothing waits on a browser that did not start.

    kaleido is asyncio code; it runs on an event loop in a thread of its own, so that a caller
    that already runs a loop (a notebook, Playwright's sync API in the tests) can use it too."""

    def __init__(self) -> None:
        self.broken = ""  # set once the browser cannot start: every later figure gets the reason
        self.loop = self.thread = self.kaleido = None

    def __enter__(self) -> Renderer:
        return self

    def __exit__(self, *exc) -> None:
        if self.kaleido is not None:
            try:
                self._run(self.kaleido.close())
            except (RuntimeError, OSError, Hung):  # the browser is already gone or stuck
                pass
        if self.loop is not None:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join()
            self.loop.close()
        self.loop = self.thread = self.kaleido = None

    def _run(self, coroutine):
        """Run `coroutine` on the renderer's loop; its result, or its exception, here."""
        if self.loop is None:
            self.loop = asyncio.new_event_loop()
            self.thread = threading.Thread(target=self.loop.run_forever, name="kaleido", daemon=True)
            self.thread.start()
        # kaleido times out each figure itself; this bound only guards against a hung browser.
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=2 * SECONDS)

    def _browser(self) -> kaleido.Kaleido:
        if self.kaleido is None:
            browser = kaleido.Kaleido(n=1, timeout=SECONDS, mathjax=False)  # finds Chrome, or raises
            self._run(browser.open())
            self.kaleido = browser
        return self.kaleido

    def png(self, data) -> tuple[bytes | None, str]:
        if self.broken:
            return None, self.broken
        try:
            figure = plotly.io.from_json(json.dumps(data), skip_invalid=False)
        except (ValueError, TypeError) as err:
            return None, f"not a valid plotly figure ({type(err).__name__}: {str(err)[:200]})"
        layout = figure.layout
        width = min(int(layout.width or SIZE[0]), LARGEST[0])
        height = min(int(layout.height or SIZE[1]), LARGEST[1])
        try:
            browser = self._browser()
        except ChromeNotFoundError as err:
            self.broken = f"{INSTALL} ({type(err).__name__})"
            return None, self.broken
        except (BrowserFailedError, RuntimeError, OSError, Hung) as err:  # found, but it would not start
            self.broken = f"Chromium did not start for kaleido ({type(err).__name__}: {str(err)[:200]})"
            return None, self.broken
        try:
            return self._run(browser.calc_fig(figure, opts={"format": "png", "width": width, "height": height})), ""
        except (RuntimeError, OSError, Hung) as err:  # kaleido's JavascriptError; a timeout; a closed browser
            return None, f"plotly could not draw this figure in {SECONDS} s ({type(err).__name__})"

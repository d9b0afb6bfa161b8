"""The HTML pages from Jinja2 templates: feedback.html (outputs/templates/), report.html
(report/templates/). Everything a template prints is escaped, unless the grader built it as HTML
itself and said so with Markup (`with_code`, plotly's figures)."""

from __future__ import annotations

import html
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup


def escape(value: object) -> object:
    """What `{{ value }}` prints: escaped as html.escape does (&quot; and &#x27; for quotes, as the
    pages always had), Markup as it is. Autoescaping stays on behind it for the rest."""
    return value if hasattr(value, "__html__") else Markup(html.escape(str(value)))


def with_code(text: str) -> Markup:
    """Escaped text, with `backquoted` parts shown as code."""
    parts = html.escape(text).split("`")
    if len(parts) % 2 == 0:  # an odd number of backquotes: show them as they are
        return Markup(html.escape(text))
    return Markup("".join(f"<code>{part}</code>" if i % 2 else part for i, part in enumerate(parts)))


TEMPLATES = Path(__file__).with_name("templates")


@cache
def environment(folder: Path) -> Environment:
    """The one way pages are made, for the templates in `folder`."""
    env = Environment(
        loader=FileSystemLoader(folder),
        autoescape=True,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=StrictUndefined,
        finalize=escape,
    )
    env.filters.update(fmt=format, with_code=with_code)
    return env


def render(template: str, folder: Path = TEMPLATES, **context) -> str:
    return environment(folder).get_template(template).render(**context)

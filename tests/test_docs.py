"""The documentation a newcomer reads: every relative link and #anchor of README.md and docs/*.md
resolves (the file exists, the anchor is a GitHub-style slug of one of its headings), the README
stays short, and it links every page of docs/."""

from __future__ import annotations

import re
import unicodedata
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import unquote

import pytest

from autograder.paths import ROOT

README = ROOT / "README.md"
DOCS = ROOT / "docs"
README_MAX_BYTES = 6000

FENCE = re.compile(r"^\s*(```|~~~)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
CODE_SPAN = re.compile(r"(`+)[^\n]*?\1")
MARKDOWN_LINK = re.compile(r"!?\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HTML_LINK = re.compile(r"<(?:a|img)\b[^>]*?\b(?:href|src)=\"([^\"]+)\"", re.IGNORECASE)
SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*:|//)", re.IGNORECASE)


def outside_fences(text: str) -> str:
    """The text with fenced code blocks blanked out (a `# comment` there is not a heading)."""
    lines, fenced = [], False
    for line in text.splitlines():
        if FENCE.match(line):
            fenced = not fenced
            lines.append("")
        else:
            lines.append("" if fenced else line)
    return "\n".join(lines)


def prose(text: str) -> str:
    """The text outside fenced code blocks and code spans (where `[x](y)` is not a link)."""
    return CODE_SPAN.sub("", outside_fences(text))


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: its text, lower case, without punctuation, spaces as hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link shows its text
    text = re.sub(r"<[^>]+>", "", text).strip().lower()
    text = "".join(ch for ch in text if ch in " -_" or unicodedata.category(ch)[0] in "LNM")
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """The anchors of a markdown file's headings; a repeated heading gets -1, -2, ... as on GitHub."""
    seen: dict[str, int] = {}
    found = set()
    for line in outside_fences(page.read_text(encoding="utf-8")).splitlines():
        match = HEADING.match(line)
        if match:
            base = slug(match.group(2))
            count = seen.get(base, 0)
            seen[base] = count + 1
            found.add(base if count == 0 else f"{base}-{count}")
    return found


def links(page: Path) -> list[str]:
    """The link targets of a markdown file (markdown links and images, HTML href and src)."""
    text = prose(page.read_text(encoding="utf-8"))
    return MARKDOWN_LINK.findall(text) + HTML_LINK.findall(text)


def resolve(page: Path, target: str) -> tuple[Path, str]:
    """(file, anchor) a relative link of `page` points at."""
    path, _, anchor = target.partition("#")
    return ((page.parent / unquote(path)).resolve() if path else page.resolve()), unquote(anchor)


def broken_links(page: Path, root: Path = ROOT) -> list[str]:
    """What is wrong with each relative link of `page`: a file that does not exist (or lies outside
    `root`), or an anchor that no heading of the target file has. Links with a scheme are skipped."""
    problems = []
    for target in links(page):
        if SCHEME.match(target):
            continue
        file, anchor = resolve(page, target)
        if not file.is_relative_to(root.resolve()):
            problems.append(f"{target}: points outside the repository")
        elif not file.exists():
            problems.append(f"{target}: no file {file.relative_to(root.resolve())}")
        elif anchor and file.suffix != ".md":
            problems.append(f"{target}: an anchor into a file that is not markdown")
        elif anchor and anchor not in anchors(file):
            problems.append(f"{target}: no heading with the anchor #{anchor} in {file.name}")
    return problems


def pages() -> list[Path]:
    return [README, *sorted(DOCS.glob("*.md"))]


# ----------------------------------------------------------------------------- the pages
@pytest.mark.parametrize("page", pages(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_relative_link_and_anchor_resolves(page):
    assert broken_links(page) == []


def test_the_readme_is_short():
    size = len(README.read_bytes())
    assert size <= README_MAX_BYTES, f"README.md is {size} bytes: move detail into docs/ (at most {README_MAX_BYTES})"


def test_the_readme_links_every_docs_page():
    linked = {resolve(README, t)[0] for t in links(README) if not SCHEME.match(t)}
    docs = sorted(DOCS.glob("*.md"))
    assert len(docs) >= 8
    assert [p.name for p in docs if p.resolve() not in linked] == []


def test_the_readme_gives_the_two_commands_of_the_makefile():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    readme = README.read_text(encoding="utf-8")
    for target in ("demo", "test"):
        assert re.search(rf"^{target}:", makefile, re.MULTILINE)
        assert f"make {target}" in readme


def test_the_architecture_picture_is_embedded_and_has_text():
    page = DOCS / "architecture.md"
    assert DOCS / "architecture.svg" in {resolve(page, t)[0] for t in links(page)}
    svg = ET.parse(DOCS / "architecture.svg").getroot()
    texts = [t.text or "" for t in svg.iter("{http://www.w3.org/2000/svg}text")]
    assert any("checks/grader" in t for t in texts) and any("trust boundary" in t for t in texts)


# ----------------------------------------------------------------------------- the checker itself
def test_slugs_follow_github():
    assert slug("Re-runs and --force") == "re-runs-and---force"
    assert slug("assignment.toml") == "assignmenttoml"
    assert slug("Grading on a Dask cluster (`--dask`)") == "grading-on-a-dask-cluster---dask"
    assert slug("Conventions of the lesson's notebooks") == "conventions-of-the-lessons-notebooks"
    assert slug("Gradescope: `run_autograder`'s time and memory") == "gradescope-run_autograders-time-and-memory"


def test_a_planted_broken_link_is_found(tmp_path):
    (tmp_path / "other.md").write_text("# Other\n\n## Target heading\n\n## Notes\n\n## Notes\n", encoding="utf-8")
    page = tmp_path / "page.md"
    page.write_text(
        "# A page\n\n## Section two\n\n"
        "[fine](other.md#target-heading), [also fine](#section-two), [second notes](other.md#notes-1),\n"
        "[missing file](nowhere.md), [missing anchor](other.md#no-such-heading), [own anchor](#nope),\n"
        "![missing picture](pictures/none.svg), [outside](../../etc/passwd), [web](https://example.com/x.md).\n\n"
        "`[in a code span](not-a-link.md)`\n\n"
        "```bash\n# not a heading\n[in a fence](not-a-link-either.md)\n```\n",
        encoding="utf-8",
    )
    problems = broken_links(page, root=tmp_path)
    assert [p.split(":")[0] for p in problems] == [
        "nowhere.md",
        "other.md#no-such-heading",
        "#nope",
        "pictures/none.svg",
        "../../etc/passwd",
    ]
    assert anchors(page) == {"a-page", "section-two"}
    (tmp_path / "nowhere.md").write_text("# Now it exists\n", encoding="utf-8")
    assert "nowhere.md" not in [p.split(":")[0] for p in broken_links(page, root=tmp_path)]

"""A submission handed in as the handout's export, ``<assignment>-<student>.zip`` (nncheck.py
export): its notebooks are taken out under their release names, and nothing else.

The zip is the student's: only top-level members named like a release notebook are read, each at
most MAX_NOTEBOOK_BYTES + 1 bytes (a larger one is then refused by read_submission as too large),
never as links or paths. A folder that holds the notebooks themselves is graded as it is."""

from __future__ import annotations

import zipfile
from pathlib import Path

from .plan import MAX_NOTEBOOK_BYTES


class UnreadableExport(ValueError):
    """The export zip cannot be read; the message says why and what the student should do."""


def export_of(folder: Path, assignment: str, names: tuple[str, ...]) -> Path | None:
    """The export zip in `folder` to grade, when the folder holds none of the notebooks and
    one zip named ``<assignment>-*.zip``."""
    if folder.is_symlink() or not folder.is_dir() or any((folder / n).exists() for n in names):
        return None
    zips = sorted(p for p in folder.glob(f"{assignment}-*.zip") if p.is_file() and not p.is_symlink())
    return zips[-1] if zips else None


def unpack(archive: Path, names: tuple[str, ...], into: Path) -> list[str]:
    """The release notebooks of `archive` written into `into` (made afresh); the names written.
    UnreadableExport when it is not a zip zipfile can read (the folder then holds no notebook)."""
    into.mkdir(parents=True, exist_ok=True)
    for old in into.iterdir():
        old.unlink()
    written = []
    try:
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                if info.filename in names and not info.is_dir() and info.filename not in written:
                    with zf.open(info) as member:
                        (into / info.filename).write_bytes(member.read(MAX_NOTEBOOK_BYTES + 1))
                    written.append(info.filename)
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError) as err:
        # not a zip, damaged, encrypted or compressed in a way zipfile cannot read
        raise UnreadableExport(
            f"{archive.name} cannot be read as a zip ({type(err).__name__}: {err}): export it again "
            "with `python nncheck.py export`"
        ) from None
    return written

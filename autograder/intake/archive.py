"""The zip an LMS gives, unpacked into OUT/.intake/download/ before its layout is read. A member
that would land outside (an absolute path, ..), a link, or an archive bigger than MAX_BYTES
unpacked is refused, and the message says which."""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path, PurePosixPath

from . import IntakeError

MAX_BYTES = 4 * 1024**3  # unpacked: a class's notebooks are far smaller; more is a zip bomb or the wrong file


def unpack(archive: Path, into: Path) -> Path:
    """The folder the download's files are in (the zip's one top folder, when it has only one)."""
    try:
        with zipfile.ZipFile(archive) as z:
            members = z.infolist()
            total = sum(m.file_size for m in members)
            if total > MAX_BYTES:
                raise IntakeError(f"{archive}: {total / 1024**3:.1f} GB unpacked, more than a class's notebooks")
            for m in members:
                parts = PurePosixPath(m.filename).parts
                if m.filename.startswith("/") or ".." in parts or ":" in m.filename:
                    raise IntakeError(f"{archive}: the member {m.filename!r} would land outside: not unpacked")
                if stat.S_ISLNK(m.external_attr >> 16):
                    raise IntakeError(f"{archive}: the member {m.filename!r} is a symbolic link: not unpacked")
            into.mkdir(parents=True)
            z.extractall(into)
    except zipfile.BadZipFile as err:
        raise IntakeError(f"{archive} is not a readable zip ({err}): download it again from the LMS") from None
    top = [p for p in into.iterdir() if not p.name.startswith(("__MACOSX", "."))]
    return top[0] if len(top) == 1 and top[0].is_dir() and not _is_student_folder(top[0]) else into


def _is_student_folder(folder: Path) -> bool:
    """A lone folder that already holds notebooks is a student's (or Moodle's), not a wrapper."""
    return any(p.suffix == ".ipynb" for p in folder.iterdir())

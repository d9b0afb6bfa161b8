"""Where student code runs: a fresh kernel per submission, cut off from the network, as an
unprivileged user who owns nothing but its scratch folder, under an address-space cap.

Isolation needs root (unshare -n, setpriv). Without root the kernel runs as the grading user
with the network on; the grader says so once at the start (it never pretends otherwise).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from jupyter_client import KernelManager

from .config import DATA, ROOT, SOLUTIONS, SOURCE

# Uids for student code: one per grading slot, so two kernels graded at once cannot read each
# other's scratch folders. None of them owns a file outside its scratch folder.
SANDBOX_UID_BASE = 61000
# What student code must not read; made unreadable to other users when grading as root.
PRIVATE_PATHS = (SOURCE, SOLUTIONS, ROOT / "autograder", ROOT / "tests", ROOT / "bench", ROOT / ".git")
# torch's CUDA build maps about 3.5 GB of address space at import, before any tensor exists.
TORCH_ADDRESS_SPACE_MB = 4096


class SandboxKernelManager(KernelManager):
    """A KernelManager with a fixed command line, whose connection file the sandbox user can read
    (it is written 0600 by default, and the kernel runs as another user)."""

    def __init__(self, argv: list[str], **kwargs):
        super().__init__(**kwargs)
        self.sandbox_argv = argv

    def format_kernel_cmd(self, extra_arguments=None) -> list[str]:
        return [a.replace("{connection_file}", self.connection_file) for a in self.sandbox_argv]

    def write_connection_file(self, **kwargs) -> None:
        super().write_connection_file(**kwargs)
        Path(self.connection_file).chmod(0o644)


def isolation_available() -> bool:
    return os.geteuid() == 0 and all(shutil.which(t) for t in ("unshare", "setpriv", "prlimit"))


def unreachable_interpreter() -> Path | None:
    """The first folder on the way to this Python (and its standard library) that other users
    cannot enter, or None when the sandbox user can run it."""
    for target in (Path(sys.executable).resolve(), Path(sys.base_prefix).resolve() / "lib"):
        for folder in reversed(target.parents):
            if not folder.stat().st_mode & 0o001:
                return folder
    return None


def describe_isolation() -> str:
    if isolation_available():
        return "student code runs without network, as an unprivileged user, under a memory cap"
    return ("NOT isolated (needs root with unshare, setpriv and prlimit): student code runs as "
            f"{os.environ.get('USER', 'this user')}, with network access and no memory cap")


def protect_private_paths(extra: tuple[Path, ...] = ()) -> list[Path]:
    """Remove other users' access to what students must not read; return what changed."""
    changed = []
    for path in (*PRIVATE_PATHS, *extra):
        if path.exists() and path.stat().st_mode & 0o007:
            path.chmod(path.stat().st_mode & ~0o007)
            changed.append(path)
    return changed


@dataclass
class Scratch:
    """A private folder for one submission: <base>/work is the student's (cwd, HOME, TMPDIR);
    the kernel's connection file and sockets sit beside it."""

    assignment: str
    data_files: tuple[str, ...]
    slot: int = 0          # which grading slot (0 .. slot_count-1) this submission runs in
    slot_count: int = 1    # slots running at once: they share the CPU threads
    base: Path = field(init=False)

    def __post_init__(self):
        self.base = Path(tempfile.mkdtemp(prefix="grade-"))
        self.base.chmod(0o711)  # traversable, not listable
        self.work = self.base / "work"
        self.cwd = self.work / self.assignment
        for folder in (self.cwd, self.work / "home", self.work / "tmp", self.base / "ipc"):
            folder.mkdir(parents=True)
        for name in self.data_files:  # read-only links into the course's data/
            link = self.work / "data" / name
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(DATA / name)
        if isolation_available():
            for path in [self.work, *self.work.rglob("*"), self.base / "ipc"]:
                os.lchown(path, self.uid, self.uid)
            self.work.chmod(0o700)

    @property
    def uid(self) -> int:
        return SANDBOX_UID_BASE + self.slot

    def env(self) -> dict[str, str]:
        """The kernel's whole environment: nothing of the grader's leaks in."""
        threads = str(max(1, (os.cpu_count() or 1) // max(1, self.slot_count)))
        return {
            "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
            "HOME": str(self.work / "home"),
            "TMPDIR": str(self.work / "tmp"),
            "IPYTHONDIR": str(self.work / "home" / ".ipython"),
            "MPLCONFIGDIR": str(self.work / "home" / ".matplotlib"),
            "PYTHONHASHSEED": "0",
            "PYTHONDONTWRITEBYTECODE": "1",
            "OMP_NUM_THREADS": threads,
            "CUDA_VISIBLE_DEVICES": "",
            "LANG": "C.UTF-8",
        }

    def kernel_manager(self, memory_mb: int) -> KernelManager:
        """A KernelManager whose kernel talks over ipc sockets in this scratch folder."""
        argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
        if isolation_available():
            cap = (memory_mb + TORCH_ADDRESS_SPACE_MB) * 1024 * 1024
            argv = ["unshare", "-n", "setpriv", f"--reuid={self.uid}", f"--regid={self.uid}",
                    "--clear-groups", "prlimit", f"--as={cap}", "--nproc=512", "--core=0", "--", *argv]
        return SandboxKernelManager(argv=argv, transport="ipc", ip=str(self.base / "ipc" / "kernel"),
                                    connection_file=str(self.base / "kernel.json"))

    def remove(self) -> None:
        shutil.rmtree(self.base, ignore_errors=True)

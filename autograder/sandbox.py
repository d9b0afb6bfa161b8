"""Where student code runs: a fresh kernel per notebook, forked by the worker's zygote (see
zygote.py), cut off from the network, as an unprivileged user who owns nothing but its scratch
folder, under an address-space cap.

Isolation needs root (to unshare the network namespace and change uid). Without root the kernel
runs as the grading user with the network on; the grader says so once at the start.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from jupyter_client import AsyncKernelManager

from .config import DATA, ROOT, SOLUTIONS, SOURCE
from .zygote import KernelRequest, Zygote, ZygoteProvisioner

# Uids for student code: one per grading slot, so two kernels graded at once cannot read each
# other's scratch folders. None of them owns a file outside its scratch folder.
SANDBOX_UID_BASE = 61000
# What student code must not read; made unreadable to other users when grading as root.
PRIVATE_PATHS = (SOURCE, SOLUTIONS, ROOT / "autograder", ROOT / "tests", ROOT / "bench", ROOT / ".git")
# torch's CUDA build maps about 3.5 GB of address space at import, before any tensor exists.
TORCH_ADDRESS_SPACE_MB = 4096


class SandboxKernelManager(AsyncKernelManager):
    """A KernelManager whose connection file the sandbox user can read (jupyter_client writes it
    0600, and the kernel runs as another user)."""

    def write_connection_file(self, **kwargs) -> None:
        super().write_connection_file(**kwargs)
        Path(self.connection_file).chmod(0o644)


def isolation_available() -> bool:
    return os.geteuid() == 0


_zygote: Zygote | None = None


def zygote(threads: int) -> Zygote:
    """This process's kernel factory, started on first use (torch is imported once, there)."""
    global _zygote
    if _zygote is None or not _zygote.alive():
        home = tempfile.mkdtemp(prefix="zygote-")
        _zygote = Zygote(env={**base_env(threads), "HOME": home})
        atexit.register(shutil.rmtree, home, ignore_errors=True)
        atexit.register(_zygote.close)
    return _zygote


def base_env(threads: int) -> dict[str, str]:
    """Environment every kernel starts from: nothing of the grader's leaks in."""
    return {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "OMP_NUM_THREADS": str(threads),
        "OPENBLAS_NUM_THREADS": str(threads),
        "MKL_NUM_THREADS": str(threads),
        "CUDA_VISIBLE_DEVICES": "",
        "LANG": "C.UTF-8",
    }


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
    return ("NOT isolated (needs root): student code runs as "
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
    slot: int = 0                  # which grading slot this submission runs in
    cpus: tuple[int, ...] = ()     # the slot's cores (see slots.py); () for all of this process's
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

    @property
    def threads(self) -> int:
        return len(self.cpus) or len(os.sched_getaffinity(0))

    def env(self) -> dict[str, str]:
        """The kernel's whole environment."""
        return {
            **base_env(self.threads),
            "HOME": str(self.work / "home"),
            "TMPDIR": str(self.work / "tmp"),
            "IPYTHONDIR": str(self.work / "home" / ".ipython"),
            "MPLCONFIGDIR": str(self.work / "home" / ".matplotlib"),
        }

    def kernel_manager(self, memory_mb: int) -> AsyncKernelManager:
        """A KernelManager whose kernel is forked by the zygote, sandboxed, and talks over ipc
        sockets in this scratch folder."""
        km = SandboxKernelManager(transport="ipc", ip=str(self.base / "ipc" / "kernel"),
                                  connection_file=str(self.base / "kernel.json"))
        provisioner = ZygoteProvisioner(kernel_id=str(uuid.uuid4()), kernel_spec=km.kernel_spec, parent=km)
        provisioner.zygote = zygote(self.threads)
        isolated = isolation_available()
        provisioner.request = KernelRequest(
            connection_file=km.connection_file, cwd=str(self.cwd), env=self.env(),
            log=str(self.base / "kernel.log"), uid=self.uid if isolated else None,
            address_space=(memory_mb + TORCH_ADDRESS_SPACE_MB) * 1024 * 1024, cpus=tuple(self.cpus))
        km.provisioner = provisioner
        return km

    def remove(self) -> None:
        shutil.rmtree(self.base, ignore_errors=True)

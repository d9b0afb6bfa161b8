"""Where student code runs: a bubblewrap sandbox per grading slot, built from an allow-list, the
same with or without root.

Inside, a notebook sees, read-only, only the system's programs, libraries and configuration
(/usr, /bin, /lib*, /etc), the Python environment, and its assignment's data files; it can write
only to its scratch folder (``/sandbox``) and to private /tmp, /var/tmp and /dev/shm, all
size-limited memory file systems. It has no network, no capabilities, a PID namespace of its own,
and cannot create user namespaces. Nothing else of the machine exists for it: not the course
repository, not other submissions, not the output folder, not anyone's home folder.

The slot's zygote (kernel_factory.py) runs inside the sandbox and forks one kernel per notebook;
between two notebooks it kills every process left in the sandbox and empties what a notebook may
write, so nothing a student started or wrote reaches the next student. No folder of the machine is
writable from inside: the kernel binds its sockets in its own /run/kernel, and the grader reaches
them through /proc/<kernel pid>/root.

As root, the sandbox is started as an unprivileged uid of its own per slot (inside bubblewrap's
user namespace, a root-owned file would otherwise still be its owner's). Without root, it runs as
the grading user, who must be allowed unprivileged user namespaces.

Where bubblewrap cannot make namespaces (a Docker container with Docker's default seccomp
profile, as on Gradescope), the grader, as root, uses the Landlock tier instead (landlock.py: no
namespaces; a uid per slot, Landlock and seccomp). `tier()` is the one place that chooses.
"""

from __future__ import annotations

import atexit
import os
import subprocess
import sys
import tempfile
import uuid
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from jupyter_client import AsyncKernelManager

from ..paths import DATA
from . import bubblewrap, kernel_factory, landlock, slots
from .bubblewrap import INSIDE, SOCKETS, WRITABLE, MiB, bwrap, command
from .zygote import KernelRequest, Zygote, ZygoteError, ZygoteProvisioner

SANDBOX_UID_BASE = 61000  # as root: slot i runs as uid SANDBOX_UID_BASE + i
FILE_SIZE = 1024 * MiB  # RLIMIT_FSIZE: no file, anywhere, larger than this
MAX_PROCESSES = 512  # RLIMIT_NPROC (as root: per slot uid; else added to the user's own)
TORCH_ADDRESS_SPACE_MB = 4096  # torch's CUDA build maps about 3.5 GB of address space at import


class SandboxUnavailable(RuntimeError):
    """No sandbox can be built here; the message says why and what to do."""


def is_root() -> bool:
    return os.geteuid() == 0


def slot_uid(slot: int) -> int | None:
    return SANDBOX_UID_BASE + slot if is_root() else None


def _drop_to(uid: int | None):
    """A preexec function: become `uid` (and its own group), with no supplementary groups."""
    if uid is None:
        return None

    def drop() -> None:
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)

    return drop


BUBBLEWRAP, LANDLOCK = "bubblewrap", "landlock"
FORCE = "NN_COURSE_SANDBOX"  # bubblewrap or landlock: that tier or none (for tests)
CHOSEN = "NN_COURSE_SANDBOX_CHOSEN"  # set by preflight: the grader's workers need not try again


def tier() -> tuple[str | None, str]:
    """(the tier that isolates student code here, '') or (None, why none can); tried once per
    process (until forget()): bubblewrap where it can make its namespaces, else, as root, Landlock."""
    return _decide()


def forget() -> None:
    """Drop this process's choice of tier: the next tier() tries again."""
    _decide.cache_clear()


@cache
def _decide() -> tuple[str | None, str]:
    if os.environ.get(CHOSEN) in (BUBBLEWRAP, LANDLOCK):
        return os.environ[CHOSEN], ""
    forced = os.environ.get(FORCE, "")
    if forced not in ("", BUBBLEWRAP, LANDLOCK):
        return None, f"{FORCE}={forced} is not a sandbox tier (bubblewrap or landlock)"
    bubblewrap = check_bubblewrap() if forced != LANDLOCK else f"{FORCE}=landlock"
    if not bubblewrap:
        return BUBBLEWRAP, ""
    other = landlock.check(is_root()) if forced != BUBBLEWRAP else f"{FORCE}=bubblewrap"
    if not other:
        return LANDLOCK, ""
    return None, f"{bubblewrap}; and {other}"


def check() -> str:
    """'' when a sandbox can be built here, else why not."""
    return tier()[1]


def check_bubblewrap() -> str:
    """'' when bubblewrap can build a sandbox here, else why not."""
    return bubblewrap.trial(_drop_to(slot_uid(0)), slot_uid(0))


def describe(isolated: bool) -> str:
    if not isolated:
        return "student code is NOT isolated (--no-sandbox): it runs as this user, with the network"
    if tier()[0] == LANDLOCK:
        return (
            "student code runs in the Landlock tier (no namespaces here: an unprivileged uid per slot, "
            "Landlock allow-list, seccomp, no network; it can see other processes)"
        )
    who = "an unprivileged uid per slot" if is_root() else "this user"
    return f"student code runs in a bubblewrap sandbox (allow-list, no network, own PIDs), as {who}"


def tier_name(isolated: bool) -> str:
    """The tier, as grading.log and results.json name it."""
    return (tier()[0] or "none") if isolated else "none (--no-sandbox)"


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
        # The notebooks' static pictures of plotly figures (kaleido, a browser per figure) are for
        # readers without a kernel; grading needs none, and a browser must never cost a submission time.
        "NN_COURSE_PICTURES": "0",
    }


def unreachable_interpreter() -> Path | None:
    """As root, the first folder on the way to this Python (and its standard library) that the
    slot's uid cannot enter, or None when it can run it."""
    for target in (Path(sys.executable).resolve(), Path(sys.base_prefix).resolve() / "lib"):
        for folder in reversed(target.parents):
            if not folder.stat().st_mode & 0o001:
                return folder
    return None


def _owner(proc: Path) -> int | None:
    """The uid of a /proc/<pid> entry, or None when that process has just ended."""
    try:
        return proc.stat().st_uid
    except FileNotFoundError:
        return None


@dataclass
class Slot:
    """One grading slot's sandbox (or, with --no-sandbox, a plain scratch folder) and zygote."""

    assignment: str
    data_files: tuple[str, ...]
    slot: int
    cpus: tuple[int, ...]
    isolated: bool = True

    def __post_init__(self):
        # The grader's own files of each kernel (its connection file): never seen by the sandbox.
        self.private = Path(tempfile.mkdtemp(prefix="grade-slot-"))
        self.uid = slot_uid(self.slot) if self.isolated else None
        self.tier = tier()[0] if self.isolated else None
        if self.tier == LANDLOCK:
            self.uid, self.lock = landlock.claim_uid()
            self.work = landlock.scratch(self.slot, self.uid, self.assignment, self.data_files)
            argv = landlock.command(self.work, self.assignment, self.data_files)
        elif self.isolated:
            self.work = INSIDE
            argv = command(bwrap(), self.assignment, self.data_files)
        else:
            self.work = self.private / "work"
            for name in self.data_files:  # links into the course's data/
                link = self.work / "data" / name
                link.parent.mkdir(parents=True, exist_ok=True)
                link.symlink_to(DATA / name)
            argv = [sys.executable, "-I", kernel_factory.__file__]
        env = {**base_env(len(self.cpus) or 1), "HOME": str(self.work / "home")}
        self.zygote = Zygote(argv, env=env, preexec=_drop_to(self.uid), cwd=self.cwd if self.tier == LANDLOCK else None)
        atexit.register(self.close)

    @property
    def cwd(self) -> Path:
        return self.work / self.assignment

    def env(self) -> dict[str, str]:
        """A kernel's whole environment."""
        home = self.work / "home"
        return {
            **base_env(len(self.cpus) or 1),
            "HOME": str(home),
            "TMPDIR": "/tmp" if self.tier == BUBBLEWRAP else str(self.work / "tmp"),
            "IPYTHONDIR": str(home / ".ipython"),
            "MPLCONFIGDIR": str(home / ".matplotlib"),
        }

    def limits(self, memory_mb: int) -> dict[str, int]:
        processes = MAX_PROCESSES
        if self.isolated and self.uid is None:  # RLIMIT_NPROC counts all of the user's processes
            processes += sum(1 for p in Path("/proc").glob("[0-9]*") if _owner(p) == os.getuid())
        limits = {"RLIMIT_CORE": 0, "RLIMIT_FSIZE": FILE_SIZE, "RLIMIT_NPROC": processes}
        if self.isolated:
            limits["RLIMIT_AS"] = (memory_mb + TORCH_ADDRESS_SPACE_MB) * MiB
        return limits

    def kernel_manager(self, memory_mb: int) -> AsyncKernelManager:
        """A KernelManager whose kernel the slot's zygote forks, over ipc sockets (in the sandbox,
        in the kernel's own /run/kernel)."""
        folder = Path(tempfile.mkdtemp(dir=self.private, prefix="kernel-"))
        if self.tier == LANDLOCK:  # the slot uid's own folder, which the grader (root) reaches as it is
            run = self.work / "run"
            inside = {"connection_file": str(run / "kernel.json"), "log": str(run / "kernel.log")}
        elif self.isolated:
            inside = {"connection_file": f"{SOCKETS}/kernel.json", "log": f"{SOCKETS}/kernel.log"}
        else:
            for path in (self.cwd, self.work / "home", self.work / "tmp"):
                path.mkdir(parents=True, exist_ok=True)
            inside = {"connection_file": str(folder / "kernel.json"), "log": str(folder / "kernel.log")}
        km = AsyncKernelManager(transport="ipc", ip=str(folder / "kernel"), connection_file=str(folder / "kernel.json"))
        provisioner = ZygoteProvisioner(kernel_id=str(uuid.uuid4()), kernel_spec=km.kernel_spec, parent=km)
        provisioner.zygote = self.zygote
        sockets = {BUBBLEWRAP: f"{SOCKETS}/kernel", LANDLOCK: str(self.work / "run" / "kernel")}
        provisioner.inside = sockets.get(self.tier)
        provisioner.through_root = self.tier == BUBBLEWRAP
        provisioner.request = KernelRequest(
            cwd=str(self.cwd),
            env=self.env(),
            limits=self.limits(memory_mb),
            cpus=tuple(self.cpus),
            pin=slots.pinning(),
            **inside,
        )
        km.provisioner = provisioner
        self.folder = folder
        return km

    def clean(self) -> str:
        """After a notebook: nothing it started keeps running, nothing it wrote stays. Returns ''
        or, when the sandbox had to be thrown away instead, why (for grading.log)."""
        if self.tier == LANDLOCK:
            writable = landlock.writable(self.work, self.assignment)
        elif self.isolated:  # all of it, but the data files bound in /sandbox/data
            writable = list(WRITABLE)
        else:
            writable = [str(self.cwd), str(self.work / "home"), str(self.work / "tmp")]
        remove_tree(getattr(self, "folder", self.private / "none"))
        forged = self.zygote.forged
        try:
            self.zygote.clean(writable, kill="uid" if self.tier == LANDLOCK else self.isolated)
        except ZygoteError as err:
            left = self.close()  # slot_for starts a new sandbox (its memory file systems are new)
            return f"{err}; the next notebook gets a new sandbox" + (f" ({left})" if left else "")
        if self.zygote.forged > forged:
            return f"the notebook wrote {self.zygote.forged - forged} line(s) into the sandbox's control pipe (dropped)"
        return ""

    def close(self) -> str:
        """Stop the zygote and (Landlock tier: no PID namespace to end) every process of the slot
        uid; '' or what would not stop."""
        self.zygote.close()
        remove_tree(self.private)
        if self.tier != LANDLOCK or self.lock is None:
            return ""
        left = landlock.kill_all(self.uid)
        remove_tree(self.work)
        if not left:  # else the uid stays held: no other slot gets what is still running
            os.close(self.lock)
            self.lock = None
        return left


def remove_tree(path: Path) -> None:
    """Remove what a notebook may have left, however deep (shutil.rmtree recurses, and a tree of a
    few thousand folders raises RecursionError): rm walks it without recursing, and never follows
    a link out."""
    subprocess.run(["rm", "-rf", "--one-file-system", "--", str(path)], check=False, capture_output=True)


_slot: Slot | None = None


def slot_for(assignment: str, data_files: tuple[str, ...], slot: int, cpus: tuple[int, ...], isolated: bool) -> Slot:
    """This worker's slot, started on first use and again when its zygote died (torch is imported
    once per zygote)."""
    global _slot
    wanted = (assignment, data_files, slot, tuple(cpus), isolated)
    if _slot is not None and (
        (_slot.assignment, _slot.data_files, _slot.slot, tuple(_slot.cpus), _slot.isolated) != wanted
        or not _slot.zygote.alive()
    ):
        old, _slot = _slot, None  # forgotten first: a close that fails is not tried again forever
        old.close()
    if _slot is None:
        _slot = Slot(*wanted)
    return _slot


def close_slot() -> None:
    """Stop this worker's slot (its zygote and sandbox), if it has one."""
    global _slot
    if _slot is not None:
        old, _slot = _slot, None
        old.close()


def preflight(isolated: bool) -> None:
    """Fail early, before any student is graded, when the sandbox cannot work here."""
    if not isolated:
        return
    # The batch decides afresh: a choice inherited from another process (CHOSEN, for workers) or
    # made earlier in this one may not hold here and now (a container, a launcher without namespaces).
    os.environ.pop(CHOSEN, None)
    forget()
    chosen, why = tier()
    if why:
        raise SandboxUnavailable(
            f"no sandbox for student code: {why}. To grade anyway, without isolation "
            "(only for code you trust), pass --no-sandbox."
        )
    os.environ[CHOSEN] = chosen
    blocked = unreachable_interpreter() if is_root() else None
    if blocked:
        raise SandboxUnavailable(
            f"student code runs as an unprivileged user, who cannot run {sys.executable}: {blocked} "
            "is closed to other users. Create the virtual environment from a Python they can run, "
            "e.g. `make setup PYTHON=/usr/bin/python3`."
        )

"""CPU cores per grading slot. Each slot (one submission graded at a time) owns cores of its own:
its worker, its zygote, the kernel and every process the kernel starts are pinned to them (CPU
affinity), and torch's thread count in the kernel matches them. A notebook that asks torch for 64
threads, or starts processes of its own, slows its own slot only.

In a container whose CPU share is a cgroup quota (v1 ``cpu.cfs_quota_us``, v2 ``cpu.max``) rather
than a cpuset, the container may run on every CPU of the host, only for less time: pinning there
would pile every container of the host onto the same first CPUs. So the quota counts as the
number of cores, and slots are pinned only where the CPUs this process may use are fewer than the
machine's (a cpuset, a cluster job's allocation) or where no quota applies.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

CGROUP = Path("/sys/fs/cgroup")
PROC_CGROUP = Path("/proc/self/cgroup")


def cgroup_quota(proc_cgroup: Path = PROC_CGROUP, root: Path = CGROUP) -> float | None:
    """CPUs' worth of time this process's cgroup allows (e.g. 1.5), or None when no quota applies.
    Reads cgroup v2 (``cpu.max``) and v1 (``cpu.cfs_quota_us`` / ``cpu.cfs_period_us``), at the
    process's own cgroup and each of its ancestors; the smallest quota wins."""
    try:
        lines = proc_cgroup.read_text().splitlines()
    except OSError:
        return None
    quotas = []
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controllers == "":  # v2: one unified hierarchy
            for folder in _ancestors(root, path):
                quotas.append(_v2(folder / "cpu.max"))
        elif "cpu" in controllers.split(","):
            mount = next((root / name for name in (controllers, "cpu,cpuacct", "cpu") if (root / name).is_dir()), None)
            for folder in _ancestors(mount, path) if mount is not None else ():
                quotas.append(_v1(folder / "cpu.cfs_quota_us", folder / "cpu.cfs_period_us"))
    found = [q for q in quotas if q is not None]
    return min(found) if found else None


def _ancestors(mount: Path, path: str) -> list[Path]:
    """The cgroup's folder under `mount` and its parents up to the mount (a container sees "/")."""
    parts = [p for p in path.strip("/").split("/") if p]
    return [mount.joinpath(*parts[:i]) for i in range(len(parts), -1, -1)]


def _v2(path: Path) -> float | None:
    try:
        quota, period = path.read_text().split()[:2]
    except (OSError, ValueError):
        return None
    return None if quota == "max" else int(quota) / int(period)


def _v1(quota_path: Path, period_path: Path) -> float | None:
    try:
        quota, period = int(quota_path.read_text()), int(period_path.read_text())
    except (OSError, ValueError):
        return None
    return None if quota <= 0 or period <= 0 else quota / period


def machine_cores() -> list[int]:
    """The CPUs this process may run on (a cluster job or container may get fewer than the machine
    has), cut to the whole cores a CPU quota allows (at least one)."""
    cores = sorted(os.sched_getaffinity(0))
    quota = cgroup_quota()
    if quota is not None:
        cores = cores[: max(1, math.floor(quota))]
    return cores


def pinning() -> bool:
    """Whether slots are pinned to their cores: not under a CPU quota on the whole machine's CPUs."""
    return cgroup_quota() is None or len(os.sched_getaffinity(0)) < (os.cpu_count() or 1)


@dataclass(frozen=True)
class SlotPlan:
    jobs: int  # slots: submissions graded at once
    cores: int  # cores each slot owns
    note: str = ""  # what the TA is told when the plan cannot keep the assignment's promise


def plan(cores_per_notebook: int, jobs: int | None = None, cores: list[int] | None = None) -> SlotPlan:
    """As many slots as the machine's cores allow at `cores_per_notebook` each (at least one), or
    the `jobs` the TA asked for, saying what each notebook then gets."""
    available = len(cores if cores is not None else machine_cores())
    if jobs is None:
        jobs = max(1, available // cores_per_notebook)
        per = min(cores_per_notebook, available)
    else:
        per = min(cores_per_notebook, max(1, available // jobs))
    note = ""
    if jobs > available:
        note = (
            f"{jobs} jobs on {available} cores: notebooks share cores, so they run slower than the "
            f"assignment's budget of {cores_per_notebook} core(s) per notebook assumes"
        )
    elif per < cores_per_notebook:
        note = (
            f"{jobs} jobs on {available} cores: each notebook gets {per} core(s), not the "
            f"{cores_per_notebook} the assignment promises; use --jobs {max(1, available // cores_per_notebook)} "
            "to keep the promise"
        )
    return SlotPlan(jobs, per, note)


def cpus_of(slot: int, per_slot: int, cores: list[int] | None = None) -> list[int]:
    """The cores of one slot: consecutive, not overlapping other slots' while there are enough."""
    cores = cores if cores is not None else machine_cores()
    start = (slot * per_slot) % len(cores)
    return [cores[(start + i) % len(cores)] for i in range(min(per_slot, len(cores)))]


def pin(cpus: list[int]) -> None:
    """Keep this process (and what it starts from now on) on `cpus` where slots are pinned (see
    pinning()); torch's threads to match in any case."""
    import torch

    if pinning():
        os.sched_setaffinity(0, cpus)
    torch.set_num_threads(len(cpus))

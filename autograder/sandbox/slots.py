"""CPU cores per grading slot. Each slot (one submission graded at a time) owns cores of its own:
its worker, its zygote, the kernel and every process the kernel starts are pinned to them (CPU
affinity), and torch's thread count in the kernel matches them. A notebook that asks torch for 64
threads, or starts processes of its own, slows its own slot only."""

from __future__ import annotations

import os
from dataclasses import dataclass


def machine_cores() -> list[int]:
    """The CPUs this process may run on (a cluster job or container may get fewer than the machine has)."""
    return sorted(os.sched_getaffinity(0))


@dataclass(frozen=True)
class SlotPlan:
    jobs: int       # slots: submissions graded at once
    cores: int      # cores each slot owns
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
        note = (f"{jobs} jobs on {available} cores: notebooks share cores, so they run slower than the "
                f"assignment's budget of {cores_per_notebook} core(s) per notebook assumes")
    elif per < cores_per_notebook:
        note = (f"{jobs} jobs on {available} cores: each notebook gets {per} core(s), not the "
                f"{cores_per_notebook} the assignment promises; use --jobs {max(1, available // cores_per_notebook)} "
                "to keep the promise")
    return SlotPlan(jobs, per, note)


def cpus_of(slot: int, per_slot: int, cores: list[int] | None = None) -> list[int]:
    """The cores of one slot: consecutive, not overlapping other slots' while there are enough."""
    cores = cores if cores is not None else machine_cores()
    start = (slot * per_slot) % len(cores)
    return [cores[(start + i) % len(cores)] for i in range(min(per_slot, len(cores)))]


def pin(cpus: list[int]) -> None:
    """Keep this process (and what it starts from now on) on `cpus`; torch's threads to match."""
    import torch

    os.sched_setaffinity(0, cpus)
    torch.set_num_threads(len(cpus))

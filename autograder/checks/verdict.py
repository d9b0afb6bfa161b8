"""A verdict on one observation, in the grader's process: the item's test, and its measures."""

from __future__ import annotations

import contextlib
import math
import os
import resource
import traceback
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .kernel.api import CheckFailed

if TYPE_CHECKING:  # the item's catalogue (checks/__init__.py) imports this module
    from . import Item

COULD_NOT_JUDGE = "The check could not judge this item; course staff will look at it."
TOO_LARGE_TO_JUDGE = (
    "Your objects are too large for the check to judge within its memory: keep graded values to "
    "the sizes the exercise asks for."
)
HEADROOM = 4 * 1024**3  # bytes of address space a verdict may add to its process (memory_cap)


@contextlib.contextmanager
def memory_cap(headroom: int = HEADROOM):
    """While the block runs, this process may map at most `headroom` more bytes (RLIMIT_AS, soft
    limit only: restored after). A verdict computes on what a student's code handed over, bounded
    per tensor by the decoder; this bounds what the computation itself allocates (a broadcast, a
    distance table): beyond it, torch raises, and the item fails with TOO_LARGE_TO_JUDGE. Linux
    only (/proc/self/statm); elsewhere, no cap."""
    if not os.path.exists("/proc/self/statm"):
        yield
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    with open("/proc/self/statm") as statm:
        used = int(statm.read().split()[0]) * resource.getpagesize()
    cap = used + headroom
    for limit in (soft, hard):
        if limit != resource.RLIM_INFINITY:
            cap = min(cap, limit)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def out_of_memory(raised: BaseException) -> bool:
    """MemoryError, or torch's allocator refusing (a RuntimeError that says so)."""
    text = str(raised).lower()
    return isinstance(raised, MemoryError) or (
        isinstance(raised, RuntimeError) and ("can't allocate memory" in text or "not enough memory" in text)
    )


@dataclass(frozen=True)
class Verdict:
    passed: bool
    message: str  # for the student
    log: str = ""  # for course staff (grading.log): a traceback when the check itself failed
    metrics: dict = field(default_factory=dict)  # figures measured by the grader (an item's MEASURES)


def measure(item: Item, data) -> tuple[dict[str, float], str]:
    """The item's MEASURES, computed by its grader module from the observed data, and a log line
    for course staff. A figure the observation does not allow (the check fails it) is left out;
    so is one whose function raised anything else, which the log line then shows."""
    figures, log = {}, ""
    for metric, function in item.measures.items():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                value = float(function(data))
        except CheckFailed:
            continue
        except Exception:  # noqa: BLE001  (a figure is never worth the item's verdict)
            log += f"{item.grade_id}: measuring {metric} raised\n{traceback.format_exc()}"
            continue
        if math.isfinite(value):
            figures[metric] = value
    return figures, log


def unobserved(observation: dict) -> Verdict | None:
    """The verdict on an observation the kernel side could not make (the observer failed), if so."""
    if observation.get("ok"):
        return None
    return Verdict(False, str(observation.get("message", "The check could not observe your objects.")))


def conclude(item: Item, raised: BaseException | None, trace: str, metrics: dict, log: str) -> Verdict:
    """The verdict once the item's test ran: it passed (`raised` None), failed its check (the
    student sees the CheckFailed's message), or raised anything else (a bug of ours, or an
    observation no check foresaw: the traceback `trace` goes to grading.log)."""
    if raised is None:
        return Verdict(True, "", log, metrics)
    if isinstance(raised, CheckFailed):
        return Verdict(False, str(raised), log, metrics)
    if out_of_memory(raised):
        return Verdict(
            False, TOO_LARGE_TO_JUDGE, log + f"{item.grade_id}: out of the verdict's memory\n{trace}", metrics
        )
    return Verdict(False, COULD_NOT_JUDGE, log + f"{item.grade_id}: the check raised\n{trace}", metrics)


def verdict(item: Item, observation: dict) -> Verdict:
    """Judge one observation by calling the item's test (nbgrader's route, and the tests of the
    checks; the grading engine runs the tests with pytest, checks/runner.py). A failing check is a
    verdict; any other exception costs this item only, never the submission."""
    early = unobserved(observation)
    if early is not None:
        return early
    metrics, log = measure(item, observation["data"])
    try:
        with warnings.catch_warnings(), memory_cap():  # the checks' own warnings are not the student's business
            warnings.simplefilter("ignore")
            item.test(observation["data"])
    # The item boundary: whatever else the judge raised is logged in full for course staff.
    except Exception as err:  # noqa: BLE001
        return conclude(item, err, traceback.format_exc(), metrics, log)
    return conclude(item, None, "", metrics, log)

"""The exit statuses of `python -m autograder` (docs/tas.md#exit-status). Standard library only:
the command line reads them before any verb is imported.

    0    every submission was graded (a submission may still be missing, invalid or out of time:
         that is the student's result, not a failure of the batch)
    2    misuse: an unknown assignment, an unreadable or unrecognised folder, a bad roster...
    3    the batch ran, and at least one submission `crashed`
    4    the batch ran, and at least one submission ended in `grader error` (wins over 3)
    130  interrupted (Ctrl-C); what was finished is kept
"""

from __future__ import annotations

from .vocabulary import CRASHED, ERROR

OK, USAGE, CRASHES, GRADER_ERRORS, INTERRUPTED = 0, 2, 3, 4, 130


def for_statuses(statuses) -> int:
    """The exit status of a batch that ran, from its submissions' statuses."""
    seen = set(statuses)
    if ERROR in seen:
        return GRADER_ERRORS
    if CRASHED in seen:
        return CRASHES
    return OK

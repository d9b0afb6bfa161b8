"""The kernel side of the hidden checks: the only check code that ever enters a student's kernel.

One module per notebook (``kernel/<assignment>/<notebook>.py``) holds an ``observe_<grade_id>(ns)``
per graded item: it reads the student's objects from the namespace, calls them on hidden inputs and
returns plain data. Nothing here knows a right answer: no reference solution, no expected value, no
verdict. Those live in ``grader/``, which never leaves the grader's process.

A probe sends ``kernel/api.py`` and one notebook's module into the kernel as source text, runs one
observer and removes every trace of them (see ``autograder/probe.py``). So modules here import only
the standard library, torch, and ``autograder.checks.kernel.api``.
"""

"""The kernel side of the hidden checks: the only check code that ever enters a student's kernel.

One file per graded item, ``kernel/<assignment>/<notebook>/<grade_id>.py``, defines ``observe(ns)``:
it reads the student's objects from the namespace, calls them on the item's hidden inputs (which it
defines itself) and returns plain data. A notebook's ``_shared.py`` holds helpers its items share,
never hidden inputs. Nothing here knows a right answer: no reference solution, no expected value, no
verdict. Those live in ``grader/``, which never leaves the grader's process.

A probe sends ``kernel/api.py``, the notebook's ``_shared.py`` and the item's file into the kernel as
source text, runs the observer and removes every trace of them (see ``autograder/submission/probe.py``).
So files here import only the standard library, torch, ``autograder.checks.kernel.api`` and their
notebook's ``_shared``.
"""

"""The grader side of the hidden checks: references, expected values and verdicts.

One module per notebook (``grader/<assignment>/<notebook>.py``) holds a ``test_<grade_id>(obs)`` per
graded item, a pytest-style test of the observation its kernel-side twin
(``kernel/<assignment>/<notebook>.py``) made. Nothing here is ever sent into a student's kernel:
modules here may import anything, including their kernel-side twin (to rebuild hidden inputs from
the same seeds).
"""

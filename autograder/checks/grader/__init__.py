"""The grader side of the hidden checks: references, expected values and verdicts.

One file per graded item, ``grader/<assignment>/<notebook>/test_<grade_id>.py``, defines the
pytest-style test ``test_<grade_id>(obs)`` of the observation its kernel-side twin
(``kernel/<assignment>/<notebook>/<grade_id>.py``) made, and may declare ``MEASURES``. A notebook's
``_shared.py`` holds references and judges its items share. Nothing here is ever sent into a
student's kernel: files here may import anything, including their kernel-side twin (to rebuild the
item's hidden inputs from the same seeds) and the kernel side's ``_shared`` helpers.
"""

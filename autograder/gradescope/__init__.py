"""Gradescope: one assignment as an autograder bundle (a zip to upload as a programming assignment).

* ``build.py``: ``python -m autograder gradescope ASSIGNMENT --out DIR`` writes
  ``DIR/ASSIGNMENT-gradescope.zip``: ``setup.sh`` and ``run_autograder`` at its root, the grading
  engine with this assignment's checks only, its source and release notebooks, its data and the
  pinned requirements of the environment it was built and tested in.
* ``run.py``: what ``run_autograder`` runs for each submission on Gradescope: find the student's
  notebooks, grade them with the engine (``grade.grade_submission``, sandbox and limits included),
  and write Gradescope's ``results.json`` from the engine's results (``results.results_json``).

The bundle lays out the same tree as the course repository (``autograder/``, ``release/<a>/``,
``source/<a>/``, ``data/``) under ``/autograder/source``, so that the engine finds everything where
``config.ROOT`` says, unchanged.
"""

BUNDLE_CONFIG = "gradescope.json"  # at the bundle's root: what build.py decided, for run.py

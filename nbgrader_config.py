"""nbgrader configuration: this repository is the course directory.

Instructors: edit source/ only, then run `make release` (it wraps `nbgrader generate_assignment`).
"""

import os

c = get_config()  # noqa: F821 (provided by nbgrader)

c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.course_id = "neural-nets"
c.CourseDirectory.source_directory = "source"
c.CourseDirectory.release_directory = "release"
# Files next to the notebooks that students receive: none besides the notebooks; data lives in data/.
c.CourseDirectory.include = ["*.ipynb"]
# generate_assignment copies every other file of source/<assignment>/ to release/ unless ignored:
# assignment.toml (the grader's limits) stays with the instructor.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "assignment.toml"]

c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
# Hidden tests call the checks in autograder/checks; students see only the visible asserts.
c.ClearHiddenTests.enforce_metadata = True

# Grading through nbgrader: the quiz trains a model, so cells may run for minutes (nbgrader's
# default of 30 s per cell would kill them; see jupyter/nbgrader#915).
c.Execute.timeout = 600
c.Execute.interrupt_on_timeout = True

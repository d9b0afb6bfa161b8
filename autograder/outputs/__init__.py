"""What grading leaves behind, written by the grader only, from outcomes (vocabulary.py):

results.py     per student: results.json (Gradescope's format), feedback.html, grading.log,
               executed/ and observations/ (staff only); the class's grades.csv
pages.py       renders the HTML pages from templates/ (Jinja2, autoescaping)
templates/     feedback.html.j2 (the class report is its own folder: autograder/report/)
"""

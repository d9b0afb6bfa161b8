"""nbgrader's side of grading (grade --gradebook): our results written into nbgrader's gradebook
and autograded/ folder, for TAs who grade the manual items in formgrader, with plotly figures drawn
as pictures (kaleido). Staff tools: never in a Gradescope bundle, never in a grading worker."""

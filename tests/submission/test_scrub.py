"""What a student is shown of their own code's words: bounded, and never the hidden checks."""

from __future__ import annotations

from autograder.checks import items, module_source
from autograder.course import notebooks
from autograder.paths import RELEASE
from autograder.submission import scrub


def test_text_of_the_hidden_checks_is_withheld_wherever_it_sits():
    grader_side = module_source(items("neural_nets")["one_epoch"].grader_module)
    kernel_side = module_source(items("neural_nets")["one_epoch"].kernel_module)
    for source in (grader_side, kernel_side):
        excerpt = source[len(source) // 2 : len(source) // 2 + 120]
        assert scrub.quote(excerpt) == scrub.WITHHELD
        assert scrub.quote("my function failed on " + excerpt) == scrub.WITHHELD
        # whitespace changed (as repr() or a joined list would) is still recognised
        assert scrub.quote("  ".join(excerpt.split())) == scrub.WITHHELD


def test_what_students_were_given_is_not_withheld():
    release = notebooks.read(RELEASE / "neural_nets" / "01_layers.ipynb")
    given = next(c.source for c in release.cells if len(c.source) > 100)
    assert scrub.quote(given) != scrub.WITHHELD
    assert scrub.quote("name 'layer1' is not defined") == "name 'layer1' is not defined"


def test_student_text_is_cut_to_one_bounded_line():
    quoted = scrub.quote("line one\nline two " + "x" * 10_000)
    assert len(quoted) <= scrub.QUOTE_CHARS and "\n" not in quoted and quoted.endswith("…")
    assert len(scrub.bounded("y" * 10_000)) == scrub.MESSAGE_CHARS
    assert scrub.bounded("short") == "short"


def test_a_copy_changed_in_case_spacing_or_direction_is_withheld_too():
    """Issue 21: the check's source came out reversed in an exception message, and as the name of
    a class the check reported ("but it is a {name}")."""
    source = module_source(items("neural_nets")["one_epoch"].kernel_module)
    excerpt = source[len(source) // 2 : len(source) // 2 + 120]
    for variant in (excerpt[::-1], excerpt.upper(), " ".join(excerpt.replace(" ", "")), excerpt.swapcase()[::-1]):
        assert scrub.quote(variant) == scrub.WITHHELD, variant
    name = "".join(c if c.isalnum() else "_" for c in excerpt)  # a class named with it
    assert scrub.vetted(f"`W` should be a torch.Tensor, but it is a {name}.") == scrub.WITHHELD
    assert scrub.vetted(f"`W` should be a torch.Tensor, but it is a {excerpt}.") == scrub.WITHHELD


def test_the_checks_own_messages_are_never_withheld():
    for assignment in ("neural_nets", "mnist_quiz"):
        for item in items(assignment).values():
            for module in (item.kernel_module, item.grader_module):
                for message in scrub._messages(module_source(module)):
                    assert scrub.vetted(message) == message, (item.grade_id, message)


def test_a_hidden_seed_is_withheld_however_short():
    """A seed is too short for a window, and enough to rebuild a hidden input (red team, issue 21)."""
    seed = max(scrub.hidden_numbers(), key=len)
    assert scrub.vetted(f"inputs are randn(64, 4) with seed {seed}") == scrub.WITHHELD
    assert scrub.vetted(f"seed {int(seed):,}") == scrub.WITHHELD  # written with thousands separators
    assert scrub.vetted("`Y_pred` has shape (20, 3); 20 examples give a 20 × 2 matrix.") != scrub.WITHHELD

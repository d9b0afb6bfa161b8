"""The two vocabularies of the checks: what a probe may send back, and the item boundary."""

from __future__ import annotations

import re
import resource

import pytest
import torch

from autograder.checks import COULD_NOT_JUDGE, Item, items, verdict
from autograder.checks.grader.api import CheckFailed, decode
from autograder.checks.kernel import api as kernel_api
from autograder.checks.kernel.api import encode
from autograder.course import names as assignment_names


class Sneaky(torch.Tensor):
    pass


def test_plain_data_round_trips():
    observation = {"ok": True, "data": {"x": torch.arange(3.0), "n": 2, "names": ["a"]}}
    back = decode(encode(observation))
    assert torch.equal(back["data"]["x"], torch.arange(3.0)) and back["data"]["names"] == ["a"]


def test_a_tensor_subclass_is_refused_cleanly():
    payload = encode({"ok": True, "data": {"W": torch.zeros(3, 2).as_subclass(Sneaky)}})
    with pytest.raises(CheckFailed, match="plain torch tensors"):
        decode(payload)


@pytest.mark.parametrize("payload", ["not base64 at all!", "AAAA", ""])
def test_garbage_is_refused_cleanly(payload):
    with pytest.raises(CheckFailed):
        decode(payload)


def test_an_exception_in_a_judge_costs_only_its_item(monkeypatch):
    item = items("neural_nets")["layer1"]
    broken = Item(item.assignment, item.grade_id, item.kernel_module, item.grader_module)

    def buggy_test(obs):
        return obs["a key no observation has"]

    monkeypatch.setattr(item.grader_module, "test_layer1", buggy_test)
    result = verdict(broken, {"ok": True, "data": {}})
    assert not result.passed and result.message == COULD_NOT_JUDGE
    assert "KeyError" in result.log and "buggy_test" in result.log


def test_a_failed_observation_is_a_verdict_not_an_error():
    result = verdict(items("neural_nets")["layer1"], {"ok": False, "message": "`layer1` is not defined"})
    assert (result.passed, result.message, result.log) == (False, "`layer1` is not defined", "")


def test_the_kernel_vocabulary_imports_only_the_standard_library_and_torch():
    source = open(kernel_api.__file__).read()
    imports = {
        line.split()[1].split(".")[0]
        for line in source.splitlines()
        if line.startswith(("import ", "from ")) and "__future__" not in line
    }
    assert imports <= {"base64", "dis", "io", "re", "sys", "types", "torch"}, imports


@pytest.mark.parametrize("assignment", assignment_names())
def test_the_kernel_half_knows_no_answer(assignment):
    """What a probe sends into a kernel (the item's file, its notebook's shared helpers, the
    vocabulary) imports nothing of the grader side, and names none of its references."""
    for item in items(assignment).values():
        own = vars(item.kernel_module)
        references = [
            n
            for n in vars(item.grader_module)
            if n not in own and ("reference" in n.lower() or (n.isupper() and len(n) >= 3))
        ]  # answers, tolerances
        for module, source in item.kernel_sources().items():
            assert "checks.grader" not in source and "autograder.config" not in source, module
            for name in references:
                assert not re.search(rf"\b{name}\b", source), f"{module} (probe of {item.grade_id}) names {name}"


# ----------------------------------------------------------------------------- measured figures
def mnist_observation(right: int) -> dict:
    """An observation of the accuracy observers whose first `right` predictions are the true labels
    and the others wrong."""
    from autograder.checks.grader.mnist_quiz.quiz import _shared as grader
    from autograder.checks.kernel.mnist_quiz.quiz import mnist_accuracy_90 as kernel
    from autograder.checks.kernel.mnist_quiz.quiz._shared import read_idx

    labels, _ = read_idx(grader.COURSE_RAW / grader.TEST_LABELS)
    _, images_md5 = read_idx(grader.COURSE_RAW / kernel.TEST_IMAGES)
    predictions = labels.to(torch.int64).clone()
    predictions[right:] = (predictions[right:] + 1) % 10
    return {"ok": True, "data": {"images_md5": images_md5, "predictions": predictions}}


def test_the_grader_measures_the_test_accuracy_whatever_the_verdict():
    item = items("mnist_quiz")["mnist_accuracy_90"]
    failed = verdict(item, mnist_observation(5_000))
    assert not failed.passed and failed.metrics == {"test_accuracy": 0.5}
    passed = verdict(item, mnist_observation(9_900))
    assert passed.passed and passed.metrics == {"test_accuracy": 0.99}


def test_no_figure_from_an_observation_the_check_refuses():
    item = items("mnist_quiz")["mnist_accuracy_90"]
    observation = mnist_observation(10_000)
    observation["data"]["images_md5"] = "0" * 32  # images other than the course's
    result = verdict(item, observation)
    assert not result.passed and result.metrics == {} and result.log == ""
    assert verdict(items("neural_nets")["layer1"], {"ok": False, "message": "no"}).metrics == {}


def test_a_type_name_is_quoted_only_when_it_is_the_interpreters_or_a_librarys():
    """Issue 21: a student's class name reached feedback through "but it is a {type}"; a class can
    claim any name and module, so only a static type or one found under its name in a library's
    module is named."""
    from autograder.checks.kernel.api import OTHER_EXCEPTION, OTHER_TYPE, exception_name, type_name

    for value, name in [(None, "NoneType"), ([1], "list"), (torch.zeros(1), "Tensor"), (torch.nn.ReLU(), "ReLU")]:
        assert type_name(value) == name

    class Impostor(torch.nn.Module):
        pass

    Impostor.__module__, Impostor.__name__ = "torch", "def_test_hidden_source"
    assert type_name(Impostor()) == type_name(Impostor) == OTHER_TYPE

    class Failure(ValueError):
        pass

    assert exception_name(Failure()) == OTHER_EXCEPTION and exception_name(TypeError()) == "TypeError"


def test_a_verdict_that_would_outgrow_its_memory_fails_the_item_and_the_cap_is_lifted_after():
    """Issue 21: a verdict computed a distance table sized by the student (1.78 GB from 0.77 MB
    observed). Each verdict now runs under an address-space cap; beyond it the item fails."""
    from autograder.checks.verdict import TOO_LARGE_TO_JUDGE, conclude, memory_cap, out_of_memory

    before = resource.getrlimit(resource.RLIMIT_AS)
    with memory_cap(headroom=256 * 1024**2), pytest.raises((RuntimeError, MemoryError)) as raised:
        torch.ones(2**28, dtype=torch.float64)  # 2 GB
    assert out_of_memory(raised.value)
    assert resource.getrlimit(resource.RLIMIT_AS) == before
    assert torch.ones(2**26, dtype=torch.float64).sum() == 2**26  # 512 MB: lifted
    item = items("neural_nets")["W"]
    result = conclude(item, raised.value, "trace", {}, "")
    assert (result.passed, result.message) == (
        False,
        TOO_LARGE_TO_JUDGE,
    ) and "out of the verdict's memory" in result.log


def test_matching_rows_works_in_blocks_whatever_the_number_of_rows():
    from autograder.checks.grader.neural_nets.training import _shared

    table = torch.arange(20.0).reshape(10, 2)
    points = torch.cat([table[[3, 7]], torch.tensor([[0.5, 0.5]])]).repeat(1000, 1)
    index = _shared._match_rows(points, table)
    assert index.tolist() == [3, 7, -1] * 1000 and len(_shared._match_rows(points[:0], table)) == 0

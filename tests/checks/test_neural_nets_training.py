"""The hidden checks of neural_nets/03_training.ipynb (autograder/checks/kernel/neural_nets/training/<item>.py
observes, autograder/checks/grader/neural_nets/training/test_<item>.py judges): the reference passes every item,
realistic wrong answers fail the right item with a message that names the problem, and the kernel half
holds no answer.

Items up to `one_epoch` are judged on the notebook run only that far (`upto`); `test_mse` and
`regression_plot` on the notebook run without its training loop (an untrained network), which keeps
these tests fast. The full run, with training, is the slow reference test.
"""

from __future__ import annotations

import pytest
import torch

from autograder.checks import items, judge
from autograder.checks.kernel.neural_nets.training import one_epoch
from autograder.course import notebooks
from autograder.paths import SOURCE

NOTEBOOK = SOURCE / "neural_nets" / "03_training.ipynb"
TRAINING_CELLS = ("train-loop", "best-model")  # cell ids skipped by run_untrained
EARLY_ITEMS = [
    "NeuralNet",
    "standardize",
    "unstandardize",
    "type_errors",
    "X_all",
    "split",
    "NeuralNetData",
    "baseline_mse",
    "train_dataloader",
    "one_epoch",
    "one_epoch_no_globals",
    "init_weights",
    "keep_best",
]
# items that check a rule of an earlier answer cell: the answer cell they belong to
RULE_ITEMS = {"type_errors": "answer_unstandardize", "one_epoch_no_globals": "answer_one_epoch"}


def judge_upto(last_cell: str, items: list[str], replace: dict[str, str] | None = None) -> dict:
    """Run the notebook's code cells up to the solution cell `last_cell` and judge `items`."""
    ns = notebooks.run_in_process(NOTEBOOK, replace=replace, upto=last_cell)
    return {gid: judge("neural_nets", gid, ns) for gid in items}


def run_untrained(replace: dict[str, str] | None = None) -> dict:
    """The notebook's namespace after all its code cells except the training loop."""
    nb = notebooks.read(NOTEBOOK)
    replace = dict(replace or {})
    ns = {"__name__": "__main__"}
    with notebooks.working_directory(NOTEBOOK.parent):
        for cell in nb.cells:
            if cell.cell_type != "code" or notebooks.is_test_cell(cell) or cell.get("id") in TRAINING_CELLS:
                continue
            source = replace.pop(notebooks.grade_id(cell), cell.source)
            exec(compile(notebooks.without_solution_markers(source), f"{NOTEBOOK.name}:{cell.get('id')}", "exec"), ns)
    assert not replace, f"no such cells: {sorted(replace)}"
    return ns


def fails(result: tuple[bool, str], *words: str) -> None:
    passed, message = result
    assert not passed, "the check accepted a wrong answer"
    for word in words:
        assert word.lower() in message.lower(), f"{word!r} not in: {message}"


# ------------------------------------------------------------------------------------ references
@pytest.mark.slow
def test_reference_passes_every_item(judge_source):
    results = judge_source("neural_nets", "03_training.ipynb")
    assert set(results) == set(EARLY_ITEMS) | {"best_state", "test_mse", "regression_plot"}
    assert all(passed for passed, _ in results.values()), {k: m for k, (p, m) in results.items() if not p}


def test_reference_passes_items_before_training():
    results = judge_upto("answer_keep_best", EARLY_ITEMS)
    assert all(passed for passed, _ in results.values()), {k: m for k, (p, m) in results.items() if not p}


def test_points_and_ids():
    nb = notebooks.read(NOTEBOOK)
    points = {notebooks.grade_id(c): notebooks.points(c) for c in notebooks.test_cells(nb)}
    assert points == {
        "NeuralNet": 2,
        "standardize": 2,
        "unstandardize": 1,
        "type_errors": 1,
        "X_all": 1,
        "split": 2,
        "NeuralNetData": 1,
        "baseline_mse": 2,
        "train_dataloader": 1,
        "init_weights": 1,
        "one_epoch": 3,
        "one_epoch_no_globals": 1,
        "keep_best": 2,
        "best_state": 1,
        "test_mse": 3,
        "regression_plot": 1,
    }
    # the values carry most of the points; a style rule is an item of its own, worth 1
    assert all(points[gid] == 1 for gid in RULE_ITEMS)
    assert sum(points.values()) == 25 and "| **total** | **25** |" in nb.cells[0].source
    for cell in notebooks.test_cells(nb):
        gid = notebooks.grade_id(cell)
        assert f'run("neural_nets", "{gid}", globals())' in notebooks.hidden_part(cell.source)
        notebooks.cell(
            nb, {**RULE_ITEMS, "best_state": "answer_keep_best"}.get(gid, f"answer_{gid}")
        )  # every item has its solution cell
        assert f"`{gid}`" in nb.cells[0].source  # and a line in the table of points


def test_kernel_half_holds_no_answer():
    """What a probe sends into the student's kernel: no reference network, no course data, and
    one_epoch is watched on a network that is not the lecture's NeuralNet."""
    training = [item for item in items("neural_nets").values() if ".training." in item.kernel_module.__name__]
    assert {item.grade_id for item in training} >= set(EARLY_ITEMS)
    for item in training:
        for module, source in item.kernel_sources().items():
            for word in ("ReferenceNet", "_reference", "_predict", "_course_data", "autograder.config", "TOL"):
                assert word not in source, (module, word)
    model = one_epoch._epoch_setup()[0]
    assert not any(isinstance(m, torch.nn.PReLU) for m in model.modules())


# ------------------------------------------------------------------------------------ NeuralNet
RELU_NET = """
class NeuralNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.layer1 = torch.nn.Sequential(torch.nn.Linear(1, 3), torch.nn.ReLU())
        self.layer2 = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.ReLU())
        self.layer_output = torch.nn.Sequential(torch.nn.Linear(2, 1), torch.nn.ReLU())

    def forward(self, x):
        return self.layer_output(self.layer2(self.layer1(x)))
"""


def test_neuralnet_with_relu_fails():
    fails(judge_upto("answer_NeuralNet", ["NeuralNet"], {"answer_NeuralNet": RELU_NET})["NeuralNet"], "ReLU", "PReLU")


def test_neuralnet_skipping_a_layer_in_forward_fails():
    source = RELU_NET.replace("torch.nn.ReLU()", "torch.nn.PReLU()").replace(
        "self.layer_output(self.layer2(self.layer1(x)))", "self.layer_output(self.layer2(x.repeat(1, 3)))"
    )
    fails(judge_upto("answer_NeuralNet", ["NeuralNet"], {"answer_NeuralNet": source})["NeuralNet"], "forward", "layer1")


def test_neuralnet_with_wrong_shapes_fails():
    source = RELU_NET.replace("torch.nn.ReLU()", "torch.nn.PReLU()").replace("Linear(3, 2)", "Linear(3, 3)")
    source = source.replace("Linear(2, 1)", "Linear(3, 1)")
    fails(
        judge_upto("answer_NeuralNet", ["NeuralNet"], {"answer_NeuralNet": source})["NeuralNet"],
        "layer2",
        "1 → 3 → 2 → 1",
    )


def test_neuralnet_with_a_class_of_its_own_named_linear_fails_with_a_message():
    own = (
        "class Linear(torch.nn.Module):\n    def __init__(self, n_in, n_out):\n        super().__init__()\n"
        "        self.weight = torch.nn.Parameter(torch.randn(n_out, n_in))\n"
        "        self.bias = torch.nn.Parameter(torch.zeros(n_out))\n"
        "    def forward(self, x):\n        return x @ self.weight.T + self.bias\n"
    )
    source = own + RELU_NET.replace("torch.nn.ReLU()", "torch.nn.PReLU()").replace("torch.nn.Linear", "Linear")
    passed, message = judge_upto("answer_NeuralNet", ["NeuralNet"], {"answer_NeuralNet": source})["NeuralNet"]
    assert not passed and "torch.nn.Linear itself" in message  # a verdict, not "could not judge"


# ------------------------------------------------------------------------------------ standardize
STANDARDIZE = """
def standardize(data):
    if not isinstance(data, torch.Tensor):
        raise TypeError("standardize expects a torch.Tensor")
    column_mu = data.mean(dim=0)
    column_sigma = {sigma}
    return (data - column_mu) / column_sigma, column_mu, column_sigma
"""


def test_population_std_fails():
    source = STANDARDIZE.format(sigma="data.std(dim=0, correction=0)")
    fails(
        judge_upto("answer_standardize", ["standardize"], {"answer_standardize": source})["standardize"],
        "population",
        "data.std(dim=0)",
        "N - 1",
    )


def test_standardize_over_all_values_fails():
    source = STANDARDIZE.format(sigma="data.std()").replace("data.mean(dim=0)", "data.mean()")
    fails(judge_upto("answer_standardize", ["standardize"], {"answer_standardize": source})["standardize"], "dim=0")


def test_lecture_assert_instead_of_typeerror_fails_type_errors_only():
    source = STANDARDIZE.format(sigma="data.std(dim=0)").replace(
        """if not isinstance(data, torch.Tensor):
        raise TypeError("standardize expects a torch.Tensor")""",
        "assert isinstance(data, torch.Tensor)",
    )
    results = judge_upto("answer_unstandardize", ["standardize", "type_errors"], {"answer_standardize": source})
    assert results["standardize"] == (True, "")  # the values are right: their 2 points stay
    fails(results["type_errors"], "standardize raised AssertionError", "TypeError", "python -O")


def test_type_check_of_lists_only_fails():
    source = STANDARDIZE.format(sigma="data.std(dim=0)").replace(
        "not isinstance(data, torch.Tensor)", "isinstance(data, list)"
    )
    results = judge_upto("answer_unstandardize", ["type_errors"], {"answer_standardize": source})
    fails(
        results["type_errors"], "standardize raised AttributeError when given a tuple", "isinstance(data, torch.Tensor)"
    )


def test_unstandardize_in_wrong_order_fails():
    source = """
def unstandardize(data_stand, column_mu, column_sigma):
    if not isinstance(data_stand, torch.Tensor):
        raise TypeError("unstandardize expects a torch.Tensor")
    return (data_stand + column_mu) * column_sigma
"""
    result = judge_upto("answer_unstandardize", ["unstandardize"], {"answer_unstandardize": source})
    fails(result["unstandardize"], "multiply by the standard deviation, then add the mean")


def test_unstandardize_without_type_check_fails():
    source = """
def unstandardize(data_stand, column_mu, column_sigma):
    return torch.as_tensor(data_stand) * column_sigma + column_mu
"""
    result = judge_upto("answer_unstandardize", ["unstandardize", "type_errors"], {"answer_unstandardize": source})
    assert result["unstandardize"] == (True, "")
    fails(result["type_errors"], "unstandardize accepted a list without complaint", "TypeError")


# ------------------------------------------------------------------------------------ X_all
def test_raw_x_all_fails():
    source = """
X_all, x_mu, x_sigma = torch.tensor(df['x'].values), torch.tensor(0.0), torch.tensor(1.0)
Y_all, y_mu, y_sigma = standardize(torch.tensor(df['y'].values))
"""
    fails(judge_upto("answer_X_all", ["X_all"], {"answer_X_all": source})["X_all"], "raw column")


def test_swapped_columns_fail():
    source = """
X_all, x_mu, x_sigma = standardize(torch.tensor(df['y'].values))
Y_all, y_mu, y_sigma = standardize(torch.tensor(df['x'].values))
"""
    fails(judge_upto("answer_X_all", ["X_all"], {"answer_X_all": source})["X_all"], "other column")


# ------------------------------------------------------------------------------------ split
def answer_with(grade_id: str, **changes: str) -> str:
    """The reference answer cell of `grade_id`, with each `old` text replaced by its `new` one."""
    source = notebooks.cell(notebooks.read(NOTEBOOK), f"answer_{grade_id}").source
    for old, new in changes.items():
        assert old in source, old
        source = source.replace(old, new)
    return source


def split_source(**changes: str) -> str:
    return answer_with("split", **changes)


def test_80_10_10_split_fails():
    source = split_source(
        **{"train_proportion = 0.7": "train_proportion = 0.8", "valid_proportion = 0.15": "valid_proportion = 0.1"}
    )
    fails(
        judge_upto("answer_split", ["split"], {"answer_split": source})["split"],
        "800 / 100 / 100",
        "70% training, 15% validation and 15% test",
    )


def test_unshuffled_split_fails():
    source = split_source(**{"torch.randperm(len(X_all))": "torch.arange(len(X_all))"})
    fails(judge_upto("answer_split", ["split"], {"answer_split": source})["split"], "torch.randperm")


def test_split_with_mismatched_indices_fails():
    source = split_source(**{"Y_valid = Y_all[valid_indices]": "Y_valid = Y_all[test_indices]"})
    fails(
        judge_upto("answer_split", ["split"], {"answer_split": source})["split"],
        "(X_valid, Y_valid) are not rows of (X_all, Y_all)",
    )


# ------------------------------------------------------------------------------------ Dataset, DataLoader
def test_dataset_returning_float64_fails():
    source = notebooks.cell(notebooks.read(NOTEBOOK), "answer_NeuralNetData").source.replace(
        "return self.X[idx].float(), self.Y[idx].float()", "return self.X[idx], self.Y[idx]"
    )
    result = judge_upto("answer_NeuralNetData", ["NeuralNetData"], {"answer_NeuralNetData": source})
    fails(result["NeuralNetData"], "float64", ".float()")


def test_unshuffled_dataloader_fails():
    source = """
train_dataset = NeuralNetData(X, Y)
train_dataloader = DataLoader(dataset=train_dataset, batch_size=100)
"""
    result = judge_upto("answer_train_dataloader", ["train_dataloader"], {"answer_train_dataloader": source})
    fails(result["train_dataloader"], "shuffle=True")


def test_dataloader_over_all_data_fails():
    source = """
train_dataset = NeuralNetData(X_all.unsqueeze(1), Y_all.unsqueeze(1))
train_dataloader = DataLoader(dataset=train_dataset, batch_size=100, shuffle=True)
"""
    result = judge_upto("answer_train_dataloader", ["train_dataloader"], {"answer_train_dataloader": source})
    fails(result["train_dataloader"], "training data only")


def test_dataloader_with_other_batch_size_fails():
    source = """
train_dataset = NeuralNetData(X, Y)
train_dataloader = DataLoader(dataset=train_dataset, batch_size=64, shuffle=True)
"""
    result = judge_upto("answer_train_dataloader", ["train_dataloader"], {"answer_train_dataloader": source})
    fails(result["train_dataloader"], "batch_size=100")


# ------------------------------------------------------------------------------------ init_weights
INIT = """
def init_weights(m):
    {body}
"""


@pytest.mark.parametrize(
    "body, words",
    [
        ("if isinstance(m, torch.nn.Linear):\n        torch.nn.init.xavier_uniform_(m.weight)", ["kaiming_uniform_"]),
        (
            "if isinstance(m, torch.nn.Linear):\n        torch.nn.init.kaiming_normal_(m.weight, nonlinearity='relu')",
            ["kaiming_uniform_"],
        ),
        (
            "if isinstance(m, torch.nn.Linear):\n        torch.nn.init.kaiming_uniform_(m.weight, nonlinearity='relu')\n"
            "        torch.nn.init.uniform_(m.bias)",
            ["bias"],
        ),
        (
            "if hasattr(m, 'weight') and m.weight.dim() > 1:\n"
            "        torch.nn.init.kaiming_uniform_(m.weight, nonlinearity='relu')",
            ["not a torch.nn.Linear"],
        ),
        ("pass", ["did not change"]),
    ],
)
def test_wrong_init_weights_fails(body, words):
    result = judge_upto("answer_init_weights", ["init_weights"], {"answer_init_weights": INIT.format(body=body)})
    fails(result["init_weights"], *words)


# ------------------------------------------------------------------------------------ one_epoch
def one_epoch_source(**changes: str) -> str:
    return answer_with("one_epoch", **changes)


def judge_one_epoch(source: str):
    return judge_upto("answer_one_epoch", ["one_epoch"], {"answer_one_epoch": source})["one_epoch"]


def test_one_epoch_without_zero_grad_fails():
    source = one_epoch_source(**{"optim.zero_grad()  # reset the gradients (backward adds to them)": "pass"})
    fails(judge_one_epoch(source), "zero_grad", "parameters differ")


def test_one_epoch_validating_in_train_mode_fails():
    source = one_epoch_source(**{"model.eval()  # we are validating now, not training": "pass"})
    fails(judge_one_epoch(source), "training mode", "model.eval()")


def test_one_epoch_validating_with_grad_fails():
    source = one_epoch_source(**{"with torch.no_grad():": "if True:"})
    fails(judge_one_epoch(source), "gradient tracking on", "torch.no_grad()")


def test_one_epoch_stepping_once_per_epoch_fails():
    source = one_epoch_source(
        **{
            "        optim.step()  # take a gradient descent step\n": "",
            "    model.eval()  # we are": "    optim.step()\n    model.eval()  # we are",
        }
    )
    fails(judge_one_epoch(source), "optim.step() ran 1 time(s)", "one step per batch")


def test_one_epoch_without_model_train_fails():
    source = one_epoch_source(**{"model.train()  # we are training the model": "pass"})
    fails(judge_one_epoch(source), "evaluation mode while training", "model.train()")


def test_one_epoch_replacing_losses_fails():
    source = one_epoch_source(**{"Losses.append(loss.item())": "Losses = [loss.item()]"})
    fails(judge_one_epoch(source), "Losses has 0 entries", "append")


LECTURE_ONE_EPOCH = """
def one_epoch(train_dataloader, X_valid, Y_valid, model, optim, Losses, Losses_valid):
    global epoch
    print('epoch #{}'.format(epoch))
    for batch in train_dataloader:
        optim.zero_grad()
        model.train()
        X = batch[0]
        Y = batch[1]
        pred_y = model(X)
        loss = torch.nn.functional.mse_loss(pred_y, Y)
        loss.backward()
        optim.step()
        Losses.append(loss.item())
    model.eval()
    with torch.no_grad():
        pred_y_valid = model(X_valid)
        loss_valid = torch.nn.functional.mse_loss(pred_y_valid, Y_valid)
    Losses_valid.append(loss_valid.item())
    print('Validation Loss: ' + str(loss_valid.item()))
    epoch += 1
"""


def judge_no_globals(source: str, before: str = ""):
    replace = {"answer_one_epoch": source}
    if before:
        replace["answer_train_dataloader"] = (
            notebooks.cell(notebooks.read(NOTEBOOK), "answer_train_dataloader").source + before
        )
    return judge_upto("answer_one_epoch", ["one_epoch", "one_epoch_no_globals"], replace)


def test_lecture_one_epoch_with_global_epoch_fails_for_globals_and_its_missing_return():
    results = judge_no_globals(LECTURE_ONE_EPOCH, before="\nepoch = 1\n")
    fails(results["one_epoch_no_globals"], "assigns to the global variable(s) epoch")
    fails(results["one_epoch"], "one_epoch returned nothing", "validation loss")


def test_lecture_one_epoch_returning_the_loss_keeps_the_values_points_and_the_notebooks_epoch():
    """Judging the values runs one_epoch on a copy of the globals: the notebook's `epoch` stays."""
    source = LECTURE_ONE_EPOCH.replace("    epoch += 1\n", "    epoch += 1\n    return loss_valid.item()\n")
    ns = notebooks.run_in_process(
        NOTEBOOK,
        replace={
            "answer_one_epoch": source,
            "answer_train_dataloader": notebooks.cell(notebooks.read(NOTEBOOK), "answer_train_dataloader").source
            + "\nepoch = 1\n",
        },
        upto="answer_one_epoch",
    )
    assert judge("neural_nets", "one_epoch", ns) == (True, "")
    assert ns["epoch"] == 1
    fails(judge("neural_nets", "one_epoch_no_globals", ns), "global variable(s) epoch")


def test_lecture_one_epoch_without_global_and_with_return_passes():
    """The lecture's loop itself is right: without the global counter, and returning the loss, it passes."""
    source = LECTURE_ONE_EPOCH.replace("    global epoch\n    print('epoch #{}'.format(epoch))\n", "")
    source = source.replace("    epoch += 1\n", "    return loss_valid.item()\n")
    assert judge_no_globals(source) == {"one_epoch": (True, ""), "one_epoch_no_globals": (True, "")}


def test_one_epoch_reading_a_global_fails_no_globals_only():
    source = one_epoch_source(
        **{
            "pred_y_valid = model(X_valid)": "pred_y_valid = model(X_valid)  # noqa",
            "loss_valid = torch.nn.functional.mse_loss(pred_y_valid, Y_valid)": "loss_valid = loss_fn(pred_y_valid, Y_valid)",
        }
    )
    results = judge_no_globals(source, before="\nloss_fn = torch.nn.MSELoss()\n")
    assert results["one_epoch"] == (True, "")
    fails(results["one_epoch_no_globals"], "reads the global variable(s) loss_fn")


def test_one_epoch_using_a_helper_function_passes():
    source = "def mse(a, b):\n    return torch.nn.functional.mse_loss(a, b)\n\n" + one_epoch_source(
        **{
            "loss_valid = torch.nn.functional.mse_loss(pred_y_valid, Y_valid)": "loss_valid = mse(pred_y_valid, Y_valid)"
        }
    )
    assert judge_no_globals(source) == {"one_epoch": (True, ""), "one_epoch_no_globals": (True, "")}


@pytest.mark.parametrize(
    "change, words",
    [
        ({"    return loss_valid.item()\n": ""}, ["returned nothing"]),
        ({"    return loss_valid.item()\n": "    return loss_valid\n"}, ["returned a Tensor", "loss_valid.item()"]),
        ({"    return loss_valid.item()\n": "    return Losses[-1]\n"}, ["not the validation loss"]),
    ],
)
def test_one_epoch_with_a_wrong_return_value_fails(change, words):
    fails(judge_one_epoch(one_epoch_source(**change)), *words)


# ------------------------------------------------------------------------------------ test_mse, plot
@pytest.fixture(scope="module")
def untrained():
    """The notebook without its training loop: an untrained network."""
    return run_untrained()


def test_untrained_network_fails_the_threshold(untrained):
    fails(judge("neural_nets", "test_mse", untrained), "not below 1.5 × the noise variance")


def test_mse_on_validation_data_fails(untrained):
    ns = dict(untrained)
    exec("test_mse = torch.nn.functional.mse_loss(neural_net(X_valid), Y_valid).item()", ns)
    fails(judge("neural_nets", "test_mse", ns), "not the MSE of neural_net on (X_test, Y_test)")


def test_mse_on_training_rows_fails(untrained):
    ns = dict(untrained)
    exec(
        "X_test, Y_test = X[:150], Y[:150]\ntest_mse = torch.nn.functional.mse_loss(neural_net(X_test), Y_test).item()",
        ns,
    )
    fails(judge("neural_nets", "test_mse", ns), "also in the training data")


def test_reference_plot_passes_on_any_network(untrained):
    assert judge("neural_nets", "regression_plot", untrained) == (True, "")


def plot_source(**changes: str) -> str:
    return notebooks.without_solution_markers(answer_with("regression_plot", **changes))


def judge_plot(untrained, source: str):
    ns = dict(untrained)
    exec(source, ns)
    return judge("neural_nets", "regression_plot", ns)


def test_plot_in_standardized_units_fails(untrained):
    source = plot_source(
        **{"line_Y = unstandardize(line_Y, y_mu, y_sigma)\n": "", "line_X = unstandardize(line_X, x_mu, x_sigma)\n": ""}
    )
    fails(judge_plot(untrained, source), "standardized units")


def test_plot_without_trend_fails(untrained):
    source = plot_source(**{"[data_trace, line_trace, trend_trace]": "[data_trace, line_trace]"})
    fails(judge_plot(untrained, source), "2 trace(s)")


def test_plot_of_half_the_range_fails(untrained):
    source = plot_source(**{"torch.linspace(X_all.min(), X_all.max(), 1000)": "torch.linspace(0, X_all.max(), 1000)"})
    fails(judge_plot(untrained, source), "x range")


def test_plot_with_standardized_data_fails(untrained):
    source = plot_source(**{"x=X_all_unstd.numpy(), y=Y_all_unstd.numpy()": "x=X_all, y=Y_all"})
    fails(judge_plot(untrained, source), "markers trace", "raw units")


# ------------------------------------------------------------------------------------ the visible checks
def visible_verdict(ns: dict, grade_id: str) -> str | None:
    """Run an item's visible asserts (its test cell without the hidden part) in `ns`: None when they
    pass, else the AssertionError's message (what `python -m autograder check` shows)."""
    cell = notebooks.cell(notebooks.read(NOTEBOOK), grade_id)
    try:
        exec(compile(notebooks.visible_part(cell.source), f"test {grade_id}", "exec"), ns)
    except AssertionError as err:
        return str(err)
    return None


def answer_of(grade_id: str) -> str:
    """The solution cell an item's test cell follows (for a rule item: the function's)."""
    return RULE_ITEMS.get(grade_id, f"answer_{grade_id}")


def visible_upto(grade_id: str, replace: dict[str, str] | None = None) -> str | None:
    """The item's visible verdict where its test cell stands: right after its answer cell."""
    ns = notebooks.run_in_process(NOTEBOOK, replace=replace, upto=answer_of(grade_id))
    return visible_verdict(ns, grade_id)


def test_reference_passes_the_visible_checks_before_training():
    for gid in EARLY_ITEMS:
        assert visible_upto(gid) is None, gid


SPLIT_SOURCE = notebooks.cell(notebooks.read(NOTEBOOK), "answer_split").source
DATASET_SOURCE = notebooks.cell(notebooks.read(NOTEBOOK), "answer_NeuralNetData").source

SHARED_LAYERS = """
shared_layer1 = torch.nn.Sequential(torch.nn.Linear(1, 3), torch.nn.PReLU())
shared_layer2 = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.PReLU())
shared_output = torch.nn.Sequential(torch.nn.Linear(2, 1), torch.nn.PReLU())

class NeuralNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.layer1, self.layer2, self.layer_output = shared_layer1, shared_layer2, shared_output

    def forward(self, x):
        return self.layer_output(self.layer2(self.layer1(x)))
"""


def test_neuralnet_reusing_layers_made_outside_fails_visibly_and_hidden():
    ns = notebooks.run_in_process(NOTEBOOK, replace={"answer_NeuralNet": SHARED_LAYERS}, upto="answer_NeuralNet")
    fails(judge("neural_nets", "NeuralNet", ns), "share parameters", "inside __init__")
    assert "share parameters" in visible_verdict(ns, "NeuralNet")


@pytest.mark.parametrize(
    "replace, grade_id, words",
    [
        (
            {
                "answer_standardize": STANDARDIZE.format(sigma="data.std(dim=0)").replace(
                    'if not isinstance(data, torch.Tensor):\n        raise TypeError("standardize expects a torch.Tensor")',
                    "assert isinstance(data, torch.Tensor)",
                )
            },
            "type_errors",
            ["standardize on a list raised AssertionError (an assert)", "raise TypeError"],
        ),
        (
            {
                "answer_unstandardize": "def unstandardize(data_stand, column_mu, column_sigma):\n"
                "    return torch.as_tensor(data_stand) * column_sigma + column_mu\n"
            },
            "type_errors",
            ["unstandardize on a list raised nothing"],
        ),
        (
            {
                "answer_one_epoch": LECTURE_ONE_EPOCH,
                "answer_train_dataloader": "\nepoch = 1\n"
                + notebooks.cell(notebooks.read(NOTEBOOK), "answer_train_dataloader").source,
            },
            "one_epoch_no_globals",
            ["reads the global variable epoch"],
        ),
        (
            {
                "answer_one_epoch": LECTURE_ONE_EPOCH.replace(
                    "    global epoch\n    print('epoch #{}'.format(epoch))\n", ""
                ).replace("    epoch += 1\n", "    return loss_valid\n")
            },
            "one_epoch",
            ["should return the validation loss"],
        ),
        (
            {
                "answer_standardize": STANDARDIZE.format(sigma="data.std(dim=0)").replace(
                    "    return (data - column_mu) / column_sigma, column_mu, column_sigma",
                    "    data -= column_mu  # in place: changes the caller's tensor\n    return data / column_sigma, column_mu, column_sigma",
                )
            },
            "standardize",
            ["standardize changed data in place"],
        ),
        (
            {
                "answer_X_all": "X_all, x_mu, x_sigma = standardize(torch.tensor(df['y'].values))\n"
                "Y_all, y_mu, y_sigma = standardize(torch.tensor(df['x'].values))\n"
            },
            "X_all",
            ["X_all should be the column df['x']"],
        ),
        (
            {"answer_split": SPLIT_SOURCE.replace("torch.randperm(len(X_all))", "torch.arange(len(X_all))")},
            "split",
            ["should be shuffled"],
        ),
        (
            {
                "answer_split": SPLIT_SOURCE.replace("train_proportion = 0.7", "train_proportion = 0.8").replace(
                    "valid_proportion = 0.15", "valid_proportion = 0.1"
                )
            },
            "split",
            ["70% training data"],
        ),
        (
            {
                "answer_split": SPLIT_SOURCE.replace(
                    "X_test = X_all[test_indices]", "X_test = X_all[valid_indices]"
                ).replace("Y_test = Y_all[test_indices]", "Y_test = Y_all[valid_indices]")
            },
            "split",
            ["every row of X_all, once"],
        ),
        (
            {
                "answer_NeuralNetData": DATASET_SOURCE.replace(
                    "return self.X[idx].float(), self.Y[idx].float()", "return self.X[0].float(), self.Y[0].float()"
                )
            },
            "NeuralNetData",
            ["(X[idx], Y[idx])"],
        ),
        (
            {
                "answer_train_dataloader": "train_dataset = NeuralNetData(X, Y)\n"
                "train_dataloader = DataLoader(dataset=train_dataset, batch_size=100)\n"
            },
            "train_dataloader",
            ["shuffle=True"],
        ),
        ({"answer_init_weights": "def init_weights(m):\n    pass\n"}, "init_weights", ["should initialize"]),
        (
            {
                "answer_init_weights": "def init_weights(m):\n    if hasattr(m, 'weight'):\n"
                "        torch.nn.init.uniform_(m.weight)\n"
            },
            "init_weights",
            ["not Linear alone"],
        ),
    ],
)
def test_a_rule_the_text_states_fails_its_visible_check(replace, grade_id, words):
    message = visible_upto(grade_id, replace)
    assert message is not None, f"the visible checks of {grade_id} accepted {replace}"
    for word in words:
        assert word in message, f"{word!r} not in: {message}"


# ------------------------------------------------------------------------------------ keep_best
def judge_keep_best(source: str):
    return judge_upto("answer_keep_best", ["keep_best"], {"answer_keep_best": source})["keep_best"]


KEEP_BEST = """
def keep_best(model, epoch, Losses_valid, best):
    if "loss" not in best or Losses_valid[-1] {less} best["loss"]:
        best["epoch"] = epoch
        best["loss"] = Losses_valid[-1]
        best["state"] = {copy}
"""


def test_keep_best_alternatives_pass():
    for copy_code in (
        "copy.deepcopy(model.state_dict())",
        "{k: v.detach().clone() for k, v in model.state_dict().items()}",
    ):
        assert judge_keep_best(KEEP_BEST.format(less="<", copy=copy_code)) == (True, ""), copy_code
    by_min = """
def keep_best(model, epoch, Losses_valid, best):
    if Losses_valid[-1] == min(Losses_valid):
        best.update(epoch=epoch, loss=Losses_valid[-1], state=copy.deepcopy(model.state_dict()))
"""
    assert judge_keep_best(by_min) == (True, "")


@pytest.mark.parametrize(
    "source, words",
    [
        (KEEP_BEST.format(less="<", copy="model.state_dict()"), ["latest parameters", "copy.deepcopy"]),
        (KEEP_BEST.format(less=">", copy="copy.deepcopy(model.state_dict())"), ["lowest validation loss so far"]),
        (
            "def keep_best(model, epoch, Losses_valid, best):\n    best = {'epoch': epoch, 'loss': Losses_valid[-1]}\n",
            ["stored nothing", "best = {...}"],
        ),
        (
            "def keep_best(model, epoch, Losses_valid, best):\n    best['epoch'], best['loss'] = epoch, Losses_valid[-1]\n"
            "    best['state'] = copy.deepcopy(model.state_dict())\n",
            ["lowest validation loss so far"],
        ),
        (KEEP_BEST.format(less="<", copy="copy.deepcopy(model)"), ["best['state'] is a"]),
    ],
)
def test_wrong_keep_best_fails(source, words):
    fails(judge_keep_best(source), *words)
    ns = notebooks.run_in_process(NOTEBOOK, replace={"answer_keep_best": source}, upto="answer_keep_best")
    assert visible_verdict(ns, "keep_best") is not None


def test_best_state_of_a_short_training_passes_and_a_stale_copy_fails():
    ns = run_untrained()  # its own network: training it leaves the shared `untrained` untrained
    exec(
        "for epoch in range(1, 6):\n"
        "    one_epoch(train_dataloader, X_valid, Y_valid, neural_net, optim, Losses, Losses_valid)\n"
        "    keep_best(neural_net, epoch, Losses_valid, best)\n"
        "best_epoch, best_state = best['epoch'], best['state']\n"
        "neural_net.load_state_dict(best_state)\n",
        ns,
    )
    assert judge("neural_nets", "best_state", ns) == (True, "")
    assert visible_verdict(dict(ns), "best_state") is None
    wrong = dict(ns)
    exec("best_epoch = 2 if best_epoch == 1 else 1\n", wrong)
    fails(judge("neural_nets", "best_state", wrong), "best_epoch is not the epoch of the lowest")
    stale = dict(ns)
    exec("best_state = {k: v + 0.5 for k, v in best_state.items()}\nneural_net.load_state_dict(best_state)\n", stale)
    fails(judge("neural_nets", "best_state", stale), "validation loss of best_state is not the lowest")


# ------------------------------------------------------------------------------------ baseline_mse
def judge_baseline(source: str):
    return judge_upto("answer_baseline_mse", ["baseline_mse"], {"answer_baseline_mse": source})["baseline_mse"]


def baseline_source(**changes: str) -> str:
    return answer_with("baseline_mse", **changes)


def test_baseline_by_gradient_descent_passes():
    source = """
line_model = torch.nn.Linear(1, 1)
line_optim = torch.optim.SGD(line_model.parameters(), lr=0.1)
for step in range(300):
    line_optim.zero_grad()
    torch.nn.functional.mse_loss(line_model(X), Y).backward()
    line_optim.step()
with torch.no_grad():
    baseline_mse = torch.nn.functional.mse_loss(line_model(X_test), Y_test)
noise_floor = 0.5**2 / df['y'].var()
"""
    assert judge_baseline(source) == (True, "")


@pytest.mark.parametrize(
    "changes, words",
    [
        (
            {
                "torch.linalg.lstsq(A, Y)": "torch.linalg.lstsq(torch.cat([X_test, torch.ones_like(X_test)], dim=1), Y_test)"
            },
            ["fitted on the test data"],
        ),
        (
            {
                "baseline_mse = torch.nn.functional.mse_loss(baseline_pred, Y_test).item()": "baseline_mse = torch.nn.functional.mse_loss(unstandardize(baseline_pred, y_mu, y_sigma), "
                "unstandardize(Y_test, y_mu, y_sigma)).item()"
            },
            ["original units"],
        ),
        (
            {
                "baseline_pred = torch.cat([X_test, torch.ones_like(X_test)], dim=1) @ line": "baseline_pred = Y.mean() * torch.ones_like(Y_test)"
            },
            ["constant prediction"],
        ),
        (
            {
                "baseline_mse = torch.nn.functional.mse_loss(baseline_pred, Y_test).item()": "baseline_mse = torch.nn.functional.mse_loss(A @ line, Y).item()"
            },
            ["on the training data"],
        ),
        (
            {"line = torch.linalg.lstsq(A, Y).solution": "line = torch.tensor([[0.1], [0.0]])  # a line, not fitted"},
            ["not the test MSE of the least-squares line"],
        ),
    ],
)
def test_wrong_baseline_fails(changes, words):
    fails(judge_baseline(baseline_source(**changes)), *words)


def test_reference_baseline_passes_its_visible_check():
    ns = notebooks.run_in_process(NOTEBOOK, upto="answer_baseline_mse")
    assert judge("neural_nets", "baseline_mse", ns) == (True, "")
    assert visible_verdict(ns, "baseline_mse") is None
    exec("baseline_mse = torch.nn.functional.mse_loss(Y.mean() * torch.ones_like(Y_test), Y_test).item()", ns)
    assert "between the noise floor and 1" in visible_verdict(ns, "baseline_mse")


def test_best_state_without_a_finished_training_loop_says_so(untrained):
    assert "training loop (which calls keep_best) did not run to its end" in visible_verdict(
        dict(untrained), "best_state"
    )


# ------------------------------------------------------------------------------------ visible rules, judged hidden too
# A hook that hides a failing visible assert (IPython's set_custom_exc, an input transformer...) must not
# earn the points (issue 21): each rule below is stated by a visible assert only, until the hidden check
# judged it too. Each case breaks that rule alone, and fails the visible assert as well.
TABLE_X_ALL = (
    "X_all, x_mu, x_sigma = standardize(torch.tensor(df[['x']].values))\n"
    "Y_all, y_mu, y_sigma = standardize(torch.tensor(df[['y']].values))\n"
)
RAW_X_ALL = (
    "X_all, x_mu, x_sigma = torch.tensor(df['x'].values), torch.tensor(0.0), torch.tensor(1.0)\n"
    "Y_all, y_mu, y_sigma = torch.tensor(df['y'].values), torch.tensor(0.0), torch.tensor(1.0)\n"
)
PARTS = ("X = X_all[train_indices]", "X_valid = X_all[valid_indices]", "X_test = X_all[test_indices]")
IN_PLACE_STANDARDIZE = STANDARDIZE.format(sigma="data.std(dim=0)").replace(
    "    return (data - column_mu) / column_sigma, column_mu, column_sigma",
    "    data -= column_mu  # in place: changes the caller's tensor\n    return data / column_sigma, column_mu, column_sigma",
)


@pytest.mark.parametrize(
    "grade_id, replace, words",
    [
        ("X_all", {"answer_X_all": TABLE_X_ALL}, ["X_all has shape", "one value per row", "df[['x']]"]),
        (
            "split",
            {"answer_split": split_source(**{part: part + ".unsqueeze(1)" for part in PARTS})},
            ["X (shape (700, 1)", "not made of rows of X_all as they are", "indexing only"],
        ),
        (
            "split",
            {"answer_split": split_source(**{part: part + ".float()" for part in PARTS})},
            ["torch.float32", "not made of rows of X_all as they are"],
        ),
        ("baseline_mse", {"answer_X_all": RAW_X_ALL}, ["not between the noise floor and 1", "standardized"]),
        (
            "train_dataloader",
            {
                "answer_train_dataloader": "train_dataset = NeuralNetData(X.squeeze(1), Y.squeeze(1))\n"
                "train_dataloader = DataLoader(dataset=train_dataset, batch_size=100, shuffle=True)\n"
            },
            ["shapes (100,) and (100,)", "(100, 1)"],
        ),
        (
            "train_dataloader",
            {
                "answer_split": split_source(**{"train_proportion = 0.7": "train_proportion = 0.75"}),
                "answer_train_dataloader": "train_dataset = NeuralNetData(X, Y)\n"
                "train_dataloader = DataLoader(dataset=train_dataset, batch_size=100, shuffle=True, drop_last=True)\n",
            },
            ["7 batches for the 750 rows", "drop_last"],
        ),
        ("unstandardize", {"answer_standardize": IN_PLACE_STANDARDIZE}, ["does not give data back", "in-place"]),
    ],
    ids=["X_all-table", "split-unsqueezed", "split-float32", "baseline-raw-units", "loader-1d", "loader-drop-last"]
    + ["unstandardize-in-place-standardize"],
)
def test_a_rule_stated_only_visibly_is_judged_hidden_too(grade_id, replace, words):
    assert visible_upto(grade_id, replace) is not None, f"the visible checks of {grade_id} accepted {replace}"
    fails(judge_upto(answer_of(grade_id), [grade_id], replace)[grade_id], *words)


def test_test_mse_on_flattened_test_data_fails(untrained):
    ns = dict(untrained)
    exec(
        "X_test, Y_test = X_test.reshape(-1), Y_test.reshape(-1)\n"
        "test_mse = torch.nn.functional.mse_loss(neural_net(X_test.unsqueeze(1)).reshape(-1), Y_test)\n",
        ns,
    )
    assert visible_verdict(dict(ns), "test_mse") is not None
    fails(judge("neural_nets", "test_mse", ns), "shapes (150,) and (150,)", "(150, 1)")


def test_plot_as_a_figure_widget_fails(untrained):
    source = plot_source(**{"fig_fit = go.Figure()": "fig_fit = go.FigureWidget()"})
    ns = dict(untrained)
    exec(source, ns)
    assert visible_verdict(dict(ns), "regression_plot") is not None
    fails(judge("neural_nets", "regression_plot", ns), "go.FigureWidget, not a go.Figure")

"""Grader side of the hidden checks of neural_nets/03_training.ipynb (train the lecture's
1 → 3 → 2 → 1 PReLU network with stochastic gradient descent on the regression data): the tests,
run in the grader's process on the observations of ``autograder/checks/kernel/neural_nets/training.py``,
with the references, the expected values and the tolerances. Never sent into a kernel.
"""

from __future__ import annotations

import functools
import math

import torch

from autograder.checks.grader.api import CheckFailed, close, expect
from autograder.checks.kernel.neural_nets import training as kernel

TOL = 1e-5  # the tolerance the notebook states for values

LAYER_SHAPES = {"layer1": (1, 3), "layer2": (3, 2), "layer_output": (2, 1)}  # (in, out) features
SPLIT = (0.7, 0.15, 0.15)


# ============================================================================ shared helpers
class ReferenceNet(torch.nn.Module):
    """The lecture's NeuralNet: 1 → 3 → 2 → 1 features, a PReLU after each Linear."""

    def __init__(self):
        super().__init__()
        self.layer1 = torch.nn.Sequential(torch.nn.Linear(1, 3), torch.nn.PReLU())
        self.layer2 = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.PReLU())
        self.layer_output = torch.nn.Sequential(torch.nn.Linear(2, 1), torch.nn.PReLU())

    def forward(self, x):
        return self.layer_output(self.layer2(self.layer1(x)))


def _is_tensor(value) -> bool:
    return isinstance(value, torch.Tensor)


def _close(a, b, tol=TOL) -> bool:
    return close(a, b, atol=tol, rtol=tol)


def _expect_type_error(raised: str, function: str, argument: str, what: str = "a list") -> None:
    """`function` must raise TypeError when given `what` instead of a tensor."""
    expect(raised == "TypeError",
           (f"{function} accepted {what} without complaint" if raised == "nothing" else
            f"{function} raised {raised} when given {what}")
           + f": check {argument} with isinstance({argument}, torch.Tensor) and raise TypeError with a "
           "message saying a tensor is expected" + (" (an assert vanishes under python -O and explains "
                                                    "nothing)." if raised == "AssertionError" else "."))


def _reference_net(state, name: str = "neural_net") -> ReferenceNet:
    """The lecture's architecture holding the student's parameters (never the student's class)."""
    net = ReferenceNet()
    expected = net.state_dict()
    expect(isinstance(state, dict), f"The check could not read the parameters of `{name}`.")
    missing, extra = sorted(set(expected) - set(state)), sorted(set(state) - set(expected))
    expect(not missing and not extra,
           f"The parameters of `{name}` are not those of the lecture's NeuralNet (layer1, layer2, "
           "layer_output, each a Sequential of a Linear then a PReLU)"
           + (f"; missing: {', '.join(missing)}" if missing else "")
           + (f"; unexpected: {', '.join(extra)}" if extra else "") + ".")
    for key, ref in expected.items():
        value = state[key]
        expect(_is_tensor(value) and value.shape == ref.shape,
               f"`{name}`'s parameter {key} has shape "
               f"{tuple(value.shape) if _is_tensor(value) else type(value).__name__}; the lecture's "
               f"NeuralNet has {tuple(ref.shape)} there.")
    net.load_state_dict({k: v.float() for k, v in state.items()})
    return net.eval()


def _predict(state, x: torch.Tensor, name: str = "neural_net") -> torch.Tensor:
    net = _reference_net(state, name)
    with torch.no_grad():
        return net(x.float().reshape(-1, 1)).double()


@functools.cache
def _course_data() -> dict:
    """The regression data as the grader reads it from data/."""
    import importlib.util
    import sys

    from autograder.config import DATA

    name = "_nn_course_make_data"
    module = sys.modules.get(name)
    if module is None:
        spec = importlib.util.spec_from_file_location(name, DATA / "make_data.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # its dataclasses look their module up while it loads
        spec.loader.exec_module(module)
    frame = module.load_frame(DATA / module.REGRESSION_FILE)
    trend = module.load_frame(DATA / module.TREND_FILE)
    x, y = torch.tensor(frame["x"].to_numpy()), torch.tensor(frame["y"].to_numpy())
    return {
        "x": x, "y": y,
        "X_all": (x - x.mean()) / x.std(), "Y_all": (y - y.mean()) / y.std(),
        "x_mu": x.mean(), "x_sigma": x.std(), "y_mu": y.mean(), "y_sigma": y.std(),
        "trend_x": torch.tensor(trend["x"].to_numpy()), "trend_y": torch.tensor(trend["y"].to_numpy()),
        "noise_floor": float(module.noise_floor_standardized()),
    }


def _split_sizes(n: int) -> tuple[int, int, int]:
    """Rows of train, validation and test for n rows: borders floor(0.7 n) and floor(0.85 n)."""
    border1 = math.floor(n * SPLIT[0])
    border2 = math.floor(n * (SPLIT[0] + SPLIT[1]))
    return border1, border2 - border1, n - border2


def _match_rows(points: torch.Tensor, table: torch.Tensor, tol: float = TOL) -> torch.Tensor:
    """For each row of `points` (n, d), the index of the equal row of `table` (N, d), or -1."""
    if len(points) == 0:
        return torch.zeros(0, dtype=torch.long)
    distance, index = torch.cdist(points.double(), table.double()).min(dim=1)
    index[distance > tol] = -1
    return index


# ============================================================================ NeuralNet
def _expect_layer(name: str, leaves: list[dict] | None) -> None:
    """One of NeuralNet's layers is exactly torch.nn.Linear(in, out) then torch.nn.PReLU()."""
    n_in, n_out = LAYER_SHAPES[name]
    expect(leaves is not None,
           f"NeuralNet has no layer `{name}`: name its three layers self.layer1, self.layer2 and "
           "self.layer_output, as in the lecture.")
    types = [leaf["type"] for leaf in leaves]
    expect(len(leaves) >= 1 and types[0] == "Linear",
           f"`{name}` should start with a torch.nn.Linear (found: {', '.join(types) or 'nothing'}).")
    linear = leaves[0]
    expect("in" in linear,  # a class of the student's own that is named Linear
           f"`{name}` should start with torch.nn.Linear itself, not a class of your own named Linear.")
    expect((linear["in"], linear["out"]) == (n_in, n_out),
           f"`{name}`'s Linear maps {linear['in']} → {linear['out']} features; the network is "
           f"1 → 3 → 2 → 1, so it should be Linear(in_features={n_in}, out_features={n_out}).")
    expect(len(leaves) >= 2,
           f"`{name}` has no activation after its Linear: add torch.nn.PReLU().")
    expect(types[1] == "PReLU",
           f"`{name}` uses {types[1]} after its Linear; the lecture's network uses torch.nn.PReLU, "
           "a leaky ReLU whose negative slope is learned like a weight.")
    expect(len(leaves) == 2,
           f"`{name}` has modules besides its Linear and PReLU ({', '.join(types[2:])}): "
           "each layer is exactly a Linear followed by a PReLU.")
    expect(all(leaf["torch"] for leaf in leaves),
           f"`{name}` should use torch.nn.Linear and torch.nn.PReLU themselves, not subclasses.")


def test_NeuralNet(obs):
    for name in kernel.LAYER_NAMES:
        _expect_layer(name, obs["layers"][name])
    expect(obs["shared"] == 0,
           "Two NeuralNet()s share parameters: create the layers inside __init__ "
           "(self.layer1 = torch.nn.Sequential(torch.nn.Linear(...), ...)), not outside the class, "
           "so that every network has weights of its own.")
    expected = [leaf for name in kernel.LAYER_NAMES for leaf in obs["layers"][name]]
    expect(obs["leaves"] == expected,
           "NeuralNet has modules besides the three layers' Linear and PReLU (found: "
           + ", ".join(leaf["type"] for leaf in obs["leaves"]) + "): the network is nothing else.")
    out = obs["output"]
    expect(out is not None, f"NeuralNet's forward returned a {obs['output_type']}, not a tensor.")
    expect(out.shape == (64, 1),
           f"NeuralNet's forward on an (N, 1) input returned shape {tuple(out.shape)}; expected (N, 1).")
    reference = _predict(obs["state"], kernel._net_input(), "NeuralNet")
    expect(_close(out, reference),
           "NeuralNet's forward differs from passing x through layer1, then layer2, then layer_output "
           f"(more than {TOL} on some inputs): forward should return self.layer_output(self.layer2(self.layer1(x))).")


# ============================================================================ standardize
def _expect_standardized(x: torch.Tensor, result: dict, what: str) -> None:
    """standardize(x) returned (x - mean) / std with the sample std, column by column."""
    expect(result["ok"],
           f"standardize({what}) returned a {result.get('type')}"
           + (f" of length {result['len']}" if result.get("len") is not None else "")
           + ": it should return three tensors, (data_standardized, column_mu, column_sigma).")
    expect(not result["mutated"],
           f"standardize changed the tensor it was given ({what}) in place: compute new tensors instead.")
    z, mu, sigma = result["values"]
    ref_mu, ref_sigma = x.mean(dim=0), x.std(dim=0)
    expect(z.shape == x.shape,
           f"On {what} of shape {tuple(x.shape)}, data_standardized has shape {tuple(z.shape)}: "
           "it should have the shape of the data.")
    expect(mu.numel() == ref_mu.numel() and sigma.numel() == ref_sigma.numel(),
           f"On {what}, column_mu and column_sigma should hold one value per column "
           "(reduce over the rows: dim=0).")
    mu, sigma = mu.reshape(ref_mu.shape), sigma.reshape(ref_sigma.shape)
    expect(_close(mu, ref_mu), f"On {what}, column_mu is not the mean of each column: use data.mean(dim=0).")
    if _close(sigma, x.std(dim=0, correction=0)) and not _close(sigma, ref_sigma):
        raise CheckFailed(
            f"On {what}, column_sigma is the population standard deviation (dividing by N). Use "
            "torch's default, data.std(dim=0): the sample standard deviation, which divides by "
            "N - 1 (Bessel's correction).")
    expect(_close(sigma, ref_sigma),
           f"On {what}, column_sigma is not the standard deviation of each column: use torch's "
           "default data.std(dim=0) (the sample standard deviation).")
    expect(_close(z, (x - ref_mu) / ref_sigma),
           f"On {what}, data_standardized differs from (data - column_mu) / column_sigma "
           f"by more than {TOL}.")
    expect(close(z.double().mean(dim=0), torch.zeros_like(ref_mu), atol=TOL, rtol=1e-5)
           and close(z.double().std(dim=0), torch.ones_like(ref_sigma), atol=TOL, rtol=1e-5),
           f"On {what}, the columns of data_standardized do not have mean 0 and standard deviation 1.")
    expect(_close(z.double() * sigma.double() + mu.double(), x),
           f"On {what}, data_standardized * column_sigma + column_mu does not give the data back.")


def test_standardize(obs):
    for x, result, what in zip(kernel._standardize_inputs(), obs["results"], ("a 2-D tensor", "a 1-D tensor")):
        _expect_standardized(x, result, what)


# ============================================================================ unstandardize
def test_unstandardize(obs):
    for (z, mu, sigma), out, what in zip(kernel._unstandardize_inputs(), obs["outputs"],
                                         ("a 2-D tensor", "a 1-D tensor (a round trip)")):
        expect(_is_tensor(out), f"unstandardize({what}, ...) returned a {out}, not a tensor.")
        expect(out.shape == z.shape,
               f"On {what} of shape {tuple(z.shape)}, unstandardize returned shape {tuple(out.shape)}.")
        expect(_close(out, z * sigma + mu),
               f"On {what}, unstandardize differs from data_stand * column_sigma + column_mu by more "
               f"than {TOL}: multiply by the standard deviation, then add the mean.")


# ============================================================================ type_errors
def test_type_errors(obs):
    for function, argument in (("standardize", "data"), ("unstandardize", "data_stand")):
        for raised, what in zip(obs[function], ("a list", "a tuple", "a number")):
            _expect_type_error(raised, function, argument, what)


# ============================================================================ X_all
def test_X_all(obs):
    data = _course_data()
    n = len(data["x"])
    for column, raw in (("X", data["x"]), ("Y", data["y"])):
        low = column.lower()
        values = obs[f"{column}_all"]
        expect(values.numel() == n,
               f"{column}_all has {values.numel()} values, but the data has {n} rows: standardize the "
               f"whole column df['{low}'].")
        values = values.reshape(-1).double()
        other = data["Y_all" if column == "X" else "X_all"]
        expect(not _close(values, other),
               f"{column}_all holds the other column: standardize df['{low}'] for {column}_all.")
        expect(not _close(values, raw),
               f"{column}_all is the raw column df['{low}']: standardize it with your standardize function.")
        expect(_close(values, data[f"{column}_all"]),
               f"{column}_all is not the standardized df['{low}'] (in the data's row order, to within "
               f"{TOL}): {column}_all, {low}_mu, {low}_sigma = standardize(torch.tensor(df['{low}'].values)).")
        for stat in ("mu", "sigma"):
            value = obs[f"{low}_{stat}"]
            expect(value.numel() == 1 and _close(value.reshape(()).double(), data[f"{low}_{stat}"]),
                   f"{low}_{stat} is not the {'mean' if stat == 'mu' else 'standard deviation'} of "
                   f"df['{low}'] that standardize returns.")


# ============================================================================ split
def _expect_split_sizes(obs, n: int) -> tuple[int, int, int]:
    """The three parts have 70% / 15% / 15% of the n rows, X and Y alike."""
    sizes = _split_sizes(n)
    got = []
    for x_name, y_name, _ in kernel.PARTS:
        expect(len(obs[x_name]) == len(obs[y_name]),
               f"{x_name} and {y_name} have different numbers of rows: index both with the same indices.")
        got.append(len(obs[x_name]))
    if tuple(got) != sizes:
        shares = " / ".join(f"{100 * g / n:.0f}%" for g in got) if n else "?"
        raise CheckFailed(
            f"The split has {got[0]} / {got[1]} / {got[2]} rows (train / validation / test, about "
            f"{shares}); this exercise asks for 70% training, 15% validation and 15% test data: "
            f"{sizes[0]} / {sizes[1]} / {sizes[2]} rows for {n} rows, with the borders "
            "floor(0.7·N) and floor(0.85·N).")
    return sizes


def test_split(obs):
    n = len(obs["X_all"])
    expect(len(obs["Y_all"]) == n, "X_all and Y_all have different numbers of rows.")
    sizes = _expect_split_sizes(obs, n)
    table = torch.stack([obs["X_all"], obs["Y_all"]], dim=1)
    seen = torch.zeros(n, dtype=torch.long)
    indices = {}
    for x_name, y_name, label in kernel.PARTS:
        index = _match_rows(torch.stack([obs[x_name], obs[y_name]], dim=1), table)
        expect(bool((index >= 0).all()),
               f"Some rows of ({x_name}, {y_name}) are not rows of (X_all, Y_all): take {x_name} and "
               f"{y_name} from X_all and Y_all with the same {label} indices.")
        seen.index_add_(0, index, torch.ones_like(index))
        indices[label] = index
    expect(bool((seen <= 1).all()),
           "The training, validation and test parts overlap (a row of the data is in more than one "
           "part, or twice in one): cut one random order of the indices into three slices.")
    expect(bool((seen == 1).all()), "The three parts together do not hold every row of the data.")
    expect(not torch.equal(indices["training"], torch.arange(sizes[0])),
           "The training rows are the first 70% of the data in their original order: shuffle the "
           "indices first with torch.randperm(len(X_all)).")


# ============================================================================ NeuralNetData
def test_NeuralNetData(obs):
    x, y = kernel._dataset_inputs()
    expect(obs["dataset"], "NeuralNetData should inherit from torch.utils.data.Dataset.")
    expect(obs["len"] == len(x),
           "len(NeuralNetData(X, Y)) is not the number of rows of X: __len__ should return len(self.X).")
    item = obs["item"]
    expect(item["ok"], f"NeuralNetData(X, Y)[i] returned a {item.get('type')}: it should return the pair "
                       "(X[i], Y[i]) of tensors.")
    expect(item["dtypes"] == ["torch.float32", "torch.float32"],
           f"NeuralNetData(X, Y)[i] returned tensors of dtype {item['dtypes'][0]} and {item['dtypes'][1]}: "
           "return float tensors, self.X[idx].float(), self.Y[idx].float() (the network's weights are float32).")
    x_item, y_item = item["values"]
    expect(x_item.shape == x[5].shape and y_item.shape == y[5].shape,
           "NeuralNetData(X, Y)[i] should return row i of X and row i of Y (shapes "
           "(features,) and (outputs,) for 2-D data).")
    expect(_close(x_item, x[5].float()) and _close(y_item, y[5].float()),
           "NeuralNetData(X, Y)[i] does not return (X[i], Y[i]).")
    batches = obs["batches"]
    expect(all(b["ok"] for b in batches), "A DataLoader over NeuralNetData did not give (X batch, Y batch) pairs.")
    expect(len(batches) == math.ceil(len(x) / 10) and batches[0]["values"][0].shape == (10, x.shape[1]),
           "A DataLoader with batch_size=10 over NeuralNetData(X, Y) did not give batches of 10 rows.")
    expect(_close(torch.cat([b["values"][0] for b in batches]), x.float())
           and _close(torch.cat([b["values"][1] for b in batches]), y.float()),
           "A DataLoader (without shuffling) over NeuralNetData(X, Y) did not give back the rows of X and Y in order.")


# ============================================================================ train_dataloader
def test_train_dataloader(obs):
    expect(obs["batch_size"] == 100,
           f"train_dataloader's batch size is {obs['batch_size']}: the lecture uses batch_size=100.")
    expect(obs["shuffle"],
           f"train_dataloader does not shuffle (its sampler is a {obs['sampler']}): pass shuffle=True, "
           "so that every epoch sees the rows in a new order.")
    expect(obs["len"] == obs["n_X"],
           f"train_dataloader's dataset has {obs['len']} rows but X has {obs['n_X']}: build it from the "
           "training data only, NeuralNetData(X, Y).")
    for item, x_row, y_row in zip(obs["items"], obs["X"], obs["Y"]):
        expect(item["ok"] and _close(item["values"][0].reshape(-1), x_row.reshape(-1).float())
               and _close(item["values"][1].reshape(-1), y_row.reshape(-1).float()),
               "train_dataloader's dataset does not hold the training rows (X, Y) in their order: "
               "build it with NeuralNetData(X, Y).")


# ============================================================================ init_weights
def test_init_weights(obs):
    before, after = obs["before"], obs["after"]
    expected = torch.empty(4, 5)
    torch.nn.init.kaiming_uniform_(expected, nonlinearity="relu",
                                   generator=torch.Generator().manual_seed(kernel.SEED_INIT + 1))
    weight = after["weight"]
    expect(not close(weight, before["weight"], 0.0),
           "init_weights did not change the weight of a torch.nn.Linear: when isinstance(m, torch.nn.Linear), "
           "call torch.nn.init.kaiming_uniform_(m.weight, nonlinearity='relu').")
    expect(close(weight, expected, atol=1e-7, rtol=1e-5),
           "The Linear's new weights are not those of torch.nn.init.kaiming_uniform_(m.weight, "
           "nonlinearity='relu') (Kaiming/He uniform initialization, drawn from torch's random generator).")
    expect(close(after["bias"], before["bias"], 0.0),
           "init_weights changed the bias of the Linear: the lecture initializes only its weights.")
    expect(close(after["prelu"], before["prelu"], 0.0) and close(after["conv"], before["conv"], 0.0),
           "init_weights changed a module that is not a torch.nn.Linear: initialize m.weight only when "
           "isinstance(m, torch.nn.Linear).")


# ============================================================================ one_epoch
def _reference_one_epoch(loader, x_valid, y_valid, model, optim, losses, losses_valid):
    for x_batch, y_batch in loader:
        optim.zero_grad()
        model.train()
        loss = torch.nn.functional.mse_loss(model(x_batch), y_batch)
        loss.backward()
        optim.step()
        losses.append(loss.item())
    model.eval()
    with torch.no_grad():
        loss_valid = torch.nn.functional.mse_loss(model(x_valid), y_valid).item()
    losses_valid.append(loss_valid)
    return loss_valid


def _expect_epoch_calls(obs, n_batches: int) -> None:
    """One optimizer step per batch; training passes in train mode with gradients, validation
    passes in eval mode without."""
    log = obs["log"]
    expect(len(log) > 0, "one_epoch never called the model it was given (the `model` argument).")
    steps = obs["calls"].count("step")
    expect(steps == n_batches,
           f"optim.step() ran {steps} time(s) during an epoch of {n_batches} batches: stochastic gradient "
           "descent takes one step per batch, inside the loop over train_dataloader.")
    training = [entry for entry in log if entry[2] != kernel.EPOCH_VALID]
    validation = [entry for entry in log if entry[2] == kernel.EPOCH_VALID]
    expect(len(training) >= n_batches, "one_epoch did not run the model on every batch of train_dataloader.")
    expect(all(entry[0] for entry in training),
           "The model was in evaluation mode while training on a batch: call model.train() before the "
           "forward pass of each batch (validation leaves it in eval mode).")
    expect(all(entry[1] for entry in training), "Gradient tracking was off while training on a batch.")
    expect(validation, "one_epoch never ran the model on X_valid: compute the validation loss after the batches.")
    expect(not any(entry[0] for entry in validation),
           "Validation ran with the model in training mode: call model.eval() before computing the validation loss.")
    expect(not any(entry[1] for entry in validation),
           "Validation ran with gradient tracking on: compute the validation loss inside `with torch.no_grad():`.")


def test_one_epoch(obs):
    model, loader, x_valid, y_valid = kernel._epoch_setup()  # the same seeded network and data
    n_batches = len(loader)
    optim = torch.optim.SGD(model.parameters(), lr=kernel.EPOCH_LR)
    ref_losses, ref_valid = [], []
    _reference_one_epoch(loader, x_valid, y_valid, model, optim, ref_losses, ref_valid)
    _expect_epoch_calls(obs, n_batches)

    losses, losses_valid = obs["Losses"], obs["Losses_valid"]
    expect(len(losses) == n_batches,
           f"Losses has {len(losses)} entries after an epoch of {n_batches} batches: append the training "
           "loss of each batch to the Losses list you are given (one entry per batch).")
    expect(len(losses_valid) == 1,
           f"Losses_valid has {len(losses_valid)} entries after one epoch: append the validation loss "
           "once per epoch to the Losses_valid list you are given.")
    expect(all(isinstance(v, float) for v in losses + losses_valid),
           "Losses and Losses_valid should hold numbers: append loss.item(), not the loss tensor.")

    state, reference = obs["state"], model.state_dict()
    zero_grads = obs["calls"].count("zero_grad")
    expect(all(_close(state[k], reference[k]) for k in reference),
           "After one epoch the model's parameters differ from those of one SGD step per batch "
           "(zero_grad, forward, MSE loss, backward, step)"
           + (f"; optim.zero_grad() ran {zero_grads} time(s) for {n_batches} batches" if zero_grads != n_batches
              else "")
           + ": reset the gradients with optim.zero_grad() before each backward pass, otherwise they add up "
           "across batches.")
    expect(close(torch.tensor(losses), torch.tensor(ref_losses), atol=TOL, rtol=TOL),
           "The entries of Losses are not the MSE training losses of the batches, taken before each step.")
    expect(math.isclose(losses_valid[0], ref_valid[0], rel_tol=TOL, abs_tol=TOL),
           "Losses_valid's entry is not the MSE loss on (X_valid, Y_valid) after the epoch's steps.")
    returned = obs["returned"]
    expect(returned is not None,
           f"one_epoch returned {'nothing' if obs['returned_type'] == 'NoneType' else 'a ' + obs['returned_type']}: "
           "it should return the validation loss of the epoch, the number it appends to Losses_valid.")
    expect(obs["returned_type"] == "float",
           f"one_epoch returned a {obs['returned_type']}: return the validation loss as a number, "
           "loss_valid.item(), as it is appended to Losses_valid.")
    expect(math.isclose(returned, ref_valid[0], rel_tol=TOL, abs_tol=TOL),
           "one_epoch's return value is not the validation loss after the epoch's steps: return the "
           "MSE loss on (X_valid, Y_valid), the number appended to Losses_valid (not a training loss).")


# ============================================================================ one_epoch_no_globals
def test_one_epoch_no_globals(obs):
    assigned = obs["assigned"]
    expect(not assigned,
           f"one_epoch assigns to the global variable(s) {', '.join(assigned)} (a `global` statement): "
           "a function should take what it needs as arguments and give results back with return. "
           "Count the epochs in the training loop, not inside one_epoch.")
    variables = [name for name, kind in obs["read"].items() if kind in ("variable", "undefined")]
    expect(not variables,
           f"one_epoch reads the global variable(s) {', '.join(variables)}: use only its arguments "
           "(train_dataloader, X_valid, Y_valid, model, optim, Losses, Losses_valid), and modules such as torch.")


# ============================================================================ test_mse
def test_test_mse(obs):
    data = _course_data()
    n = len(data["x"])
    expected_rows = _split_sizes(n)[2]
    x_test, y_test = kernel._column(obs["X_test"]), kernel._column(obs["Y_test"])
    expect(x_test is not None and y_test is not None and len(x_test) == len(y_test),
           "X_test and Y_test should be (N, 1) tensors with the same number of rows.")
    expect(len(x_test) == expected_rows,
           f"X_test has {len(x_test)} rows; the 15% test part of the {n} rows has {expected_rows} "
           "(n - floor(0.85·n)).")
    table = torch.stack([data["X_all"], data["Y_all"]], dim=1)
    index = _match_rows(torch.stack([x_test, y_test], dim=1), table)
    expect(bool((index >= 0).all()) and len(set(index.tolist())) == len(index),
           "Some rows of (X_test, Y_test) are not rows of the standardized data (or appear twice): "
           "the test MSE must be measured on held-out rows of X_all and Y_all.")
    x_train, y_train = kernel._column(obs["X"]), kernel._column(obs["Y"])
    if x_train is not None and y_train is not None and len(x_train) == len(y_train):
        train_index = _match_rows(torch.stack([x_train, y_train], dim=1), table)
        expect(not set(index.tolist()) & set(train_index.tolist()),
               "Some test rows are also in the training data (X, Y): the test MSE must be measured on "
               "rows the network never trained on.")
    prediction = _predict(obs["state"], x_test)
    mse = float(torch.mean((prediction.reshape(-1) - y_test) ** 2))
    student = obs["test_mse"]
    expect(student is not None, "test_mse should be a number (or a one-element tensor).")
    expect(math.isclose(student, mse, rel_tol=1e-4, abs_tol=1e-6),
           "test_mse is not the MSE of neural_net on (X_test, Y_test): compute "
           "torch.nn.functional.mse_loss(neural_net(X_test), Y_test) with the trained network "
           "(in standardized units).")
    threshold = 1.5 * data["noise_floor"]
    expect(mse < threshold,
           f"The network's test MSE is {mse:.3f}, not below 1.5 × the noise variance ({threshold:.3f} in "
           "standardized units): train for more epochs, or, if the loss got stuck on a plateau, "
           "re-run training from another seed.")


# ============================================================================ regression_plot
def _is_line(trace) -> bool:
    return trace["type"] in ("scatter", "scattergl") and (trace["mode"] is None or "lines" in trace["mode"])


def _has_xy(trace) -> bool:
    return trace["x"] is not None and trace["y"] is not None and len(trace["x"]) == len(trace["y"]) > 0


def _has_data_markers(traces: list[dict], data: dict) -> bool:
    """Some markers trace holds every data point, in raw units (in any order)."""
    raw = torch.stack([data["x"], data["y"]], dim=1)
    for t in traces:
        if t["type"] in ("scatter", "scattergl") and t["mode"] and "markers" in t["mode"]:
            index = _match_rows(torch.stack([t["x"], t["y"]], dim=1), raw, tol=1e-4)
            if len(t["x"]) == len(raw) and bool((index >= 0).all()) and len(set(index.tolist())) == len(raw):
                return True
    return False


def _prediction_lines(lines: list[dict], state, data: dict) -> tuple[bool, bool, bool]:
    """(a line is the raw-unit prediction, such a line spans the data's x range, a line is the
    prediction in standardized units)."""
    low, high = float(data["x"].min()), float(data["x"].max())
    found_raw, found_range, found_standardized = False, False, False
    for t in lines:
        x, y = t["x"], t["y"]
        raw_prediction = _predict(state, (x - data["x_mu"]) / data["x_sigma"]).reshape(-1)
        raw_prediction = raw_prediction * data["y_sigma"] + data["y_mu"]
        covers = float(x.min()) <= low + 1e-3 and float(x.max()) >= high - 1e-3 and len(x) >= 50
        if _close(y, raw_prediction, 1e-4):
            found_raw = True
            found_range |= covers
        found_standardized |= _close(y, _predict(state, x).reshape(-1), 1e-4)
    return found_raw, found_range, found_standardized


def test_regression_plot(obs):
    data = _course_data()
    traces = [t for t in obs["traces"] if _has_xy(t)]
    expect(len(obs["traces"]) >= 3,
           f"fig_fit has {len(obs['traces'])} trace(s): it needs three, the data (markers), the network's "
           "prediction (a line) and the actual trend (a line).")
    expect(_has_data_markers(traces, data),
           "fig_fit has no markers trace with all the data points in raw units: unstandardize X_all and "
           "Y_all (with x_mu, x_sigma, y_mu, y_sigma) and plot them with mode='markers'.")

    def is_trend(t):
        return _close(t["x"], data["trend_x"], 1e-6) and _close(t["y"], data["trend_y"], 1e-6)

    lines = [t for t in traces if _is_line(t)]
    expect(any(is_trend(t) for t in lines),
           "fig_fit has no line with the actual trend (trend_X and trend_Y from nn_dataframe_trend.pt).")
    found_raw, found_range, found_standardized = _prediction_lines(
        [t for t in lines if not is_trend(t)], obs["state"], data)
    expect(found_raw or not found_standardized,
           "The prediction line of fig_fit is in standardized units: unstandardize line_X with x_mu, x_sigma "
           "and line_Y with y_mu, y_sigma before plotting.")
    expect(found_raw,
           "fig_fit has no line whose y values are neural_net's predictions, unstandardized, at its x "
           "values (in raw units): line_Y = unstandardize(neural_net(line_X), y_mu, y_sigma) with line_X "
           "the standardized x grid, and x = unstandardize(line_X, x_mu, x_sigma).")
    expect(found_range,
           "The prediction line of fig_fit does not span the data's x range: use "
           "torch.linspace(X_all.min(), X_all.max(), 1000) for line_X.")


# ============================================================================ keep_best
def test_keep_best(obs):
    lowest = math.inf
    for epoch, (loss, record) in enumerate(zip(kernel.BEST_LOSSES, obs["after"]), start=1):
        expect("keys" in record, f"keep_best's `best` is no longer a dict (it is a {record.get('type')}).")
        expect(record["returned"] == "NoneType" or record["keys"],
               "keep_best returned its result instead of storing it: change the dict best it is given.")
        expect(record["keys"],
               "keep_best stored nothing in the dict `best` it was given: assign best['epoch'] = ..., "
               "best['loss'] = ..., best['state'] = ... (assigning best = {...} makes a new dict the loop never sees).")
        if loss < lowest:
            lowest, lowest_epoch = loss, epoch
        expect(record["epoch"] == lowest_epoch and record["loss"] is not None
               and math.isclose(record["loss"], lowest, abs_tol=1e-12),
               "After an epoch, best['epoch'] and best['loss'] are not the epoch and the value of the lowest "
               "validation loss so far: update them only when Losses_valid[-1] is lower than best['loss'] "
               "(and always in the first epoch).")
    state = obs["final"]["state"]
    expect(isinstance(state, dict) and state,
           f"best['state'] is a {state if isinstance(state, str) else 'dict without tensors'}: store "
           "copy.deepcopy(model.state_dict()), the model's parameters by name.")
    model = kernel._best_model()
    expected = final = None
    for epoch in range(1, len(kernel.BEST_LOSSES) + 1):
        if epoch == lowest_epoch:
            expected = {k: v.detach().clone() for k, v in model.state_dict().items()}
        kernel._best_step(model, epoch)
    final = model.state_dict()
    expect(set(state) == set(expected),
           "best['state'] does not hold the model's parameters by name: store copy.deepcopy(model.state_dict()).")
    if all(close(state[k], final[k], atol=1e-6) for k in final):
        raise CheckFailed("best['state'] holds the model's latest parameters, not those of the best epoch: "
                          "model.state_dict() gives the model's own tensors, which every optimizer step changes; "
                          "store a copy, copy.deepcopy(model.state_dict()).")
    expect(all(close(state[k], expected[k], atol=1e-6) for k in expected),
           "best['state'] does not hold the parameters the model had at the best epoch: store "
           "copy.deepcopy(model.state_dict()) when you store that epoch.")


# ============================================================================ best_state
def test_best_state(obs):
    losses = obs["Losses_valid"]
    expect(losses and all(isinstance(v, float) for v in losses),
           "Losses_valid should hold the validation loss of every epoch, as numbers.")
    lowest = min(losses)
    best_epoch = losses.index(lowest) + 1
    expect(obs["best_epoch"] == best_epoch,
           "best_epoch is not the epoch of the lowest validation loss in Losses_valid (epochs count from 1): "
           "check keep_best.")
    x_valid, y_valid = kernel._column(obs["X_valid"]), kernel._column(obs["Y_valid"])
    expect(x_valid is not None and y_valid is not None, "X_valid and Y_valid should be (N, 1) tensors.")
    prediction = _predict(obs["best_state"], x_valid, "best_state").reshape(-1)
    mse = float(torch.mean((prediction.float() - y_valid.float()) ** 2))
    expect(math.isclose(mse, lowest, rel_tol=1e-4, abs_tol=1e-6),
           "The validation loss of best_state is not the lowest entry of Losses_valid: keep_best should store "
           "a copy of the parameters (copy.deepcopy(model.state_dict())) in the epoch it records.")
    state = obs["state"]
    expect(set(state) == set(obs["best_state"])
           and all(close(state[k], obs["best_state"][k], atol=0.0) for k in state),
           "neural_net does not hold best_state: load it with neural_net.load_state_dict(best_state) before "
           "the test MSE.")


# ============================================================================ baseline_mse
BASELINE_TOL = 1e-3  # relative: "to within 0.1%" in the notebook


def _line_mse(x_fit, y_fit, x, y) -> float:
    """The MSE on (x, y) of the least-squares line fitted on (x_fit, y_fit), in float64."""
    design = torch.stack([x_fit, torch.ones_like(x_fit)], dim=1)
    coefficients = torch.linalg.lstsq(design, y_fit.unsqueeze(1)).solution.reshape(-1)
    return float(torch.mean((x * coefficients[0] + coefficients[1] - y) ** 2))


def test_baseline_mse(obs):
    columns = {name: kernel._column(obs[name]) for name in ("X", "Y", "X_test", "Y_test")}
    expect(all(v is not None for v in columns.values())
           and len(columns["X"]) == len(columns["Y"]) > 1 and len(columns["X_test"]) == len(columns["Y_test"]) > 0,
           "X, Y, X_test and Y_test should be (N, 1) tensors, X as many rows as Y, X_test as Y_test.")
    x, y, x_test, y_test = (columns[n] for n in ("X", "Y", "X_test", "Y_test"))
    student = obs["baseline_mse"]
    expect(student is not None, "baseline_mse should be a number (or a one-element tensor).")
    expected = _line_mse(x, y, x_test, y_test)

    def near(value: float) -> bool:
        return math.isclose(student, value, rel_tol=BASELINE_TOL)

    if near(expected):
        return
    data = _course_data()
    y_var = float(data["y_sigma"]) ** 2
    if near(expected * y_var):
        raise CheckFailed("baseline_mse is in the data's original units (the MSE times the variance of y): "
                          "compute it on the standardized X_test, Y_test, like the network's test MSE.")
    if near(_line_mse(x_test, y_test, x_test, y_test)):
        raise CheckFailed("baseline_mse is the MSE of a line fitted on the test data: fit the line on the "
                          "training data X, Y only, then measure it on X_test, Y_test.")
    if near(float(torch.mean((y_test - y.mean()) ** 2))) or near(float(torch.mean((y_test - y_test.mean()) ** 2))):
        raise CheckFailed("baseline_mse is the MSE of a constant prediction (the mean of y): fit a straight line "
                          "a·x + b, e.g. with torch.linalg.lstsq on the columns x and 1.")
    if near(_line_mse(x, y, x, y)):
        raise CheckFailed("baseline_mse is the line's MSE on the training data: measure it on X_test, Y_test.")
    raise CheckFailed("baseline_mse is not the test MSE of the least-squares line fitted on X, Y (to within 0.1%): "
                      "fit y ≈ a·x + b on the training data (torch.linalg.lstsq, or a Linear(1, 1) trained until "
                      "it stops improving) and compute its MSE on (X_test, Y_test) in standardized units.")

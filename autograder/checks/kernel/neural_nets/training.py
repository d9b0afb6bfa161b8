"""Kernel side of the hidden checks of neural_nets/03_training.ipynb (train the lecture's network
with stochastic gradient descent on the regression data): the observers, run in the student's
kernel, and the hidden inputs they call the student's code on. No reference, no verdict: those are
in ``autograder/checks/grader/neural_nets/training.py``.

Every observer that creates modules, iterates a DataLoader or calls student code that may draw
random numbers does so inside ``torch.random.fork_rng``: the notebook's global random state (its
split and its training run) is the same whether or not the hidden checks ran in between.
"""

from __future__ import annotations

import torch

from autograder.checks.kernel.api import call, expect, global_names, need, plain, stored_globals

LAYER_NAMES = ("layer1", "layer2", "layer_output")  # the attributes the notebook asks NeuralNet for

SEED_NET = 30_101
SEED_STANDARDIZE = 30_102
SEED_UNSTANDARDIZE = 30_103
SEED_DATASET = 30_104
SEED_INIT = 30_105
SEED_EPOCH = 30_106

# one_epoch is watched on this many rows, in batches of this size (4 batches: 16, 16, 16, 12)
EPOCH_TRAIN, EPOCH_BATCH, EPOCH_VALID, EPOCH_LR = 60, 16, 23, 0.05


# ============================================================================ reading student objects
def _describe(module: torch.nn.Module) -> dict:
    """A leaf module as plain data: its class, whether that class is torch.nn's own class of that
    name (not a subclass or a look-alike), and its shape when it is a Linear."""
    cls = type(module)
    info = {"type": cls.__name__, "torch": getattr(torch.nn, cls.__name__, None) is cls}
    if isinstance(module, torch.nn.Linear):
        info["in"], info["out"] = int(module.in_features), int(module.out_features)
    return info


def _leaves(module: torch.nn.Module) -> list[dict]:
    """The modules without children, in order (a module used twice is listed twice)."""
    return [_describe(m) for _, m in module.named_modules(remove_duplicate=False)
            if not list(m.children())]


def _number(value):
    """A Python float for a number or a one-element tensor, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        return float(value.detach().reshape(()).item())
    return None


def _raised(function, *args) -> str:
    """The name of the exception `function(*args)` raises, or "nothing"."""
    try:
        function(*args)
    # We want to know which exception student code raises, whatever it is.
    except Exception as err:  # noqa: BLE001
        return type(err).__name__
    return "nothing"


def _is_tensor(value) -> bool:
    return isinstance(value, torch.Tensor)


def _column(value) -> torch.Tensor | None:
    """A (n,) or (n, 1) tensor as a float64 vector, else None."""
    if not _is_tensor(value) or value.dim() not in (1, 2) or (value.dim() == 2 and value.shape[1] != 1):
        return None
    return value.detach().reshape(-1).double()


def _triple(out) -> dict:
    """A returned (a, b, c) as plain data, or a description of what came back instead."""
    if isinstance(out, (tuple, list)) and len(out) == 3 and all(_is_tensor(v) for v in out):
        return {"ok": True, "values": [plain(v) for v in out]}
    length = len(out) if isinstance(out, (tuple, list)) else None
    return {"ok": False, "type": type(out).__name__, "len": length}


def _pair(item) -> dict:
    """A returned (x, y) as plain data, or the type of what came back instead."""
    if isinstance(item, (tuple, list)) and len(item) == 2 and all(_is_tensor(v) for v in item):
        return {"ok": True, "values": [plain(v) for v in item], "dtypes": [str(v.dtype) for v in item]}
    return {"ok": False, "type": type(item).__name__}


def _floats(values):
    """A plotly trace's coordinates as a float64 vector, or None when they are not numbers."""
    if values is None:
        return None
    try:
        return torch.tensor([float(v) for v in values], dtype=torch.float64)
    except (TypeError, ValueError):
        return None


# ============================================================================ NeuralNet
def _net_input() -> torch.Tensor:
    """The hidden inputs of NeuralNet's forward: 64 rows in [-3, 3]."""
    return torch.rand(64, 1, generator=torch.Generator().manual_seed(SEED_NET)) * 6 - 3


def observe_NeuralNet(ns):
    cls = need(ns, "NeuralNet", type, "the class NeuralNet")
    expect(issubclass(cls, torch.nn.Module),
           "`NeuralNet` should inherit from torch.nn.Module: class NeuralNet(torch.nn.Module).")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(SEED_NET)
        net = call("NeuralNet", cls)
        other = call("NeuralNet", cls)
    expect(isinstance(net, torch.nn.Module) and isinstance(other, torch.nn.Module),
           "NeuralNet() did not create a torch.nn.Module.")
    shared = len({id(p) for p in net.parameters()} & {id(p) for p in other.parameters()})
    layers = {}
    for name in LAYER_NAMES:
        sub = getattr(net, name, None)
        layers[name] = _leaves(sub) if isinstance(sub, torch.nn.Module) else None
    x = _net_input()
    generator = torch.Generator().manual_seed(SEED_NET + 1)
    with torch.no_grad():
        # Parameters of our choosing (every slope and weight different), so the forward pass is
        # tested on more than the default initialization.
        for parameter in net.parameters():
            parameter.copy_(torch.rand(parameter.shape, generator=generator) * 1.6 - 0.8)
        with torch.random.fork_rng(devices=[]):
            out = call("NeuralNet's forward", net, x)
    return {"leaves": _leaves(net), "layers": layers, "state": plain(net.state_dict()), "shared": shared,
            "output": plain(out) if _is_tensor(out) else None, "output_type": type(out).__name__}


# ============================================================================ standardize, unstandardize
def _standardize_inputs() -> list[torch.Tensor]:
    generator = torch.Generator().manual_seed(SEED_STANDARDIZE)
    scale = torch.tensor([0.5, 3.0, 20.0], dtype=torch.float64)
    shift = torch.tensor([-2.0, 5.0, 100.0], dtype=torch.float64)
    two_d = torch.randn(60, 3, generator=generator, dtype=torch.float64) * scale + shift
    one_d = torch.rand(45, generator=generator, dtype=torch.float64) * 8 - 1
    return [two_d, one_d]


def observe_standardize(ns):
    standardize = need(ns, "standardize", what="the function standardize")
    expect(callable(standardize), "`standardize` should be a function.")
    results = []
    for x in _standardize_inputs():
        given = x.clone()
        with torch.random.fork_rng(devices=[]):
            result = _triple(call("standardize", standardize, given))
        result["mutated"] = not torch.equal(given, x)
        results.append(result)
    return {"results": results}


def _unstandardize_inputs() -> list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
    """(data_stand, column_mu, column_sigma) twice: random 2-D values, then 1-D data standardized
    with its own mean and standard deviation (so that unstandardize should give that data back)."""
    generator = torch.Generator().manual_seed(SEED_UNSTANDARDIZE)
    f64 = torch.float64
    two_d = (torch.randn(50, 3, generator=generator, dtype=f64),
             torch.randn(3, generator=generator, dtype=f64) * 10,
             torch.rand(3, generator=generator, dtype=f64) * 5 + 0.5)
    x = torch.rand(45, generator=generator, dtype=f64) * 8 - 1  # a round trip on 1-D data
    mu, sigma = x.mean(dim=0), x.std(dim=0)
    return [two_d, ((x - mu) / sigma, mu, sigma)]


def observe_unstandardize(ns):
    unstandardize = need(ns, "unstandardize", what="the function unstandardize")
    expect(callable(unstandardize), "`unstandardize` should be a function.")
    outputs = []
    for args in _unstandardize_inputs():
        with torch.random.fork_rng(devices=[]):
            out = call("unstandardize", unstandardize, *(a.clone() for a in args))
        outputs.append(plain(out) if _is_tensor(out) else type(out).__name__)
    return {"outputs": outputs}


NON_TENSORS = ([[1.0, 2.0], [3.0, 4.0]], (0.5, 1.5, 2.5), 3.0)  # a list, a tuple, a number


def observe_type_errors(ns):
    """What standardize and unstandardize raise on data that is not a tensor."""
    mu, sigma = torch.tensor(0.0), torch.tensor(1.0)
    obs = {}
    for name, extra in (("standardize", ()), ("unstandardize", (mu, sigma))):
        function = need(ns, name, what=f"the function {name}")
        expect(callable(function), f"`{name}` should be a function.")
        with torch.random.fork_rng(devices=[]):
            obs[name] = [_raised(function, value, *extra) for value in NON_TENSORS]
    return obs


# ============================================================================ X_all, split
STANDARDIZED_NAMES = ("X_all", "x_mu", "x_sigma", "Y_all", "y_mu", "y_sigma")
PARTS = (("X", "Y", "training"), ("X_valid", "Y_valid", "validation"), ("X_test", "Y_test", "test"))


def observe_X_all(ns):
    return {name: plain(need(ns, name, torch.Tensor)) for name in STANDARDIZED_NAMES}


def observe_split(ns):
    obs = {}
    for name in ("X_all", "Y_all") + tuple(n for pair in PARTS for n in pair[:2]):
        value = need(ns, name, torch.Tensor)
        column = _column(value)
        expect(column is not None,
               f"`{name}` has shape {tuple(value.shape)}: it should hold one value per row, "
               "shape (N,) (or (N, 1) after the unsqueeze).")
        obs[name] = plain(column)
    return obs


# ============================================================================ NeuralNetData, train_dataloader
def _dataset_inputs() -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(SEED_DATASET)
    return (torch.randn(37, 2, generator=generator, dtype=torch.float64),
            torch.randn(37, 1, generator=generator, dtype=torch.float64))


def observe_NeuralNetData(ns):
    from torch.utils.data import DataLoader, Dataset

    cls = need(ns, "NeuralNetData", type, "the class NeuralNetData")
    x, y = _dataset_inputs()
    with torch.random.fork_rng(devices=[]):
        dataset = call("NeuralNetData", cls, x.clone(), y.clone())
        length = call("len(NeuralNetData(...))", len, dataset)
        item = _pair(call("NeuralNetData(...)[i]", lambda: dataset[5]))
        loader = DataLoader(dataset, batch_size=10, shuffle=False)
        batches = call("a DataLoader over NeuralNetData", lambda: [_pair(b) for b in loader])
    return {"dataset": isinstance(dataset, Dataset), "len": length, "item": item, "batches": batches}


def observe_train_dataloader(ns):
    from torch.utils.data import DataLoader, RandomSampler

    loader = need(ns, "train_dataloader", DataLoader)
    x, y = need(ns, "X", torch.Tensor), need(ns, "Y", torch.Tensor)
    with torch.random.fork_rng(devices=[]):
        length = call("len(train_dataloader.dataset)", len, loader.dataset)
        items = call("train_dataloader.dataset[i]", lambda: [_pair(loader.dataset[i]) for i in range(3)])
    return {"batch_size": loader.batch_size, "shuffle": isinstance(loader.sampler, RandomSampler),
            "sampler": type(loader.sampler).__name__, "len": length, "n_X": len(x),
            "items": items, "X": plain(x[:3]), "Y": plain(y[:3])}


# ============================================================================ init_weights
def observe_init_weights(ns):
    init_weights = need(ns, "init_weights", what="the function init_weights")
    expect(callable(init_weights), "`init_weights` should be a function.")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(SEED_INIT)
        linear, prelu, conv = torch.nn.Linear(5, 4), torch.nn.PReLU(), torch.nn.Conv1d(2, 3, 3)
        before = {"bias": plain(linear.bias), "weight": plain(linear.weight),
                  "prelu": plain(prelu.weight), "conv": plain(conv.weight)}
        model = torch.nn.Sequential(linear, prelu, conv)
        # The Linear is the first module apply() visits: its weights are drawn right after this seed.
        torch.manual_seed(SEED_INIT + 1)
        call("init_weights", model.apply, init_weights)
    after = {"bias": plain(linear.bias), "weight": plain(linear.weight),
             "prelu": plain(prelu.weight), "conv": plain(conv.weight)}
    return {"before": before, "after": after}


# ============================================================================ one_epoch
def _epoch_setup():
    """A small seeded network, a DataLoader of 4 batches in a fixed order, and validation data: the
    grader builds the same ones. The network is deliberately not the lecture's NeuralNet (one_epoch
    must train whatever model it is given, and the kernel must not hold an answer)."""
    from torch.utils.data import DataLoader, TensorDataset

    generator = torch.Generator().manual_seed(SEED_EPOCH)
    with torch.random.fork_rng(devices=[]):
        model = torch.nn.Sequential(torch.nn.Linear(1, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1))
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.copy_(torch.rand(parameter.shape, generator=generator) * 1.6 - 0.8)
    x = torch.rand(EPOCH_TRAIN, 1, generator=generator) * 4 - 2
    y = x.abs() - 0.5 + 0.1 * torch.randn(EPOCH_TRAIN, 1, generator=generator)
    x_valid = torch.rand(EPOCH_VALID, 1, generator=generator) * 4 - 2
    y_valid = x_valid.abs() - 0.5 + 0.1 * torch.randn(EPOCH_VALID, 1, generator=generator)
    loader = DataLoader(TensorDataset(x, y), batch_size=EPOCH_BATCH, shuffle=False)
    return model, loader, x_valid, y_valid


def _loss_entries(values) -> list:
    """Loss lists as plain data: numbers as floats, anything else described by its type."""
    out = []
    for value in values:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            out.append(float(value))
        elif _is_tensor(value):
            out.append({"tensor": plain(value)})
        else:
            out.append({"type": type(value).__name__})
    return out


class _CountingSGD(torch.optim.SGD):
    """SGD that records the order of its step and zero_grad calls."""

    def __init__(self, params, lr):
        super().__init__(params, lr=lr)
        self.calls = []

    def step(self, closure=None):
        self.calls.append("step")
        return super().step(closure)

    def zero_grad(self, set_to_none=True):
        self.calls.append("zero_grad")
        return super().zero_grad(set_to_none=set_to_none)


class _Watched(torch.nn.Module):
    """The network, recording (training mode, gradients on, rows) at each forward pass."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner
        self.log = []

    def forward(self, x):
        rows = int(x.shape[0]) if _is_tensor(x) and x.dim() > 0 else -1
        self.log.append([bool(self.training), bool(torch.is_grad_enabled()), rows])
        return self.inner(x)


def _on_a_copy_of_the_globals(function, ns):
    """`function` (a plain Python function) with globals of its own, a shallow copy of the
    notebook's: a `global` assignment inside it then changes the copy, not the notebook."""
    import types

    if not isinstance(function, types.FunctionType):
        return function
    copy = types.FunctionType(function.__code__, dict(function.__globals__), function.__name__,
                              function.__defaults__, function.__closure__)
    copy.__kwdefaults__ = function.__kwdefaults__
    return copy


def observe_one_epoch(ns):
    one_epoch = need(ns, "one_epoch", what="the function one_epoch")
    expect(callable(one_epoch), "`one_epoch` should be a function.")
    one_epoch = _on_a_copy_of_the_globals(one_epoch, ns)
    inner, loader, x_valid, y_valid = _epoch_setup()
    model = _Watched(inner)
    model.eval()  # as after the previous epoch's validation: one_epoch must switch to training itself
    optim = _CountingSGD(model.parameters(), lr=EPOCH_LR)
    losses, losses_valid = [], []
    with torch.random.fork_rng(devices=[]), torch.enable_grad():
        returned = call("one_epoch", one_epoch, loader, x_valid, y_valid, model, optim, losses, losses_valid)
    return {"log": model.log, "calls": list(optim.calls), "state": plain(inner.state_dict()),
            "Losses": _loss_entries(losses), "Losses_valid": _loss_entries(losses_valid),
            "returned": _number(returned), "returned_type": type(returned).__name__}


def _kind(name: str, ns: dict) -> str:
    """What a global name of the notebook is: a module, function or class (tools), a built-in, a
    variable, or nothing yet."""
    import builtins
    import types

    if name in ns:
        value = ns[name]
        return "tool" if isinstance(value, (types.ModuleType, types.FunctionType, type)) else "variable"
    return "builtin" if hasattr(builtins, name) else "undefined"


def observe_one_epoch_no_globals(ns):
    one_epoch = need(ns, "one_epoch", what="the function one_epoch")
    expect(callable(one_epoch) and hasattr(one_epoch, "__code__"), "`one_epoch` should be a function (def one_epoch...).")
    return {"assigned": sorted(stored_globals(one_epoch)),
            "read": {name: _kind(name, ns) for name in sorted(global_names(one_epoch))}}


# ============================================================================ test_mse, regression_plot
def observe_test_mse(ns):
    net = need(ns, "neural_net", torch.nn.Module)
    obs = {"state": plain(net.state_dict())}
    for name in ("X_test", "Y_test", "X", "Y"):
        obs[name] = plain(need(ns, name, torch.Tensor))
    value = need(ns, "test_mse", (torch.Tensor, float, int))
    obs["test_mse"] = _number(value)
    return obs


def observe_regression_plot(ns):
    fig = need(ns, "fig_fit", what="the figure of the regression line")
    expect(type(fig).__name__ in ("Figure", "FigureWidget") and type(fig).__module__.startswith("plotly"),
           f"`fig_fit` should be a plotly go.Figure, but it is a {type(fig).__name__}.")
    traces = []
    for trace in fig.data:
        traces.append({"type": str(trace.type), "mode": getattr(trace, "mode", None),
                       "x": _floats(getattr(trace, "x", None)), "y": _floats(getattr(trace, "y", None))})
    net = need(ns, "neural_net", torch.nn.Module)
    return {"traces": traces, "state": plain(net.state_dict())}


# ============================================================================ keep_best, best_state
SEED_BEST = 30_107
# the validation losses keep_best is called with, epoch by epoch (no two equal: no ties to decide)
BEST_LOSSES = (0.93, 0.71, 0.78, 0.52, 0.61, 0.49, 0.55, 0.58)


def _best_model() -> torch.nn.Module:
    generator = torch.Generator().manual_seed(SEED_BEST)
    with torch.random.fork_rng(devices=[]):
        model = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Tanh(), torch.nn.Linear(2, 1))
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.copy_(torch.rand(parameter.shape, generator=generator) - 0.5)
    return model


def _best_step(model: torch.nn.Module, epoch: int) -> None:
    """What an optimizer step does to the parameters between two calls: change them in place."""
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.add_(0.1 * epoch)


def _record(best) -> dict:
    if not isinstance(best, dict):
        return {"type": type(best).__name__}
    state = best.get("state")
    return {"keys": sorted(str(k) for k in best), "epoch": _number(best.get("epoch")),
            "loss": _number(best.get("loss")),
            "state": ({str(k): plain(v) for k, v in state.items() if _is_tensor(v)} if isinstance(state, dict)
                      else type(state).__name__)}


def observe_keep_best(ns):
    keep_best = need(ns, "keep_best", what="the function keep_best")
    expect(callable(keep_best), "`keep_best` should be a function.")
    model, best, losses_valid, after = _best_model(), {}, [], []
    for epoch, loss in enumerate(BEST_LOSSES, start=1):
        losses_valid.append(loss)
        with torch.random.fork_rng(devices=[]):
            returned = call("keep_best", keep_best, model, epoch, list(losses_valid), best)
        record = _record(best)
        record.pop("state")
        record["returned"] = type(returned).__name__
        after.append(record)
        _best_step(model, epoch)
    return {"after": after, "final": _record(best)}


def observe_best_state(ns):
    losses_valid = need(ns, "Losses_valid", list)
    state = need(ns, "best_state", dict, "the cell that loads the best model")
    net = need(ns, "neural_net", torch.nn.Module)
    return {"Losses_valid": _loss_entries(losses_valid), "best_epoch": _number(need(ns, "best_epoch")),
            "best_state": {str(k): plain(v) for k, v in state.items() if _is_tensor(v)},
            "state": plain(net.state_dict()),
            "X_valid": plain(need(ns, "X_valid", torch.Tensor)), "Y_valid": plain(need(ns, "Y_valid", torch.Tensor))}


# ============================================================================ baseline_mse
def observe_baseline_mse(ns):
    obs = {name: plain(need(ns, name, torch.Tensor)) for name in ("X", "Y", "X_test", "Y_test")}
    value = need(ns, "baseline_mse", (torch.Tensor, float, int))
    obs["baseline_mse"] = _number(value)
    return obs

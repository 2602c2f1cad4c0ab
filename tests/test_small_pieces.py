"""Small torch names that course programs call: compile (eager), testing.assert_close, parameters_to_vector /
vector_to_parameters, utils.checkpoint. Each against torch 2.13 on the same inputs and weights."""
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest
import torch

import ember
from ember.nn.utils import parameters_to_vector, vector_to_parameters
from ember.utils.checkpoint import checkpoint, checkpoint_sequential

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def mlp(lib, seed=0):
    """The same small MLP in ember and in torch: torch's initial weights, copied into ember's."""
    torch.manual_seed(seed)
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 8), torch.nn.ReLU(),
                                 torch.nn.Linear(8, 3))
    if lib is torch:
        return theirs
    ours = ember.nn.Sequential(ember.nn.Linear(4, 8), ember.nn.Tanh(), ember.nn.Linear(8, 8), ember.nn.ReLU(),
                               ember.nn.Linear(8, 3))
    with ember.no_grad():
        for p, q in zip(ours.parameters(), theirs.parameters()):
            p.copy_(ember.tensor(q.detach().numpy()))
    return ours


X = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)


def close(ours, theirs):
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-6, atol=1e-6)


# ---------------------------------------------------------------------------------------------------- compile
def test_compile_gives_the_eager_results_in_every_form():
    model = mlp(ember)
    x = ember.tensor(X)
    eager = model(x)
    assert ember.compile(model) is model
    close(ember.compile(model, mode="max-autotune")(x), eager)

    def f(a):
        return (a * 2).sin()

    @ember.compile
    def g(a):
        return (a * 2).sin()

    @ember.compile(mode="reduce-overhead", fullgraph=True, dynamic=False)
    def h(a):
        return (a * 2).sin()

    for compiled in (ember.compile(f), g, h, ember.compile(backend="eager")(f)):
        close(compiled(x), f(x))


@pytest.mark.parametrize("call", [
    lambda c: c(3),
    lambda c: c(lambda x: x, mode="max-autotune", options={}),
    lambda c: c(lambda x: x, mode="no-such-mode"),
    lambda c: c(lambda x: x, backend="no-such-backend"),
    lambda c: c()(None),
])
def test_compile_refuses_what_torch_refuses(call):
    with pytest.raises(Exception) as theirs:
        call(torch.compile)
    with pytest.raises(Exception) as ours:
        call(ember.compile)
    # torch's InvalidBackend is one of dynamo's RuntimeErrors; ember, without dynamo, raises the RuntimeError
    assert type(ours.value) is (RuntimeError if isinstance(theirs.value, RuntimeError) else type(theirs.value))
    assert str(ours.value) == str(theirs.value)


def test_a_training_step_through_a_compiled_model_equals_torchs_eager_step():
    results = {}
    for lib in (ember, torch):
        model = ember.compile(mlp(lib)) if lib is ember else mlp(lib)  # (torch eager: no C++ build in the tests)
        opt = lib.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        for _ in range(2):
            loss = (model(lib.tensor(X)) ** 2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
        results[lib] = [loss] + list(model.parameters())
    for ours, theirs in zip(results[ember], results[torch]):
        close(ours, theirs)


def test_compiler_helpers():
    def f(x):
        return x
    assert ember.compiler.disable(f) is f and ember.compiler.disable()(f) is f
    assert ember.compiler.is_compiling() is torch.compiler.is_compiling() is False


# ------------------------------------------------------------------------------------------------ assert_close
def T(lib, values, dtype=None):
    return lib.tensor(values, dtype=getattr(lib, dtype) if dtype else None)


NAN, INF = float("nan"), float("inf")
CASES = {  # name: (inputs made with lib, keyword arguments)
    "float32 one off": (lambda L: (T(L, [1., 2., 3.]), T(L, [1., 2.1, 3.])), {}),
    "float32 within default tolerance": (lambda L: (T(L, [1., 2., 3.]), T(L, [1., 2. + 1e-6, 3.])), {}),
    "float32 just outside": (lambda L: (T(L, [100., 2.]), T(L, [100.001, 2.])), {}),
    "float64 2-d": (lambda L: (T(L, [[1., 2.], [3., 4.]], "float64"), T(L, [[1., 2.], [3., 4.5]], "float64")), {}),
    "float64 within": (lambda L: (T(L, [1., 2.], "float64"), T(L, [1., 2. + 1e-8], "float64")), {}),
    "expected zero": (lambda L: (T(L, [1., 2., 0.]), T(L, [1.5, 2., 1.])), {}),
    "exact asked": (lambda L: (T(L, [1., 2., 3.]), T(L, [1., 2.1, 3.])), dict(rtol=0, atol=0)),
    "loose rtol": (lambda L: (T(L, [1., 2., 3.]), T(L, [1., 2.1, 3.])), dict(rtol=0.1, atol=0)),
    "rtol alone": (lambda L: (T(L, [1., 2., 3.]), T(L, [1., 2.1, 3.])), dict(rtol=0.1)),
    "atol alone": (lambda L: (T(L, [1.]), T(L, [1.])), dict(atol=0.1)),
    "nan": (lambda L: (T(L, [1., NAN]), T(L, [1., NAN])), {}),
    "nan equal_nan": (lambda L: (T(L, [1., NAN]), T(L, [1., NAN])), dict(equal_nan=True)),
    "nan against number": (lambda L: (T(L, [1., NAN, 3.]), T(L, [1., 2., 4.])), {}),
    "inf": (lambda L: (T(L, [1., INF]), T(L, [1., INF])), {}),
    "inf against -inf": (lambda L: (T(L, [1., INF]), T(L, [1., -INF])), {}),
    "int64": (lambda L: (T(L, [1, 2, 3]), T(L, [1, 2, 4])), {}),
    "int64 with zeros": (lambda L: (T(L, [0, 5, 3]), T(L, [0, 2, 0])), {}),
    "bool tensors": (lambda L: (T(L, [True, False]), T(L, [True, True])), {}),
    "float16": (lambda L: (T(L, [1., 2.], "float16"), T(L, [1., 2.001], "float16")), {}),
    "float16 off": (lambda L: (T(L, [1., 2.], "float16"), T(L, [1., 2.01], "float16")), {}),
    "shape": (lambda L: (T(L, [1., 2.]), T(L, [1., 2., 3.])), {}),
    "dtype": (lambda L: (T(L, [1., 2.]), T(L, [1., 2.], "float64")), {}),
    "dtype unchecked": (lambda L: (T(L, [1., 2.]), T(L, [1., 2.001], "float64")), dict(check_dtype=False)),
    "stride": (lambda L: (T(L, [[1., 2.], [3., 4.]]), T(L, [[1., 3.], [2., 4.]]).t()), dict(check_stride=True)),
    "a match differs more": (lambda L: (T(L, [1000., 0.]), T(L, [1000.001, 2e-5])), {}),  # greatest: mismatches only
    "a match differs more, relatively": (lambda L: (T(L, [1e-6, 5.]), T(L, [2e-6, 5.1])), {}),
    "0-d": (lambda L: (T(L, 1.5), T(L, 1.0)), {}),
    "2-d rows": (lambda L: (T(L, [[0., 5., 3.]] * 2), T(L, [[0., 2., 0.]] * 2)), {}),
    "floats close": (lambda L: (1.0, 1.0 + 1e-8), {}),
    "floats": (lambda L: (1.0, 1.1), {}),
    "ints": (lambda L: (1, 2), {}),
    "int and float": (lambda L: (1, 1.0), {}),
    "int and float unchecked": (lambda L: (1, 1.0), dict(check_dtype=False)),
    "numpy scalars": (lambda L: (np.float32(1.0), np.float32(1.1)), {}),
    "None": (lambda L: (None, 1), {}),
    "both None": (lambda L: (None, None), {}),
    "bools": (lambda L: (True, False), {}),
    "strings": (lambda L: ("a", "a"), {}),
    "tensor and number": (lambda L: (T(L, [1.]), 1.0), {}),
    "tensor and array": (lambda L: (T(L, [1.]), np.array([1.0], dtype=np.float32)), {}),
    "arrays": (lambda L: (np.array([1.0, 2.0]), np.array([1.0, 2.5])), {}),
    "list of tensors": (lambda L: ([T(L, [1.]), T(L, [2.])], [T(L, [1.]), T(L, [2.5])]), {}),
    "list of tensors, msg": (lambda L: ([T(L, [1.]), T(L, [2.])], [T(L, [1.]), T(L, [2.5])]), dict(msg="mine")),
    "list, callable msg": (lambda L: ([T(L, [1.])], [T(L, [1.5])]), dict(msg=lambda m: "prefix: " + m)),
    "lengths": (lambda L: ([T(L, [1.])], [T(L, [1.]), T(L, [2.5])]), {}),
    "lists of numbers": (lambda L: ([1.0, (2.0, 3.0)], [1.0, (2.0, 3.5)]), {}),
    "nested dict": (lambda L: ({"a": T(L, [1.]), "b": [1.0, 2.0]}, {"a": T(L, [1.]), "b": [1.0, 2.5]}), {}),
    "dict keys": (lambda L: ({"a": 1, "c": 2}, {"b": 1, "c": 2}), {}),
    "parameter and tensor": (lambda L: (L.nn.Parameter(T(L, [1.])), T(L, [1.])), {}),
    "no subclasses": (lambda L: (L.nn.Parameter(T(L, [1.])), T(L, [1.])), dict(allow_subclasses=False)),
    "requires grad": (lambda L: (T(L, [1.]).requires_grad_(), T(L, [1.1])), {}),
}


def outcome(lib, make, kwargs):
    try:
        lib.testing.assert_close(*make(lib), **kwargs)
    except Exception as error:  # noqa: BLE001 (the type and words are what is compared)
        return type(error), str(error).replace("ember.", "torch.")
    return None


@pytest.mark.parametrize("name", CASES)
def test_assert_close_passes_and_fails_where_torchs_does_with_its_message(name):
    make, kwargs = CASES[name]
    theirs, ours = outcome(torch, make, kwargs), outcome(ember, make, kwargs)
    assert ours == theirs


def test_assert_close_message_layout():
    with pytest.raises(AssertionError) as error:
        # float64, so that the differences print short (in float32 0.2 is 0.20000000298023224)
        a, b = ember.tensor([1., 2., 3.], dtype=ember.float64), ember.tensor([1., 2.5, 3.], dtype=ember.float64)
        ember.testing.assert_close(a, b, rtol=1.3e-6, atol=1e-5)
    assert str(error.value) == ("Tensor-likes are not close!\n\nMismatched elements: 1 / 3 (33.3%)\n"
                                "Greatest absolute difference: 0.5 at index (1,) (up to 1e-05 allowed)\n"
                                "Greatest relative difference: 0.2 at index (1,) (up to 1.3e-06 allowed)")


# ------------------------------------------------------------------------------------ parameters as a vector
def test_parameters_to_vector_and_back_equal_torchs():
    ours, theirs = mlp(ember), mlp(torch)
    v, w = parameters_to_vector(ours.parameters()), torch.nn.utils.parameters_to_vector(theirs.parameters())
    close(v, w)
    assert v.shape == (4 * 8 + 8 + 8 * 8 + 8 + 8 * 3 + 3,)
    vector_to_parameters(v * 2 - 1, ours.parameters())
    torch.nn.utils.vector_to_parameters(w * 2 - 1, theirs.parameters())
    for p, q in zip(ours.parameters(), theirs.parameters()):
        close(p, q)
        assert isinstance(p, ember.nn.Parameter) and p.requires_grad and p.grad_fn is None and p.is_leaf
    close(ours(ember.tensor(X)), theirs(torch.tensor(X)))


def test_vector_to_parameters_shares_the_vectors_memory_as_torch_does():
    model = ember.nn.Linear(2, 2)
    v = ember.zeros(6)
    vector_to_parameters(v, model.parameters())
    v[0] = 7.0
    assert model.weight[0, 0].item() == 7.0


@pytest.mark.parametrize("vec", [[1.0, 2.0], np.zeros(3)])
def test_vector_to_parameters_refuses_a_non_tensor_with_torchs_words(vec):
    with pytest.raises(TypeError) as theirs:
        torch.nn.utils.vector_to_parameters(vec, torch.nn.Linear(1, 1).parameters())
    with pytest.raises(TypeError) as ours:
        vector_to_parameters(vec, ember.nn.Linear(1, 1).parameters())
    assert str(ours.value) == str(theirs.value)


# ------------------------------------------------------------------------------------------------- checkpoint
def values_and_grads(lib, run, input_requires_grad=True):
    """Run a checkpointed forward and backward; the output, the input's gradient and the parameters'."""
    model = mlp(lib)
    x = lib.tensor(X, requires_grad=input_requires_grad)
    out = run(lib, model, x)
    if out.requires_grad:
        (out ** 2).sum().backward()
    return [out, x.grad] + [p.grad for p in model.parameters()]


def torch_checkpoint(lib):
    import torch.utils.checkpoint
    return (checkpoint, checkpoint_sequential) if lib is ember else (torch.utils.checkpoint.checkpoint,
                                                                     torch.utils.checkpoint.checkpoint_sequential)


def same(ours, theirs):
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert (a is None) == (b is None)
        if a is not None:
            close(a, b)


@pytest.mark.parametrize("reentrant", [True, False])
@pytest.mark.parametrize("input_requires_grad", [True, False])
def test_checkpoint_gives_torchs_values_and_gradients(reentrant, input_requires_grad):
    def run(lib, model, x):
        cp = torch_checkpoint(lib)[0]
        hidden = cp(lambda a: model[2](model[1](model[0](a))), x, use_reentrant=reentrant)
        return model[4](model[3](hidden))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # reentrant without an input that requires grad: torch warns, so do we
        same(values_and_grads(ember, run, input_requires_grad), values_and_grads(torch, run, input_requires_grad))


@pytest.mark.parametrize("segments", [1, 2, 3])
@pytest.mark.parametrize("reentrant", [True, False])
@pytest.mark.parametrize("input_requires_grad", [True, False])
def test_checkpoint_sequential_gives_torchs_values_and_gradients(segments, reentrant, input_requires_grad):
    def run(lib, model, x):
        return torch_checkpoint(lib)[1](model, segments, x, use_reentrant=reentrant)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        same(values_and_grads(ember, run, input_requires_grad), values_and_grads(torch, run, input_requires_grad))


def warnings_of(call):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call()
    return [(w.category, str(w.message), os.path.basename(w.filename)) for w in caught]


@pytest.mark.parametrize("which", [0, 1])
@pytest.mark.parametrize("reentrant", [None, True, False])
def test_use_reentrant_warnings_are_torchs(which, reentrant):
    def call(lib):
        fn = torch_checkpoint(lib)[which]
        model, x = mlp(lib), lib.tensor(X, requires_grad=True)
        kwargs = {} if reentrant is None else dict(use_reentrant=reentrant)
        return lambda: fn(model, 2, x, **kwargs) if which else fn(model, x, **kwargs)

    ours, theirs = warnings_of(call(ember)), warnings_of(call(torch))
    assert [w[:2] for w in ours] == [w[:2] for w in theirs]
    assert len(ours) == (reentrant is None)
    if ours:  # the caller's line (torch's, through its dynamo wrapper, names eval_frame.py)
        assert ours[0][2] == "test_small_pieces.py"


@pytest.mark.parametrize("kwargs", [dict(use_reentrant=True, foo=1, bar=2), dict(use_reentrant=True, debug=True)])
def test_checkpoint_refuses_what_torch_refuses(kwargs):
    with pytest.raises(ValueError) as theirs:
        torch_checkpoint(torch)[0](torch.nn.Linear(2, 2), torch.ones(1, 2), **kwargs)
    with pytest.raises(ValueError) as ours:
        checkpoint(ember.nn.Linear(2, 2), ember.ones(1, 2), **kwargs)
    assert str(ours.value) == str(theirs.value)


def test_checkpoint_passes_keyword_arguments_without_reentrant():
    def f(a, scale=1.0):
        return a * scale
    assert checkpoint(f, ember.ones(2), use_reentrant=False, scale=3.0).tolist() == [3.0, 3.0]


# --------------------------------------------------------------------------------------------------- ember run
def test_a_torch_program_reaches_all_four_under_ember_run(tmp_path):
    program = tmp_path / "prog.py"
    program.write_text(
        "import torch\nimport torch.testing\nimport torch.utils.checkpoint\n"
        "from torch.testing import assert_close\nfrom torch.utils.checkpoint import checkpoint\n"
        "from torch.nn.utils import parameters_to_vector\n"
        "torch.manual_seed(0)\nmodel = torch.compile(torch.nn.Linear(3, 2), backend=\"eager\")\n"  # (no C++ build)
        "x = torch.ones(4, 3, requires_grad=True)\n"
        "y = torch.utils.checkpoint.checkpoint(model, x, use_reentrant=False)\n"
        "assert_close(y, model(x))\ntorch.testing.assert_close(checkpoint(model, x, use_reentrant=False), y)\n"
        "print(parameters_to_vector(model.parameters()).shape, torch.compiler.is_compiling())\n"
        "try:\n    torch.testing.assert_close(y, y + 1)\n"
        "except AssertionError as e:\n    print(str(e).splitlines()[0])\n")
    env = dict(os.environ, PYTHONPATH=ROOT)
    ours = subprocess.run([sys.executable, "-m", "ember.cli", "run", str(program)], capture_output=True, text=True,
                          env=env)
    theirs = subprocess.run([sys.executable, str(program)], capture_output=True, text=True)
    assert ours.returncode == 0, ours.stderr
    assert ours.stdout == theirs.stdout == "torch.Size([8]) False\nTensor-likes are not close!\n"

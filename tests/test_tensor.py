"""The Tensor itself: construction, dtypes and promotion, properties, conversion, printing - all as torch."""
import itertools

import numpy as np
import pytest
import torch

import ember
from helpers import assert_same

CONSTRUCTORS = {
    "tensor_float_list": lambda lib: lib.tensor([1.0, 2.0]),
    "tensor_int_list": lambda lib: lib.tensor([[1, 2], [3, 4]]),
    "tensor_bool": lambda lib: lib.tensor([True, False]),
    "tensor_scalar": lambda lib: lib.tensor(3.5),
    "tensor_mixed": lambda lib: lib.tensor([1, 2.5]),
    "tensor_dtype": lambda lib: lib.tensor([1, 2], dtype=lib.float64),
    "tensor_numpy_f64": lambda lib: lib.tensor(np.array([1.0, 2.0])),
    "tensor_numpy_i32": lambda lib: lib.tensor(np.array([1, 2], dtype=np.int32)),
    "tensor_of_tensors": lambda lib: lib.tensor([lib.tensor(1.0), lib.tensor(2.0)]),
    "Tensor_list": lambda lib: lib.Tensor([1, 2]),
    "Tensor_sizes": lambda lib: lib.Tensor(2, 3).zero_(),
    "FloatTensor": lambda lib: lib.FloatTensor([1, 2]),
    "LongTensor": lambda lib: lib.LongTensor([1, 2]),
    "zeros": lambda lib: lib.zeros(2, 3),
    "zeros_tuple": lambda lib: lib.zeros((2, 3), dtype=lib.int32),
    "ones": lambda lib: lib.ones([3]),
    "full_float": lambda lib: lib.full((2,), 1.5),
    "full_int": lambda lib: lib.full((2,), 7),
    "full_bool": lambda lib: lib.full((2,), True),
    "empty": lambda lib: lib.empty(2, 0),
    "eye": lambda lib: lib.eye(3),
    "eye_rect": lambda lib: lib.eye(2, 3),
    "arange_int": lambda lib: lib.arange(5),
    "arange_float": lambda lib: lib.arange(0, 1, 0.25),
    "arange_neg": lambda lib: lib.arange(5, 0, -2),
    "linspace": lambda lib: lib.linspace(0, 1, 5),
    "zeros_like": lambda lib: lib.zeros_like(lib.tensor([1, 2])),
    "ones_like_dtype": lambda lib: lib.ones_like(lib.tensor([1, 2]), dtype=lib.float64),
    "full_like": lambda lib: lib.full_like(lib.tensor([1.0, 2.0]), 3),
    "from_numpy": lambda lib: lib.from_numpy(np.arange(3, dtype=np.float32)),
}


@pytest.mark.parametrize("name", CONSTRUCTORS)
def test_constructors_match_torch(name):
    assert_same(CONSTRUCTORS[name](ember), CONSTRUCTORS[name](torch))


VALUES = {"b": [True, False, True], "u8": np.array([1, 2, 250], np.uint8), "i32": np.array([1, -2, 3], np.int32),
          "i64": [1, -2, 3], "f16": np.array([0.5, -1.5, 2.0], np.float16), "f32": [0.5, -1.5, 2.0],
          "f64": np.array([0.5, -1.5, 2.0])}
SCALARS = [True, 2, -3, 0.5]


def _make(lib, key, zero_dim=False):
    value = VALUES[key]
    t = lib.tensor(value)
    return t[0] if zero_dim else t


def _same_outcome(expression, make_namespace, compare):
    """Evaluate in torch; if torch raises, ember must raise the same type, else the results must match."""
    try:
        expected = eval(expression, make_namespace(torch))
    except Exception as error:  # noqa: BLE001 (whatever torch raises, ember must raise the same)
        with pytest.raises(type(error)):
            eval(expression, make_namespace(ember))
        return
    compare(eval(expression, make_namespace(ember)), expected)


@pytest.mark.parametrize("op", ["+", "*", "/", "-"])
@pytest.mark.parametrize("left,right", list(itertools.product(VALUES, repeat=2)))
def test_tensor_tensor_promotion_matches_torch(op, left, right):
    for zero_dim in (False, True):
        _same_outcome(f"a {op} b", lambda lib: {"a": _make(lib, left), "b": _make(lib, right, zero_dim)},
                      lambda e, t: assert_same(e, t, atol=1e-2, rtol=1e-2))


@pytest.mark.parametrize("op", ["+", "*", "/", "**", ">"])
@pytest.mark.parametrize("key", VALUES)
@pytest.mark.parametrize("scalar", SCALARS, ids=repr)
def test_tensor_scalar_promotion_matches_torch(op, key, scalar):
    _same_outcome(f"a {op} s", lambda lib: {"a": _make(lib, key), "s": scalar},
                  lambda e, t: assert_same(e, t, atol=1e-3, rtol=1e-3))


def test_properties_match_torch():
    for lib in (ember, torch):
        t = lib.zeros(2, 3, 4)
        assert (t.shape, t.size(), t.size(1), t.size(-1), t.dim(), t.ndim, t.numel(), len(t)) == \
            ((2, 3, 4), (2, 3, 4), 3, 4, 3, 3, 24, 2)
        assert t.transpose(0, 2).stride() == (1, 4, 12) and t.is_contiguous() and t.is_floating_point()
        assert t.element_size() == 4 and str(t.device) == "cpu"
    assert repr(ember.zeros(2, 3).shape) == "ember.Size([2, 3])"


def test_dtype_conversions_match_torch():
    for name in ["float", "double", "half", "long", "int", "short", "byte", "bool"]:
        assert_same(getattr(ember.tensor([1.5, -2.0, 0.0]), name)(), getattr(torch.tensor([1.5, -2.0, 0.0]), name)())
    assert_same(ember.tensor([1, 2]).to(ember.float64), torch.tensor([1, 2]).to(torch.float64))
    assert ember.tensor([1.0]).to("cpu").device == ember.device("cpu")
    x = ember.tensor([1.0])
    assert x.to(ember.float32) is x and x.float() is x
    assert x.to(ember.tensor([1], dtype=ember.int64)).dtype == ember.int64


def test_python_conversions():
    t = ember.tensor([[1.5, 2.0], [3.0, 4.0]])
    assert t.tolist() == [[1.5, 2.0], [3.0, 4.0]] and t[0, 0].item() == 1.5
    assert float(t[0, 1]) == 2.0 and int(t[1, 0]) == 3 and bool(t[0, 0])
    assert f"{t[0, 0]:.3f}" == "1.500" and [1, 2, 3][ember.tensor(1)] == 2
    assert [row.tolist() for row in t] == t.tolist()
    assert np.array(t).shape == (2, 2) and np.asarray(t).dtype == np.float32
    arr = t.numpy()
    arr[0, 0] = 9
    assert t[0, 0].item() == 9  # numpy() shares memory


def test_data_is_detached_and_shares_memory():
    w = ember.tensor([1.0, 2.0], requires_grad=True)
    d = w.data
    assert not d.requires_grad and d.grad_fn is None
    d[0] = 5.0
    assert w[0].item() == 5.0
    w.data = ember.tensor([7.0, 8.0])
    assert w.tolist() == [7.0, 8.0] and w.requires_grad


REPRS = [
    lambda lib: lib.tensor([1.0, 2.0, 3.0]), lambda lib: lib.tensor(2.5), lambda lib: lib.tensor([[0.1234567, 100.0]]),
    lambda lib: lib.tensor([1e-5, 1.0]), lambda lib: lib.tensor([1e10, 1.0]), lambda lib: lib.tensor([1, 2, 3]),
    lambda lib: lib.tensor([True, False]), lambda lib: lib.tensor([1.0, 2.0], dtype=lib.float64),
    lambda lib: lib.tensor([1.0], requires_grad=True), lambda lib: lib.tensor([1.0], requires_grad=True) * 2,
    lambda lib: lib.zeros(2, 0), lambda lib: lib.zeros(0, dtype=lib.int64), lambda lib: lib.arange(2000.0),
    lambda lib: lib.arange(24.0).reshape(2, 3, 4) / 7, lambda lib: lib.tensor([float("nan"), float("inf"), 1.0]),
    lambda lib: lib.tensor([-1.0, 0.0, 2.0]), lambda lib: lib.arange(30.0).reshape(3, 10) * 1.123,
    lambda lib: lib.tensor([1, 2], dtype=lib.int32), lambda lib: lib.tensor(0.0), lambda lib: lib.tensor([1.5]).half(),
    lambda lib: lib.arange(1200.0).reshape(40, 30), lambda lib: lib.tensor([123456.0, 0.5]),
]


@pytest.mark.parametrize("make", REPRS)
def test_repr_matches_torch(make):
    assert repr(make(ember)) == repr(make(torch)).replace("torch.", "ember.")


def test_random_is_seeded_and_shaped():
    ember.manual_seed(0)
    a = ember.rand(2, 3)
    ember.manual_seed(0)
    assert ember.equal(a, ember.rand(2, 3)) and a.dtype == ember.float32
    g = ember.Generator().manual_seed(1)
    assert ember.randn(3, generator=g).shape == (3,)
    assert ember.randint(0, 5, (10,)).dtype == ember.int64
    assert sorted(ember.randperm(5).tolist()) == [0, 1, 2, 3, 4]
    n = ember.normal(2.0, 0.5, size=(20000,))
    assert abs(n.mean().item() - 2.0) < 0.02 and abs(n.std().item() - 0.5) < 0.02
    state = ember.get_rng_state()
    x = ember.rand(3)
    ember.set_rng_state(state)
    assert ember.equal(x, ember.rand(3))
    u = ember.empty(1000).uniform_(-2, 2)
    assert -2 <= u.min().item() and u.max().item() <= 2

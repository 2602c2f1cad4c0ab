"""The legacy tensor types (FloatTensor, LongTensor, ...) as constructors, as isinstance targets and in x.type()."""
import warnings

import numpy as np
import pytest
import torch

import ember
from helpers import assert_same

NAMES = ["FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor", "IntTensor", "ShortTensor", "CharTensor",
         "ByteTensor", "BoolTensor"]
DATA = [[1, 0, 2], [1.5, -0.0, 2.75], np.array([1, 2, 3]), np.array([[1.0, 0.5], [3.0, 0.0]], np.float32),
        np.array(3.0), [True, False], ((1, 2), (3, 4))]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("data", DATA, ids=lambda d: type(d).__name__ + str(np.shape(d)))
def test_constructor_from_data_matches_torch(name, data):
    if name in ("ByteTensor", "CharTensor", "ShortTensor", "IntTensor", "LongTensor", "BoolTensor"):
        data = np.abs(np.asarray(data)).tolist() if isinstance(data, list) else data  # no negative-to-unsigned
    assert_same(getattr(ember, name)(data), getattr(torch, name)(data))


@pytest.mark.parametrize("name", NAMES)
def test_constructor_from_sizes_matches_torch(name):
    for args in [(2, 3), (4,), (torch.Size([2, 1]),), (torch.Size([]),), (0,), ()]:
        e_args = tuple(ember.Size(a) if isinstance(a, torch.Size) else a for a in args)
        e, t = getattr(ember, name)(*e_args), getattr(torch, name)(*args)
        assert tuple(e.shape) == tuple(t.shape) and e.dtype.name == str(t.dtype)[6:]


def test_constructor_errors_are_torchs():
    for lib in (ember, torch):
        with pytest.raises(TypeError):
            lib.FloatTensor(3.5)                          # a number is not data: [3.5] is
        with pytest.raises(TypeError):
            lib.FloatTensor(lib.tensor([1, 2]))            # a Tensor of another dtype
        with pytest.raises(TypeError):
            lib.FloatTensor([1.0], requires_grad=True)
        with pytest.raises(RuntimeError, match="negative dimension"):
            lib.FloatTensor(-1)
        with pytest.raises(RuntimeError, match="expects device type: cpu"):
            lib.FloatTensor([1.0], device="meta" if lib is torch else "cuda")


def test_constructor_of_a_tensor_is_an_alias():
    for lib in (ember, torch):
        t = lib.tensor([1.0, 2.0])
        alias = lib.FloatTensor(t)
        alias[0] = 7.0
        assert t[0].item() == 7.0


@pytest.mark.parametrize("name", NAMES)
def test_isinstance_exactly_when_torch_says(name):
    for dtype in ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool"]:
        e, t = ember.zeros(2, dtype=getattr(ember, dtype)), torch.zeros(2, dtype=getattr(torch, dtype))
        assert isinstance(e, getattr(ember, name)) == isinstance(t, getattr(torch, name))
    assert isinstance(ember.nn.Parameter(ember.ones(2)), ember.FloatTensor)
    assert isinstance(ember.ones(2, requires_grad=True), (ember.LongTensor, ember.FloatTensor))
    assert not isinstance(np.ones(2, np.float32), ember.FloatTensor) and not isinstance(1.0, ember.FloatTensor)
    assert ember.FloatTensor.dtype is ember.float32 and not ember.FloatTensor.is_cuda


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8",
                                   "bool"])
def test_type_names_are_torchs(dtype):
    e, t = ember.ones(2, dtype=getattr(ember, dtype)), torch.ones(2, dtype=getattr(torch, dtype))
    assert e.type() == t.type()


@pytest.mark.parametrize("target", ["FloatTensor", "DoubleTensor", "LongTensor", "ByteTensor", "BoolTensor",
                                    "'torch.IntTensor'", "'torch.HalfTensor'", "int16", "float64"])
def test_type_converts_as_torch(target):
    data = np.array([[1.7, -0.2], [0.0, 3.0]])
    for requires_grad in (False, True):
        outs = []
        for lib in (ember, torch):
            x = lib.tensor(data, requires_grad=requires_grad)
            to = target.strip("'") if target.startswith("'") else getattr(lib, target)
            outs.append(x.type(to))
        assert_same(*outs)
        assert outs[0].requires_grad == outs[1].requires_grad


def test_type_conversion_carries_gradient():
    grads = []
    for lib in (ember, torch):
        x = lib.tensor([1.5, 2.0], dtype=lib.float64, requires_grad=True)
        (x.type(lib.FloatTensor) ** 2).sum().backward()
        grads.append(x.grad)
    assert_same(*grads)


def test_type_same_type_returns_self_and_ember_names_work():
    x = ember.ones(2)
    assert x.type(ember.FloatTensor) is x and x.type("torch.FloatTensor") is x
    assert x.type("ember.LongTensor").dtype is ember.int64
    for lib in (ember, torch):
        for bad in ("foo", "torch.int32", int):
            with pytest.raises(ValueError, match="invalid type"):
                lib.ones(2).type(bad)


def test_set_default_tensor_type_as_torch():
    try:
        for lib in (ember, torch):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                lib.set_default_tensor_type(lib.DoubleTensor)
                assert lib.tensor([1.0]).dtype is lib.float64
                lib.set_default_tensor_type("torch.FloatTensor")
                assert lib.tensor([1.0]).dtype is lib.float32
            with pytest.raises(TypeError):
                lib.set_default_tensor_type(lib.LongTensor)
            assert any("set_default_tensor_type() is deprecated" in str(w.message) for w in caught)
    finally:
        ember.set_default_dtype(ember.float32)
        torch.set_default_dtype(torch.float32)


def test_zero_dim_tensors_format_as_their_number():
    """Course code prints 'Accuracy: {}/{}'.format(correct, n) with correct a 0-d tensor."""
    for lib in (ember, torch):
        assert "{} {:.2f} {!s}".format(lib.tensor(2), lib.tensor(2.5), lib.tensor(3)) == "2 2.50 tensor(3)"
        assert "{}".format(lib.tensor([1, 2])) == "tensor([1, 2])"
        assert "{:.1f}".format(100.0 * lib.tensor(3) / 4) == "75.0"


def test_tensor_new_and_ndimension_as_torch():
    for dtype in ("float64", "int64", "uint8"):
        e, t = ember.ones(2, dtype=getattr(ember, dtype)), torch.ones(2, dtype=getattr(torch, dtype))
        assert_same(e.new([1, 2, 3]), t.new([1, 2, 3]))
        assert tuple(e.new(2, 3).shape) == tuple(t.new(2, 3).shape) and e.new(2, 3).dtype is e.dtype
        assert tuple(e.new().shape) == (0,) and e.new(ember.Size([4])).shape == (4,)
        assert e.ndimension() == t.ndimension() == 1
    for lib in (ember, torch):
        with pytest.raises(TypeError):
            lib.ones(2, dtype=lib.float64).new(lib.ones(2))


def test_cuda_legacy_types_exist_for_the_gpu():
    from ember._legacy_types import CUDA_TYPES
    cuda_float = CUDA_TYPES[0]
    assert repr(cuda_float) == repr(torch.cuda.FloatTensor) == "<class 'torch.cuda.FloatTensor'>"
    assert cuda_float.is_cuda and cuda_float.dtype is ember.float32
    assert not isinstance(ember.ones(2), cuda_float) and not isinstance(torch.ones(2), torch.cuda.FloatTensor)
    assert isinstance(ember.ones(2), ember.FloatTensor)


def test_deprecated_init_and_clip_names_warn_as_torch():
    for name in ("uniform", "normal", "constant", "xavier_uniform", "xavier_normal", "kaiming_uniform",
                 "kaiming_normal"):
        caught = {}
        for lib in (ember, torch):
            args = (lib.empty(3, 4), 0.5) if name == "constant" else (lib.empty(3, 4),)
            with warnings.catch_warnings(record=True) as w:
                warnings.simplefilter("always")
                out = getattr(lib.nn.init, name)(*args)
            caught[lib] = [(x.category, str(x.message)) for x in w]
            assert out is args[0]
        assert caught[ember] == caught[torch] and caught[torch][0][0] is FutureWarning
    norms, caught = [], {}
    for lib in (ember, torch):
        p = lib.nn.Parameter(lib.tensor([3.0, 4.0]))
        p.grad = lib.tensor([3.0, 4.0])
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            norms.append(lib.nn.utils.clip_grad_norm([p], 1.0).item())
        caught[lib] = [(x.category, str(x.message)) for x in w]
        assert abs(p.grad[0].item() - 0.6) < 1e-5
    assert norms[0] == norms[1] == 5.0 and caught[ember] == caught[torch]

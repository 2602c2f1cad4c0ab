"""On the GPU, against torch on the GPU: the op catalogue, layers, losses and optimizers, float64 and float32.

The tables are the CPU tests' own (tests/ops, tests/nn, tests/optim); here both libraries run them with CUDA
tensors: ember's on CuPy, torch's on CUDA. Skipped without a GPU.
"""
import numpy as np
import pytest
import torch

import ember
from cuda.gpu import OnGPU, TOLERANCE, needs_gpu
from helpers import copy_module, sample

from ops.test_elementwise import BINARY, UNARY
from ops.test_reduction import REDUCTIONS
from ops.test_linalg import CASES as MATMULS
from ops.test_more_ops import ONE_INPUT, EINSUMS
from ops.test_shape import SHAPE_OPS
from nn.test_layers import LAYERS, ACTIVATIONS, F_LOSSES, CLASS_LOSSES, _targets
from nn.test_conv import CONV_LAYERS
from nn.test_rnn import RNN_LAYERS
from optim.test_optimizers import OPTIMIZERS, _train

pytestmark = needs_gpu
DTYPES = ["float64", "float32"]


def _host(t):
    return t.detach().cpu().numpy()


def _same(e, t, dtype, what):
    if isinstance(t, (tuple, list)):
        for a, b in zip(e, t):
            _same(a, b, dtype, what)
        return
    if not isinstance(t, torch.Tensor):
        assert e == t or np.isclose(e, t), what
        return
    assert e.is_cuda and t.is_cuda, what
    assert e.dtype.name == str(t.dtype).replace("torch.", "") and tuple(e.shape) == tuple(t.shape), what
    np.testing.assert_allclose(_host(e), _host(t), err_msg=what, equal_nan=True, **TOLERANCE[dtype])


def check_gpu_parity(fn, arrays, dtype):
    results = []
    for lib in (ember, torch):
        gpu = OnGPU(lib, dtype)
        leaves = [lib.tensor(a.astype(dtype) if a.dtype.kind == "f" else a, device="cuda",
                             requires_grad=a.dtype.kind == "f") for a in arrays]
        out = fn(gpu, *leaves)
        grads = None
        if isinstance(out, lib.Tensor) and out.requires_grad:
            seed = np.random.default_rng(1).normal(size=tuple(out.shape))
            out.backward(lib.tensor(seed, dtype=out.dtype, device="cuda"))
            grads = [x.grad for x in leaves]
        results.append((out, grads))
    (e_out, e_grads), (t_out, t_grads) = results
    _same(e_out, t_out, dtype, "value")
    assert (e_grads is None) == (t_grads is None)
    for i, (e, t) in enumerate(zip(e_grads or (), t_grads or ())):
        assert (e is None) == (t is None), f"gradient {i}"
        if t is not None:
            _same(e, t, dtype, f"gradient {i}")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", BINARY)
def test_binary(name, dtype):
    fn, domain = BINARY[name]
    check_gpu_parity(fn, [sample((2, 3), domain), sample((3,), domain)], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", UNARY)
def test_unary(name, dtype):
    fn, domain = UNARY[name]
    check_gpu_parity(fn, [sample((2, 3), domain)], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", REDUCTIONS)
def test_reductions(name, dtype):
    fn, domain = REDUCTIONS[name]
    check_gpu_parity(fn, [sample((2, 3, 4), domain)], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,fn,sa,sb", MATMULS, ids=[c[0] for c in MATMULS])
def test_matmul(name, fn, sa, sb, dtype):
    check_gpu_parity(fn, [sample(sa), sample(sb)], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ONE_INPUT)
def test_more_ops(name, dtype):
    check_gpu_parity(ONE_INPUT[name], [sample((3, 4, 5), "distinct") / 10], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("equation,shapes", EINSUMS, ids=[e[0] for e in EINSUMS])
def test_einsum(equation, shapes, dtype):
    check_gpu_parity(lambda lib, *xs: lib.einsum(equation, *xs), [sample(s) for s in shapes], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", SHAPE_OPS)
def test_shape_ops(name, dtype):
    check_gpu_parity(SHAPE_OPS[name], [sample((2, 3, 4))], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activations(name, dtype):
    check_gpu_parity(lambda lib, x: ACTIVATIONS[name](lib)(x), [sample((3, 4))], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", F_LOSSES)
def test_losses(name, dtype):
    fn, kind = F_LOSSES[name]
    check_gpu_parity(fn, [sample((4, 3)), _targets(kind, (4, 3))], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", CLASS_LOSSES)
def test_class_index_losses(name, dtype):
    target = np.array([0, 3, 2, 1, 2, 3])
    check_gpu_parity(lambda lib, x: CLASS_LOSSES[name](lib, x, lib.tensor(target)), [sample((6, 4))], dtype)


def check_module_gpu_parity(make, arrays, dtype):
    torch.manual_seed(0)
    t_mod = make(torch).to(getattr(torch, dtype))
    e_mod = copy_module(t_mod, make(ember).to(getattr(ember, dtype)))
    t_mod, e_mod = t_mod.cuda(), e_mod.cuda()
    outs = []
    for lib, mod in ((ember, e_mod), (torch, t_mod)):
        inputs = [lib.tensor(a.astype(dtype), device="cuda", requires_grad=True) for a in arrays]
        out = mod(*inputs)
        out = out[0] if isinstance(out, tuple) else out
        out.backward(lib.tensor(np.random.default_rng(2).normal(size=tuple(out.shape)), dtype=out.dtype,
                                device="cuda"))
        outs.append((out, [x.grad for x in inputs], dict(mod.named_parameters())))
    (e_out, e_in, e_params), (t_out, t_in, t_params) = outs
    _same(e_out, t_out, dtype, "output")
    _same(e_in, t_in, dtype, "input gradients")
    for name, p in t_params.items():
        _same(e_params[name].grad, p.grad, dtype, f"{name} gradient")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", LAYERS)
def test_layers(name, dtype):
    make, shapes = LAYERS[name]
    check_module_gpu_parity(make, [sample(s) for s in shapes], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", CONV_LAYERS)
def test_conv_and_pooling(name, dtype):
    make, shape = CONV_LAYERS[name]
    check_module_gpu_parity(make, [sample(shape, "distinct") if "max" in name else sample(shape)], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", RNN_LAYERS)
def test_recurrent_layers(name, dtype):
    make, shapes = RNN_LAYERS[name]
    check_module_gpu_parity(make, [sample(s) for s in shapes], dtype)


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_optimizers(name):
    e = _train(OnGPU(ember), OPTIMIZERS[name], steps=20)
    t = _train(OnGPU(torch), OPTIMIZERS[name], steps=20)
    _same(list(e[:2]), list(t[:2]), "float64", "parameters after 20 steps")

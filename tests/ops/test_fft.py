"""ember.fft against torch 2.13: the real-result transforms' values (float32 and float64, odd and even n, n smaller and
larger than the input, several dims, each norm), gradients (torch's and finite differences, twice), out=, the
frequencies and shifts, errors, and the complex-result transforms' refusal."""
import numpy as np
import pytest
import torch

import ember
from ember.autograd import gradcheck, gradgradcheck

RNG = np.random.default_rng(11)
NORMS = [None, "backward", "ortho", "forward"]

# (function, input shape, keyword arguments)
CASES = [
    ("irfft", (5,), {}), ("irfft", (6,), {}), ("irfft", (6,), {"n": 9}), ("irfft", (6,), {"n": 4}),
    ("irfft", (6,), {"n": 3}), ("irfft", (4,), {"n": 11}), ("irfft", (3, 4), {"dim": 0}),
    ("irfft", (2, 3, 5), {"dim": 1, "n": 7}), ("irfft", (2,), {}),
    ("hfft", (5,), {}), ("hfft", (4,), {"n": 9}), ("hfft", (6,), {"n": 3}), ("hfft", (3, 4), {"dim": -2}),
    ("irfft2", (3, 4), {}), ("irfft2", (2, 3, 5), {"s": (4, 6)}), ("irfft2", (3, 5), {"s": (2, 3)}),
    ("irfft2", (3, 4, 5), {"dim": (0, 2)}), ("irfft2", (3, 4), {"s": (5, 7), "dim": (1, 0)}),
    ("irfftn", (2, 3, 4), {}), ("irfftn", (2, 3, 4), {"dim": (0,)}), ("irfftn", (2, 3, 4), {"s": (4, 5)}),
    ("irfftn", (3, 3), {"s": (2, -1)}), ("hfft2", (3, 4), {}), ("hfft2", (2, 3, 5), {"s": (4, 3), "dim": (2, 0)}),
    ("hfftn", (2, 3, 4), {}), ("hfftn", (3, 4), {"s": (2, 7)}), ("irfftn", (4, 3, 2), {"s": (3, 5, 6), "dim": (2, 0, 1)}),
]


def _pair(shape, dtype=np.float64, requires_grad=True):
    a = RNG.standard_normal(shape).astype(dtype)
    return (torch.tensor(a, requires_grad=requires_grad), ember.tensor(a, requires_grad=requires_grad))


@pytest.mark.parametrize("name,shape,kwargs", CASES)
@pytest.mark.parametrize("norm", NORMS)
def test_values_and_gradients_as_torch(name, shape, kwargs, norm):
    t, e = _pair(shape)
    yt = getattr(torch.fft, name)(t, norm=norm, **kwargs)
    ye = getattr(ember.fft, name)(e, norm=norm, **kwargs)
    assert tuple(ye.shape) == tuple(yt.shape) and ye.dtype is ember.float64
    np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy(), rtol=1e-12, atol=1e-12)
    w = RNG.standard_normal(tuple(yt.shape))
    (yt * torch.tensor(w)).sum().backward()
    (ye * ember.tensor(w)).sum().backward()
    np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=1e-12, atol=1e-12)
    assert ye.grad_fn.name() == "FftC2RBackward0" == type(yt.grad_fn).__name__


@pytest.mark.parametrize("name,shape,kwargs", CASES[::2])
def test_float32_as_torch(name, shape, kwargs):
    t, e = _pair(shape, np.float32)
    yt, ye = getattr(torch.fft, name)(t, **kwargs), getattr(ember.fft, name)(e, **kwargs)
    assert ye.dtype is ember.float32
    np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-6)
    yt.pow(2).sum().backward()
    ye.pow(2).sum().backward()
    assert e.grad.dtype is ember.float32
    np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name,shape,kwargs", CASES[::3])
@pytest.mark.parametrize("norm", ["backward", "ortho", "forward"])
def test_finite_differences_twice(name, shape, kwargs, norm):
    x = ember.tensor(RNG.standard_normal(shape), requires_grad=True)
    f = lambda x: getattr(ember.fft, name)(x, norm=norm, **kwargs)  # noqa: E731
    assert gradcheck(f, (x,))
    assert gradgradcheck(lambda x: f(x).pow(2), (x,))  # (a nonlinear loss, so the second derivative is not zero)


def test_second_derivative_as_torch():
    t, e = _pair((3, 5))
    gt, = torch.autograd.grad(torch.fft.irfftn(t, s=(4, 7)).pow(3).sum(), t, create_graph=True)
    ge, = ember.autograd.grad(ember.fft.irfftn(e, s=(4, 7)).pow(3).sum(), e, create_graph=True)
    np.testing.assert_allclose(ge.detach().numpy(), gt.detach().numpy(), rtol=1e-10, atol=1e-12)
    hgt, = torch.autograd.grad(gt.pow(2).sum(), t)
    hge, = ember.autograd.grad(ge.pow(2).sum(), e)
    np.testing.assert_allclose(hge.numpy(), hgt.numpy(), rtol=1e-10, atol=1e-12)


def test_integer_and_noncontiguous_inputs():
    a = np.arange(12).reshape(3, 4)
    for dtype in (torch.int64, torch.int32, torch.bool):
        yt = torch.fft.irfft(torch.tensor(a).to(dtype), dim=0)
        ye = ember.fft.irfft(ember.tensor(a).to(getattr(ember, str(dtype).split(".")[1])), dim=0)
        assert ye.dtype is ember.float32
        np.testing.assert_allclose(ye.numpy(), yt.numpy(), rtol=1e-6, atol=1e-6)
    t, e = _pair((4, 5), requires_grad=False)
    np.testing.assert_allclose(ember.fft.irfftn(e.t()[1:]).numpy(), torch.fft.irfftn(t.t()[1:]).numpy(), atol=1e-12)


def test_input_is_not_written():
    e = ember.tensor(RNG.standard_normal((3, 4)), requires_grad=True)
    before = e.detach().numpy().copy()
    ember.fft.irfftn(e, s=(5, 3)).sum().backward()
    ember.fft.irfftn(e, s=(2, 9)).sum().backward()
    np.testing.assert_array_equal(e.detach().numpy(), before)


def test_out():
    t, e = _pair((5,), requires_grad=False)
    for dtype in ("float64", "float32"):
        ot, oe = torch.empty(0, dtype=getattr(torch, dtype)), ember.empty(0, dtype=getattr(ember, dtype))
        assert torch.fft.irfft(t, n=7, out=ot) is ot and ember.fft.irfft(e, n=7, out=oe) is oe
        np.testing.assert_allclose(oe.numpy(), ot.numpy(), rtol=1e-6)
    with pytest.raises(RuntimeError, match=r"_fft_c2r\(\): functions with out=\.\.\. arguments"):
        ember.fft.irfft(ember.ones(4, requires_grad=True), out=ember.empty(6))
    out = ember.empty(0)
    assert ember.fft.fftfreq(5, out=out) is out
    np.testing.assert_array_equal(out.numpy(), torch.fft.fftfreq(5).numpy())


@pytest.mark.parametrize("n", [0, 1, 2, 5, 6, 7, 10, 33])
@pytest.mark.parametrize("d", [1.0, 0.1, 3.0])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_frequencies_as_torch(n, d, dtype):
    for name in ("fftfreq", "rfftfreq"):
        ft = getattr(torch.fft, name)(n, d, dtype=getattr(torch, dtype))
        fe = getattr(ember.fft, name)(n, d, dtype=getattr(ember, dtype))
        assert fe.dtype is getattr(ember, dtype) and tuple(fe.shape) == tuple(ft.shape)
        np.testing.assert_array_equal(fe.numpy(), ft.numpy())
    assert ember.fft.fftfreq(4).dtype is ember.get_default_dtype()
    assert ember.fft.rfftfreq(4, requires_grad=True).requires_grad


@pytest.mark.parametrize("shape", [(5,), (4,), (2, 5), (3, 4, 1)])
@pytest.mark.parametrize("dim", [None, 0, -1, (0, -1)])
def test_shifts_as_torch(shape, dim):
    a = np.arange(np.prod(shape), dtype=np.float64).reshape(shape)
    for name in ("fftshift", "ifftshift"):
        t, e = torch.tensor(a, requires_grad=True), ember.tensor(a, requires_grad=True)
        yt, ye = getattr(torch.fft, name)(t, dim=dim), getattr(ember.fft, name)(e, dim=dim)
        np.testing.assert_array_equal(ye.detach().numpy(), yt.detach().numpy())
        w = RNG.standard_normal(shape)
        (yt * torch.tensor(w)).sum().backward()
        (ye * ember.tensor(w)).sum().backward()
        np.testing.assert_array_equal(e.grad.numpy(), t.grad.numpy())
    e = ember.tensor(a)
    np.testing.assert_array_equal(ember.fft.ifftshift(ember.fft.fftshift(e, dim), dim).numpy(), a)


ERRORS = [
    (lambda l: l.fft.irfft(l.ones(4), norm="foo"), RuntimeError, 'Invalid normalization mode: "foo"'),
    (lambda l: l.fft.hfft(l.ones(4), norm="bad"), RuntimeError, 'Invalid normalization mode: "bad"'),
    (lambda l: l.fft.irfft(l.ones(4), n=0), RuntimeError, r"Invalid number of data points \(0\) specified"),
    (lambda l: l.fft.irfft(l.ones(4), n=-1), RuntimeError, r"Invalid number of data points \(-1\) specified"),
    (lambda l: l.fft.irfft(l.ones(1)), RuntimeError, r"Invalid number of data points \(0\) specified"),
    (lambda l: l.fft.hfft(l.ones(4), n=-1), RuntimeError, r"Invalid number of data points \(-1\) specified"),
    (lambda l: l.fft.hfftn(l.ones(4), norm="x"), RuntimeError, 'Invalid normalization mode: "x"'),
    (lambda l: l.fft.irfftn(l.ones(0, 3)), RuntimeError, r"Invalid number of data points \(0\) specified"),
    (lambda l: l.fft.irfft(l.ones(4), dim=3), IndexError, r"Dimension out of range \(expected to be in range of "
                                                           r"\[-1, 0\], but got 3\)"),
    (lambda l: l.fft.irfft2(l.ones(4)), IndexError, "Dimension out of range"),
    (lambda l: l.fft.irfft(l.tensor(3.0)), IndexError, "Dimension specified as -1 but tensor has no dimensions"),
    (lambda l: l.fft.irfftn(l.ones(3, 3), s=(2,), dim=(0, 1)), RuntimeError,
     "When given, dim and shape arguments must have the same length"),
    (lambda l: l.fft.irfftn(l.ones(3, 3), dim=(0, 0)), RuntimeError, "FFT dims must be unique"),
    (lambda l: l.fft.irfftn(l.ones(4), s=(3, 4)), RuntimeError,
     "Got shape with 2 values but input tensor only has 1 dimensions."),
    (lambda l: l.fft.irfftn(l.ones(2, 3), dim=()), RuntimeError, "irfftn must transform at least one axis"),
    (lambda l: l.fft.irfft(l.ones(4, dtype=l.float16)), RuntimeError, "Unsupported dtype Half"),
    (lambda l: l.fft.irfft(l.ones(4), n=3.0), TypeError, "argument 'n' must be int, not float"),
    (lambda l: l.fft.fftfreq(-1), RuntimeError, r"Trying to create tensor with negative dimension -1: \[-1\]"),
    (lambda l: l.fft.fftfreq(5, dtype=l.int64), RuntimeError, "fftfreq requires a floating point or complex dtype"),
    (lambda l: l.fft.fftshift(l.ones(4), dim=3), IndexError, "Dimension out of range"),
]


@pytest.mark.parametrize("call,error,message", ERRORS)
def test_errors_as_torch(call, error, message):
    with pytest.raises(error, match=message):
        call(torch)
    with pytest.raises(error, match=message):
        call(ember)


@pytest.mark.parametrize("name", ["fft", "ifft", "rfft", "fft2", "ifft2", "rfft2", "fftn", "ifftn", "rfftn", "ihfft",
                                  "ihfft2", "ihfftn"])
def test_complex_results_are_refused(name):
    with pytest.raises(NotImplementedError, match=f"torch.fft.{name} returns a complex tensor, and ember has no "
                                                  "complex dtypes"):
        getattr(ember.fft, name)(ember.ones(4, 4))
    assert getattr(torch.fft, name)(torch.ones(4, 4)).is_complex()  # (what torch gives instead)


def test_import_under_ember_run(tmp_path):
    import os
    import subprocess
    import sys
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    program = tmp_path / "prog.py"
    program.write_text("import torch.fft\nfrom torch.fft import irfft\nimport torch\n"
                       "print(torch.fft.__name__, irfft(torch.ones(3)).shape, torch.fft.rfftfreq(4).dtype)\n")
    result = subprocess.run([sys.executable, "-m", "ember.cli", "run", str(program)], capture_output=True, text=True,
                            env=dict(os.environ, PYTHONPATH=root), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["ember.fft", "torch.Size([4])", "torch.float32"]

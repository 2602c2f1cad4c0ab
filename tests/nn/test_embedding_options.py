"""Embedding with all of torch's options, against torch: max_norm renormalises the looked-up rows in place (not
recorded), scale_grad_by_freq divides each row's gradient by its count in the batch, padding_idx gets no
gradient; one node, EmbeddingBackward0; double backward as torch's; float32 and float64, any index shape."""
import numpy as np
import pytest
import torch

import ember

OPTIONS = [dict(), dict(padding_idx=2), dict(padding_idx=-1), dict(max_norm=1.0), dict(max_norm=0.5, norm_type=1.0),
           dict(max_norm=2.0, norm_type=3.0), dict(scale_grad_by_freq=True), dict(scale_grad_by_freq=True, padding_idx=0),
           dict(max_norm=0.8, scale_grad_by_freq=True, padding_idx=3), dict(sparse=True)]


def _run(lib, weight, index, upstream, options, module):
    w = lib.tensor(weight, requires_grad=True)
    idx = lib.tensor(index)
    if module:
        m = lib.nn.Embedding(*weight.shape, _weight=w, **options)
        out = m(idx)
        w = m.weight
        text = repr(m)
    else:
        out = lib.nn.functional.embedding(idx, w, **options)
        text = out.grad_fn.name()
    out.backward(lib.tensor(upstream))
    grad = w.grad.to_dense() if lib is torch and w.grad.is_sparse else w.grad  # (torch's sparse=True gradient; ember's is dense)
    return out.detach().numpy(), w.detach().numpy(), grad.numpy(), text


@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()) or "plain")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("module", [False, True])
def test_embedding_options_as_torch(options, dtype, module):
    rng = np.random.default_rng(5)
    for shape in [(7,), (3, 5), (2, 3, 4), ()]:
        weight = (rng.normal(size=(6, 4)) * 0.8).astype(dtype)
        index = rng.integers(0, 6, size=shape)
        upstream = rng.normal(size=shape + (4,)).astype(dtype)
        e, t = (_run(lib, weight, index, upstream, options, module) for lib in (ember, torch))
        tol = dict(rtol=1e-6, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-13, atol=1e-14)
        np.testing.assert_allclose(e[0], t[0], **tol)  # the rows
        np.testing.assert_allclose(e[1], t[1], **tol)  # the weight, renormalised in place or not
        if "max_norm" not in options:
            np.testing.assert_array_equal(e[2], t[2])  # the sums of repeated rows, in torch's order and rounding
        else:
            np.testing.assert_allclose(e[2], t[2], **tol)
        assert e[3] == t[3]


def test_max_norm_is_in_place_and_unrecorded():
    w = ember.nn.Parameter(ember.tensor([[3.0, 4.0], [0.3, 0.4], [6.0, 8.0]]))
    version = w._version
    out = ember.nn.functional.embedding(ember.tensor([0, 1]), w, max_norm=1.0)
    np.testing.assert_allclose(w.detach().numpy(), [[3 / (5 + 1e-7), 4 / (5 + 1e-7)], [0.3, 0.4], [6.0, 8.0]],
                               rtol=1e-6)
    assert w._version > version and w.grad_fn is None
    out.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [[1, 1], [1, 1], [0, 0]])


def test_scale_grad_by_freq_float32_is_bit_exact():
    rng = np.random.default_rng(6)
    weight = rng.normal(size=(50, 33)).astype(np.float32)
    index = rng.integers(0, 50, size=(20, 30))
    upstream = rng.normal(size=(20, 30, 33)).astype(np.float32)
    e, t = (_run(lib, weight, index, upstream, dict(scale_grad_by_freq=True, padding_idx=7), False)
            for lib in (ember, torch))
    np.testing.assert_array_equal(e[2], t[2])


@pytest.mark.parametrize("options", [dict(), dict(padding_idx=1), dict(scale_grad_by_freq=True)])
def test_embedding_gradcheck_and_double_backward(options):
    rng = np.random.default_rng(7)
    index = rng.integers(0, 5, size=(3, 4))
    weight = rng.normal(size=(5, 3))
    w = ember.tensor(weight, requires_grad=True)
    fn = lambda w: ember.nn.functional.embedding(ember.tensor(index), w, **options)  # noqa: E731
    if not options:  # (padding and frequency scaling change the gradient by definition: compared with torch's)
        assert ember.autograd.gradcheck(fn, (w,))
    # double backward against torch's (which picks rows of the second-order gradient, unscaled)
    outs = []
    for lib in (ember, torch):
        w = lib.tensor(weight, requires_grad=True)
        g = lib.tensor(rng.normal(size=(3, 4, 3)) if lib is ember else outs[0][2], requires_grad=True)
        out = lib.nn.functional.embedding(lib.tensor(index), w, **options)
        (gw,) = lib.autograd.grad(out, w, g, create_graph=True)
        (gw * lib.tensor(np.arange(15.0).reshape(5, 3))).sum().backward()
        outs.append((gw.detach().numpy(), g.grad.numpy(), g.detach().numpy()))
    np.testing.assert_allclose(outs[0][0], outs[1][0], rtol=1e-13)
    np.testing.assert_allclose(outs[0][1], outs[1][1], rtol=1e-13)


@pytest.mark.parametrize("call, error", [
    (lambda lib: lib.nn.functional.embedding(lib.tensor([1.0]), lib.ones(3, 2)), RuntimeError),
    (lambda lib: lib.nn.functional.embedding(lib.tensor([3]), lib.ones(3, 2)), IndexError),
    (lambda lib: lib.nn.functional.embedding(lib.tensor([1]), lib.ones(3, 2), padding_idx=3), AssertionError),
    (lambda lib: lib.nn.Embedding(3, 2, padding_idx=-4), AssertionError),
    (lambda lib: lib.nn.Embedding(3, 2, _weight=lib.ones(2, 2)), AssertionError),
])
def test_embedding_bad_input_raises_torchs_type(call, error):
    with pytest.raises(error):
        call(torch)
    with pytest.raises(error):
        call(ember)

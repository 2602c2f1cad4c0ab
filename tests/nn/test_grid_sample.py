"""F.affine_grid and F.grid_sample against torch: every mode x padding_mode x align_corners, grids reaching past
[-1, 1], odd sizes, batches and channels; values in float32 and float64, gradients w.r.t. input, grid and theta
(float64, tight); finite differences; the node names; torch's refusals; and the Spatial Transformer tutorial's
network run forward and backward under both libraries with the same weights."""
import itertools
import warnings

import numpy as np
import pytest
import torch

import ember

MODES = ("bilinear", "nearest", "bicubic")
PADDINGS = ("zeros", "border", "reflection")
TOL = {"float32": dict(rtol=1e-5, atol=2e-5), "float64": dict(rtol=1e-12, atol=1e-12)}


def arrays(seed, in_shape, out_hw, reach=1.6):
    """Input values, a grid whose points reach `reach` past the centre (beyond [-1, 1]: padding at work), and a
    gradient for the output."""
    rng = np.random.default_rng(seed)
    n, c = in_shape[:2]
    return (rng.normal(size=in_shape), rng.uniform(-reach, reach, size=(n, *out_hw, 2)),
            rng.normal(size=(n, c, *out_hw)))


def run_sample(lib, x, grid, grad, dtype, **options):
    """grid_sample under lib; returns the output and the gradients of input and grid (numpy arrays)."""
    dt = getattr(lib, dtype)
    xt = lib.tensor(x, dtype=dt, requires_grad=True)
    gt = lib.tensor(grid, dtype=dt, requires_grad=True)
    out = lib.nn.functional.grid_sample(xt, gt, **options)
    out.backward(lib.tensor(grad, dtype=dt))
    return out.detach().numpy(), xt.grad.numpy(), gt.grad.numpy()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("mode, padding_mode, align_corners",
                         list(itertools.product(MODES, PADDINGS, (True, False))))
def test_grid_sample_matches_torch(mode, padding_mode, align_corners, dtype):
    x, grid, grad = arrays(0, (2, 3, 5, 7), (4, 9))
    options = dict(mode=mode, padding_mode=padding_mode, align_corners=align_corners)
    got = run_sample(ember, x, grid, grad, dtype, **options)
    want = run_sample(torch, x, grid, grad, dtype, **options)
    for what, g, w in zip(("output", "input grad", "grid grad"), got, want):
        assert g.dtype == w.dtype and g.shape == w.shape, what
        np.testing.assert_allclose(g, w, **TOL[dtype], err_msg=what)
    if mode == "nearest":  # a step function: torch gives the grid no gradient
        assert not got[2].any()
    else:
        assert np.abs(got[2]).max() > 0.1  # (the comparison above is not of zeros)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("in_shape, out_hw", [((1, 1, 1, 1), (2, 3)), ((3, 2, 1, 6), (5, 1)), ((2, 1, 6, 1), (1, 4)),
                                              ((1, 2, 2, 3), (7, 5))])
def test_grid_sample_odd_sizes(mode, in_shape, out_hw):
    """Single-pixel dims (the empty reflection span), single output rows and columns, far-away points."""
    x, grid, grad = arrays(1, in_shape, out_hw, reach=3.5)
    for padding_mode, align_corners in itertools.product(PADDINGS, (True, False)):
        options = dict(mode=mode, padding_mode=padding_mode, align_corners=align_corners)
        got = run_sample(ember, x, grid, grad, "float64", **options)
        want = run_sample(torch, x, grid, grad, "float64", **options)
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-12, err_msg=str(options))


def test_grid_sample_points_on_pixels_and_edges():
    """Points exactly on pixel centres and on the clip edges: torch counts the edge as clipped (no gradient)."""
    x = np.random.default_rng(2).normal(size=(1, 2, 4, 5))
    xs, ys = np.linspace(-1, 1, 5), np.linspace(-1.5, 1.5, 7)
    grid = np.stack(np.meshgrid(xs, ys), axis=-1)[None]
    grad = np.random.default_rng(3).normal(size=(1, 2, 7, 5))
    for mode, padding_mode, align_corners in itertools.product(MODES, PADDINGS, (True, False)):
        options = dict(mode=mode, padding_mode=padding_mode, align_corners=align_corners)
        got = run_sample(ember, x, grid, grad, "float64", **options)
        want = run_sample(torch, x, grid, grad, "float64", **options)
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-12, err_msg=str(options))


def test_grid_sample_one_gradient_at_a_time():
    x, grid, grad = arrays(4, (2, 2, 3, 4), (3, 3))
    for which in (0, 1):
        got = []
        for lib in (ember, torch):
            xt = lib.tensor(x, requires_grad=which == 0)
            gt = lib.tensor(grid, requires_grad=which == 1)
            out = lib.nn.functional.grid_sample(xt, gt, align_corners=False)
            out.backward(lib.tensor(grad))
            got.append(((xt, gt)[which].grad.numpy(), (xt, gt)[1 - which].grad))
        np.testing.assert_allclose(got[0][0], got[1][0], rtol=1e-12, atol=1e-12)
        assert got[0][1] is None and got[1][1] is None


@pytest.mark.parametrize("mode, padding_mode", [("bilinear", "reflection"), ("bilinear", "zeros"),
                                                ("bicubic", "border"), ("nearest", "zeros")])
def test_grid_sample_gradcheck(mode, padding_mode):
    x, grid, _ = arrays(5, (1, 2, 3, 4), (2, 3), reach=1.3)
    xt = ember.tensor(x, requires_grad=True)
    gt = ember.tensor(grid, requires_grad=mode != "nearest")
    f = lambda a, b: ember.nn.functional.grid_sample(a, b, mode, padding_mode, align_corners=True)  # noqa: E731
    assert ember.autograd.gradcheck(f, (xt, gt), eps=1e-6, atol=1e-6)


def test_grid_sample_grad_fn_and_double_backward():
    x, grid, _ = arrays(6, (1, 1, 3, 3), (2, 2))
    xt, gt = ember.tensor(x, requires_grad=True), ember.tensor(grid, requires_grad=True)
    out = ember.nn.functional.grid_sample(xt, gt, align_corners=False)
    assert out.grad_fn.name() == "GridSampler2DBackward0"
    assert repr(out.grad_fn).startswith("<GridSampler2DBackward0 ")
    assert str(torch.nn.functional.grid_sample(torch.tensor(x, requires_grad=True), torch.tensor(grid),
                                               align_corners=False).grad_fn).startswith("<GridSampler2DBackward0 ")
    with pytest.raises(NotImplementedError, match="double backward"):
        ember.autograd.grad(out.sum(), (xt, gt), create_graph=True)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("size", [(2, 3, 5, 7), (3, 1, 4, 1), (2, 2, 3, 4, 5), (1, 1, 1, 3, 2)])
@pytest.mark.parametrize("align_corners", [True, False])
def test_affine_grid_matches_torch(size, align_corners, dtype):
    k = len(size) - 2
    rng = np.random.default_rng(7)
    theta, grad = rng.normal(size=(size[0], k, k + 1)), rng.normal(size=(*size[:1], *size[2:], k))
    got, want = [], []
    for lib, into in ((ember, got), (torch, want)):
        dt = getattr(lib, dtype)
        t = lib.tensor(theta, dtype=dt, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # (align_corners=True with a unit-size dim warns)
            out = lib.nn.functional.affine_grid(t, size, align_corners=align_corners)
        out.backward(lib.tensor(grad, dtype=dt))
        into += [out.detach().numpy(), t.grad.numpy()]
    for g, w in zip(got, want):
        assert g.dtype == w.dtype and g.shape == w.shape
        np.testing.assert_allclose(g, w, **TOL[dtype])


def test_affine_grid_node_and_gradcheck():
    theta = ember.tensor(np.random.default_rng(8).normal(size=(2, 2, 3)), requires_grad=True)
    out = ember.nn.functional.affine_grid(theta, (2, 1, 3, 4), align_corners=False)
    assert out.grad_fn.name() == "AffineGridGeneratorBackward0"
    assert ember.autograd.gradcheck(lambda t: ember.nn.functional.affine_grid(t, (2, 1, 3, 4), align_corners=True),
                                    (theta,))
    (g,) = ember.autograd.grad((out ** 2).sum(), (theta,), create_graph=True)  # its gradient is made of ops
    (h,) = ember.autograd.grad(g.sum(), (theta,))
    t = torch.tensor(theta.detach().numpy(), requires_grad=True)
    (tg,) = torch.autograd.grad((torch.nn.functional.affine_grid(t, (2, 1, 3, 4), align_corners=False) ** 2).sum(),
                                (t,), create_graph=True)
    (th,) = torch.autograd.grad(tg.sum(), (t,))
    np.testing.assert_allclose(h.numpy(), th.numpy(), rtol=1e-12, atol=1e-12)


def test_default_align_corners_warns_as_torch():
    theta = np.eye(2, 3)[None]
    x = np.random.default_rng(9).normal(size=(1, 1, 3, 3))
    for lib in (ember, torch):
        with pytest.warns(UserWarning, match="align_corners=False since 1.3.0"):
            grid = lib.nn.functional.affine_grid(lib.tensor(theta), (1, 1, 3, 3))
        with pytest.warns(UserWarning, match="align_corners=False since 1.3.0"):
            out = lib.nn.functional.grid_sample(lib.tensor(x), grid)
        np.testing.assert_allclose(out.numpy(), x, atol=1e-12)  # the identity map reads each pixel back


def refusal(lib, call):
    try:
        call(lib)
    except Exception as error:  # noqa: BLE001 (the type is what is compared)
        return type(error), str(error)
    return None, None


X, G = np.zeros((2, 3, 5, 6)), np.zeros((2, 4, 7, 2))
REFUSALS = {
    "mode": lambda t: t.nn.functional.grid_sample(t.tensor(X), t.tensor(G), mode="linear", align_corners=False),
    "padding": lambda t: t.nn.functional.grid_sample(t.tensor(X), t.tensor(G), padding_mode="wrap",
                                                     align_corners=False),
    "batch": lambda t: t.nn.functional.grid_sample(t.tensor(X), t.tensor(G[:1]), align_corners=False),
    "last dim": lambda t: t.nn.functional.grid_sample(t.tensor(X), t.tensor(G[..., :1]), align_corners=False),
    "3-d input": lambda t: t.nn.functional.grid_sample(t.tensor(X[0]), t.tensor(G[0, :3, :, :1]),
                                                       align_corners=False),
    "ranks": lambda t: t.nn.functional.grid_sample(t.tensor(X), t.tensor(G[:, None]), align_corners=False),
    "empty": lambda t: t.nn.functional.grid_sample(t.tensor(X[:, :, :0]), t.tensor(G), align_corners=False),
    "5-d bicubic": lambda t: t.nn.functional.grid_sample(t.tensor(X[:, :, None]), t.tensor(np.zeros((2, 1, 4, 7, 3))),
                                                         mode="bicubic", align_corners=False),
    "integer input": lambda t: t.nn.functional.grid_sample(t.tensor(X, dtype=t.int64), t.tensor(G, dtype=t.int64),
                                                           align_corners=False),
    "dtypes": lambda t: t.nn.functional.grid_sample(t.tensor(X, dtype=t.float32), t.tensor(G), align_corners=False),
    "theta dtype": lambda t: t.nn.functional.affine_grid(t.zeros(2, 2, 3, dtype=t.int64), (2, 1, 3, 3),
                                                         align_corners=False),
    "theta 2-d": lambda t: t.nn.functional.affine_grid(t.zeros(2, 2, 3), (2, 1, 3, 3, 3), align_corners=False),
    "theta 3-d": lambda t: t.nn.functional.affine_grid(t.zeros(2, 3, 4), (2, 1, 3, 3), align_corners=False),
    "size length": lambda t: t.nn.functional.affine_grid(t.zeros(2, 2, 3), (2, 1, 3), align_corners=False),
    "size zero": lambda t: t.nn.functional.affine_grid(t.zeros(2, 2, 3), (2, 1, 0, 3), align_corners=False),
    "size batch": lambda t: t.nn.functional.affine_grid(t.zeros(2, 2, 3), (3, 1, 2, 3), align_corners=False),
}


@pytest.mark.parametrize("case", REFUSALS)
def test_refusals_match_torch(case):
    got, want = refusal(ember, REFUSALS[case]), refusal(torch, REFUSALS[case])
    assert want[0] is not None and got[0] is want[0], (got, want)
    if case not in ("integer input", "size batch"):  # (ember says how to convert; bmm's words differ)
        assert got[1].replace("ember", "torch") == want[1]


def test_volumetric_input_is_refused_clearly():
    x, grid = ember.zeros(1, 1, 2, 3, 4), ember.zeros(1, 2, 2, 2, 3)
    with pytest.raises(NotImplementedError, match="5-D"):
        ember.nn.functional.grid_sample(x, grid, align_corners=False)


# ---- the Spatial Transformer Networks tutorial's network ----------------------------------------------------------
def make_stn(lib):
    nn, F = lib.nn, lib.nn.functional

    class STN(nn.Module):
        def __init__(self):
            super().__init__()
            self.localization = nn.Sequential(nn.Conv2d(1, 8, kernel_size=7), nn.MaxPool2d(2, stride=2),
                                              nn.ReLU(True), nn.Conv2d(8, 10, kernel_size=5),
                                              nn.MaxPool2d(2, stride=2), nn.ReLU(True))
            self.fc_loc = nn.Sequential(nn.Linear(10 * 3 * 3, 32), nn.ReLU(True), nn.Linear(32, 3 * 2))

        def forward(self, x):
            xs = self.localization(x).view(-1, 10 * 3 * 3)
            theta = self.fc_loc(xs).view(-1, 2, 3)
            grid = F.affine_grid(theta, x.size(), align_corners=False)
            return F.grid_sample(x, grid, align_corners=False)

    return STN()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_spatial_transformer_tutorial_network(dtype):
    torch.manual_seed(0)
    reference = make_stn(torch).to(getattr(torch, dtype))
    with torch.no_grad():  # the tutorial starts fc_loc at the identity; a perturbed one bends the grid
        last = reference.fc_loc[2]
        last.weight.copy_(0.05 * torch.randn_like(last.weight))
        last.bias.copy_(torch.tensor([0.9, 0.2, 0.1, -0.1, 1.1, 0.05]))
    model = make_stn(ember).to(getattr(ember, dtype))
    model.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in reference.state_dict().items()})
    rng = np.random.default_rng(10)
    images, weights = rng.normal(size=(4, 1, 28, 28)), rng.normal(size=(4, 1, 28, 28))
    results = []
    for lib, net in ((ember, model), (torch, reference)):
        x = lib.tensor(images, dtype=getattr(lib, dtype), requires_grad=True)
        out = net(x)
        (out * lib.tensor(weights, dtype=getattr(lib, dtype))).sum().backward()
        results.append([out.detach().numpy(), x.grad.numpy()]
                       + [p.grad.numpy() for _, p in sorted(net.named_parameters())])
    tol = dict(rtol=1e-10, atol=1e-10) if dtype == "float64" else dict(rtol=2e-4, atol=2e-4)
    assert results[0][0].shape == (4, 1, 28, 28)
    for g, w in zip(*results):
        assert g.shape == w.shape
        np.testing.assert_allclose(g, w, **tol)
    assert np.abs(results[0][-1]).max() > 0  # the gradient reached the localization net through the grid

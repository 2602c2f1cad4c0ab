"""F.interpolate's modes against torch: nearest, nearest-exact, area (of 1-, 2- and 3-d maps), linear, bilinear,
bicubic, trilinear; sizes and scale factors up and down, align_corners, float32 and float64, values and gradients;
torch's refusals."""
import itertools

import numpy as np
import pytest
import torch

import ember

CASES = [  # (mode, input shape, resize options)
    *[(m, (2, 3, 7), kw) for m in ("nearest", "nearest-exact", "area", "linear")
      for kw in ({"size": 4}, {"size": 13}, {"scale_factor": 0.6}, {"scale_factor": 2.5}, {"size": 1})],
    *[(m, (1, 2, 5, 6), kw) for m in ("nearest", "nearest-exact", "area", "bilinear", "bicubic")
      for kw in ({"size": (3, 4)}, {"size": (9, 11)}, {"scale_factor": (1.7, 0.5)}, {"size": (1, 1)},
                 {"scale_factor": 2.0, "recompute_scale_factor": True})],
    *[(m, (1, 2, 3, 4, 5), kw) for m in ("nearest", "nearest-exact", "area", "trilinear")
      for kw in ({"size": (2, 6, 3)}, {"scale_factor": 1.5})],
]
INTERPOLATING = ("linear", "bilinear", "bicubic", "trilinear")


def run(lib, x, dtype, mode, kwargs):
    xt = lib.tensor(x, dtype=dtype, requires_grad=True)
    y = lib.nn.functional.interpolate(xt, mode=mode, **kwargs)
    (y * lib.tensor(np.cos(np.arange(y.numel())).reshape(tuple(y.shape)), dtype=dtype)).sum().backward()
    return y.detach().numpy(), xt.grad.numpy()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("mode, shape, kwargs", CASES)
def test_interpolate_matches_torch(mode, shape, kwargs, dtype):
    x = np.random.default_rng(0).normal(size=shape)
    for align in ((None, False, True) if mode in INTERPOLATING else (None,)):
        options = dict(kwargs, **({} if align is None else {"align_corners": align}))
        got = run(ember, x, getattr(ember, dtype), mode, options)
        want = run(torch, x, getattr(torch, dtype), mode, options)
        tol = 1e-12 if dtype == "float64" else 2e-6
        for g, w in zip(got, want):
            assert g.shape == w.shape and g.dtype == w.dtype
            np.testing.assert_allclose(g, w, rtol=tol, atol=tol, err_msg=f"{mode} {options}")


def test_nearest_picks_torchs_pixels_for_every_size():
    """The nearest modes' source index for every pair of sizes up to 24 (a float rounding at a pixel border would
    pick the neighbour), and for scale factors."""
    for n, mode in itertools.product(range(1, 25), ("nearest", "nearest-exact")):
        x = np.arange(float(n)).reshape(1, 1, n)
        for kwargs in [{"size": o} for o in range(1, 25)] + [{"scale_factor": f} for f in (0.3, 0.7, 1.1, 1.9, 3.3)]:
            if int(n * kwargs.get("scale_factor", 1)) == 0:
                continue
            got = ember.nn.functional.interpolate(ember.tensor(x), mode=mode, **kwargs).numpy()
            want = torch.nn.functional.interpolate(torch.tensor(x), mode=mode, **kwargs).numpy()
            np.testing.assert_array_equal(got, want, err_msg=f"{n} {mode} {kwargs}")


@pytest.mark.parametrize("shape, mode, kwargs", [
    ((1, 1, 4, 4), "linear", {}), ((1, 1, 4), "bilinear", {}), ((1, 1, 4), "bicubic", {}),
    ((1, 1, 4, 4), "trilinear", {}), ((1, 1, 4), "bogus", {}), ((1, 1, 4), "area", {"align_corners": True}),
    ((1, 1, 4), "nearest-exact", {"align_corners": False}), ((1, 1, 4), "nearest", {"align_corners": True}),
])
def test_interpolate_refuses_as_torch(shape, mode, kwargs):
    errors = []
    for lib in (ember, torch):
        with pytest.raises(Exception) as caught:
            lib.nn.functional.interpolate(lib.ones(shape), size=[3] * (len(shape) - 2), mode=mode, **kwargs)
        errors.append((type(caught.value), str(caught.value)))
    assert errors[0] == errors[1]

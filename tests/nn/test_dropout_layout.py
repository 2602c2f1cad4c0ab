"""Dropout draws as torch draws them: the noise is laid out as empty_like(input) (the input's own layout when it
is dense, row-major when it has gaps), filled in memory order; every dropout-like function, seeded, equals
torch's bit for bit, on permuted, transposed and sliced inputs, float32 and float64, and so do the gradients."""
import numpy as np
import pytest
import torch

import ember

FUNCTIONS = {  # name -> (minimum ndim, maximum ndim)
    "dropout": (1, 4), "alpha_dropout": (1, 4), "feature_alpha_dropout": (2, 5), "dropout1d": (2, 3),
    "dropout2d": (4, 4), "dropout3d": (4, 5),
}
LAYOUTS = ["contiguous", "permuted", "sliced", "permuted_slice", "expanded"]


def _views(lib, base, layout, perm, rng_slice):
    """The same layout of the same values in either library."""
    t = lib.tensor(base, requires_grad=True)
    if layout in ("permuted", "permuted_slice"):
        t2 = t.permute(*perm)
    else:
        t2 = t * 1
    if layout in ("sliced", "permuted_slice"):
        t2 = t2[(slice(None),) * rng_slice + (slice(None, None, 2),)]
    if layout == "expanded":  # a stride of 0 in the middle, then permuted: torch's empty_like never moves it
        w = min(rng_slice, t.ndim)
        t2 = t.unsqueeze(w).expand(*t.shape[:w], 3, *t.shape[w:]).permute(*perm)
    return t, t2


@pytest.mark.parametrize("name", FUNCTIONS)
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dropout_draws_follow_memory_layout(name, layout, dtype):
    rng = np.random.default_rng(abs(hash((name, layout, dtype))) % 2 ** 32)
    low, high = FUNCTIONS[name]
    for trial in range(4):
        ndim = int(rng.integers(low, high + 1))
        shape = tuple(int(n) for n in rng.integers(1, 6, ndim))
        shape = shape[:-1] + (shape[-1] * 2,) if "slice" in layout else shape
        if layout == "expanded":  # the base has one dimension fewer; the expanded one is inserted
            if ndim < 2:  # (sizes of 1 left out: ember's views give them numpy's strides, not torch's)
                continue
            shape = tuple(n + 1 for n in shape[1:])
        base = rng.normal(size=shape).astype(dtype)
        perm = tuple(int(i) for i in rng.permutation(ndim))
        where = int(rng.integers(0, ndim))
        p = float(rng.choice([0.2, 0.5, 0.7]))
        results = []
        for lib in (ember, torch):
            leaf, x = _views(lib, base, layout, perm, where)
            if tuple(x.shape)[0] == 0 or x.numel() == 0:
                continue
            lib.manual_seed(trial)
            out = getattr(lib.nn.functional, name)(x, p, True)
            weights = lib.tensor(np.linspace(-1, 1, out.numel()).reshape(tuple(out.shape)).astype(dtype))
            (out * weights).sum().backward()
            results.append((out.detach().numpy(), leaf.grad.numpy()))
        if results:
            (e_out, e_grad), (t_out, t_grad) = results
            np.testing.assert_array_equal(e_out, t_out, err_msg=f"{name} {layout} {shape} perm={perm}")
            np.testing.assert_array_equal(e_grad, t_grad)


def test_transposed_dropout_example():
    ember.manual_seed(0)
    e = ember.nn.functional.dropout(ember.ones(4, 3).t(), 0.5)
    torch.manual_seed(0)
    t = torch.nn.functional.dropout(torch.ones(4, 3).t(), 0.5)
    np.testing.assert_array_equal(e.numpy(), t.numpy())


@pytest.mark.parametrize("cls, shape", [("Dropout", (3, 4)), ("Dropout1d", (2, 3, 4)), ("Dropout2d", (2, 3, 4, 2)),
                                        ("Dropout3d", (2, 3, 2, 2, 2)), ("AlphaDropout", (3, 5)),
                                        ("FeatureAlphaDropout", (2, 3, 4))])
def test_dropout_modules_train_eval_inplace(cls, shape):
    x = np.random.default_rng(1).normal(size=shape).astype(np.float32)
    outs = []
    for lib in (ember, torch):
        lib.manual_seed(3)
        m = getattr(lib.nn, cls)(0.4)
        y = m(lib.tensor(x).transpose(0, -1))
        m.eval()
        same = m(lib.tensor(x))
        lib.manual_seed(3)
        z = lib.tensor(x).transpose(0, -1).contiguous()
        back = getattr(lib.nn, cls)(0.4, inplace=True)(z)
        outs.append((y.numpy(), same.numpy(), z.numpy(), back is z, repr(m)))
    (ey, es, ez, eb, er), (ty, ts, tz, tb, tr) = outs
    np.testing.assert_array_equal(ey, ty)
    np.testing.assert_array_equal(es, x)
    np.testing.assert_array_equal(ez, tz)
    assert eb == tb and er == tr


@pytest.mark.parametrize("name, shape", [("dropout1d", (3,)), ("dropout1d", (2, 3, 4, 5)), ("dropout2d", (3,))])
def test_feature_dropout_rejects_wrong_rank_as_torch(name, shape):
    with pytest.raises(RuntimeError) as t_err:
        getattr(torch.nn.functional, name)(torch.ones(shape), 0.5)
    with pytest.raises(RuntimeError) as e_err:
        getattr(ember.nn.functional, name)(ember.ones(shape), 0.5)
    assert str(e_err.value) == str(t_err.value)


@pytest.mark.parametrize("name, shape", [("dropout3d", (2, 3, 4)), ("dropout3d", (1, 2, 3, 4, 5, 6)),
                                         ("dropout2d", (2, 3)), ("dropout2d", (3, 4, 5)), ("dropout2d", (1, 2, 3, 4, 5))])
def test_feature_dropout_odd_ranks_warn_and_draw_as_torch(name, shape):
    outs = []
    for lib in (ember, torch):
        lib.manual_seed(0)
        with pytest.warns(UserWarning) as caught:
            out = getattr(lib.nn.functional, name)(lib.ones(shape), 0.5)
        outs.append((out.numpy(), [str(w.message) for w in caught]))
    np.testing.assert_array_equal(outs[0][0], outs[1][0])
    assert outs[0][1] == outs[1][1]


@pytest.mark.parametrize("name", ["dropout", "alpha_dropout", "dropout1d", "dropout3d", "feature_alpha_dropout"])
def test_dropout_rejects_bad_probability(name):
    with pytest.raises(ValueError, match="between 0 and 1"):
        getattr(ember.nn.functional, name)(ember.ones(2, 3, 4, 5), 1.5, True)

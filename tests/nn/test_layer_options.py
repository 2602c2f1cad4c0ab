"""Layer options torch takes that ember used to refuse: each against torch."""
import numpy as np
import pytest
import torch

import ember


def test_hardtanh_takes_torchs_deprecated_names():
    outs = []
    for lib in (ember, torch):
        with pytest.warns(FutureWarning) as caught:
            m = lib.nn.Hardtanh(min_value=-0.5, max_value=2.0)
        outs.append((repr(m), [str(w.message) for w in caught], m(lib.tensor([-3.0, 0.0, 3.0])).numpy()))
    assert outs[0][:2] == outs[1][:2]
    np.testing.assert_array_equal(outs[0][2], outs[1][2])


@pytest.mark.parametrize("make, shape", [
    (lambda nn, **kw: nn.GroupNorm(2, 4, **kw), (3, 4, 5)),
    (lambda nn, **kw: nn.InstanceNorm1d(4, **kw), (3, 4, 5)),
    (lambda nn, **kw: nn.InstanceNorm2d(4, **kw), (2, 4, 3, 3)),
    (lambda nn, **kw: nn.BatchNorm1d(4, **kw), (3, 4, 5)),
])
@pytest.mark.parametrize("options", [{}, {"bias": False}, {"affine": False}, {"affine": True, "bias": False},
                                     {"affine": False, "bias": False}])
def test_norm_layers_take_bias_as_torch(make, shape, options):
    """bias=False (keyword only): a scale without a shift, printed and saved as torch's; values and gradients."""
    x = np.random.default_rng(0).normal(size=shape)
    got = []
    for lib in (ember, torch):
        m = make(lib.nn, **options).double()
        if m.weight is not None:
            with lib.no_grad():
                m.weight.copy_(lib.tensor(np.linspace(0.5, 1.5, 4)))
        xt = lib.tensor(x, requires_grad=True)
        y = m(xt)
        (y * lib.tensor(np.arange(y.numel()).reshape(y.shape) % 5.0)).sum().backward()
        got.append((repr(m), list(m.state_dict()), [n for n, _ in m.named_parameters()], y.detach().numpy(),
                    xt.grad.numpy(), None if m.weight is None else m.weight.grad.numpy()))
    assert got[0][:3] == got[1][:3]
    for a, b in zip(got[0][3:], got[1][3:]):
        if a is None or b is None:
            assert a is None and b is None
        else:
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)

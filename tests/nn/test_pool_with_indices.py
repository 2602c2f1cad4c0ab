"""F.max_pool1d/2d/3d_with_indices and F.adaptive_max_pool1d/2d_with_indices against torch: always (output,
indices), the same as the pools with return_indices=True, gradients included, whatever return_indices says."""
import numpy as np
import pytest
import torch

import ember

RNG = np.random.default_rng(5)

CASES = [("max_pool1d_with_indices", (2, 3, 9), (3,), {"stride": 2, "padding": 1}),
         ("max_pool1d_with_indices", (3, 8), (2,), {"ceil_mode": True}),
         ("max_pool2d_with_indices", (2, 2, 7, 6), ((3, 2),), {"stride": (2, 1), "dilation": (1, 2)}),
         ("max_pool2d_with_indices", (3, 5, 5), (2,), {"return_indices": False}),
         ("max_pool3d_with_indices", (1, 2, 5, 4, 6), (2,), {"padding": 1}),
         ("adaptive_max_pool1d_with_indices", (2, 3, 10), (4,), {}),
         ("adaptive_max_pool2d_with_indices", (2, 3, 7, 5), ((3, 2),), {}),
         ("adaptive_max_pool2d_with_indices", (3, 8, 8), (4,), {"return_indices": False})]


@pytest.mark.parametrize("name,shape,args,kwargs", CASES)
def test_with_indices_as_torch(name, shape, args, kwargs):
    x = RNG.normal(size=shape)
    e_x, t_x = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    e_out, e_idx = getattr(ember.nn.functional, name)(e_x, *args, **kwargs)
    t_out, t_idx = getattr(torch.nn.functional, name)(t_x, *args, **kwargs)
    np.testing.assert_array_equal(e_out.detach().numpy(), t_out.detach().numpy())
    np.testing.assert_array_equal(e_idx.numpy(), t_idx.numpy())
    assert e_idx.dtype == ember.int64 and t_idx.dtype == torch.int64
    weights = RNG.normal(size=tuple(t_out.shape))
    (e_out * ember.tensor(weights)).sum().backward()
    (t_out * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(e_x.grad.numpy(), t_x.grad.numpy(), rtol=1e-12)
    # the same as the pool itself with return_indices=True
    pool = getattr(ember.nn.functional, name.replace("_with_indices", ""))
    p_out, p_idx = pool(ember.tensor(x), *args, **{**kwargs, "return_indices": True})
    np.testing.assert_array_equal(p_out.numpy(), e_out.detach().numpy())
    np.testing.assert_array_equal(p_idx.numpy(), e_idx.numpy())

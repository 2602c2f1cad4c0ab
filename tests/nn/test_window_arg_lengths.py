"""Window arguments (kernel_size, stride, padding, dilation) of the wrong length for the convolution or pool:
torch refuses each with a RuntimeError in its own words, where reading only the first value would pool or convolve
something else; an empty stride of a pool is omitted, and a list of one is spread over the dims."""
import re

import pytest
import torch

import ember

CONVS = {
    "conv1d": lambda F, t, kw: F.conv1d(t.ones(1, 1, 8), t.ones(1, 1, 3), **kw),
    "conv2d": lambda F, t, kw: F.conv2d(t.ones(1, 1, 8, 8), t.ones(1, 1, 3, 3), **kw),
    "Conv1d": lambda F, t, kw: t.nn.Conv1d(1, 1, 3, **kw)(t.ones(1, 1, 8)),
    "Conv2d": lambda F, t, kw: t.nn.Conv2d(1, 1, 3, **kw)(t.ones(1, 1, 8, 8)),
    "conv_transpose1d": lambda F, t, kw: F.conv_transpose1d(t.ones(1, 1, 8), t.ones(1, 1, 3), **kw),
    "conv_transpose2d": lambda F, t, kw: F.conv_transpose2d(t.ones(1, 1, 8, 8), t.ones(1, 1, 3, 3), **kw),
    "conv3d": lambda F, t, kw: F.conv3d(t.ones(1, 1, 5, 5, 5), t.ones(1, 1, 2, 2, 2), **kw),
    "Conv3d": lambda F, t, kw: t.nn.Conv3d(1, 1, 2, **kw)(t.ones(1, 1, 5, 5, 5)),
}
POOLS = {
    "max_pool1d": (("kernel_size", "stride", "padding", "dilation"),
                   lambda F, t, kw: F.max_pool1d(t.ones(1, 1, 8), **kw)),
    "max_pool1d-indices": (("kernel_size", "stride", "padding", "dilation"),
                           lambda F, t, kw: F.max_pool1d(t.ones(1, 1, 8), return_indices=True, **kw)[0]),
    "max_pool1d-requires-grad": (("kernel_size", "stride"),
                                 lambda F, t, kw: F.max_pool1d(t.ones(1, 1, 8, requires_grad=True), **kw)),
    "max_pool2d": (("kernel_size", "stride", "padding", "dilation"),
                   lambda F, t, kw: F.max_pool2d(t.ones(1, 1, 8, 8), **kw)),
    "MaxPool2d": (("kernel_size", "stride", "padding", "dilation"),
                  lambda F, t, kw: t.nn.MaxPool2d(**kw)(t.ones(1, 1, 8, 8))),
    "avg_pool1d": (("kernel_size", "stride", "padding"), lambda F, t, kw: F.avg_pool1d(t.ones(1, 1, 8), **kw)),
    "avg_pool2d": (("kernel_size", "stride", "padding"), lambda F, t, kw: F.avg_pool2d(t.ones(1, 1, 8, 8), **kw)),
    "lp_pool1d": (("kernel_size", "stride"), lambda F, t, kw: F.lp_pool1d(t.ones(1, 1, 8), 2, **kw)),
    "lp_pool2d": (("kernel_size", "stride"), lambda F, t, kw: F.lp_pool2d(t.ones(1, 1, 8, 8), 2, **kw)),
    "lp_pool1d-inf": (("kernel_size", "stride"),
                      lambda F, t, kw: F.lp_pool1d(t.ones(1, 1, 8), float("inf"), **kw)),
}
LENGTHS = [(), (1,), (1, 1), (1, 1, 1), (1, 1, 1, 1)]


def _outcome(lib, call, kw):
    try:
        return tuple(call(lib.nn.functional, lib, kw).shape)
    except Exception as error:  # noqa: BLE001 (torch's type and words are the expectation)
        return type(error), str(error)


def _cases():
    for name in CONVS:
        for arg in ("stride", "padding", "dilation"):
            for value in LENGTHS:
                yield pytest.param(CONVS[name], {arg: value}, id=f"{name}-{arg}={value}")
    for name, (args, call) in POOLS.items():
        for arg in args:
            for value in LENGTHS:
                kw = {"kernel_size": 2, arg: tuple(v * 2 if arg == "kernel_size" else v for v in value)}
                yield pytest.param(call, kw, id=f"{name}-{arg}={value}")


@pytest.mark.parametrize("call, kw", _cases())
def test_window_arguments_of_each_length_as_torch(call, kw):
    expected, got = _outcome(torch, call, kw), _outcome(ember, call, kw)
    if isinstance(expected, tuple) and len(expected) == 2 and isinstance(expected[0], type):
        assert isinstance(got[0], type) and issubclass(got[0], expected[0]), (expected, got)
        if expected[0] is RuntimeError or "unpack" in expected[1]:
            assert got[1] == expected[1]
    else:
        assert got == expected


def test_conv1d_stride_pair_is_not_read_as_its_first_value():
    with pytest.raises(RuntimeError, match=re.escape("expected stride to be a single integer value or a list of 1 "
                                                     "values to match the convolution dimensions, but got "
                                                     "stride=[1, 2]")):
        ember.nn.functional.conv1d(ember.ones(1, 1, 8), ember.ones(1, 1, 3), stride=(1, 2))

"""The op catalogue, layers, losses, optimizers and autograd on the strict stand-in GPU (tests/strict_cuda.py).

Every table the CPU tests check against torch is run again with its tensors on
"cuda:0", where each array is a StrictArray that refuses NumPy: any op that
would hand device data to NumPy, or mix a host array into it, fails here. The
values and gradients must equal the CPU run's, and gradients must land on the
device of their leaves.
"""
import numpy as np
import pytest

import ember
from ember import _backend
from helpers import sample
from strict_cuda import StrictArray, StrictRuntime

from ops.test_elementwise import BINARY, UNARY
from ops.test_reduction import REDUCTIONS
from ops.test_linalg import CASES as MATMULS
from ops.test_more_ops import ONE_INPUT, EINSUMS
from ops.test_shape import SHAPE_OPS
from nn.test_layers import LAYERS, ACTIVATIONS, F_LOSSES, CLASS_LOSSES, _targets
from nn.test_conv import CONV_LAYERS
from nn.test_rnn import RNN_LAYERS
from optim.test_optimizers import OPTIMIZERS, _train


@pytest.fixture(autouse=True)
def strict_gpu():
    previous = _backend.use_cuda_runtime(StrictRuntime())
    yield
    _backend.use_cuda_runtime(previous)


_FACTORIES = ("tensor", "zeros", "ones", "full", "arange", "eye", "linspace", "randn", "rand", "randint", "empty")


class OnDevice:
    """``ember`` as a program sees it after ``torch.set_default_device("cuda")``: factories make GPU tensors."""

    def __getattr__(self, name):
        value = getattr(ember, name)
        if name in _FACTORIES:
            return lambda *args, **kwargs: value(*args, **{"device": "cuda", **kwargs})
        return value


GPU = OnDevice()


def _cpu(x):
    return x.detach().cpu().numpy() if isinstance(x, ember.Tensor) else x


def _assert_equal(cpu, gpu, what):
    if isinstance(cpu, (tuple, list)):
        for c, g in zip(cpu, gpu):
            _assert_equal(c, g, what)
        return
    if not isinstance(cpu, ember.Tensor):
        assert cpu == gpu, what
        return
    assert gpu.device == ember.device("cuda", 0), f"{what} is on {gpu.device}"
    assert isinstance(gpu._data, StrictArray), f"{what} holds a {type(gpu._data).__name__}"
    assert gpu.dtype == cpu.dtype and gpu.shape == cpu.shape, what
    np.testing.assert_allclose(_cpu(gpu), _cpu(cpu), rtol=1e-12, atol=1e-12, err_msg=what, equal_nan=True)


def check_on_device(fn, arrays, double=False):
    """fn(lib, *tensors) on the CPU and on the stand-in GPU: same values, same gradients (and second ones)."""
    results = []
    for lib, dev in ((ember, "cpu"), (GPU, "cuda")):
        leaves = [ember.tensor(a.copy(), requires_grad=a.dtype.kind == "f", device=dev) for a in arrays]
        out = fn(lib, *leaves)
        grads = ()
        if isinstance(out, ember.Tensor) and out.requires_grad:
            seed = ember.tensor(np.random.default_rng(1).normal(size=tuple(out.shape)), dtype=out.dtype, device=dev)
            wrt = [x for x in leaves if x.requires_grad]
            grads = ember.autograd.grad(out, wrt, seed, create_graph=double, allow_unused=True)
            if double:
                total = sum((g * g).sum() for g in grads if g is not None and g.requires_grad)
                grads = grads + (ember.autograd.grad(total, wrt, allow_unused=True) if isinstance(
                    total, ember.Tensor) else ())
        results.append((out, grads))
    (c_out, c_grads), (g_out, g_grads) = results
    _assert_equal(c_out, g_out, "value")
    assert len(c_grads) == len(g_grads)
    for i, (c, g) in enumerate(zip(c_grads, g_grads)):
        assert (c is None) == (g is None), f"gradient {i}"
        if c is not None:
            _assert_equal(c, g, f"gradient {i}")


@pytest.mark.parametrize("name", BINARY)
def test_binary(name):
    fn, domain = BINARY[name]
    check_on_device(fn, [sample((2, 3), domain), sample((3,), domain)], double=True)


@pytest.mark.parametrize("name", UNARY)
def test_unary(name):
    fn, domain = UNARY[name]
    check_on_device(fn, [sample((2, 3), domain)], double=True)


@pytest.mark.parametrize("name", REDUCTIONS)
def test_reduction(name):
    fn, domain = REDUCTIONS[name]
    check_on_device(fn, [sample((2, 3, 4), domain)], double=True)


@pytest.mark.parametrize("name,fn,sa,sb", MATMULS, ids=[c[0] for c in MATMULS])
def test_matmul(name, fn, sa, sb):
    check_on_device(fn, [sample(sa), sample(sb)], double=True)


@pytest.mark.parametrize("name", ONE_INPUT)
def test_more_ops(name):
    check_on_device(ONE_INPUT[name], [sample((3, 4, 5), "distinct") / 10])


@pytest.mark.parametrize("equation,shapes", EINSUMS, ids=[e[0] for e in EINSUMS])
def test_einsum(equation, shapes):
    check_on_device(lambda lib, *xs: lib.einsum(equation, *xs), [sample(s) for s in shapes])


@pytest.mark.parametrize("name", SHAPE_OPS)
def test_shape_ops(name):
    check_on_device(SHAPE_OPS[name], [sample((2, 3, 4))], double=True)


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activations(name):
    check_on_device(lambda lib, x: ACTIVATIONS[name](lib)(x), [sample((3, 4))], double=True)


@pytest.mark.parametrize("name", F_LOSSES)
def test_losses(name):
    fn, kind = F_LOSSES[name]
    check_on_device(fn, [sample((4, 3)), _targets(kind, (4, 3))], double=True)


@pytest.mark.parametrize("name", CLASS_LOSSES)
def test_class_index_losses(name):
    target = np.array([0, 3, 2, 1, 2, 3])
    check_on_device(lambda lib, x: CLASS_LOSSES[name](lib, x, lib.tensor(target)), [sample((6, 4))], double=True)


def check_module_on_device(make, arrays, train=True):
    """A layer built from one seed, one copy on each device: same outputs, input and parameter gradients."""
    def run(dev):
        ember.manual_seed(0)
        module = make(ember).double().to(dev)
        module.train(train)
        inputs = [ember.tensor(a, requires_grad=True, device=dev) for a in arrays]
        out = module(*inputs)
        out = out[0] if isinstance(out, tuple) else out
        out.backward(ember.tensor(np.random.default_rng(2).normal(size=tuple(out.shape)), device=dev))
        params = [p.grad for p in module.parameters()]
        return out, [x.grad for x in inputs], params, list(module.buffers())
    cpu, gpu = run("cpu"), run("cuda")
    for what, c, g in zip(("output", "input gradients", "parameter gradients", "buffers"), cpu, gpu):
        _assert_equal(c, g, what)


@pytest.mark.parametrize("name", LAYERS)
def test_layers(name):
    make, shapes = LAYERS[name]
    check_module_on_device(make, [sample(s) for s in shapes])


@pytest.mark.parametrize("name", CONV_LAYERS)
def test_conv_and_pooling(name):
    make, shape = CONV_LAYERS[name]
    check_module_on_device(make, [sample(shape, "distinct") if "max" in name else sample(shape)])


@pytest.mark.parametrize("name", RNN_LAYERS)
def test_recurrent_layers(name):
    make, shapes = RNN_LAYERS[name]
    check_module_on_device(make, [sample(s) for s in shapes])


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_optimizers(name):
    cpu = _train(ember, OPTIMIZERS[name], steps=8)
    gpu = _train(GPU, OPTIMIZERS[name], steps=8)
    _assert_equal(list(cpu[:2]), list(gpu[:2]), "parameters")
    for (c_p, c_state), g_state in zip(cpu[2].state.items(), gpu[2].state.values()):
        for key, value in c_state.items():
            if isinstance(value, ember.Tensor) and value.ndim:
                _assert_equal(value, g_state[key], f"optimizer state {key}")


def test_clip_grad_norm_and_scheduler():
    results = []
    for dev in ("cpu", "cuda"):
        ember.manual_seed(0)
        model = ember.nn.Sequential(ember.nn.Linear(4, 8), ember.nn.ReLU(), ember.nn.Linear(8, 3)).to(dev)
        opt = ember.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        sched = ember.optim.lr_scheduler.StepLR(opt, 2)
        x = ember.randn(6, 4).to(dev)
        for _ in range(3):
            opt.zero_grad()
            model(x).pow(2).mean().backward()
            norm = ember.nn.utils.clip_grad_norm_(model.parameters(), 0.5)
            ember.nn.utils.clip_grad_value_(model.parameters(), 0.1) if hasattr(ember.nn.utils,
                                                                               "clip_grad_value_") else None
            opt.step()
            sched.step()
        results.append((norm, [p.detach() for p in model.parameters()]))
    _assert_equal(results[0][1], results[1][1], "parameters")
    assert results[1][0].device == ember.device("cuda", 0)
    np.testing.assert_allclose(results[1][0].item(), results[0][0].item(), rtol=1e-6)


def test_dataloader_batches_move_to_the_device_and_train():
    x = ember.randn(20, 3)
    y = ember.randint(0, 2, (20,))
    loader = ember.utils.data.DataLoader(ember.utils.data.TensorDataset(x, y), batch_size=8, pin_memory=True)
    model = ember.nn.Linear(3, 2).cuda()
    for xb, yb in loader:
        xb, yb = xb.to("cuda", non_blocking=True), yb.cuda(non_blocking=True)
        loss = ember.nn.functional.cross_entropy(model(xb), yb)
        loss.backward()
    assert model.weight.grad.is_cuda and xb.is_cuda and yb.dtype == ember.int64
    gpu_set = ember.utils.data.TensorDataset(x.cuda(), y.cuda())
    xb, yb = next(iter(ember.utils.data.DataLoader(gpu_set, batch_size=8, shuffle=True)))
    assert xb.is_cuda and yb.is_cuda and xb.shape == (8, 3)


@pytest.mark.parametrize("make,shape", [(lambda lib: lib.nn.Dropout(0.3), (4, 5)),
                                        (lambda lib: lib.nn.Dropout2d(0.5), (2, 3, 4, 4)),
                                        (lambda lib: lib.nn.Sequential(lib.nn.Linear(5, 6), lib.nn.Dropout(0.2),
                                                                       lib.nn.ReLU()), (3, 5))])
def test_dropout_draws_the_same_masks_on_every_device(make, shape):
    check_module_on_device(make, [sample(shape)], train=True)


@pytest.mark.parametrize("fn", [lambda lib, a: a[:1].expand(1, 3, 4) * 2,  # no repeated element: a writeable view
                                lambda lib, a: a[:, None, 1] + a[None, :, 0],  # new axes with torch's strides
                                lambda lib, a: a.diagonal(0, 1, 2).exp()], ids=["expand", "newaxis", "diagonal"])
def test_views_with_torchs_layout(fn):
    check_on_device(fn, [sample((2, 3, 4))], double=True)


@pytest.mark.parametrize("fn", [lambda lib, a: a.unfold(2, 2, 1) * 3, lambda lib, a: a.unfold(1, 2, 2).sum(-1)],
                         ids=["overlapping", "strided"])
def test_unfold(fn):
    check_on_device(fn, [sample((2, 3, 4))], double=True)


def test_fill_and_copy_recorded_on_the_device():
    for dev in ("cpu", "cuda"):
        x = ember.ones(3, device=dev, requires_grad=True)
        y = x * 2
        y.fill_(ember.tensor(5.0, requires_grad=True))
        z = x * 3
        z.copy_(ember.tensor([1.0, 2.0, 3.0], device=dev, requires_grad=True))
        (y.sum() + z.sum()).backward()
        assert x.grad.device == (ember.device("cpu") if dev == "cpu" else ember.device("cuda", 0))
        assert x.grad.tolist() == [0.0, 0.0, 0.0]

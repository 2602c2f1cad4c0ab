"""Devices: ember.device, ember.cuda and ember.backends as a CPU-only torch answers them; then torch's device
rules (mixing, .numpy(), printing, save/load, seeds) on the strict stand-in GPU (tests/strict_cuda.py)."""
import subprocess
import sys
import warnings

import numpy as np
import pytest
import torch

import ember
from ember import _backend
from strict_cuda import StrictArray, StrictRuntime


# the answers of a machine without a GPU (on a GPU machine, tests/cuda checks the real thing)
cpu_only = pytest.mark.skipif(ember.cuda.is_available() or torch.cuda.is_available(),
                              reason="checks what a machine without a GPU answers")


def _raises_like_torch(call_torch, call_ember):
    """Both raise, with the same exception type; returns ember's exception."""
    with pytest.raises(Exception) as t:
        call_torch()
    with pytest.raises(Exception) as e:
        call_ember()
    assert type(e.value) is type(t.value), (e.value, t.value)
    return e.value


# ----------------------------------------------------------------------------
# ember.device
# ----------------------------------------------------------------------------
@pytest.mark.parametrize("args", [("cpu",), ("cuda",), ("cuda:1",), ("cuda", 1), ("cpu", 0), ("cpu:0",), ("mps",)])
def test_device_construction_printing_and_fields_match_torch(args):
    e, t = ember.device(*args), torch.device(*args)
    assert (e.type, e.index, str(e)) == (t.type, t.index, str(t))
    assert repr(e) == repr(t)
    assert ember.device(e) == e and hash(ember.device(*args)) == hash(e)


def test_device_equality_as_torch():
    assert ember.device("cuda:0") == ember.device("cuda", 0)
    assert ember.device("cuda") != ember.device("cuda:0")  # no index is not index 0, as in torch
    assert (ember.device("cpu") == "cpu") is (torch.device("cpu") == "cpu") is False
    assert len({ember.device("cpu"), ember.device("cpu"), ember.device("cuda", 1)}) == 2
    with pytest.raises(AttributeError):
        ember.device("cpu").type = "cuda"


@cpu_only
@pytest.mark.parametrize("args", [("gpu",), ("cuda:x",), ("cuda:-1",), ("cuda", -1), ("cuda:1", 1), (1,)])
def test_bad_devices_raise_torchs_error(args):
    _raises_like_torch(lambda: torch.device(*args), lambda: ember.device(*args))


@cpu_only
# ----------------------------------------------------------------------------
# no GPU: what a CPU-only torch answers
# ----------------------------------------------------------------------------
def test_the_tutorial_line_picks_the_cpu():
    device = ember.device("cuda" if ember.cuda.is_available() else "cpu")
    assert device == ember.device("cpu") and not ember.cuda.is_available()
    x = ember.ones(2, 3, device=device)
    assert x.device == device and not x.is_cuda and x.get_device() == -1
    assert x.to(device) is x and x.cpu() is x and x.to(device, non_blocking=True) is x


@cpu_only
@pytest.mark.parametrize("name", ["device_count", "memory_allocated", "max_memory_allocated", "memory_reserved",
                                  "is_initialized", "is_bf16_supported"])
def test_cuda_queries_a_cpu_only_torch_answers(name):
    assert getattr(ember.cuda, name)() == getattr(torch.cuda, name)()


@cpu_only
def test_cuda_calls_a_cpu_only_torch_accepts():
    for name in ("manual_seed", "manual_seed_all"):
        assert getattr(ember.cuda, name)(0) is None and getattr(torch.cuda, name)(0) is None
    assert ember.cuda.empty_cache() is None and ember.cuda.reset_peak_memory_stats() is None


@cpu_only
@pytest.mark.parametrize("call", [
    lambda lib: lib.tensor([1.0], device="cuda"), lambda lib: lib.zeros(2, device="cuda:0"),
    lambda lib: lib.ones(2, device=lib.device("cuda")), lambda lib: lib.randn(2, device="cuda"),
    lambda lib: lib.ones(2).cuda(), lambda lib: lib.ones(2).to("cuda"), lambda lib: lib.ones(2).to("cuda:1"),
    lambda lib: lib.cuda.current_device(), lambda lib: lib.cuda.get_device_name(),
    lambda lib: lib.cuda.get_device_name(0), lambda lib: lib.cuda.synchronize(),
    lambda lib: lib.cuda.get_device_properties(0), lambda lib: lib.cuda.get_device_capability(),
    lambda lib: lib.nn.Linear(2, 2).cuda(), lambda lib: lib.nn.Linear(2, 2).to("cuda"),
    lambda lib: lib.nn.Linear(2, 2, device="cuda"), lambda lib: lib.cuda.Event(enable_timing=True),
    lambda lib: lib.ones(2).pin_memory(), lambda lib: lib.zeros(2, pin_memory=True),
    lambda lib: lib.device(0),
], ids=lambda f: "call")
def test_asking_for_cuda_without_a_gpu_raises_torchs_exception_and_says_what_to_install(call):
    error = _raises_like_torch(lambda: call(torch), lambda: call(ember))
    if isinstance(error, AssertionError):
        assert "Torch not compiled with CUDA enabled" in str(error) and "cupy" in str(error).lower()


@cpu_only
def test_backends_flags_are_settable_as_in_torch():
    import ember.backends.cudnn as cudnn
    for name in ("benchmark", "deterministic", "enabled"):
        assert getattr(cudnn, name) == getattr(torch.backends.cudnn, name)
    cudnn.benchmark = True
    try:
        assert ember.backends.cudnn.benchmark is True
    finally:
        cudnn.benchmark = False
    assert ember.backends.mps.is_available() is torch.backends.mps.is_available() is False
    assert ember.backends.cudnn.is_available() is False
    assert ember.backends.cuda.matmul.allow_tf32 is torch.backends.cuda.matmul.allow_tf32


@cpu_only
def test_cudnn_flags_sets_the_flags_for_a_block_as_torch():
    for lib in (torch, ember):
        cudnn = lib.backends.cudnn
        before = (cudnn.enabled, cudnn.benchmark, cudnn.deterministic, cudnn.allow_tf32)
        with cudnn.flags(allow_tf32=False) as inside:
            assert inside is None
            assert (cudnn.enabled, cudnn.benchmark, cudnn.deterministic, cudnn.allow_tf32) == (False, False, False,
                                                                                               False)
        assert (cudnn.enabled, cudnn.benchmark, cudnn.deterministic, cudnn.allow_tf32) == before
        with pytest.raises(KeyError):
            with cudnn.flags(enabled=True, deterministic=True):
                assert cudnn.deterministic is True
                raise KeyError("restored even so")
        assert (cudnn.enabled, cudnn.benchmark, cudnn.deterministic, cudnn.allow_tf32) == before


def test_to_forms_as_torch():
    x = ember.tensor([1.5, 2.5])
    assert x.to(ember.float64).dtype == ember.float64
    assert x.to("cpu", ember.float64).dtype == ember.float64
    assert x.to(device="cpu", dtype=ember.int64).tolist() == [1, 2]
    assert x.to(ember.zeros(1, dtype=ember.float64)).dtype == ember.float64
    assert x.to("cpu", copy=True) is not x and x.to("cpu", copy=True).tolist() == x.tolist()
    assert x.to(ember.float32, False, True) is not x  # positional non_blocking, copy
    assert x.pin_memory if False else not x.is_pinned()
    with pytest.raises(TypeError):
        x.to("cpu", bogus=1)


def test_module_to_takes_floating_dtypes_only_as_torch():
    _raises_like_torch(lambda: torch.nn.Linear(2, 2).to(torch.int64), lambda: ember.nn.Linear(2, 2).to(ember.int64))
    bn = ember.nn.BatchNorm1d(3).to("cpu", ember.float64)
    assert bn.weight.dtype == ember.float64 and bn.num_batches_tracked.dtype == ember.int64  # integers stay
    m = ember.nn.Linear(2, 2)
    assert m.to(ember.device("cpu")) is m and m.cpu() is m


def test_factories_and_like_functions_take_device():
    for make in (lambda: ember.zeros(2, device="cpu"), lambda: ember.full((2,), 3.0, device=ember.device("cpu")),
                 lambda: ember.arange(3, device="cpu"), lambda: ember.eye(2, device="cpu"),
                 lambda: ember.rand(2, device="cpu"), lambda: ember.randint(0, 3, (2,), device="cpu"),
                 lambda: ember.zeros_like(ember.ones(2), device="cpu"), lambda: ember.ones(1).new_zeros(2)):
        assert make().device == ember.device("cpu")


@cpu_only
def test_dataloader_pin_memory_warns_like_torch_and_batches_still_come():
    data = ember.utils.data.TensorDataset(ember.ones(4, 2))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        batch = next(iter(ember.utils.data.DataLoader(data, batch_size=2, pin_memory=True)))
    assert any("pin_memory" in str(w.message) for w in caught)
    assert batch[0].shape == (2, 2)


@cpu_only
def test_torch_cuda_and_backends_imports_work_under_ember_run(tmp_path):
    program = tmp_path / "tutorial.py"
    program.write_text(
        "import torch\nimport torch.cuda\nimport torch.backends.cudnn as cudnn\nfrom torch.backends import mps\n"
        "cudnn.benchmark = True\n"
        "device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')\n"
        "model = torch.nn.Linear(3, 2).to(device)\n"
        "x = torch.randn(4, 3).to(device, non_blocking=True)\n"
        "print(device, model(x).shape, torch.cuda.device_count(), mps.is_available(), torch.__name__)\n")
    out = subprocess.run([sys.executable, "-m", "ember.cli", "run", str(program)], capture_output=True, text=True,
                         check=True)
    assert out.stdout.split() == ["cpu", "torch.Size([4,", "2])", "0", "False", "ember"]  # printed as torch


# ----------------------------------------------------------------------------
# on the strict stand-in GPU
# ----------------------------------------------------------------------------
@pytest.fixture
def gpu():
    previous = _backend.use_cuda_runtime(StrictRuntime())
    yield ember.device("cuda", 0)
    _backend.use_cuda_runtime(previous)


def test_a_cuda_tensor_holds_a_device_array(gpu):
    assert ember.cuda.is_available() and ember.cuda.device_count() == 1 and ember.cuda.current_device() == 0
    assert ember.cuda.get_device_name() == "Strict stand-in GPU"
    x = ember.tensor([1.0, 2.0], device="cuda")
    assert isinstance(x._data, StrictArray) and x.is_cuda and x.device == gpu and x.get_device() == 0
    assert x.cuda() is x and x.to("cuda:0") is x and x.to(gpu) is x
    assert ember.device(0) == gpu
    assert x.cpu().device == ember.device("cpu") and isinstance(x.cpu()._data, np.ndarray)
    assert ember.ones(2).cuda(0).device == gpu and ember.ones(2).cuda(gpu).device == gpu


def test_mixing_devices_raises_torchs_runtime_error(gpu):
    x, y = ember.ones(3, device="cuda"), ember.ones(3)
    message = "Expected all tensors to be on the same device, but found at least two devices, cuda:0 and cpu!"
    for call in (lambda: x + y, lambda: y * x, lambda: x @ y, lambda: ember.cat([x, y]),
                 lambda: ember.nn.functional.mse_loss(x, y), lambda: ember.nn.Linear(3, 2)(x)):
        with pytest.raises(RuntimeError, match=message):
            call()


def test_numbers_and_0d_cpu_tensors_join_cuda_tensors_as_in_torch(gpu):
    x = ember.tensor([1.0, 2.0], device="cuda", requires_grad=True)
    s = ember.tensor(3.0, requires_grad=True)  # 0-d, on the CPU
    out = (x * s + 2 - ember.tensor(1.0)).sum()
    assert out.is_cuda and out.item() == 11.0
    out.backward()
    assert x.grad.is_cuda and x.grad.tolist() == [3.0, 3.0]
    assert s.grad.device == ember.device("cpu") and s.grad.item() == 3.0  # the gradient goes home
    assert (x.detach() > ember.tensor(1.5)).tolist() == [False, True]
    assert ember.where(x.detach() > 1.5, 1.0, 0.0).is_cuda


def test_numpy_of_a_cuda_tensor_raises_torchs_type_error(gpu):
    x = ember.ones(2, device="cuda")
    with pytest.raises(TypeError, match=r"can't convert cuda:0 device type tensor to numpy\. Use Tensor\.cpu\(\)"):
        x.numpy()
    with pytest.raises(TypeError, match=r"Tensor\.cpu\(\)"):
        np.asarray(x)
    assert x.cpu().numpy().tolist() == [1.0, 1.0]


def test_item_tolist_and_printing_copy_to_the_host(gpu):
    x = ember.tensor([[1.0, 2.0]], device="cuda", requires_grad=True)
    assert x.sum().item() == 3.0 and x.tolist() == [[1.0, 2.0]] and float(x[0, 1]) == 2.0 and bool(x[0, 0])
    assert repr(x) == "tensor([[1., 2.]], device='cuda:0', requires_grad=True)"
    assert repr(ember.tensor([1, 2], device="cuda")) == "tensor([1, 2], device='cuda:0')"
    assert repr((x * 2).sum()) == "tensor(6., device='cuda:0', grad_fn=<SumBackward0>)"


def test_moving_is_differentiable_both_ways(gpu):
    w = ember.tensor([1.0, -2.0], requires_grad=True)
    loss = (w.cuda() ** 2).sum()
    (g,) = ember.autograd.grad(loss, w, create_graph=True)
    assert g.device == ember.device("cpu") and g.tolist() == [2.0, -4.0]
    assert loss.grad_fn.name() == "SumBackward0"
    g.sum().backward()
    assert w.grad.tolist() == [2.0, 2.0]


def test_module_moves_in_place_and_optimizer_keeps_its_parameters(gpu):
    model = ember.nn.Sequential(ember.nn.Linear(3, 4), ember.nn.BatchNorm1d(4), ember.nn.Linear(4, 1))
    params = list(model.parameters())
    opt = ember.optim.Adam(model.parameters(), lr=0.1)
    assert model.cuda() is model and all(p is q for p, q in zip(model.parameters(), params))
    assert all(p.is_cuda for p in model.parameters()) and all(b.is_cuda for b in model.buffers())
    x = ember.randn(5, 3, device="cuda")
    model(x).sum().backward()
    opt.step()
    assert all(p.grad.is_cuda for p in params) and all(v.is_cuda for s in opt.state.values()
                                                       for k, v in s.items() if k != "step")
    model.cpu()
    assert all(p.device == ember.device("cpu") for p in model.parameters())
    assert all(p.grad.device == ember.device("cpu") for p in model.parameters())
    assert ember.nn.Linear(2, 2, device="cuda").weight.is_cuda


def test_layers_made_on_the_gpu_get_the_cpu_draws(gpu):
    ember.manual_seed(3)
    cpu = ember.nn.Linear(3, 2)
    ember.manual_seed(3)
    cuda = ember.nn.Linear(3, 2, device="cuda")
    assert cuda.weight.is_cuda and cuda.weight.cpu().tolist() == cpu.weight.tolist()
    ember.manual_seed(5)
    a = ember.randn(3, device="cuda")
    ember.manual_seed(5)
    assert a.cpu().tolist() == ember.randn(3).tolist()


def test_manual_seed_seeds_the_gpu_generator_too(gpu):
    runtime = _backend.cuda_runtime()
    ember.cuda.manual_seed(11)
    assert runtime.seed == 11
    ember.cuda.manual_seed_all(12)
    assert runtime.seed == 12
    ember.manual_seed(13)  # torch.manual_seed seeds every device
    assert runtime.seed == 13


def test_save_and_load_across_devices(gpu, tmp_path):
    path = tmp_path / "ckpt.safetensors"
    state = {"w": ember.tensor([1.0, 2.0], device="cuda"), "b": ember.tensor([3.0]), "n": 4}
    ember.save(state, path)
    back = ember.load(path)
    assert back["w"].is_cuda and not back["b"].is_cuda and back["w"].cpu().tolist() == [1.0, 2.0]
    for location in ("cpu", ember.device("cpu"), {"cuda:0": "cpu"}, lambda storage, loc: storage):
        loaded = ember.load(path, map_location=location)
        assert loaded["w"].device == ember.device("cpu") and loaded["n"] == 4
    for location in ("cuda:0", ember.device("cuda", 0), lambda storage, loc: storage.cuda(0)):
        loaded = ember.load(path, map_location=location)
        assert loaded["w"].is_cuda and loaded["b"].is_cuda
    _backend.use_cuda_runtime(False)  # the same file on a machine without a GPU
    with pytest.raises(RuntimeError, match="map_location=torch.device\\('cpu'\\)"):
        ember.load(path)
    assert ember.load(path, map_location="cpu")["w"].tolist() == [1.0, 2.0]


def test_in_place_updates_and_copies_between_devices(gpu):
    x = ember.zeros(3, device="cuda")
    x += 1
    x.add_(ember.tensor(2.0))  # a 0-d CPU tensor may join
    x[0] = 7.0
    x[ember.tensor([1])] = ember.tensor([5.0], device="cuda")
    assert x.tolist() == [7.0, 5.0, 3.0]
    cpu = ember.zeros(3)
    cpu.copy_(x)
    assert cpu.tolist() == [7.0, 5.0, 3.0]
    x.copy_(ember.tensor([1.0, 2.0, 3.0]))
    assert x.is_cuda and x.tolist() == [1.0, 2.0, 3.0]
    with pytest.raises(RuntimeError, match="same device"):
        x += ember.ones(3)


def test_events_synchronize_and_memory_queries(gpu):
    start, end = ember.cuda.Event(enable_timing=True), ember.cuda.Event(enable_timing=True)
    start.record()
    ember.ones(3, device="cuda").sum()
    end.record()
    ember.cuda.synchronize()
    assert start.elapsed_time(end) >= 0.0 and _backend.cuda_runtime().synchronized == 1
    assert ember.cuda.memory_allocated() >= 0 and ember.cuda.max_memory_allocated(0) >= 0
    props = ember.cuda.get_device_properties(0)
    assert props.name == "Strict stand-in GPU" and ember.cuda.get_device_capability() == (9, 0)
    with ember.cuda.device(0):
        assert ember.cuda.current_device() == 0

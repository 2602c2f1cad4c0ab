"""set_default_device and `with device(...):` as torch: factories (and so layers) create on the default device;
blocks nest and restore; the CPU answers as torch's, the strict stand-in GPU (tests/strict_cuda.py) shows the move."""
import pytest
import torch

import ember
from ember import _backend
from strict_cuda import StrictArray, StrictRuntime


@pytest.fixture
def gpu():
    previous = _backend.use_cuda_runtime(StrictRuntime())
    yield ember.device("cuda", 0)
    _backend.use_cuda_runtime(previous)
    ember.set_default_device(None)


@pytest.fixture(autouse=True)
def reset():
    yield
    ember.set_default_device(None)
    torch.set_default_device(None)


def factories(lib):
    return [lib.zeros(2), lib.ones(1, 2), lib.empty(3), lib.full((2,), 1.0), lib.eye(2), lib.arange(3),
            lib.linspace(0, 1, 3), lib.tensor([1.0]), lib.rand(2), lib.randn(2), lib.randint(0, 3, (2,)),
            lib.randperm(3), lib.nn.Linear(2, 2).weight]


def test_default_device_answers_as_torch_on_the_cpu():
    for lib in (torch, ember):
        assert lib.get_default_device() == lib.device("cpu")
        lib.set_default_device("cpu")
        assert lib.get_default_device() == lib.device("cpu")
        assert all(t.device == lib.device("cpu") for t in factories(lib))
        lib.set_default_device(None)
        assert repr(lib.get_default_device()).endswith("device(type='cpu')")


def test_device_blocks_nest_and_restore():
    for lib in (torch, ember):
        with lib.device("cpu") as d:
            assert d == lib.device("cpu") and lib.get_default_device() == lib.device("cpu")
            with lib.device("meta"):
                assert lib.get_default_device() == lib.device("meta")
            assert lib.get_default_device() == lib.device("cpu")
        with pytest.raises(ZeroDivisionError):
            with lib.device("meta"):
                1 / 0
        assert lib.get_default_device() == lib.device("cpu")


def test_cuda_default_without_a_gpu_raises_torchs_assertion():
    if ember.cuda.is_available() or torch.cuda.is_available():
        pytest.skip("checks what a machine without a GPU answers")
    for lib in (torch, ember):
        lib.set_default_device("cuda")
        with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
            lib.zeros(1)
        lib.set_default_device(None)
        with lib.device("cuda"), pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
            lib.tensor([1.0])
        assert lib.zeros(1).device == lib.device("cpu")


def test_factories_and_layers_follow_the_default_gpu(gpu):
    ember.manual_seed(0)
    on_cpu = [t.tolist() for t in factories(ember)]

    def check():
        ember.manual_seed(0)
        tensors = factories(ember)
        assert all(t.device == gpu and isinstance(t._data, StrictArray) for t in tensors)
        assert [t.cpu().tolist() for t in tensors] == on_cpu  # the same draws, then moved
        assert ember.zeros(1, device="cpu").device == ember.device("cpu")  # device= still wins
        assert ember.get_default_device() == gpu

    ember.set_default_device("cuda")
    check()
    ember.set_default_device(None)
    assert not ember.zeros(1).is_cuda
    with ember.device("cuda"):
        check()
    assert not ember.zeros(1).is_cuda and ember.get_default_device() == ember.device("cpu")


def test_accelerator_answers_as_a_cpu_only_torch():
    if ember.cuda.is_available() or torch.cuda.is_available():
        pytest.skip("checks what a machine without a GPU answers")
    for lib in (torch, ember):
        assert lib.accelerator.is_available() is False and lib.accelerator.current_accelerator() is None
        assert lib.accelerator.device_count() == 0
        for call in (lib.accelerator.current_device_index, lib.accelerator.synchronize):
            with pytest.raises(RuntimeError, match="Cannot access accelerator device when none is available"):
                call()


def test_accelerator_finds_the_gpu(gpu):
    assert ember.accelerator.is_available() and ember.accelerator.device_count() == 1
    device = ember.accelerator.current_accelerator()
    assert device.type == "cuda" and ember.accelerator.current_device_index() == 0
    assert ember.ones(2).to(device).is_cuda


def test_out_on_the_gpu(gpu):
    """out= writes on out's device: factories make their values there, other functions want out where inputs are."""
    x = ember.ones(2, 3, device="cuda")
    out = ember.zeros(10, device="cuda")
    with pytest.warns(UserWarning, match="resized"):
        assert ember.mul(x, 2, out=out) is out
    assert isinstance(out._data, StrictArray) and out.cpu().tolist() == [[2.0] * 3] * 2
    values, indices = ember.empty(0, device="cuda"), ember.empty(0, device="cuda", dtype=ember.int64)
    assert ember.max(x, 1, out=(values, indices)).indices.cpu().tolist() == [0, 0]
    made = ember.arange(3, out=ember.empty(0, device="cuda", dtype=ember.int64))
    assert made.is_cuda and made.cpu().tolist() == [0, 1, 2]
    with pytest.raises(RuntimeError, match="Expected out tensor to have device cuda:0, but got cpu instead"):
        ember.add(x, 1, out=ember.empty(0))

"""nn.Buffer (assignment registers a buffer, persistent or not) and nn.DataParallel (on the CPU: it holds the model
as .module and calls it) against torch: buffers, state_dict keys, reprs, outputs, training through the wrapper,
and the errors torch raises."""
import numpy as np
import pytest
import torch

import ember


def _net(lib):
    class Net(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = lib.nn.Linear(3, 2)
            self.scale = lib.nn.Buffer(lib.full((2,), 2.0))
            self.step = lib.nn.Buffer(lib.tensor(0), persistent=False)

        def forward(self, x):
            self.step += 1
            return self.fc(x) * self.scale
    return Net()


def test_buffer_registers_by_assignment_as_torch():
    x = np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32)
    results = []
    for lib in (ember, torch):
        lib.manual_seed(0)
        net = _net(lib)
        out = net(lib.tensor(x))
        results.append((net, out, [n for n, _ in net.named_buffers()], list(net.state_dict()), repr(net)))
    (e, e_out, e_buffers, e_keys, e_repr), (t, t_out, t_buffers, t_keys, t_repr) = results
    assert e_buffers == t_buffers == ["scale", "step"] and e_keys == t_keys == ["scale", "fc.weight", "fc.bias"]
    assert e_repr == t_repr
    np.testing.assert_allclose(e_out.detach().numpy(), t_out.detach().numpy(), rtol=1e-6)
    assert e.step.item() == t.step.item() == 1 and type(e.scale) is ember.Tensor
    assert [n for n, _ in e.named_parameters()] == [n for n, _ in t.named_parameters()]
    e.double(), t.double()  # (moved and cast with the module, as register_buffer's)
    assert e.scale.dtype == ember.float64 and t.scale.dtype == torch.float64


def test_buffer_itself_as_torch():
    for lib in (ember, torch):
        source = lib.ones(3, requires_grad=True)
        b = lib.nn.Buffer(source, persistent=False)
        assert b.persistent is False and b.requires_grad and b.grad_fn is None and repr(b) == repr(source.detach()
                                                                                                   ).replace(")", ", requires_grad=True)")
        with lib.no_grad():
            source.mul_(5)
        assert b.tolist() == [5.0] * 3  # (the same memory)
        assert lib.nn.Buffer().shape == (0,) and lib.nn.Buffer(lib.zeros(2)).persistent is True
        m = lib.nn.Module()
        m.b = lib.nn.Buffer(lib.ones(2))
        m.b = lib.zeros(2)  # (a plain tensor assigned again stays the buffer, as register_buffer's)
        assert list(m.state_dict()) == ["b"] and m.b.tolist() == [0.0, 0.0]
        m.plain = lib.ones(1)
        with pytest.raises(KeyError, match="attribute 'plain' already exists"):
            m.plain = lib.nn.Buffer(lib.ones(1))
        m.p = lib.nn.Parameter(lib.ones(1))
        with pytest.raises(TypeError, match="as parameter 'p' "):
            m.p = lib.nn.Buffer(lib.ones(1))


def test_data_parallel_on_the_cpu_as_torch():
    x = np.random.default_rng(1).normal(size=(5, 4)).astype(np.float32)
    results = []
    for lib in (ember, torch):
        lib.manual_seed(0)
        model = lib.nn.Sequential(lib.nn.Linear(4, 8), lib.nn.BatchNorm1d(8), lib.nn.ReLU(), lib.nn.Linear(8, 2))
        wrapped = lib.nn.DataParallel(model, device_ids=[0], output_device=0, dim=0)
        assert wrapped.module is model and wrapped.device_ids == [] and isinstance(wrapped, lib.nn.Module)
        assert lib.nn.parallel.DataParallel is lib.nn.DataParallel
        optimizer = lib.optim.SGD(wrapped.parameters(), lr=0.1)
        for _ in range(2):
            optimizer.zero_grad()
            loss = wrapped(lib.tensor(x)).pow(2).mean()
            loss.backward()
            optimizer.step()
        results.append((repr(wrapped).replace(lib.__name__ + ".", ""), wrapped.state_dict(), loss.item(),
                        [n for n, _ in wrapped.named_parameters()], hasattr(wrapped, "dim")))
    (e_repr, e_state, e_loss, e_names, e_dim), (t_repr, t_state, t_loss, t_names, t_dim) = results
    assert e_repr == t_repr and e_repr.startswith("DataParallel(\n  (module): Sequential(")
    assert list(e_state) == list(t_state) and all(k.startswith("module.") for k in e_state)
    assert e_names == t_names and e_dim == t_dim
    for k in t_state:
        np.testing.assert_allclose(e_state[k].numpy(), t_state[k].numpy(), rtol=1e-5, atol=1e-6)
    assert e_loss == pytest.approx(t_loss, rel=1e-5)
    # a wrapped model's checkpoint loads into the wrapper, and its .module's into the bare model
    model = ember.nn.Linear(4, 2)
    ember.nn.DataParallel(model).load_state_dict({"module.weight": ember.ones(2, 4), "module.bias": ember.zeros(2)})
    assert model.weight.tolist() == [[1.0] * 4] * 2


def test_data_parallel_function_without_a_gpu():
    for lib in (ember, torch):
        with pytest.raises(RuntimeError, match="device type could not be determined"):
            lib.nn.parallel.data_parallel(lib.nn.Linear(2, 2), lib.ones(1, 2))

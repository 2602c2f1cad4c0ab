"""torch.multiprocessing: Python's multiprocessing with tensors shared between processes, spawn, sharing strategies."""
import multiprocessing as python_mp

import pytest
import torch

import ember
import ember.multiprocessing as emp
from mp_children import _add_in_place, _fails, _hogwild, _writes


def test_every_name_of_torch_multiprocessing_is_there():
    import torch.multiprocessing as tmp
    assert set(tmp.__all__) <= set(emp.__all__) and all(hasattr(emp, name) for name in tmp.__all__)
    assert ember.multiprocessing is emp


def test_sharing_strategies_as_torch():
    import torch.multiprocessing as tmp
    for lib in (emp, tmp):
        assert lib.get_all_sharing_strategies() == {"file_system", "file_descriptor"}
        assert lib.get_sharing_strategy() == "file_descriptor"
        lib.set_sharing_strategy("file_system")
        assert lib.get_sharing_strategy() == "file_system"
        lib.set_sharing_strategy("file_descriptor")
        with pytest.raises(AssertionError, match="invalid sharing strategy 'x', expected one of"):
            lib.set_sharing_strategy("x")


def test_a_shared_tensor_is_changed_by_a_forked_child_and_a_spawned_one():
    # the rule: after share_memory_(), an in-place change made in a child process is the parent's tensor's too;
    # without it the child changes its own copy
    for method in ("fork", "spawn"):
        context = python_mp.get_context(method)
        for lib in (ember, torch) if method == "fork" else (ember,):  # (a spawned child importing torch: seconds)
            shared, private = lib.zeros(3), lib.zeros(3)
            assert not shared.is_shared()
            assert shared.share_memory_() is shared and shared.is_shared()
            for t in (shared, private):
                child = context.Process(target=_add_in_place, args=(t, slice(1, None)))
                child.start()
                child.join()
                assert child.exitcode == 0
            assert shared.tolist() == [0.0, 1.0, 1.0]
            assert private.tolist() == [0.0, 0.0, 0.0]  # (spawned: torch would have moved it to shared memory, below)


def test_a_shared_model_trained_by_two_processes_is_trained_in_the_parent():
    model = ember.nn.Linear(2, 1)
    with ember.no_grad():
        model.weight.fill_(0.0)
        model.bias.fill_(0.0)
    assert model.share_memory() is model and all(p.is_shared() for p in model.parameters())
    for _ in range(2):  # (one after the other: two at once may lose an update to the race, as Hogwild accepts)
        child = python_mp.get_context("fork").Process(target=_hogwild, args=(model, 5))
        child.start()
        child.join()
        assert child.exitcode == 0
    # each step lowers every weight and the bias by 0.1 (the gradient of the sum is 1): 10 steps in all
    assert model.weight.flatten().tolist() == pytest.approx([-1.0, -1.0]) and model.bias.tolist() == pytest.approx([-1.0])


def test_share_memory_of_a_view_says_to_share_its_base():
    with pytest.raises(RuntimeError, match="share the tensor it views"):
        ember.ones(4)[1:].share_memory_()


def test_spawn_runs_fn_in_each_process(tmp_path):
    emp.spawn(_writes, args=(str(tmp_path / "spawned"),), nprocs=2)
    assert [open(f"{tmp_path / 'spawned'}.{i}").read() for i in range(2)] == ["0", "10"]
    for lib in (emp, torch.multiprocessing):  # (forked: spawn's other start methods, through start_processes)
        assert lib.start_processes(_writes, args=(str(tmp_path / lib.__name__),), nprocs=2, start_method="fork") \
            is None
        assert [open(f"{tmp_path / lib.__name__}.{i}").read() for i in range(2)] == ["0", "10"]
    with pytest.warns(FutureWarning, match="This method only supports start_method=spawn"):
        emp.spawn(_writes, args=(str(tmp_path / "warned"),), nprocs=1, start_method="fork")


@pytest.mark.parametrize("how", ["raise", "exit"])
def test_spawn_raises_what_failed_in_a_process_as_torch(how):
    import torch.multiprocessing as tmp
    errors = []
    for lib in (emp, tmp):
        with pytest.raises((lib.ProcessRaisedException, lib.ProcessExitedException)) as caught:
            lib.start_processes(_fails, args=(how,), nprocs=2, start_method="fork")
        error = caught.value
        errors.append((type(error).__name__, error.error_index, str(error).splitlines()[:3],
                       str(error).strip().splitlines()[-1]))
    assert errors[0] == errors[1]


def test_a_tensor_with_a_graph_cannot_go_through_a_queue():
    x = ember.ones(2, requires_grad=True) * 2
    queue = emp.get_context("spawn").SimpleQueue()
    with pytest.raises(RuntimeError, match="Cowardly refusing to serialize non-leaf tensor"):
        queue.put(x)
    queue.put(x.detach())
    assert queue.get().tolist() == [2.0, 2.0]


def test_spawned_children_get_their_own_copy_of_an_unshared_tensor_but_the_shared_memory_of_a_shared_one():
    # (torch moves every tensor it pickles for another process into shared memory; ember copies it unless
    # share_memory_() was asked for: docs/data.md)
    parts = [ember.zeros(2), ember.zeros(2).share_memory_()]
    context = python_mp.get_context("spawn")
    for t in parts:
        child = context.Process(target=_add_in_place, args=(t, slice(None)))
        child.start()
        child.join()
    assert parts[0].tolist() == [0.0, 0.0] and parts[1].tolist() == [1.0, 1.0]


def test_a_shared_model_given_to_a_spawned_child_is_trained_in_the_parent():
    # (a Parameter crosses as a Tensor does: its shared memory, not a copy)
    model = ember.nn.Linear(2, 1)
    with ember.no_grad():
        model.weight.fill_(0.0)
        model.bias.fill_(0.0)
    model.share_memory()
    child = python_mp.get_context("spawn").Process(target=_hogwild, args=(model, 2))
    child.start()
    child.join()
    assert child.exitcode == 0
    assert model.weight.flatten().tolist() == pytest.approx([-0.2, -0.2]) and model.bias.tolist() == pytest.approx([-0.2])

"""Run by test_distributed.py under `mpiexec -n N python mpi_worker.py SCENARIO...`.

Every rank runs the same scenarios; each checks its results against the definition (computed locally from what
every rank was given: rank r's inputs are a known function of r) and raises on any difference, which ends the
job with an error. DDP runs are checked against one process training on the concatenated global batch.
"""
import gc
import os
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", ".."))  # the ember of this checkout
import ember  # noqa: E402
import ember.distributed as dist  # noqa: E402
from ember import nn  # noqa: E402
from ember.nn.parallel import DistributedDataParallel as DDP  # noqa: E402

F = nn.functional
RANK = SIZE = None


def value(r, shape=(2, 3), dtype=np.float64):
    """Rank r's input: distinct per rank, exact in every dtype used."""
    return (np.arange(np.prod(shape)).reshape(shape) % 5 + 1 + r).astype(dtype)


def tensor(array):
    return ember.tensor(array.copy())


def raises(kind, text, fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except kind as error:
        assert text in str(error), f"expected {text!r} in: {error}"
        return
    raise AssertionError(f"{fn.__name__} did not raise {kind.__name__}")


def equal(tensor_or_array, expected):
    actual = tensor_or_array.numpy() if isinstance(tensor_or_array, ember.Tensor) else tensor_or_array
    np.testing.assert_array_equal(actual, expected)


# ---- collectives against their definitions ------------------------------------------------------------------
def collectives():
    everyone = [value(r) for r in range(SIZE)]
    mine = value(RANK)
    definitions = {dist.ReduceOp.SUM: np.sum, dist.ReduceOp.PRODUCT: np.prod, dist.ReduceOp.MIN: np.min,
                   dist.ReduceOp.MAX: np.max, dist.ReduceOp.AVG: np.mean}
    for op, definition in definitions.items():
        t = tensor(mine)
        assert dist.all_reduce(t, op=op) is None
        np.testing.assert_allclose(t.numpy(), definition(everyone, axis=0), rtol=1e-15)
    ints = [value(r, dtype=np.int64) * 3 for r in range(SIZE)]
    for op, definition in ((dist.ReduceOp.BAND, np.bitwise_and), (dist.ReduceOp.BOR, np.bitwise_or),
                           (dist.ReduceOp.BXOR, np.bitwise_xor)):
        t = tensor(ints[RANK])
        dist.all_reduce(t, op=op)
        equal(t, definition.reduce(ints))
    flags = [np.array([r == 0, True, False, r % 2 == 1]) for r in range(SIZE)]
    for op, definition in ((dist.ReduceOp.SUM, np.logical_or), (dist.ReduceOp.PRODUCT, np.logical_and)):
        t = tensor(flags[RANK])
        dist.all_reduce(t, op=op)
        equal(t, definition.reduce(flags))
    raises(RuntimeError, "floating point", dist.all_reduce, tensor(ints[RANK]), op=dist.ReduceOp.AVG)
    raises(RuntimeError, "contiguous", dist.all_reduce, tensor(value(RANK, (3, 2))).t())
    raises(TypeError, "Tensor", dist.all_reduce, mine)

    t = tensor(mine.astype(np.float32))  # async: a Work handle, the result once waited for
    work = dist.all_reduce(t, async_op=True)
    work.wait()
    assert work.is_completed() and work.is_success()
    equal(t, np.sum(everyone, axis=0).astype(np.float32))

    last = SIZE - 1
    t = tensor(mine)
    dist.broadcast(t, src=last)
    equal(t, everyone[last])
    t = tensor(mine)
    dist.reduce(t, dst=1, op=dist.ReduceOp.MAX)
    equal(t, np.max(everyone, axis=0) if RANK == 1 else mine)  # only dst's tensor changes

    outputs = [ember.zeros(2, 3, dtype=ember.float64) for _ in range(SIZE)]
    dist.all_gather(outputs, tensor(mine))
    for r in range(SIZE):
        equal(outputs[r], everyone[r])
    raises(ValueError, "one tensor per rank", dist.all_gather, outputs[:1], tensor(mine))
    for shape in ((SIZE * 2, 3), (SIZE, 2, 3)):  # concatenated or stacked
        out = ember.zeros(*shape, dtype=ember.float64)
        dist.all_gather_into_tensor(out, tensor(mine))
        equal(out, np.stack(everyone).reshape(shape))
    raises(ValueError, "world_size times", dist.all_gather_into_tensor, ember.zeros(1, dtype=ember.float64),
           tensor(mine))

    if RANK == 0:
        gathered = [ember.zeros(2, 3, dtype=ember.float64) for _ in range(SIZE)]
        dist.gather(tensor(mine), gathered, dst=0)
        for r in range(SIZE):
            equal(gathered[r], everyone[r])
        raises(ValueError, "must be specified on destination", dist.gather, tensor(mine), None, dst=0)
    else:
        dist.gather(tensor(mine), dst=0)
        raises(ValueError, "must NOT be specified", dist.gather, tensor(mine), [tensor(mine)] * SIZE, dst=0)

    parts = [value(10 * r) for r in range(SIZE)]
    t = ember.zeros(2, 3, dtype=ember.float64)
    dist.scatter(t, parts_as_tensors(parts) if RANK == last else None, src=last)
    equal(t, parts[RANK])

    inputs = [value(r, (SIZE * 2, 3)) for r in range(SIZE)]
    for op, definition in ((dist.ReduceOp.SUM, np.sum), (dist.ReduceOp.AVG, np.mean)):
        out = ember.zeros(2, 3, dtype=ember.float64)
        dist.reduce_scatter_tensor(out, tensor(inputs[RANK]), op=op)
        np.testing.assert_allclose(out.numpy(), definition(inputs, axis=0)[2 * RANK:2 * RANK + 2], rtol=1e-15)

    # point to point around a ring: send to the next rank, receive from the previous one
    after, before = (RANK + 1) % SIZE, (RANK - 1) % SIZE
    sending = dist.isend(tensor(mine), dst=after)
    t = ember.zeros(2, 3, dtype=ember.float64)
    assert dist.recv(t, src=before) == before
    sending.wait()
    equal(t, everyone[before])
    sending = dist.isend(tensor(mine), dst=after, tag=7)
    t = ember.zeros(2, 3, dtype=ember.float64)
    assert dist.recv(t, tag=7) == before  # from whoever sends
    sending.wait()
    equal(t, everyone[before])
    raises(ValueError, "should not be the same", dist.send, tensor(mine), dst=RANK)

    dist.barrier(async_op=True).wait()
    dist.barrier()


def parts_as_tensors(arrays):
    return [tensor(a) for a in arrays]


def groups():
    members = [0, SIZE - 1]
    g = dist.new_group(members)
    if RANK in members:
        assert dist.get_world_size(g) == 2 and dist.get_rank(g) == members.index(RANK)
        assert dist.get_process_group_ranks(g) == members
        t = tensor(value(RANK))
        dist.all_reduce(t, group=g)
        equal(t, value(0) + value(SIZE - 1))
        t = tensor(value(RANK))
        dist.broadcast(t, src=SIZE - 1, group=g)  # src is a global rank
        equal(t, value(SIZE - 1))
        dist.destroy_process_group(g)
    else:
        assert dist.get_rank(g) == -1 and dist.get_world_size(g) == -1
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert dist.all_reduce(tensor(value(RANK)), group=g) is None
        assert "does not belong to the given group" in str(caught[0].message)


def objects():
    gathered = [None] * SIZE
    mine = {"rank": RANK, "loss": 0.25 * RANK, "names": ["a", "b"], "ok": True, "none": None}
    dist.all_gather_object(gathered, mine)
    assert gathered == [dict(mine, rank=r, loss=0.25 * r) for r in range(SIZE)], gathered
    items = [f"from {RANK}", RANK, [RANK]]
    dist.broadcast_object_list(items, src=SIZE - 1)
    assert items == [f"from {SIZE - 1}", SIZE - 1, [SIZE - 1]], items
    raises(TypeError, "never pickles", dist.all_gather_object, gathered, (1, 2))
    raises(TypeError, "keys must be strings", dist.all_gather_object, gathered, {1: "one"})
    raises(TypeError, "never pickles", dist.all_gather_object, gathered, ember.ones(2))


# ---- DistributedDataParallel against one process on the global batch ---------------------------------------------
def digits_data(n, seed=0):
    """Digits-shaped data (64 pixel values 0..16, 10 classes) from a fixed seed: the same on every rank."""
    rng = np.random.RandomState(seed)
    return rng.randint(0, 17, (n, 64)).astype(np.float32) / 16, rng.randint(0, 10, n)


def mlp():
    return nn.Sequential(nn.Linear(64, 48), nn.ReLU(), nn.Linear(48, 32), nn.Tanh(), nn.Linear(32, 10))


def copy_of(module, make):
    twin = make()
    twin.load_state_dict({k: v.clone() for k, v in module.state_dict().items()})
    return twin


def assert_same_everywhere(module):
    """Every rank holds bit-identical parameters."""
    for name, p in module.named_parameters():
        copies = [ember.zeros(*p.shape) for _ in range(SIZE)]
        dist.all_gather(copies, p.detach().clone())
        for c in copies:
            equal(c, p.detach().numpy())


def ddp_training():
    ember.manual_seed(100 + RANK)  # different initial weights on every rank: DDP must broadcast rank 0's
    model = DDP(mlp(), bucket_cap_mb=0.001)  # tiny buckets: several allreduces in flight during backward
    assert len(model._buckets) > 2
    assert_same_everywhere(model.module)
    reference = copy_of(model.module, mlp)
    initial = [p.detach().numpy().copy() for p in reference.parameters()]
    assert list(model.state_dict()) == ["module." + k for k in reference.state_dict()]
    per_rank, steps_per_epoch, epochs = 8, 4, 3
    x, y = digits_data(per_rank * SIZE * steps_per_epoch)
    opt = ember.optim.Adam(model.parameters(), lr=1e-2)
    ref_opt = ember.optim.Adam(reference.parameters(), lr=1e-2)
    for epoch in range(epochs):
        order = np.random.RandomState(epoch).permutation(len(x))
        for step in range(steps_per_epoch):
            batch = order[step * per_rank * SIZE:(step + 1) * per_rank * SIZE]  # the global batch
            local = batch[RANK * per_rank:(RANK + 1) * per_rank]  # this rank's share of it
            opt.zero_grad()
            F.cross_entropy(model(ember.tensor(x[local])), ember.tensor(y[local])).backward()
            opt.step()
            ref_opt.zero_grad()
            F.cross_entropy(reference(ember.tensor(x[batch])), ember.tensor(y[batch])).backward()
            ref_opt.step()
    for (name, p), q, start in zip(model.module.named_parameters(), reference.parameters(), initial):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=2e-5, atol=2e-6, err_msg=name)
        assert np.abs(p.detach().numpy() - start).max() > 1e-3, "training moved every parameter"
    assert_same_everywhere(model.module)


def ddp_no_sync():
    """Two micro-batches per rank, the first under no_sync: the gradient of one batch of 2 x per_rank x SIZE."""
    ember.manual_seed(7)
    model = DDP(mlp())
    reference = copy_of(model.module, mlp)
    per_rank = 6
    x, y = digits_data(2 * per_rank * SIZE, seed=1)
    first, second = (np.arange(k * per_rank * SIZE + RANK * per_rank, k * per_rank * SIZE + (RANK + 1) * per_rank)
                     for k in range(2))
    with model.no_sync():
        (F.cross_entropy(model(ember.tensor(x[first])), ember.tensor(y[first])) / 2).backward()
    local = [p.grad.numpy().copy() for p in model.parameters()]
    gathered = [None] * SIZE
    dist.all_gather_object(gathered, float(local[0].sum()))
    assert len(set(gathered)) == SIZE, "no_sync must not communicate: each rank keeps its own gradient"
    (F.cross_entropy(model(ember.tensor(x[second])), ember.tensor(y[second])) / 2).backward()
    F.cross_entropy(reference(ember.tensor(x)), ember.tensor(y)).backward()
    for p, q in zip(model.parameters(), reference.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-5, atol=1e-7)


class TwoHeads(nn.Module):
    """head_b is used on odd ranks only, head_c never."""

    def __init__(self):
        super().__init__()
        self.body, self.head_a, self.head_b, self.head_c = nn.Linear(4, 3), nn.Linear(3, 2), nn.Linear(3, 2), \
            nn.Linear(3, 2)

    def forward(self, x, use_b):
        h = self.body(x)
        return self.head_a(h) + (self.head_b(h) if use_b else 0)


def ddp_unused_parameters():
    ember.manual_seed(3)
    model = DDP(TwoHeads(), find_unused_parameters=True)
    reference = copy_of(model.module, TwoHeads)
    x = ember.tensor(value(0, (SIZE, 4)).astype(np.float32))
    model(x[RANK:RANK + 1], RANK % 2 == 1).sum().backward()
    expected = {}
    for r in range(SIZE):  # the average over ranks of each rank's gradient (zero where a rank did not use it)
        reference.zero_grad()
        reference(x[r:r + 1], r % 2 == 1).sum().backward()
        for name, q in reference.named_parameters():
            g = np.zeros(q.shape, np.float32) if q.grad is None else q.grad.numpy()
            expected[name] = expected.get(name, 0) + g / SIZE
    for name, p in model.module.named_parameters():
        if name.startswith("head_c"):
            assert p.grad is None, "no rank used head_c: its .grad stays None, as in torch"
        else:
            np.testing.assert_allclose(p.grad.numpy(), expected[name], rtol=1e-6, atol=1e-7, err_msg=name)

    strict = DDP(TwoHeads())  # without find_unused_parameters, a parameter without gradient is an error
    raises(RuntimeError, "head_c.weight", lambda: strict(x[RANK:RANK + 1], True).sum().backward())
    strict(x[RANK:RANK + 1], True).sum()  # a new forward after the error starts cleanly


def ddp_rewrap():
    """A discarded wrapper leaves no hooks behind; a backward that did not go through DDP's forward stays local."""
    from ember.autograd import engine
    module = mlp()
    first = DDP(module)
    del first
    gc.collect()
    second = DDP(module)
    for p in module.parameters():
        assert len(engine._leaf_hooks(p, engine.POST_ACCUMULATE_HOOKS)) == 1
    x, y = digits_data(SIZE, seed=2)
    F.cross_entropy(second(ember.tensor(x[RANK:RANK + 1])), ember.tensor(y[RANK:RANK + 1])).backward()
    synced = [None] * SIZE
    dist.all_gather_object(synced, float(module[0].weight.grad.sum()))
    assert len(set(synced)) == 1, "through DDP's forward: the same averaged gradient everywhere"
    module.zero_grad()
    F.cross_entropy(module(ember.tensor(x[RANK:RANK + 1])), ember.tensor(y[RANK:RANK + 1])).backward()
    local = [None] * SIZE
    dist.all_gather_object(local, float(module[0].weight.grad.sum()))
    assert len(set(local)) == SIZE, "around DDP: each rank keeps its own gradient"


class SlowIdentity(ember.autograd.Function):
    """Backward waits, without using the CPU, until the first bucket's allreduce has completed (or 5 s)."""
    bucket = None
    finished_during_backward = None

    @staticmethod
    def forward(ctx, x):
        return x.clone()

    @staticmethod
    def backward(ctx, grad):
        work = SlowIdentity.bucket.work
        assert work is not None, "the first bucket must have started before the rest of backward"
        deadline = time.monotonic() + 5
        while not work._done and time.monotonic() < deadline:
            time.sleep(0.005)
        SlowIdentity.finished_during_backward = work._done
        return grad


class SlowMiddle(nn.Module):
    def __init__(self):
        super().__init__()
        self.first, self.last = nn.Linear(8, 8), nn.Linear(8, 4)

    def forward(self, x):
        return self.last(SlowIdentity.apply(self.first(x)))


def ddp_overlap():
    """The first bucket's allreduce completes while backward is still computing earlier layers."""
    ember.manual_seed(5)
    model = DDP(SlowMiddle(), bucket_cap_mb=0.0001)
    assert [len(b.params) for b in model._buckets] == [2, 2]  # last.bias+weight, then first.bias+weight
    SlowIdentity.bucket = model._buckets[0]
    model(ember.ones(3, 8) * RANK).sum().backward()
    assert SlowIdentity.finished_during_backward is True


def sampler():
    dataset = list(range(10 * SIZE + 1))
    s = ember.utils.data.DistributedSampler(dataset, seed=3)  # rank and replicas from the process group
    assert (s.rank, s.num_replicas) == (RANK, SIZE)
    for epoch in range(2):
        s.set_epoch(epoch)
        gathered = [None] * SIZE
        dist.all_gather_object(gathered, list(s))
        assert set(sum(gathered, [])) == set(dataset)  # together the ranks cover the dataset
        assert gathered[RANK] == list(ember.utils.data.DistributedSampler(dataset, SIZE, RANK, seed=3).__iter__()) \
            or epoch > 0
        assert all(len(g) == len(s) == 11 for g in gathered)


def blas_threads():
    """Started without OMP_NUM_THREADS: init_process_group gave each process its share of the cores."""
    from threadpoolctl import threadpool_info
    blas = [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]
    assert blas and all(n == max(1, os.cpu_count() // SIZE) for n in blas), blas


def fail():
    """Rank 1 raises; the others wait in a barrier that can never complete."""
    if RANK == 1:
        raise ValueError("failing on purpose")
    dist.barrier()


def die():
    """Rank 1 dies without a word (as a crash or an out-of-memory kill would); the others wait in a barrier."""
    if RANK == 1:
        os._exit(3)
    dist.barrier()


SCENARIOS = {f.__name__: f for f in (collectives, groups, objects, ddp_training, ddp_no_sync, ddp_unused_parameters,
                                     ddp_overlap, ddp_rewrap, sampler, blas_threads, fail, die)}

if __name__ == "__main__":
    dist.init_process_group("mpi")
    RANK, SIZE = dist.get_rank(), dist.get_world_size()
    for scenario in sys.argv[1:]:
        SCENARIOS[scenario]()
        dist.barrier()
        if RANK == 0:
            print(f"{scenario}: ok on {SIZE} processes", flush=True)
    dist.destroy_process_group()

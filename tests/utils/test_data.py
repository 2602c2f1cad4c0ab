"""Dataset, DataLoader, samplers and collate, as in PyTorch."""
import itertools
from collections import namedtuple

import numpy as np
import pytest
import torch

import ember
from ember.utils.data import (BatchSampler, ConcatDataset, DataLoader, Dataset, RandomSampler, SequentialSampler,
                              Subset, SubsetRandomSampler, TensorDataset, random_split)
from helpers import assert_same


def test_batching_and_drop_last_match_torch():
    for drop_last in (False, True):
        shapes = []
        for lib in (ember, torch):
            data = lib.utils.data.TensorDataset(lib.arange(10.0).reshape(10, 1), lib.arange(10))
            loader = lib.utils.data.DataLoader(data, batch_size=4, drop_last=drop_last)
            shapes.append([(tuple(x.shape), y.tolist()) for x, y in loader] + [len(loader)])
        assert shapes[0] == shapes[1]


class Nested(Dataset):
    Point = namedtuple("Point", "x y")

    def __len__(self):
        return 5

    def __getitem__(self, i):
        return {"image": np.full((2, 2), i, np.float32), "label": i, "weight": i / 2, "name": f"s{i}",
                "pair": (ember.tensor([i, i]), [True, False]), "point": self.Point(i, float(i))}


def test_default_collate_keeps_nesting_like_torch():
    batch = next(iter(DataLoader(Nested(), batch_size=3)))
    assert batch["image"].shape == (3, 2, 2) and batch["image"].dtype == ember.float32
    assert batch["label"].tolist() == [0, 1, 2] and batch["label"].dtype == ember.int64
    assert batch["weight"].dtype == ember.float64  # Python floats collate to float64, as in PyTorch
    assert batch["name"] == ["s0", "s1", "s2"]
    assert isinstance(batch["pair"], list) and batch["pair"][0].tolist() == [[0, 0], [1, 1], [2, 2]]  # (torch's)
    assert isinstance(batch["pair"][1], list) and batch["pair"][1][0].tolist() == [True, True, True]
    assert isinstance(batch["point"], Nested.Point) and batch["point"].y.tolist() == [0.0, 1.0, 2.0]


@pytest.mark.parametrize("batch", [
    [(1, "a"), (2, "b")], [{"k": ("x", 1)}, {"k": ("y", 2)}], [["s", 1.0], ["t", 2.0]], ["a", "b"],
    [((1, 2), [3, "u"]), ((4, 5), [6, "v"])]], ids=repr)
def test_default_collate_gives_torchs_containers(batch):
    """Columns of a tuple come back as a list, columns of strings as tuples, mappings and lists as their type."""
    from collections import OrderedDict
    ours = ember.utils.data.default_collate(batch)
    theirs = torch.utils.data.default_collate(batch)
    assert repr(ours).replace("ember", "torch") == repr(theirs)
    od = [OrderedDict(a=1, b=2.0), OrderedDict(a=3, b=4.0)]
    assert type(ember.utils.data.default_collate(od)) is type(torch.utils.data.default_collate(od)) is OrderedDict


def test_shuffle_reshuffles_every_epoch_and_is_seeded_by_generator():
    data = TensorDataset(ember.arange(50))
    loader = DataLoader(data, batch_size=50, shuffle=True, generator=ember.Generator().manual_seed(3))
    first, second = next(iter(loader))[0].tolist(), next(iter(loader))[0].tolist()
    assert sorted(first) == list(range(50)) and first != second
    again = DataLoader(data, batch_size=50, shuffle=True, generator=ember.Generator().manual_seed(3))
    assert next(iter(again))[0].tolist() == first
    ember.manual_seed(11)
    a = [b[0].tolist() for b in DataLoader(data, batch_size=10, shuffle=True)]
    ember.manual_seed(11)
    assert a == [b[0].tolist() for b in DataLoader(data, batch_size=10, shuffle=True)]


def test_samplers():
    data = list(range(10))
    assert list(SequentialSampler(data)) == data
    g = ember.Generator().manual_seed(0)
    assert sorted(RandomSampler(data, generator=g)) == data
    assert len(list(RandomSampler(data, replacement=True, num_samples=25))) == 25
    assert sorted(SubsetRandomSampler([1, 3, 5])) == [1, 3, 5]
    assert list(BatchSampler(SequentialSampler(data), 4, False)) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert len(BatchSampler(SequentialSampler(data), 4, True)) == 2
    loader = DataLoader(TensorDataset(ember.arange(6)), batch_sampler=BatchSampler(SequentialSampler(range(6)), 4,
                                                                                    False))
    assert [b[0].tolist() for b in loader] == [[0, 1, 2, 3], [4, 5]]
    assert list(DataLoader(data, batch_size=None))[:2] == [0, 1]  # no batching: samples as they are


def test_datasets_subsets_and_random_split():
    data = TensorDataset(ember.arange(10), ember.arange(10) * 2)
    assert data[3][1].item() == 6 and len(data) == 10
    assert len(Subset(data, [1, 2])) == 2 and Subset(data, [1, 2])[1][0].item() == 2
    both = ConcatDataset([data, data])
    assert len(both) == 20 and both[13][0].item() == 3 and (data + data)[-1][0].item() == 9
    parts = random_split(data, [0.7, 0.3], generator=ember.Generator().manual_seed(0))
    assert [len(p) for p in parts] == [7, 3]
    assert sorted(i for p in parts for i in p.indices) == list(range(10))
    assert [len(p) for p in random_split(range(10), [0.33, 0.33, 0.34])] == [4, 3, 3]
    with pytest.raises(ValueError, match="Sum of input lengths"):
        random_split(data, [3, 3])
    with pytest.raises(ValueError):
        TensorDataset(ember.zeros(3), ember.zeros(4))


def test_loader_argument_errors_match_torch():
    for lib in (ember, torch):
        data = lib.utils.data.TensorDataset(lib.zeros(4))
        with pytest.raises(ValueError):
            lib.utils.data.DataLoader(data, sampler=lib.utils.data.SequentialSampler(data), shuffle=True)
        with pytest.raises(ValueError):
            lib.utils.data.DataLoader(data, batch_size=0)
    assert_same(next(iter(DataLoader(TensorDataset(ember.ones(3, 2)), batch_size=2, num_workers=2)))[0],
                torch.ones(2, 2))


def countdown(lib, n):
    """The same stream in either library: n, n-1, ..., 1 as (features, label) samples."""
    class Countdown(lib.utils.data.IterableDataset):
        def __iter__(self):
            for i in range(n, 0, -1):
                yield lib.tensor([float(i), i * 0.5]), i % 3

        def __len__(self):
            return n
    return Countdown()


def test_iterable_dataset_batches_like_torch():
    for kwargs in ({"batch_size": 3}, {"batch_size": 3, "drop_last": True}, {"batch_size": None}, {}):
        e_loader = DataLoader(countdown(ember, 7), **kwargs)
        t_loader = torch.utils.data.DataLoader(countdown(torch, 7), **kwargs)
        e_batches, t_batches = list(e_loader), list(t_loader)
        assert len(e_loader) == len(t_loader) == len(e_batches) == len(t_batches)
        for (ex, ey), (tx, ty) in zip(e_batches, t_batches):
            assert_same(ex, tx)
            assert ey.tolist() == ty.tolist() if isinstance(ty, torch.Tensor) else ey == ty


def test_iterable_dataset_refuses_shuffle_and_samplers():
    for kwargs in ({"shuffle": True}, {"sampler": [0, 1]}, {"batch_sampler": [[0]], "batch_size": 1}):
        for lib in (ember, torch):
            with pytest.raises(ValueError, match="IterableDataset"):
                lib.utils.data.DataLoader(countdown(lib, 3), **kwargs)


def test_weighted_random_sampler_follows_the_weights():
    weights = [0.0, 1.0, 3.0]
    sampler = ember.utils.data.WeightedRandomSampler(weights, 4000, generator=ember.Generator().manual_seed(3))
    counts = np.bincount(list(sampler), minlength=3)
    assert len(sampler) == 4000 and counts[0] == 0 and abs(counts[2] / counts[1] - 3) < 0.3
    unique = list(ember.utils.data.WeightedRandomSampler([1, 1, 1, 1], 4, replacement=False))
    assert sorted(unique) == [0, 1, 2, 3]
    for bad in ({"num_samples": 0}, {"num_samples": 2, "replacement": 1}):
        for lib in (ember, torch):
            with pytest.raises(ValueError):
                lib.utils.data.WeightedRandomSampler(weights, **bad)
    with pytest.raises(RuntimeError):  # more draws than categories, without replacement
        list(ember.utils.data.WeightedRandomSampler(weights, 5, replacement=False))


def test_collate_of_tensor_samples_matches_torch():
    """default_collate stacks same-dtype tensor samples in one step (a short path): the same batch as torch's, a new
    contiguous tensor sharing nothing with the samples; samples of other shapes get torch's error."""
    import torch
    from torch.utils.data import default_collate as torch_collate
    from ember.utils.data.dataloader import default_collate
    rows = np.arange(12.0, dtype=np.float32).reshape(4, 3)
    e_rows, t_rows = ember.from_numpy(rows), torch.from_numpy(rows)
    e, t = default_collate([e_rows[i] for i in (2, 0, 3)]), torch_collate([t_rows[i] for i in (2, 0, 3)])
    assert e.tolist() == t.tolist() and e.is_contiguous() and e._base is None
    e[0, 0] = -1
    assert rows[2, 0] == 6
    with pytest.raises(RuntimeError, match="stack expects each tensor to be equal size"):
        torch_collate([t_rows[0], t_rows[0, :2]])
    with pytest.raises(RuntimeError, match="stack expects each tensor to be equal size"):
        default_collate([e_rows[0], e_rows[0, :2]])



DTYPES = ["float16", "float32", "float64", "int8", "uint8", "int16", "int32", "int64", "bool"]


@pytest.mark.parametrize("first", DTYPES)
def test_collate_of_samples_of_several_dtypes_promotes_as_torch(first):
    """Samples of different dtypes stack to torch's promoted dtype (NumPy's promotion differs: int64 with float32
    is float64 there, float32 in torch), a tensor that needs a gradient and a non-Tensor among them included."""
    import torch
    from torch.utils.data import default_collate as torch_collate
    from ember.utils.data.dataloader import default_collate
    for other in DTYPES:
        values = np.array([[1, 0], [0, 1]])
        got = default_collate([ember.tensor(values[0]).to(getattr(ember, first)),
                               ember.tensor(values[1]).to(getattr(ember, other))])
        want = torch_collate([torch.tensor(values[0]).to(getattr(torch, first)),
                              torch.tensor(values[1]).to(getattr(torch, other))])
        assert str(got.dtype)[6:] == str(want.dtype)[6:] and got.tolist() == want.tolist(), (first, other)
    x = ember.ones(2, requires_grad=True)
    assert default_collate([ember.zeros(2), x]).requires_grad
    with pytest.raises(TypeError):
        default_collate([ember.zeros(2), np.zeros(2)])
    with pytest.raises(TypeError):
        torch_collate([torch.zeros(2), np.zeros(2)])

@pytest.mark.parametrize("replacement", [False, True])
def test_random_sampler_passes_nested_and_interleaved_draw_torchs_indices(replacement):
    """Each pass of a RandomSampler seeds a private generator from the global stream; passes that overlap (a loop
    over a loader nested in a loop over the same loader, or two iterators advanced in turn) each keep their own."""
    import torch
    got = []
    for lib, out in ((ember, got), (torch, [])):
        lib.manual_seed(0)
        sampler = lib.utils.data.RandomSampler(range(7), replacement=replacement, num_samples=40)
        for i in itertools.islice(sampler, 3):
            out.append([i] + list(sampler))
        a, b = iter(sampler), iter(sampler)
        out.append([(next(a), next(b)) for _ in range(40)])
        out.append(list(sampler))
        out.append(int(lib.randint(0, 1000, ())))
    assert got == out


def _structure(value):
    """A sample's structure and values, comparable across libraries: tensors as (dtype, values), containers kept."""
    if isinstance(value, (ember.Tensor, torch.Tensor)):
        return ("tensor", str(value.dtype).split(".")[-1], value.tolist())
    if isinstance(value, np.ndarray):
        return ("ndarray", value.dtype.str, value.tolist())
    if isinstance(value, dict):
        return {k: _structure(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [_structure(v) for v in value])
    return (type(value).__name__, value)


class Converted:
    """Samples of every kind default_convert meets: NumPy arrays and scalars nested in containers, and what it
    leaves alone (strings, NumPy string and object arrays, Python numbers)."""
    Point = namedtuple("Point", "a b")

    def __len__(self):
        return 2

    def __getitem__(self, i):
        return {"x": np.arange(3.0) + i, "f": np.float32(1.5), "n": np.int64(i), "t": (np.int32(i), [np.ones(2)]),
                "p": self.Point(np.array([i]), 3), "s": "name", "u": np.array(["a", "bc"]), "py": 2.5,
                "o": np.array([None, 1], dtype=object), "r": range(2)}


def test_default_convert_turns_numpy_into_tensors_as_torch():
    # (the rule: with batch_size=None each sample goes through default_convert; NumPy arrays and scalars become
    # tensors wherever they are nested; tuples become lists; strings and string/object arrays stay as they are)
    results = []
    for lib in (ember, torch):
        samples = list(lib.utils.data.DataLoader(Converted(), batch_size=None))
        results.append([_structure(s) for s in samples])
        results.append(_structure(lib.utils.data.default_convert([np.ones(2, np.float32), (np.float64(2), 3)])))
    assert results[0] == results[2] and results[1] == results[3]


def test_stack_and_chain_datasets_as_torch():
    for lib in (ember, torch):
        data = lib.utils.data
        xs, ys = data.TensorDataset(lib.arange(4.0)), [10, 11, 12, 13]
        stacked = data.StackDataset(xs, ys)
        named = data.StackDataset(x=xs, y=ys)
        assert len(stacked) == 4 and stacked[1][1] == 11 and named[2]["y"] == 12
        assert [b[1].tolist() for b in data.DataLoader(stacked, batch_size=3)] == [[10, 11, 12], [13]]
        for args, kwargs in (((xs, [1]), {}), ((xs,), {"y": ys}), ((), {})):
            with pytest.raises(ValueError):
                data.StackDataset(*args, **kwargs)

        class Stream(data.IterableDataset):
            def __init__(self, start, n):
                self.start, self.n = start, n

            def __iter__(self):
                return iter(range(self.start, self.start + self.n))

            def __len__(self):
                return self.n
        chained = data.ChainDataset([Stream(0, 2), Stream(5, 3)])
        assert list(chained) == [0, 1, 5, 6, 7] and len(chained) == 5
        assert list(Stream(0, 1) + Stream(9, 1)) == [0, 9]  # IterableDataset + IterableDataset chains them
        assert [b.tolist() for b in data.DataLoader(chained, batch_size=2)] == [[0, 1], [5, 6], [7]]
        with pytest.raises(AssertionError):
            list(data.ChainDataset([xs]))


COLLATE_BATCHES = {  # the rule: torch picks the collate function by the first sample's type, then converts the
    # whole batch: Python ints (and bools) as torch.tensor infers them, Python floats as float64, NumPy scalars as
    # as_tensor, strings (NumPy's too) as they are, arrays of strings or objects refused with torch's TypeError
    "bools": [True, False], "bool then int": [True, 2], "int then bool": [2, True], "int then float": [1, 2.5],
    "bool then float": [True, 2.5], "float then int": [1.5, 2], "ints": [3, 4], "numpy str": [np.str_("a"), "b"],
    "numpy bytes": [np.bytes_(b"a"), b"b"], "numpy 0-d": [np.array(1.5), np.array(2.5)],
    "numpy bools": [np.bool_(True), np.bool_(False)], "numpy ints": [np.int16(1), np.int16(2)],
    "string arrays": [np.array(["a"]), np.array(["b"])], "object arrays": [np.array([None]), np.array([1])],
    "None": [None, None], "complex": [1j, 2j]}


@pytest.mark.parametrize("name", COLLATE_BATCHES)
def test_default_collate_converts_each_kind_of_sample_as_torch(name):
    results = []
    for lib in (ember, torch):
        try:
            results.append(_structure(lib.utils.data.default_collate(COLLATE_BATCHES[name])))
        except Exception as error:  # noqa: BLE001 (the same type, the same words)
            results.append((type(error).__name__, str(error)))
    assert results[0] == results[1]


@pytest.mark.parametrize("name", ["batch_size", "batch_sampler", "sampler", "drop_last", "dataset",
                                  "persistent_workers"])
def test_what_decides_the_batches_cannot_be_set_after_the_loader_is_made(name):
    for lib in (ember, torch):
        loader = lib.utils.data.DataLoader(range(4), batch_size=2)
        with pytest.raises(ValueError, match=f"^{name} attribute should not be set after DataLoader is initialized"):
            setattr(loader, name, None)
        loader.num_workers = 0  # (the others may change, as in torch)

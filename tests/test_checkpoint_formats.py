"""ember.load on PyTorch checkpoints: real torch.save files read right, hostile or damaged ones refused unrun."""
import io
import os
import pickle
import random
import subprocess
import zipfile
from collections import OrderedDict

import numpy as np
import pytest
import torch

import ember
from ember.serialization import LoadError

TORCH_DTYPES = [torch.float32, torch.float64, torch.float16, torch.int64, torch.int32, torch.int16, torch.int8,
                torch.uint8, torch.bool]


def saved(obj, tmp_path, name="ck.pt", legacy=False):
    path = tmp_path / name
    torch.save(obj, path, _use_new_zipfile_serialization=not legacy)
    return path


def assert_same(e, t):
    """An ember object equals the torch object it was loaded from: types, dtypes, layouts, values, flags."""
    if isinstance(t, torch.Tensor):
        assert isinstance(e, ember.Tensor)
        assert isinstance(e, ember.nn.Parameter) == isinstance(t, torch.nn.Parameter)
        assert e.dtype.name == str(t.dtype).replace("torch.", "") and tuple(e.shape) == tuple(t.shape)
        assert e.stride() == t.stride() and e.requires_grad == t.requires_grad
        np.testing.assert_array_equal(e.detach().numpy(), t.detach().numpy())
    elif isinstance(t, torch.Size):
        assert isinstance(e, ember.Size) and tuple(e) == tuple(t)
    elif isinstance(t, torch.dtype):
        assert e is getattr(ember, str(t).replace("torch.", ""))
    elif isinstance(t, torch.device):
        assert isinstance(e, ember.device) and str(e) == str(t)
    elif isinstance(t, dict):
        assert type(e) is type(t) and list(e) == list(t)
        for k in t:
            assert_same(e[k], t[k])
    elif isinstance(t, (list, tuple)):
        assert type(e) is type(t) and len(e) == len(t)
        for a, b in zip(e, t):
            assert_same(a, b)
    else:
        assert type(e) is type(t) and (e == t or e != e and t != t)


def values():
    """A checkpoint with every kind of thing torch.save writes that ember can hold."""
    g = torch.Generator().manual_seed(0)
    base = torch.randn(4, 6, generator=g)
    tensors = {str(dt): (torch.randn(3, 2, generator=g) * 50).to(dt) for dt in TORCH_DTYPES}
    return {
        "tensors": tensors,
        "base": base, "transposed": base.t(), "column": base[:, 2], "strided": base[::2, 1::3],
        "expanded": torch.arange(3.0).expand(4, 3), "zero_d": torch.tensor(2.5), "empty": torch.zeros(0, 3),
        "requires_grad": torch.ones(2, requires_grad=True), "param": torch.nn.Parameter(torch.ones(3)),
        "frozen": torch.nn.Parameter(torch.zeros(2), requires_grad=False),
        "numbers": [1, -2.5, float("inf"), True, None, "text", 10**30, (1, (2, [3]))],
        "ordered": OrderedDict([("b", 1), ("a", torch.ones(1))]), "int_keys": {0: "zero", (1, 2): "pair"},
        "size": torch.Size([2, 3]), "dtype": torch.float16, "device": torch.device("cpu"),
        "bytes": b"\x00\xffraw", "set": {1, 2}, "complex": 1 + 2j,
    }


@pytest.mark.parametrize("legacy", [False, True], ids=["zip", "legacy"])
def test_everything_torch_save_writes_reads_back_equal(tmp_path, legacy):
    obj = values()
    back = ember.load(saved(obj, tmp_path, legacy=legacy))
    assert_same(back, obj)


@pytest.mark.parametrize("legacy", [False, True], ids=["zip", "legacy"])
def test_views_of_one_storage_share_memory_as_in_torch(tmp_path, legacy):
    base = torch.arange(12.0).reshape(3, 4)
    back = ember.load(saved({"base": base, "t": base.t(), "row": base[1], "tied": [base, base]}, tmp_path,
                            legacy=legacy))
    assert back["tied"][0] is back["tied"][1]  # the same object twice, as pickle's memo makes it
    back["base"][1, 2] = 100.0
    assert back["t"][2, 1].item() == 100.0 and back["row"][2].item() == 100.0
    assert not back["t"].is_contiguous() and back["t"].stride() == (1, 4)


def test_storage_type_names_of_every_ember_dtype_are_understood(tmp_path):
    for dt in TORCH_DTYPES:
        t = torch.tensor([[1, 0], [3, 4]]).to(dt)[:, 1]  # a non-contiguous view of each dtype
        assert_same(ember.load(saved(t, tmp_path)), t)


def test_protocol_4_and_file_objects(tmp_path):
    obj = {"w": torch.randn(3, 3), "lr": 0.1}
    buffer = io.BytesIO()
    torch.save(obj, buffer, pickle_protocol=4)
    buffer.seek(0)
    assert_same(ember.load(buffer), obj)


def test_map_location(tmp_path):
    path = saved({"w": torch.ones(2)}, tmp_path)
    for where in ("cpu", ember.device("cpu"), torch.device("cpu"), {"cpu": "cpu"}, lambda storage, loc: storage,
                  lambda storage, loc: None):
        assert ember.load(path, map_location=where)["w"].tolist() == [1.0, 1.0]
    with pytest.raises(LoadError, match="map_location='cpu'"):
        ember.load(path, map_location="mps")


def test_a_checkpoint_saved_on_cuda_says_to_map_it_to_the_cpu(tmp_path):
    path = saved({"w": torch.ones(2)}, tmp_path)
    with zipfile.ZipFile(path) as z:
        records = {i.filename: z.read(i) for i in z.infolist()}
    name = next(n for n in records if n.endswith("data.pkl"))
    records[name] = records[name].replace(b"X\x03\x00\x00\x00cpu", b"X\x06\x00\x00\x00cuda:0")
    assert b"cuda:0" in records[name]
    cuda = tmp_path / "cuda.pt"
    with zipfile.ZipFile(cuda, "w") as z:
        for n, data in records.items():
            z.writestr(n, data)
    try:
        import cupy  # noqa: F401
    except ImportError:
        with pytest.raises(LoadError, match="cuda:0.*map_location='cpu'"):
            ember.load(cuda)
    assert ember.load(cuda, map_location="cpu")["w"].tolist() == [1.0, 1.0]
    assert ember.load(cuda, map_location={"cuda:0": "cpu"})["w"].tolist() == [1.0, 1.0]


def test_dtypes_ember_lacks_are_named(tmp_path):
    for dt in (torch.bfloat16, torch.complex64, torch.uint16):
        with pytest.raises(LoadError, match=str(dt).replace("torch.", "") + ".*not support"):
            ember.load(saved(torch.zeros(2, dtype=dt), tmp_path))


# ---------------------------------------------------------------------------------------------------------------
# The course's models: weights trained in PyTorch give PyTorch's outputs in ember
# ---------------------------------------------------------------------------------------------------------------
def digits_mlp(nn):
    return nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Dropout(0.2), nn.Linear(256, 10))


def digits_cnn(nn):
    class Net(nn.Module):  # examples/digits_cnn.py
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 32, kernel_size=3, padding=1)
            self.conv2 = nn.Conv2d(32, 64, kernel_size=3, padding=1)
            self.pool = nn.MaxPool2d(2)
            self.dropout = nn.Dropout(0.25)
            self.fc = nn.Linear(64 * 2 * 2, 10)

        def forward(self, x):
            x = self.pool(self.conv1(x).relu())
            x = self.pool(self.conv2(x).relu())
            return self.fc(self.dropout(x.flatten(1)))
    return Net()


def two_layer(nn):  # the neural-network lesson
    return nn.Sequential(nn.Linear(2, 16), nn.Sigmoid(), nn.Linear(16, 1))


def normalised(nn):
    return nn.Sequential(nn.Linear(5, 8), nn.BatchNorm1d(8), nn.Tanh(), nn.Linear(8, 3))


@pytest.mark.parametrize("build, shape", [(digits_mlp, (7, 64)), (digits_cnn, (3, 1, 8, 8)), (two_layer, (5, 2)),
                                          (normalised, (6, 5))], ids=["digits_mlp", "digits_cnn", "two_layer",
                                                                      "batchnorm"])
def test_course_models_trained_in_torch_give_torch_outputs_in_ember(tmp_path, build, shape):
    torch.manual_seed(0)
    model = build(torch.nn)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(3):  # train a little, so weights, BatchNorm statistics and Adam's moments are not initial
        optimizer.zero_grad()
        model(torch.randn(*shape)).square().mean().backward()
        optimizer.step()
    path = saved({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": 3}, tmp_path)

    checkpoint = ember.load(path)
    mine = build(ember.nn)
    mine.load_state_dict(checkpoint["model"])
    x = torch.randn(*shape)
    model.eval(), mine.eval()
    with torch.no_grad():
        expected = model(x).numpy()
    np.testing.assert_allclose(mine(ember.tensor(x.numpy())).detach().numpy(), expected, rtol=1e-5, atol=1e-6)

    # the optimizer resumes where torch's stopped: one more step with the same gradient lands on torch's weights
    my_optimizer = ember.optim.Adam(mine.parameters(), lr=1e-2)
    my_optimizer.load_state_dict(checkpoint["optimizer"])
    assert checkpoint["epoch"] == 3
    model.train(), mine.train()
    x = torch.randn(*shape)
    optimizer.zero_grad(), my_optimizer.zero_grad()
    model.eval(), mine.eval()
    model(x).square().mean().backward()
    mine(ember.tensor(x.numpy())).square().mean().backward()
    optimizer.step(), my_optimizer.step()
    for (name, p), q in zip(model.named_parameters(), mine.parameters()):
        np.testing.assert_allclose(q.detach().numpy(), p.detach().numpy(), rtol=1e-4, atol=1e-6, err_msg=name)


# ---------------------------------------------------------------------------------------------------------------
# Hostile pickles: refused, and nothing they ask for runs
# ---------------------------------------------------------------------------------------------------------------
class Reduce:
    """An object that pickles as a call of func(*args)."""

    def __init__(self, func, *args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


def exploits(marker):
    shell = f"touch {marker}"
    return {
        "os.system": Reduce(os.system, shell),
        "builtins.eval": Reduce(eval, f"__import__('os').system({shell!r})"),
        "builtins.exec": Reduce(exec, f"open({str(marker)!r}, 'w')"),
        "subprocess.call": Reduce(subprocess.call, ["touch", str(marker)]),
        "nested in a state dict": {"w": torch.ones(2), "deep": [{"x": (Reduce(os.system, shell),)}]},
        "as a Parameter's state": torch.nn.Parameter(torch.ones(2)),
    }


@pytest.mark.parametrize("legacy", [False, True], ids=["zip", "legacy"])
@pytest.mark.parametrize("kind", list(exploits("x")))
def test_malicious_checkpoints_are_refused_without_running(tmp_path, kind, legacy):
    marker = tmp_path / "pwned"
    obj = exploits(marker)[kind]
    if kind == "as a Parameter's state":
        obj.payload = Reduce(os.system, f"touch {marker}")
    path = saved(obj, tmp_path, legacy=legacy)
    with pytest.raises(LoadError, match="ck.pt") as caught:
        ember.load(path)
    assert "allowlist" in str(caught.value) or "will not construct" in str(caught.value) \
        or "attributes" in str(caught.value)
    assert not marker.exists()
    with pytest.raises(pickle.UnpicklingError):  # torch refuses the same files in its own way
        torch.load(path)
    assert not marker.exists()


def test_a_tensor_with_python_attributes_is_refused_by_name(tmp_path):
    t = torch.ones(2)
    t.note = "hello"
    with pytest.raises(LoadError, match="attributes \\['note'\\]"):
        ember.load(saved(t, tmp_path))


def test_a_whole_pickled_model_is_refused_with_what_to_save_instead(tmp_path):
    with pytest.raises(LoadError, match="torch.nn.modules.linear.Linear.*save model.state_dict"):
        ember.load(saved(torch.nn.Linear(2, 2), tmp_path))


def test_a_plain_pickle_is_not_a_checkpoint(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "plain.pkl"
    path.write_bytes(pickle.dumps(Reduce(os.system, f"touch {marker}"), protocol=2))
    with pytest.raises(LoadError, match="not a PyTorch checkpoint"):
        ember.load(path)
    assert not marker.exists()


def with_pickle(tmp_path, program, path=None):
    """A torch.save zip (of `path`, or of a small dict) whose data.pkl is replaced by `program`."""
    path = path or saved({"w": torch.ones(2)}, tmp_path)
    with zipfile.ZipFile(path) as z:
        records = {i.filename: z.read(i) for i in z.infolist()}
    name = next(n for n in records if n.endswith("data.pkl"))
    records[name] = program
    crafted = tmp_path / "crafted.pt"
    with zipfile.ZipFile(crafted, "w") as z:
        for n, data in records.items():
            z.writestr(n, data)
    return crafted


def test_opcodes_that_build_or_mutate_objects_are_refused(tmp_path):
    marker = str(tmp_path / "pwned").encode()
    programs = {
        "INST": b"(S'touch " + marker + b"'\nios\nsystem\n.",
        "OBJ": b"(ccollections\nOrderedDict\no.",
        "NEWOBJ": b"\x80\x02ccollections\nOrderedDict\n)\x81.",
        # BUILD on an allowlisted global would change ember itself: ember.float32.np = 'hacked'
        "BUILD": b"\x80\x02ctorch\nfloat32\nN}X\x02\x00\x00\x00npX\x06\x00\x00\x00hackeds\x86b.",
        "EXT1": b"\x80\x02\x82\x01.",
        "EXT2": b"\x80\x02\x83\x01\x00.",
        "EXT4": b"\x80\x02\x84\x01\x00\x00\x00.",
        "NEWOBJ_EX": b"\x80\x04ccollections\nOrderedDict\n)}\x92.",
        "NEXT_BUFFER": b"\x80\x05\x97.",
        "READONLY_BUFFER": b"\x80\x05N\x98.",
        "REDUCE": b"\x80\x02ctorch\nFloatStorage\n)R.",  # an allowlisted name that is not a callable
        "module": b"\x80\x02(X\x06\x00\x00\x00moduleNNNtQ.",  # a whole pickled nn.Module
    }
    for opcode, program in programs.items():
        with pytest.raises(LoadError) as caught:
            ember.load(with_pickle(tmp_path, program))
        assert opcode in str(caught.value) or opcode == "REDUCE" and "allowlist" in str(caught.value), opcode
    assert ember.float32.np == np.float32 and not (tmp_path / "pwned").exists()


# ---------------------------------------------------------------------------------------------------------------
# Damaged zips: every truncation and every byte flip gives ember's error or the very same content
# ---------------------------------------------------------------------------------------------------------------
def small_checkpoint():
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 2)
    return {"model": model.state_dict(), "step": 7, "name": "linear", "mask": torch.tensor([True, False])}


def test_every_truncation_of_a_zip_is_refused(tmp_path):
    data = saved(small_checkpoint(), tmp_path).read_bytes()
    for end in range(len(data)):
        with pytest.raises(LoadError):
            ember.load(io.BytesIO(data[:end]))


def record_spans(data):
    """{record name: range of its bytes in the archive} for a zip's records."""
    spans = {}
    for info in zipfile.ZipFile(io.BytesIO(data)).infolist():
        start = info.header_offset
        name_length, extra_length = int.from_bytes(data[start + 26:start + 28], "little"), \
            int.from_bytes(data[start + 28:start + 30], "little")
        begin = start + 30 + name_length + extra_length
        spans[info.filename] = range(begin, begin + info.compress_size)
    return spans


def test_every_byte_flip_in_a_zip_is_refused_or_changes_nothing(tmp_path):
    obj = small_checkpoint()
    data = saved(obj, tmp_path).read_bytes()
    read = [span for name, span in record_spans(data).items() if name.endswith(".pkl") or "/data/" in name]
    rng = random.Random(0)
    refused = inert = 0
    for position in range(len(data)):
        damaged = bytearray(data)
        damaged[position] ^= rng.randrange(1, 256)
        try:
            back = ember.load(io.BytesIO(bytes(damaged)))
        except LoadError:
            refused += 1
            continue
        # a flip that passes (a timestamp, alignment padding, a record ember does not read) changes nothing read
        assert not any(position in span for span in read), position
        assert_same(back, obj)
        inert += 1
    assert refused + inert == len(data) and refused >= sum(len(span) for span in read)


def test_damaged_zip_records(tmp_path):
    path = saved({"w": torch.ones(4)}, tmp_path)
    with zipfile.ZipFile(path) as z:
        records = {i.filename: z.read(i) for i in z.infolist()}
    data_name = next(n for n in records if "/data/" in n)

    def variant(change, compression=zipfile.ZIP_STORED):
        out = io.BytesIO()
        changed = dict(records)
        change(changed)
        with zipfile.ZipFile(out, "w", compression) as z:
            for n, data in changed.items():
                z.writestr(n, data)
        return io.BytesIO(out.getvalue())

    cases = {
        "missing data.pkl": lambda r: r.pop(next(n for n in r if n.endswith("data.pkl"))),
        "missing storage": lambda r: r.pop(data_name),
        "short storage": lambda r: r.update({data_name: r[data_name][:-1]}),
        "bad byteorder": lambda r: r.update({next(n for n in r if n.endswith("byteorder")): b"middle"}),
        "torchscript": lambda r: r.update({"archive/constants.pkl": b""}) or r.pop(
            next(n for n in r if n.endswith("data.pkl"))),
    }
    for what, change in cases.items():
        with pytest.raises(LoadError):
            ember.load(variant(change))
    with pytest.raises(LoadError, match="compressed"):
        ember.load(variant(lambda r: None, zipfile.ZIP_DEFLATED))


def test_big_endian_checkpoints(tmp_path):
    obj = {"w": torch.arange(6.0).reshape(2, 3), "i": torch.tensor([1, -2], dtype=torch.int16)}
    path = saved(obj, tmp_path)
    with zipfile.ZipFile(path) as z:
        records = {i.filename: z.read(i) for i in z.infolist()}
    for name, data in records.items():
        if "/data/" in name:  # each storage's elements, bytes reversed
            width = 4 if len(data) == 24 else 2
            records[name] = np.frombuffer(data, f"<u{width}").astype(f">u{width}").tobytes()
        if name.endswith("/byteorder"):
            records[name] = b"big"
    big = tmp_path / "big.pt"
    with zipfile.ZipFile(big, "w") as z:
        for name, data in records.items():
            z.writestr(name, data)
    assert_same(ember.load(big), obj)
    assert all(torch.equal(torch.load(big)[k], obj[k]) for k in obj)  # torch reads it so too


def test_every_truncation_of_a_legacy_file_is_refused(tmp_path):
    data = saved(small_checkpoint(), tmp_path, legacy=True).read_bytes()
    for end in range(len(data)):
        with pytest.raises(LoadError):
            ember.load(io.BytesIO(data[:end]))


def test_a_pickle_nested_100000_deep_loads_without_recursion(tmp_path):
    depth = 100_000  # more than torch.save itself can write; ember's unpickler is a loop, not a recursion
    nested = ember.load(with_pickle(tmp_path, b"\x80\x02" + b"]" * depth + b"a" * (depth - 1) + b"."))
    for _ in range(depth - 1):
        (nested,) = nested
    assert nested == []


def test_a_tensor_reaching_past_its_storage_is_refused(tmp_path):
    path = saved({"w": torch.arange(4.0)}, tmp_path)
    program = next(zipfile.ZipFile(path).read(n) for n in zipfile.ZipFile(path).namelist() if n.endswith(".pkl"))
    # the tensor's size (4,) becomes (9,): reading it would read memory past the storage
    crafted = with_pickle(tmp_path, program.replace(b"K\x04\x85", b"K\x09\x85", 1), path)
    with pytest.raises(LoadError, match="storage of 4 elements"):
        ember.load(crafted)

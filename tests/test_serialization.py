"""ember.save / ember.load: round trips, atomic writes, and files that are broken, altered or hostile.

The fault tests hold ember's own format to one rule: a file whose bytes differ from what ember.save wrote is
never loaded, and every refusal is ember's LoadError naming the file.
"""
import functools
import hashlib
import io
import json
import os
import pickle
import random
import signal
import struct
import subprocess
import sys
import textwrap
import warnings
from collections import OrderedDict

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import ember
from ember.serialization import LoadError


def test_round_trip_of_nested_structures(tmp_path):
    obj = {"tensor": ember.arange(6.0).reshape(2, 3), "ints": ember.tensor([1, 2]), "bool": ember.tensor([True]),
           "half": ember.ones(2).half(), "scalar": ember.tensor(3.5), "empty": ember.zeros(0, 3),
           "nested": [ember.ones(2), (1, 2.5, "text", None, True)], "numbers": {1: "one", (2, 3): [4]},
           "param": ember.nn.Parameter(ember.ones(2)), "grad": ember.ones(1, requires_grad=True),
           "frozen": ember.nn.Parameter(ember.ones(2), requires_grad=False), "size": ember.Size([2, 3]),
           "ordered": OrderedDict([("b", 1), ("a", 2)]), "special": [float("nan"), float("-inf"), 10**40, "é\"\\"],
           "transposed": ember.arange(6.0).reshape(2, 3).t(), "array": np.arange(3, dtype=np.int16),
           "numpy_scalars": [np.float32(1.5), np.int64(3), np.bool_(True)]}
    path = tmp_path / "obj.safetensors"
    ember.save(obj, path)
    back = ember.load(path, map_location="cpu")
    assert ember.equal(back["tensor"], obj["tensor"]) and back["tensor"].dtype == ember.float32
    assert back["ints"].dtype == ember.int64 and back["bool"].dtype == ember.bool
    assert back["half"].dtype == ember.float16 and back["scalar"].shape == () and back["empty"].shape == (0, 3)
    assert back["nested"][1] == (1, 2.5, "text", None, True) and back["numbers"] == {1: "one", (2, 3): [4]}
    assert isinstance(back["param"], ember.nn.Parameter) and back["grad"].requires_grad
    assert isinstance(back["frozen"], ember.nn.Parameter) and not back["frozen"].requires_grad
    assert isinstance(back["size"], ember.Size) and back["size"] == (2, 3)
    assert isinstance(back["ordered"], OrderedDict) and list(back["ordered"]) == ["b", "a"]
    assert np.isnan(back["special"][0]) and back["special"][1:] == [float("-inf"), 10**40, "é\"\\"]
    assert ember.equal(back["transposed"], obj["transposed"])
    assert back["array"].dtype == np.int16 and back["array"].tolist() == [0, 1, 2]
    assert back["numpy_scalars"] == [1.5, 3, True]


def test_a_tensor_saved_twice_loads_as_one_tensor(tmp_path):
    w = ember.ones(3)
    ember.save({"a": w, "b": [w]}, tmp_path / "tied.safetensors")
    back = ember.load(tmp_path / "tied.safetensors")
    assert back["a"] is back["b"][0]


def test_model_state_dict_round_trip(tmp_path):
    model = ember.nn.Sequential(ember.nn.Linear(3, 4), ember.nn.BatchNorm1d(4))
    ember.save(model.state_dict(), tmp_path / "m.safetensors")
    other = ember.nn.Sequential(ember.nn.Linear(3, 4), ember.nn.BatchNorm1d(4))
    other.load_state_dict(ember.load(tmp_path / "m.safetensors"))
    x = ember.randn(5, 3)
    model.eval(), other.eval()
    assert ember.equal(model(x), other(x))


def test_file_objects(tmp_path):
    with open(tmp_path / "f.bin", "wb") as f:
        ember.save([ember.ones(2)], f)
    with open(tmp_path / "f.bin", "rb") as f:
        assert ember.load(f)[0].tolist() == [1.0, 1.0]
    buffer = io.BytesIO()
    ember.save({"x": 1}, buffer)
    assert ember.load(io.BytesIO(buffer.getvalue())) == {"x": 1}
    with open(tmp_path / "f.bin") as text, pytest.raises(TypeError, match="open\\(path, 'rb'\\)"):
        ember.load(text)


def test_map_location(tmp_path):
    ember.save({"w": ember.ones(2)}, tmp_path / "w.safetensors")
    for where in (None, "cpu", ember.device("cpu"), {"cpu": "cpu"}, lambda storage, location: storage):
        assert ember.load(tmp_path / "w.safetensors", map_location=where)["w"].tolist() == [1.0, 1.0]
    with pytest.raises(LoadError, match="map_location='cpu'"):
        ember.load(tmp_path / "w.safetensors", map_location="mps")


def test_saved_files_are_plain_safetensors(tmp_path):
    from safetensors.numpy import load_file
    ember.save({"a": ember.ones(2, 3)}, tmp_path / "plain.safetensors")
    arrays = load_file(tmp_path / "plain.safetensors")
    assert list(arrays.values())[0].shape == (2, 3)
    assert np.all(list(arrays.values())[0] == 1)


def test_load_error_is_what_torch_code_catches():
    # torch.load raises RuntimeError for a damaged zip and pickle.UnpicklingError for a refused pickle
    assert issubclass(LoadError, RuntimeError) and issubclass(LoadError, pickle.UnpicklingError)


# ---------------------------------------------------------------------------------------------------------------
# save refuses what it cannot store
# ---------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("thing", [{1, 2}, b"bytes", 1 + 2j, object(), print, iter([1]),
                                   np.array(["a"]), np.zeros(2, np.complex64), np.zeros(2, np.uint32),
                                   np.datetime64("2020-01-01"), np.array([None])], ids=repr)
def test_save_refuses_what_it_cannot_store(tmp_path, thing):
    with pytest.raises(TypeError, match="ember.save can store|ember does not support"):
        ember.save({"ok": ember.ones(1), "bad": [thing]}, tmp_path / "x.safetensors")
    assert not (tmp_path / "x.safetensors").exists() and os.listdir(tmp_path) == []


def test_save_refuses_structures_too_deep_or_containing_themselves(tmp_path):
    deep = []
    for _ in range(300):
        deep = [deep]
    loop = []
    loop.append(loop)
    for obj in (deep, loop):
        with pytest.raises(RecursionError, match="nested more than"):
            ember.save(obj, tmp_path / "x.safetensors")
    nested = []
    for _ in range(100):  # deep, but within the limit: round trips
        nested = [nested]
    ember.save(nested, tmp_path / "ok.safetensors")
    assert ember.load(tmp_path / "ok.safetensors") == nested


# ---------------------------------------------------------------------------------------------------------------
# What a file holds, and editing it
# ---------------------------------------------------------------------------------------------------------------
def checkpoint():
    """A small training checkpoint: a model's state, an optimizer's state, numbers and strings."""
    ember.manual_seed(0)
    model = ember.nn.Sequential(ember.nn.Linear(4, 8), ember.nn.ReLU(), ember.nn.Linear(8, 2))
    optimizer = ember.optim.Adam(model.parameters(), lr=0.001)
    model(ember.randn(3, 4)).sum().backward()
    optimizer.step()
    return {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": 3, "note": "run-1",
            "mask": ember.tensor([True, False]), "counts": ember.tensor([1, 2, 3], dtype=ember.int32),
            "trainable": ember.ones(2, requires_grad=True)}


def assert_same(a, b):
    if isinstance(b, ember.Tensor):
        assert type(a) is type(b) and a.dtype == b.dtype and a.shape == b.shape
        assert a.requires_grad == b.requires_grad and np.array_equal(a.detach().numpy(), b.detach().numpy())
    elif isinstance(b, dict):
        assert type(a) is type(b) and list(a) == list(b)
        for k in b:
            assert_same(a[k], b[k])
    elif isinstance(b, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b)
        for x, y in zip(a, b):
            assert_same(x, y)
    else:
        assert type(a) is type(b) and a == b


def parts(data):
    """The file's regions: header length, header JSON, and each tensor's bytes (by name)."""
    size = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + size])
    regions = {"header length": range(0, 8), "header": range(8, 8 + size)}
    for name, entry in header.items():
        if name != "__metadata__":
            begin, end = entry["data_offsets"]
            regions[name] = range(8 + size + begin, 8 + size + end)
    return header, regions


def edited(data, old, new):
    """The file with `old` replaced by `new` in its header, the header length fixed as a careful editor would."""
    size = int.from_bytes(data[:8], "little")
    header = data[8:8 + size]
    assert header.count(old) >= 1, old
    header = header.replace(old, new, 1)
    return struct.pack("<Q", len(header)) + header + data[8 + size:]


def saved_bytes(obj, tmp_path):
    ember.save(obj, tmp_path / "ck.safetensors")
    return (tmp_path / "ck.safetensors").read_bytes()


def load_bytes(data, tmp_path, name="edited.safetensors"):
    (tmp_path / name).write_bytes(data)
    return ember.load(tmp_path / name)


def test_the_issues_header_edits_are_refused(tmp_path):
    """Each edit below loaded as truth when only the tensor bytes were checksummed."""
    ember.manual_seed(0)
    obj = {"0.weight": ember.randn(8, 4), "0.bias": ember.randn(8), "lr": 0.001}
    data = saved_bytes(obj, tmp_path)
    header, _ = parts(data)
    weight, bias = [json.loads(header["__metadata__"]["structure"])["dict"][i][1]["tensor"] for i in (0, 1)]
    edits = {
        "key renamed": (b'\\"0.bias\\"', b'\\"0.bia/\\"'),
        "dtype field int32": (f'"{weight}":{{"dtype":"F32"'.encode(), f'"{weight}":{{"dtype":"I32"'.encode()),
        "[8,4] relabelled [4,8]": (b'"shape":[8,4]', b'"shape":[4,8]'),
        "key pointing at another tensor": (f'\\"tensor\\": \\"{bias}\\"'.encode(),
                                           f'\\"tensor\\": \\"{weight}\\"'.encode()),
        "requires_grad flipped": (b'\\"requires_grad\\": false', b'\\"requires_grad\\": true'),
        "lr 0.001 -> 9.001": (b"0.001", b"9.001"),
        "format downgraded to ember-1": (b'"format":"ember-2"', b'"format":"ember-1"'),
    }
    first = header["__metadata__"]["digest"][0]
    edits["digest changed"] = (f'"digest":"{first}'.encode(), f'"digest":"{"a" if first != "a" else "b"}'.encode())
    assert_same(load_bytes(data, tmp_path), obj)
    for what, (old, new) in edits.items():
        changed = edited(data, old, new)
        with pytest.raises(LoadError, match="edited.safetensors: it was changed after ember.save wrote it") as e:
            load_bytes(changed, tmp_path)
        assert "digest" in str(e.value), what


def refused(data):
    """True when ember.load refuses these bytes with its LoadError; any other error fails the test."""
    try:
        ember.load(io.BytesIO(data))
    except LoadError:
        return True
    return False


def test_every_truncation_is_refused(tmp_path):
    data = saved_bytes(checkpoint(), tmp_path)
    assert not refused(data)
    assert all(refused(data[:end]) for end in range(len(data)))
    assert refused(data + b"\x00") and refused(data + data)  # and something appended


def test_every_byte_flip_in_every_region_is_refused(tmp_path):
    data = saved_bytes(checkpoint(), tmp_path)
    _, regions = parts(data)
    assert len(regions) == 2 + 19  # header length, header, 4 parameters, 3 x 4 Adam states, 3 more tensors
    rng = random.Random(0)
    flips = {name: 0 for name in regions}
    for position in range(len(data)):
        damaged = bytearray(data)
        damaged[position] ^= rng.randrange(1, 256)
        assert refused(bytes(damaged)), position
        flips[next(name for name, span in regions.items() if position in span)] += 1
    assert all(flips[name] == len(span) > 0 for name, span in regions.items())
    assert sum(flips.values()) == len(data)


@functools.cache
def small_file():
    obj = {"w": ember.arange(6.0).reshape(2, 3), "step": 4, "i": ember.tensor([7], dtype=ember.int8)}
    buffer = io.BytesIO()
    ember.save(obj, buffer)
    return obj, buffer.getvalue()


@settings(max_examples=150, deadline=None)
@given(edits=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1, max_size=4),
       cut=st.one_of(st.none(), st.integers(0, 10**6)), extra=st.binary(max_size=3))
def test_arbitrary_edits_are_refused_unless_they_change_nothing(edits, cut, extra):
    obj, data = small_file()
    damaged = bytearray(data)
    for position, value in edits:
        damaged[position % len(data)] = value
    if cut is not None:
        damaged = damaged[:cut % (len(data) + 1)]
    damaged += extra
    if bytes(damaged) == data:
        assert_same(ember.load(io.BytesIO(data)), obj)
    else:
        assert refused(bytes(damaged))


# ---------------------------------------------------------------------------------------------------------------
# Crafted files: the digest is right (anyone can compute it), the content is not
# ---------------------------------------------------------------------------------------------------------------
ZEROS = "0" * 64


def signed(header_text, buffer=b""):
    """A file of this header (JSON text holding '"digest":"000..."') and data, its digest set as ember's format
    says: the SHA-256 of the whole file with the digest's own 64 digits read as zeros."""
    header = header_text.encode("utf-8", "surrogateescape")  # '\udcff' stands for a lone 0xff byte
    header += b" " * (-len(header) % 8)
    data = bytearray(struct.pack("<Q", len(header)) + header + buffer)
    slot = data.index(f'"digest":"{ZEROS}"'.encode()) + len('"digest":"')
    data[slot:slot + 64] = hashlib.sha256(bytes(data)).hexdigest().encode()
    return bytes(data)


def header_of(tensors, structure, **metadata):
    metadata = {"digest": ZEROS, "format": "ember-2", "structure": json.dumps(structure), **metadata}
    return json.dumps({"__metadata__": metadata, **tensors}, separators=(",", ":"))


F32x2 = {"t0": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}
ONE = {"tensor": "t0", "requires_grad": False, "parameter": False}
TWO_FLOATS = struct.pack("<2f", 1.0, 2.0)


def deep(levels, leaf):
    node = leaf
    for _ in range(levels):
        node = {"list": [node]}
    return node


CRAFTED = {
    "a well-formed crafted file loads": (header_of(F32x2, ONE), TWO_FLOATS),
    "overlapping offsets": (header_of({"t0": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                                       "t1": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}},
                                      {"list": [ONE]}), TWO_FLOATS + bytes(4)),
    "offsets past the data": (header_of({"t0": {"dtype": "F32", "shape": [2], "data_offsets": [0, 800]}}, ONE),
                              TWO_FLOATS),
    "offsets reversed": (header_of({"t0": {"dtype": "F32", "shape": [0], "data_offsets": [8, 0]}}, ONE),
                         TWO_FLOATS),
    "unknown dtype": (header_of({"t0": {"dtype": "X9", "shape": [2], "data_offsets": [0, 8]}}, ONE), TWO_FLOATS),
    "dtype of another size": (header_of({"t0": {"dtype": "F64", "shape": [2], "data_offsets": [0, 8]}}, ONE),
                              TWO_FLOATS),
    "shape of another size": (header_of({"t0": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}, ONE),
                              TWO_FLOATS),
    "negative shape": (header_of({"t0": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}}, ONE),
                       TWO_FLOATS),
    "a dtype ember lacks (U16)": (header_of({"t0": {"dtype": "U16", "shape": [4], "data_offsets": [0, 8]}}, ONE),
                                  TWO_FLOATS),
    "a dtype ember lacks (BF16)": (header_of({"t0": {"dtype": "BF16", "shape": [4], "data_offsets": [0, 8]}},
                                             ONE), TWO_FLOATS),
    "duplicate tensor names": (header_of(F32x2, ONE)[:-1] + ',"t0":{"dtype":"F32","shape":[2],'
                                                             '"data_offsets":[0,8]}}', TWO_FLOATS),
    "duplicate keys in the structure": (header_of(F32x2, {}).replace(
        '"structure":"{}"', '"structure":"{\\"tensor\\":\\"t0\\",\\"tensor\\":\\"t0\\"}"'), TWO_FLOATS),
    "a header that is not JSON": ('{"__metadata__":{"digest":"' + ZEROS + '",}', b""),
    "a header that is not UTF-8": ('{"__metadata__":{"digest":"' + ZEROS + '","x":"\udcff"}}', b""),
    "a header nested 100000 deep": (header_of({}, ONE)[:-1] + ',"x":' + "[" * 100000 + "]" * 100000 + "}", b""),
    "a header entry that is not a tensor": (header_of({"t0": 5}, ONE), b""),
    "metadata that is not strings": (header_of({}, ONE).replace('"format":"ember-2"', '"format":2'), b""),
    "another format": (header_of(F32x2, ONE, format="ember-3"), TWO_FLOATS),
    "no structure": (header_of(F32x2, ONE).replace('"structure"', '"structural"'), TWO_FLOATS),
    "a structure that is not JSON": (header_of(F32x2, ONE).replace('"structure":"{', '"structure":"{{'),
                                     TWO_FLOATS),
    "a structure nested 300 deep": (header_of(F32x2, deep(300, ONE)), TWO_FLOATS),
    "a structure nested 100000 deep": (header_of(F32x2, {}).replace(
        '"structure":"{}"', '"structure":"' + '{\\"list\\":[' * 100000 + ']}' * 100000 + '"'), TWO_FLOATS),
    "a reference to a missing tensor": (header_of(F32x2, {"tensor": "t9"}), TWO_FLOATS),
    "a reference that is not a name": (header_of(F32x2, {"tensor": ["t0"]}), TWO_FLOATS),
    "an unknown entry": (header_of(F32x2, {"pickle": "80 02"}), TWO_FLOATS),
    "an entry of two kinds": (header_of(F32x2, {"list": [], "value": 1}), TWO_FLOATS),
    "an entry that is not an object": (header_of(F32x2, [1, 2]), TWO_FLOATS),
    "a value that is a container": (header_of(F32x2, {"value": [1]}), TWO_FLOATS),
    "a flag that is not a bool": (header_of(F32x2, {"tensor": "t0", "requires_grad": "yes"}), TWO_FLOATS),
    "an unknown tensor flag": (header_of(F32x2, {"tensor": "t0", "hook": "os.system"}), TWO_FLOATS),
    "requires_grad on integers": (header_of({"t0": {"dtype": "I32", "shape": [2], "data_offsets": [0, 8]}},
                                            {"tensor": "t0", "requires_grad": True}), TWO_FLOATS),
    "a dict key that cannot be a key": (header_of({}, {"dict": [[{"list": []}, {"value": 1}]]}), b""),
    "a dict entry that is not a pair": (header_of({}, {"dict": [[{"value": 1}]]}), b""),
    "a Size of strings": (header_of({}, {"size": [{"value": "2"}]}), b""),
}


@pytest.mark.parametrize("case", list(CRAFTED))
def test_crafted_files_give_ember_load_error_and_nothing_else(tmp_path, case):
    header, buffer = CRAFTED[case]
    data = signed(header, buffer)
    if case == "a well-formed crafted file loads":
        assert load_bytes(data, tmp_path).tolist() == [1.0, 2.0]
        return
    with pytest.raises(LoadError, match="edited.safetensors: "):
        load_bytes(data, tmp_path)


@pytest.mark.parametrize("length", [2**63, 2**64 - 1, 10**12])
def test_a_huge_header_length_is_refused(tmp_path, length):
    data = saved_bytes({"w": ember.ones(2)}, tmp_path)
    with pytest.raises(LoadError, match=f"header of {length} bytes"):
        load_bytes(struct.pack("<Q", length) + data[8:], tmp_path)


def test_other_files_are_named_for_what_they_are(tmp_path):
    from safetensors.numpy import save_file
    save_file({"w": np.ones(2, np.float32)}, tmp_path / "foreign.safetensors")
    with pytest.raises(LoadError, match="not written by ember.save.*safetensors.numpy.load_file"):
        ember.load(tmp_path / "foreign.safetensors")
    (tmp_path / "garbage.bin").write_bytes(b"not a tensor file at all")
    with pytest.raises(LoadError, match="garbage.bin.*not an ember or PyTorch checkpoint"):
        ember.load(tmp_path / "garbage.bin")
    (tmp_path / "empty.bin").write_bytes(b"")
    with pytest.raises(LoadError, match="empty.bin.*too short"):
        ember.load(tmp_path / "empty.bin")
    with pytest.raises(FileNotFoundError, match="missing"):
        ember.load(tmp_path / "missing.safetensors")


def test_a_pickle_hidden_in_the_metadata_is_only_ever_read_as_json(tmp_path):
    class Exploit:
        def __reduce__(self):
            return (os.system, (f"touch {tmp_path / 'pwned'}",))
    for structure in (pickle.dumps(Exploit()).hex(), pickle.dumps(Exploit()).decode("latin1")):
        with pytest.raises(LoadError, match="structure is not valid JSON"):
            load_bytes(signed(header_of({}, {}).replace('"structure":"{}"',
                                                        json.dumps({"structure": structure})[1:-1])), tmp_path)
    assert load_bytes(signed(header_of({}, {"value": pickle.dumps(Exploit()).hex()})), tmp_path).startswith("80")
    assert not (tmp_path / "pwned").exists()


# ---------------------------------------------------------------------------------------------------------------
# Files of the previous format (ember-1: tensor bytes checked, header not)
# ---------------------------------------------------------------------------------------------------------------
def ember1_file(path):
    """What ember.save wrote before format ember-2."""
    import zlib
    from safetensors.numpy import save
    arrays = {"t0": np.arange(4, dtype=np.float32)}
    structure = {"dict": [[{"value": "w"}, {"tensor": "t0", "requires_grad": False, "parameter": False}],
                          [{"value": "lr"}, {"value": 0.001}]]}
    metadata = {"format": "ember-1", "structure": json.dumps(structure),
                "checksums": json.dumps({"t0": zlib.crc32(arrays["t0"].tobytes())})}
    path.write_bytes(save(arrays, metadata=metadata))


def test_ember1_files_are_refused_by_load_and_read_by_load_unverified(tmp_path):
    ember1_file(tmp_path / "old.safetensors")
    with pytest.raises(LoadError, match="old.safetensors.*ember-1.*load_unverified"):
        ember.load(tmp_path / "old.safetensors")
    back = ember.serialization.load_unverified(tmp_path / "old.safetensors")
    assert back["w"].tolist() == [0.0, 1.0, 2.0, 3.0] and back["lr"] == 0.001
    ember.save(back, tmp_path / "new.safetensors")  # saved again, it is protected
    assert ember.load(tmp_path / "new.safetensors")["lr"] == 0.001
    data = (tmp_path / "old.safetensors").read_bytes()
    (tmp_path / "bad.safetensors").write_bytes(data[:-1] + b"\x01")
    with pytest.raises(LoadError, match="bad.safetensors.*checksum"):
        ember.serialization.load_unverified(tmp_path / "bad.safetensors")
    with pytest.raises(LoadError, match="new.safetensors.*not an ember-1 file"):
        ember.serialization.load_unverified(tmp_path / "new.safetensors")


# ---------------------------------------------------------------------------------------------------------------
# Saving is atomic: a save that fails or is killed leaves the previous file, and no litter
# ---------------------------------------------------------------------------------------------------------------
def litter(folder):
    return [name for name in os.listdir(folder) if ".ember-save-" in name]


def test_saving_into_a_missing_folder_says_so_as_torch_does(tmp_path):
    import torch
    for save in (torch.save, ember.save):
        with pytest.raises(RuntimeError, match="Parent directory .*missing does not exist"):
            save({"x": 1}, tmp_path / "missing" / "x.pt")


def test_a_failed_save_leaves_the_old_file(tmp_path):
    path = tmp_path / "keep.safetensors"
    ember.save({"x": ember.ones(2)}, path)
    with pytest.raises(TypeError, match="state_dict"):
        ember.save({"x": ember.ones(2), "model": object()}, path)
    with pytest.raises(TypeError, match="files ember writes hold no code"):  # a whole model's file: the same
        ember.save({"x": ember.ones(2), "model": ember.nn.Linear(1, 1), "how": lambda x: x}, path)
    assert ember.load(path)["x"].tolist() == [1.0, 1.0]
    assert litter(tmp_path) == []


KILLED_SAVE = textwrap.dedent("""
    import os, signal, sys
    import ember
    path, when = sys.argv[1], sys.argv[2]
    die = lambda *args: os.kill(os.getpid(), signal.SIGKILL)
    if when == "before rename":
        os.replace = die
    elif when == "before fsync":
        os.fsync = die
    elif when == "mid-write":
        real_fdopen = os.fdopen
        class HalfWriter:
            def __init__(self, f): self.f = f
            def __enter__(self): return self
            def __exit__(self, *exc): pass
            def write(self, data): self.f.write(data[:len(data) // 2]); self.f.flush(); die()
        os.fdopen = lambda *args, **kwargs: HalfWriter(real_fdopen(*args, **kwargs))
    elif when == "any time":
        for i in range(10**6):
            ember.save({"version": i, "w": ember.full((500, 500), float(i))}, path)
            if i == 1:
                print("saving", flush=True)
    ember.save({"version": -1, "w": ember.full((500, 500), -1.0)}, path)
""")


def run_killed_save(path, when, seconds=None):
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(ember.__file__)))
    child = subprocess.Popen([sys.executable, "-c", KILLED_SAVE, str(path), when], env=env,
                             stdout=subprocess.PIPE)
    if seconds is not None:
        child.stdout.readline()  # it has saved twice; now kill it somewhere in a later save
        import time
        time.sleep(seconds)
        child.send_signal(signal.SIGKILL)
    child.communicate(timeout=120)
    assert child.returncode == -signal.SIGKILL


@pytest.mark.parametrize("when", ["mid-write", "before fsync", "before rename"])
def test_a_save_killed_at_each_step_leaves_the_old_file(tmp_path, when):
    path = tmp_path / "ck.safetensors"
    ember.save({"version": 0, "w": ember.zeros(2)}, path)
    run_killed_save(path, when)
    assert ember.load(path)["version"] == 0  # the old file, whole
    assert len(litter(tmp_path)) == 1  # the killed save's temporary file...
    ember.save({"version": 1, "w": ember.ones(2)}, path)
    assert litter(tmp_path) == []  # ...is removed by the next save to that path
    assert ember.load(path)["version"] == 1


def test_a_save_killed_at_a_random_moment_leaves_a_whole_file(tmp_path):
    path = tmp_path / "ck.safetensors"
    rng = random.Random(0)
    for _ in range(3):
        run_killed_save(path, "any time", seconds=rng.uniform(0.0, 0.3))
        back = ember.load(path)  # one of the saves, whole: never a mixture
        assert back["version"] >= 0 and ember.equal(back["w"], ember.full((500, 500), float(back["version"])))
    ember.save({"version": 0}, path)
    assert litter(tmp_path) == []


def test_a_save_does_not_remove_the_temporary_file_of_a_live_save(tmp_path):
    path = tmp_path / "ck.safetensors"
    live = tmp_path / f".ck.safetensors.ember-save-{os.getppid()}-abc"  # our parent is alive
    live.write_bytes(b"in progress")
    ember.save({"x": 1}, path)
    assert live.exists()


# ---------------------------------------------------------------------------------------------------------------
# Whole models: torch.save(model, path) and torch.load(path, weights_only=False), read through the allowlist
# ---------------------------------------------------------------------------------------------------------------
import torch  # noqa: E402  (PyTorch itself: the files must cross between the two libraries)
from ember.serialization import add_safe_globals, clear_safe_globals, get_safe_globals, safe_globals  # noqa: E402


class TinyNet(ember.nn.Module):
    """A program's own model: layers, a ModuleList, a tied weight, a buffer (persistent or not), an activation
    function, plain attributes and a frozen parameter."""

    def __init__(self):
        super().__init__()
        self.embed = ember.nn.Embedding(7, 4)
        self.blocks = ember.nn.ModuleList([ember.nn.Linear(4, 4), ember.nn.LayerNorm(4)])
        self.head = ember.nn.Linear(4, 7, bias=False)
        self.head.weight = self.embed.weight  # tied: one Parameter in two places
        self.scale = ember.nn.Parameter(ember.tensor([0.5]), requires_grad=False)
        self.register_buffer("steps", ember.tensor(3))
        self.register_buffer("cache", ember.zeros(2), persistent=False)
        self.act, self.norm_layer = ember.nn.functional.gelu, ember.nn.LayerNorm
        self.name, self.sizes, self.extra = "tiny", (4, 7), {"k": [1.5, None, True], "arr": np.arange(3.0)}

    def forward(self, tokens):
        x = self.embed(tokens)
        for block in self.blocks:
            x = self.act(block(x))
        return self.head(x) * self.scale


def save_and_load(obj, tmp_path, name="model.pt", **options):
    ember.save(obj, tmp_path / name)
    return ember.load(tmp_path / name, weights_only=False, **options)


def test_a_whole_model_round_trips(tmp_path):
    ember.manual_seed(0)
    model = TinyNet().eval()
    back = save_and_load(model, tmp_path)
    assert type(back) is TinyNet and not back.training and back is not model
    tokens = ember.tensor([[1, 2, 6], [0, 3, 3]])
    assert ember.equal(back(tokens), model(tokens))
    assert list(back.state_dict()) == list(model.state_dict())
    assert back.head.weight is back.embed.weight and isinstance(back.head.weight, ember.nn.Parameter)
    assert back.embed.weight.requires_grad and not back.scale.requires_grad
    assert back.act is ember.nn.functional.gelu and back.norm_layer is ember.nn.LayerNorm and back.sizes == (4, 7)
    assert back.extra["k"] == [1.5, None, True]
    assert back.extra["arr"].tolist() == [0.0, 1.0, 2.0] and "cache" not in back.state_dict()
    back(tokens).sum().backward()  # a model that trains on
    assert back.embed.weight.grad is not None and model.embed.weight.grad is None


def test_a_checkpoint_holding_models_and_optimizer_state(tmp_path):
    model = ember.nn.Sequential(ember.nn.Linear(3, 2), ember.nn.ReLU())
    optimizer = ember.optim.Adam(model.parameters())
    model(ember.ones(1, 3)).sum().backward()
    optimizer.step()
    back = save_and_load({"model": model, "best": model, "epoch": 4, "optimizer": optimizer.state_dict(),
                          "losses": np.array([0.5, 0.25], np.float32), "acc": np.float64(0.75)}, tmp_path)
    assert back["model"] is back["best"] and back["epoch"] == 4 and back["acc"] == 0.75
    assert type(back["acc"]) is np.float64 and back["losses"].dtype == np.float32
    assert ember.equal(back["model"](ember.ones(2, 3)), model(ember.ones(2, 3)))
    fresh = ember.optim.Adam(back["model"].parameters())
    fresh.load_state_dict(back["optimizer"])


def test_loading_a_whole_model_needs_weights_only_false_or_safe_globals(tmp_path):
    ember.save(TinyNet(), tmp_path / "model.pt")
    with pytest.raises(pickle.UnpicklingError, match="Weights only load failed.*TinyNet.*weights_only=False"):
        ember.load(tmp_path / "model.pt")
    with pytest.raises(LoadError, match="add_safe_globals"):
        ember.load(tmp_path / "model.pt", weights_only=True)
    allowed = [TinyNet, ember.nn.Embedding, ember.nn.ModuleList, ember.nn.Linear, ember.nn.LayerNorm,
               ember.nn.functional.gelu, np.ndarray, np.dtype]
    with safe_globals(allowed):
        assert get_safe_globals() == allowed
        with pytest.raises(LoadError, match="_reconstruct"):  # NumPy's rebuilder is one more name to allow
            ember.load(tmp_path / "model.pt")
        add_safe_globals([np.ndarray.__reduce__(np.zeros(0))[0]])
        assert type(ember.load(tmp_path / "model.pt")) is TinyNet
    assert get_safe_globals() == []
    add_safe_globals([(TinyNet, "somewhere.Else")])
    assert get_safe_globals() == [(TinyNet, "somewhere.Else")]
    clear_safe_globals()
    assert get_safe_globals() == []
    with pytest.raises(TypeError, match="list"):
        add_safe_globals(TinyNet)


def test_saving_a_model_refuses_code_before_touching_the_file(tmp_path):
    def local():
        class Local(ember.nn.Module):
            pass
        return Local()
    model = ember.nn.Linear(2, 2)
    model.register_forward_hook(lambda *args: None)
    for bad, error, words in [(model, TypeError, "hooks"), (local(), pickle.PicklingError, "local object"),
                              ({"m": ember.nn.Linear(1, 1), "f": print}, TypeError, "no code"),
                              ({"m": ember.nn.Linear(1, 1), "a": np.array(["text"])}, TypeError, "no code")]:
        with pytest.raises(error, match=words):
            ember.save(bad, tmp_path / "m.pt")
        assert os.listdir(tmp_path) == []


TORCH_LAYERS = {
    "Sequential CNN": (lambda nn: nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.BatchNorm2d(3), nn.ReLU(),
                                                nn.MaxPool2d(2), nn.Flatten(), nn.Dropout(0.3), nn.Linear(12, 2),
                                                nn.LogSoftmax(dim=1)), (3, 2, 4, 4)),
    "LSTM": (lambda nn: nn.LSTM(4, 3, num_layers=2, batch_first=True, bidirectional=True), (2, 5, 4)),
    "GRU": (lambda nn: nn.GRU(4, 3), (5, 2, 4)),
    "RNN relu": (lambda nn: nn.RNN(4, 3, nonlinearity="relu", bias=False), (5, 2, 4)),  # (ember prints its
    # nonlinearity, torch does not: a repr difference of rnn.py's, left out of the comparison below)
    "LSTMCell": (lambda nn: nn.LSTMCell(4, 3), (2, 4)),
    "RNNCell relu": (lambda nn: nn.RNNCell(4, 3, nonlinearity="relu"), (2, 4)),
    "Embedding LayerNorm GELU": (lambda nn: nn.Sequential(nn.Embedding(10, 4), nn.LayerNorm(4), nn.GELU()), None),
    "TransformerEncoder": (lambda nn: nn.TransformerEncoder(nn.TransformerEncoderLayer(4, 2, 8, batch_first=True),
                                                            2), (2, 5, 4)),
    "MultiheadAttention": (lambda nn: nn.MultiheadAttention(4, 2), "attention"),
    "Transformer": (lambda nn: nn.Transformer(4, 2, 1, 1, 8), "transformer"),
    "ConvTranspose2d Upsample GroupNorm": (lambda nn: nn.Sequential(nn.ConvTranspose2d(2, 4, 3), nn.Upsample(
        scale_factor=2), nn.GroupNorm(2, 4), nn.AvgPool2d(2), nn.PReLU()), (1, 2, 4, 4)),
    "norms without affine, pooling, pixel shuffle": (lambda nn: nn.Sequential(
        nn.InstanceNorm2d(4, affine=True), nn.BatchNorm2d(4, affine=False, momentum=None), nn.AdaptiveAvgPool2d(3),
        nn.Dropout2d(), nn.PixelShuffle(2), nn.Upsample(scale_factor=2, mode="bilinear"), nn.AdaptiveMaxPool2d(2),
        nn.Flatten(), nn.Unflatten(1, (2, 2)), nn.Softmax(dim=1)), (2, 4, 4, 4)),
    "Conv1d and activations": (lambda nn: nn.Sequential(
        nn.Conv1d(2, 3, 3, stride=2, padding=1), nn.MaxPool1d(2), nn.AvgPool1d(1), nn.LeakyReLU(0.3),
        nn.Hardtanh(-0.5, 0.5), nn.ELU(0.5), nn.SELU(), nn.CELU(0.5), nn.Mish(), nn.Softplus(beta=2.0),
        nn.Threshold(0.1, 20.0), nn.LogSoftmax(dim=1)), (2, 2, 8)),
    "GRUCell": (lambda nn: nn.GRUCell(4, 3), (2, 4)),
}


def call_layer(lib, model, how, x):
    model.eval()
    if how is None:
        out = model(lib.tensor([[1, 2], [3, 9]]))
    elif how == "attention":
        out = model(*[lib.tensor(x)] * 3)[0]
    elif how == "transformer":
        out = model(lib.tensor(x), lib.tensor(x[:3]))
    else:
        out = model(lib.tensor(x))
    return (out[0] if isinstance(out, tuple) else out).detach().numpy()


@pytest.mark.parametrize("name", TORCH_LAYERS)
def test_whole_models_cross_between_torch_and_ember(tmp_path, name):
    """torch.save(model) read by ember, and ember.save(model) read by torch: the same layers, the same numbers."""
    make, how = TORCH_LAYERS[name]
    x = np.random.default_rng(1).standard_normal(how if isinstance(how, tuple) else (5, 2, 4)).astype(np.float32)
    how = None if how is None else how if isinstance(how, str) else "call"
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        original = make(torch.nn)
    expected = call_layer(torch, original, how, x)
    torch.save(original, tmp_path / "torch.pt")
    mine = ember.load(tmp_path / "torch.pt", weights_only=False)
    assert type(mine) is getattr(ember.nn, type(original).__name__)
    assert repr(mine) == repr(original) or name == "RNN relu"
    assert list(mine.state_dict()) == list(original.state_dict())
    np.testing.assert_allclose(call_layer(ember, mine, how, x), expected, rtol=1e-5, atol=1e-6)
    ember.save(mine, tmp_path / "ember.pt")
    theirs = torch.load(tmp_path / "ember.pt", weights_only=False)
    assert type(theirs) is type(original) and repr(theirs) == repr(original)
    np.testing.assert_allclose(call_layer(torch, theirs, how, x), expected, rtol=1e-5, atol=1e-6)
    again = ember.load(tmp_path / "ember.pt", weights_only=False)
    np.testing.assert_allclose(call_layer(ember, again, how, x), expected, rtol=1e-5, atol=1e-6)


def test_numpy_values_in_torch_files(tmp_path):
    values = {"array": np.arange(6.0).reshape(2, 3), "f32": np.ones((2, 2), np.float32).T, "ints": np.arange(3),
              "bools": np.array([True, False]), "empty": np.zeros((0, 2)), "complex": np.array([1 + 2j]),
              "scalar": np.float64(2.5), "int": np.int64(-3), "flag": np.bool_(True), "big": np.uint32(7)}
    torch.save(values, tmp_path / "np.pt")
    with pytest.raises(LoadError, match="Weights only load failed.*_reconstruct"):
        ember.load(tmp_path / "np.pt")
    for back in (ember.load(tmp_path / "np.pt", weights_only=False), save_and_load(
            {"m": ember.nn.Identity(), **values}, tmp_path)):
        for key, value in values.items():
            assert type(back[key]) is type(value) and back[key].dtype == value.dtype, key
            np.testing.assert_array_equal(back[key], value)
        assert back["array"].flags.writeable and back["array"].base is None


def evil():
    raise AssertionError("a module-level function named in a file ran")


class NotAModule:
    def __init__(self, *args):
        raise AssertionError("a class that is not an nn.Module was built")


@pytest.mark.parametrize("kind", ["os.system", "builtins.eval", "builtins.exec", "subprocess.call",
                                  "nested in a state dict", "module-level function", "a listed function called",
                                  "a class that is no module", "a module's __class__", "getattr",
                                  "subprocess.Popen"])
def test_hostile_pickles_are_refused_unrun_even_with_weights_only_false(tmp_path, kind):
    from tests.test_checkpoint_formats import Reduce, exploits
    marker = tmp_path / "pwned"
    objects = dict(exploits(marker), **{
        "module-level function": Reduce(evil), "a listed function called": Reduce(torch.nn.functional.relu,
                                                                                  torch.ones(1)),
        "a class that is no module": Reduce(NotAModule, 1), "getattr": Reduce(getattr, 1, "real"),
        "subprocess.Popen": Reduce(subprocess.Popen, ["touch", str(marker)])})
    if kind == "a module's __class__":
        model = torch.nn.Linear(1, 1)
        model.__dict__["__class__"] = 1
        obj = model
    else:
        obj = objects[kind]
    torch.save(obj, tmp_path / "evil.pt")
    add_safe_globals([os.system, getattr, subprocess.Popen])  # functions, and classes of os/subprocess/builtins,
    # never run or build even when added to the list
    try:
        with pytest.raises(LoadError) as caught:
            ember.load(tmp_path / "evil.pt", weights_only=False)
    finally:
        clear_safe_globals()
    message = str(caught.value)
    assert "evil.pt" in message and ("allowlist" in message or "will not construct" in message or
                                     "special attribute" in message), message
    assert not marker.exists()


def test_refusals_name_the_global_and_what_to_do(tmp_path):
    from tests.test_checkpoint_formats import Reduce
    torch.save(Reduce(os.system, "true"), tmp_path / "os.pt")
    with pytest.raises(LoadError, match="asks for posix.system|asks for os.system"):
        ember.load(tmp_path / "os.pt", weights_only=False)
    program = b"\x80\x02cunimported_models_module\nMyNet\n)\x81}b."
    from tests.test_checkpoint_formats import with_pickle
    with pytest.raises(LoadError, match="MyNet.*import it before loading"):
        ember.load(with_pickle(tmp_path, program), weights_only=False)
    with pytest.raises(LoadError, match="torch.nn.ConvTranspose3d layer.*ember does not have"):
        ember.load(with_pickle(tmp_path, b"\x80\x02ctorch.nn.modules.conv\nConvTranspose3d\n)\x81}b."),
                   weights_only=False)


@pytest.mark.parametrize("state, words", [
    ({"_parameters": {"w": "not a tensor"}}, "Parameters"),
    ({"_forward_hooks": {1: 2}}, "hooks"),
    ({"training": "yes"}, "training"),
    ({"__dict__": {}}, "special attribute"),
    ([1, 2], "not a dict"),
])
def test_malformed_module_states_are_refused(tmp_path, state, words):
    from tests.test_checkpoint_formats import with_pickle
    program = b"\x80\x02ctorch.nn.modules.linear\nLinear\n)\x81" + pickle.dumps(state, protocol=2)[2:-1] + b"b."
    with pytest.raises(LoadError, match=words):
        ember.load(with_pickle(tmp_path, program), weights_only=False)


class Config:
    def __init__(self, depth):
        self.depth = depth


def test_a_class_given_to_add_safe_globals_is_built_as_torch_builds_it(tmp_path):
    from tests.test_checkpoint_formats import Reduce
    torch.save({"config": Reduce(Config, 3)}, tmp_path / "c.pt")
    for weights_only in (True, False):  # a class that is not a module is allowed by name only
        with pytest.raises(LoadError, match="GLOBAL .*Config was not an allowed global.*add_safe_globals\\(\\[Config"):
            ember.load(tmp_path / "c.pt", weights_only=weights_only)
    with safe_globals([Config]):
        assert ember.load(tmp_path / "c.pt")["config"].depth == 3


def test_a_whole_model_in_torchs_legacy_format(tmp_path):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Tanh(), torch.nn.Linear(3, 1))
    torch.save(model, tmp_path / "old.pt", _use_new_zipfile_serialization=False)
    with pytest.raises(LoadError, match="Weights only load failed"):
        ember.load(tmp_path / "old.pt")
    mine = ember.load(tmp_path / "old.pt", weights_only=False)
    x = np.linspace(-1, 1, 8, dtype=np.float32).reshape(4, 2)
    np.testing.assert_allclose(mine(ember.tensor(x)).detach().numpy(), model(torch.tensor(x)).detach().numpy(),
                               rtol=1e-6)


def test_module_functions_are_values_never_calls(tmp_path):
    model = ember.nn.Linear(1, 1)
    model.act = ember.tanh
    assert save_and_load(model, tmp_path).act is ember.tanh
    model.act = ember.save  # not an activation: neither written nor read
    with pytest.raises(TypeError, match="no code"):
        ember.save(model, tmp_path / "m.pt")
    from tests.test_checkpoint_formats import with_pickle
    with pytest.raises(LoadError, match="torch.save"):
        ember.load(with_pickle(tmp_path, b"\x80\x02ctorch\nsave\n."), weights_only=False)


def test_every_value_in_a_whole_model_file_reads_back_in_torch_and_ember(tmp_path):
    base = ember.arange(24.0).reshape(4, 6)
    values = {"tensors": {d.name: (ember.arange(6.0).reshape(3, 2) * 7 - 9).to(d) for d in
                          (ember.float32, ember.float64, ember.float16, ember.int64, ember.int32, ember.int16,
                           ember.int8, ember.uint8, ember.bool)},
              "transposed": base.t(), "strided": base[::2, 1::3], "zero_d": ember.tensor(2.5),
              "empty": ember.zeros(0, 3), "requires_grad": ember.ones(2, requires_grad=True),
              "frozen": ember.nn.Parameter(ember.zeros(2), requires_grad=False),
              "numbers": [1, -2.5, float("inf"), True, None, "text", 10**30, -(2**40), (1, (2, [3]))],
              "ordered": OrderedDict([("b", 1), ("a", ember.ones(1))]), "int_keys": {0: "zero", (1, 2): "pair"},
              "size": ember.Size([2, 3]), "dtype": ember.float16, "device": ember.device("cpu"),
              "bytes": b"\x00\xffraw", "empty_bytes": b"", "set": {1, 2}, "frozenset": frozenset("ab"),
              "complex": 1 + 2j, "model": ember.nn.Linear(2, 1)}
    ember.save(values, tmp_path / "all.pt")
    theirs = torch.load(tmp_path / "all.pt", weights_only=False)
    mine = ember.load(tmp_path / "all.pt", weights_only=False)
    for key, value in values.items():
        if isinstance(value, dict) and key == "tensors":
            for name, tensor in value.items():
                assert str(theirs[key][name].dtype) == f"torch.{name}" and mine[key][name].dtype == tensor.dtype
                np.testing.assert_array_equal(theirs[key][name].numpy(), tensor.numpy())
                np.testing.assert_array_equal(mine[key][name].numpy(), tensor.numpy())
        elif isinstance(value, ember.Tensor):
            assert theirs[key].requires_grad == mine[key].requires_grad == value.requires_grad
            assert isinstance(theirs[key], torch.nn.Parameter) == isinstance(value, ember.nn.Parameter)
            assert tuple(theirs[key].shape) == tuple(mine[key].shape) == tuple(value.shape)
            np.testing.assert_array_equal(theirs[key].detach().numpy(), value.detach().numpy())
            np.testing.assert_array_equal(mine[key].detach().numpy(), value.detach().numpy())
        elif key == "model":
            assert type(theirs[key]) is torch.nn.Linear and type(mine[key]) is ember.nn.Linear
        elif key in ("size", "dtype", "device"):
            assert str(theirs[key]).replace("torch.", "") == str(mine[key]).replace("ember.", "") == \
                str(value).replace("ember.", "")
        elif key == "ordered":
            assert list(theirs[key]) == list(mine[key]) == ["b", "a"] and type(mine[key]) is OrderedDict
        else:
            assert theirs[key] == mine[key] == value, key


def test_weights_only_is_chosen_as_torch_chooses(tmp_path, monkeypatch):
    ember.save(ember.nn.Linear(1, 1), tmp_path / "m.pt")
    assert isinstance(ember.load(tmp_path / "m.pt", pickle_module=pickle), ember.nn.Linear)
    with pytest.raises(RuntimeError, match="Can not safely load weights when explicit pickle_module is specified"):
        ember.load(tmp_path / "m.pt", pickle_module=pickle, weights_only=True)
    monkeypatch.setenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1")
    assert isinstance(ember.load(tmp_path / "m.pt"), ember.nn.Linear)
    with pytest.raises(LoadError, match="Weights only load failed"):
        ember.load(tmp_path / "m.pt", weights_only=True)
    monkeypatch.setenv("TORCH_FORCE_WEIGHTS_ONLY_LOAD", "1")
    with pytest.raises(RuntimeError, match="Only one of"):
        ember.load(tmp_path / "m.pt")
    monkeypatch.delenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD")
    with pytest.raises(LoadError, match="Weights only load failed"):
        ember.load(tmp_path / "m.pt", weights_only=False)


def _crafted(module, **settings):
    """A torch layer with settings no constructor would give it (padding modes other than torch's four)."""
    for key, value in settings.items():
        setattr(module, key, value)
    return module


@pytest.mark.parametrize("make, words", [
    (lambda: _crafted(torch.nn.Conv2d(1, 1, 3), padding_mode="mirror"), "padding_mode=.mirror."),
    (lambda: _crafted(torch.nn.GRU(3, 4), proj_size=2), "proj_size=2"),
])
def test_torch_layers_with_settings_ember_lacks_are_refused_not_misread(tmp_path, make, words):
    torch.save(make(), tmp_path / "m.pt")
    with pytest.raises(LoadError, match=words):
        ember.load(tmp_path / "m.pt", weights_only=False)


def test_torch_lstm_with_proj_size_loads_and_saves_both_ways(tmp_path):
    t = torch.nn.LSTM(3, 5, 2, proj_size=2, bidirectional=True).double()
    torch.save(t, tmp_path / "m.pt")
    e = ember.load(tmp_path / "m.pt", weights_only=False)
    assert repr(e) == repr(t) and list(e.state_dict()) == list(t.state_dict())
    x = np.random.default_rng(0).normal(size=(4, 2, 3))
    mine, theirs = e(ember.tensor(x))[0], t(torch.tensor(x))[0]
    np.testing.assert_allclose(mine.detach().numpy(), theirs.detach().numpy(), rtol=1e-12, atol=1e-12)
    ember.save(e, tmp_path / "e.pt")
    back = torch.load(tmp_path / "e.pt", weights_only=False)
    np.testing.assert_allclose(back(torch.tensor(x))[0].detach().numpy(), theirs.detach().numpy(), rtol=1e-12)


def test_torch_embedding_with_max_norm_and_scale_grad_by_freq_loads(tmp_path):
    t = torch.nn.Embedding(5, 3, padding_idx=0, max_norm=1.0, scale_grad_by_freq=True).double()
    torch.save(t, tmp_path / "m.pt")
    e = ember.load(tmp_path / "m.pt", weights_only=False)
    assert repr(e) == repr(t)
    rows = [[1, 2, 1], [4, 0, 2]]
    mine, theirs = e(ember.tensor(rows)), t(torch.tensor(rows))
    mine.pow(2).sum().backward()
    theirs.pow(2).sum().backward()
    for a, b in ((mine, theirs), (e.weight.grad, t.weight.grad), (e.weight, t.weight)):  # (renormed in place)
        assert np.array_equal(a.detach().numpy(), b.detach().numpy())

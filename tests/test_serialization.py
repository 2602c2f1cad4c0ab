"""ember.save / ember.load: round trips, atomic writes, and files that are broken or hostile."""
import json
import os
import struct
from collections import OrderedDict

import numpy as np
import pytest

import ember


def test_round_trip_of_nested_structures(tmp_path):
    obj = {"tensor": ember.arange(6.0).reshape(2, 3), "ints": ember.tensor([1, 2]), "bool": ember.tensor([True]),
           "half": ember.ones(2).half(), "scalar": ember.tensor(3.5), "empty": ember.zeros(0, 3),
           "nested": [ember.ones(2), (1, 2.5, "text", None, True)], "numbers": {1: "one", (2, 3): [4]},
           "param": ember.nn.Parameter(ember.ones(2)), "grad": ember.ones(1, requires_grad=True),
           "ordered": OrderedDict([("b", 1), ("a", 2)])}
    path = tmp_path / "obj.safetensors"
    ember.save(obj, path)
    back = ember.load(path, map_location="cpu")
    assert ember.equal(back["tensor"], obj["tensor"]) and back["tensor"].dtype == ember.float32
    assert back["ints"].dtype == ember.int64 and back["bool"].dtype == ember.bool
    assert back["half"].dtype == ember.float16 and back["scalar"].shape == () and back["empty"].shape == (0, 3)
    assert back["nested"][1] == (1, 2.5, "text", None, True) and back["numbers"] == {1: "one", (2, 3): [4]}
    assert isinstance(back["param"], ember.nn.Parameter) and back["grad"].requires_grad
    assert isinstance(back["ordered"], OrderedDict) and list(back["ordered"]) == ["b", "a"]


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


def test_a_failed_save_leaves_the_old_file(tmp_path):
    path = tmp_path / "keep.safetensors"
    ember.save({"x": ember.ones(2)}, path)
    with pytest.raises(TypeError, match="state_dict"):
        ember.save({"x": ember.ones(2), "model": ember.nn.Linear(1, 1)}, path)
    assert ember.load(path)["x"].tolist() == [1.0, 1.0]
    assert [p for p in os.listdir(tmp_path) if p.startswith(".ember-save")] == []


def test_truncated_and_corrupted_files_are_refused_by_name(tmp_path):
    path = tmp_path / "good.safetensors"
    ember.save({"w": ember.arange(100.0)}, path)
    data = path.read_bytes()
    truncated = tmp_path / "truncated.safetensors"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(RuntimeError, match="truncated.safetensors"):
        ember.load(truncated)
    corrupted = tmp_path / "corrupted.safetensors"
    corrupted.write_bytes(data[:-20] + bytes(20))  # flip the last tensor bytes to zeros
    with pytest.raises(RuntimeError, match="corrupted.safetensors.*checksum"):
        ember.load(corrupted)
    garbage = tmp_path / "garbage.safetensors"
    garbage.write_bytes(b"not a tensor file at all")
    with pytest.raises(RuntimeError, match="garbage.safetensors"):
        ember.load(garbage)
    with pytest.raises(FileNotFoundError, match="missing"):
        ember.load(tmp_path / "missing.safetensors")


def test_a_pickle_crafted_to_run_code_cannot_run(tmp_path):
    import pickle

    class Exploit:
        def __reduce__(self):
            return (os.system, (f"touch {tmp_path / 'pwned'}",))
    path = tmp_path / "evil.pt"
    path.write_bytes(pickle.dumps(Exploit()))
    with pytest.raises(RuntimeError):
        ember.load(path)
    # also a safetensors file whose metadata smuggles a pickle: it is only ever read as JSON
    header = {"__metadata__": {"format": "ember-1", "structure": pickle.dumps(Exploit()).hex(), "checksums": "{}"}}
    raw = json.dumps(header).encode()
    sneaky = tmp_path / "sneaky.safetensors"
    sneaky.write_bytes(struct.pack("<Q", len(raw)) + raw)
    with pytest.raises(RuntimeError):
        ember.load(sneaky)
    assert not (tmp_path / "pwned").exists()


def test_saved_files_are_plain_safetensors(tmp_path):
    from safetensors.numpy import load_file
    ember.save({"a": ember.ones(2, 3)}, tmp_path / "plain.safetensors")
    arrays = load_file(tmp_path / "plain.safetensors")
    assert list(arrays.values())[0].shape == (2, 3)
    assert np.all(list(arrays.values())[0] == 1)

"""ember.save / ember.load: tensors and nested containers in a safetensors file. Never pickle.

The file is a standard safetensors file: the tensors, plus in its metadata a
JSON description of the structure around them (dicts, lists, tuples, numbers,
strings) and a CRC32 of every tensor. Loading reads JSON and raw arrays only,
so a file cannot run code; a truncated or corrupted file is refused with the
file's name. Saving writes a temporary file and renames it over the target, so
a crash mid-save leaves the previous file intact.
"""
import json
import os
import struct
import tempfile
import zlib
from collections import OrderedDict

import numpy as np

from . import _backend
from .tensor import Tensor, _wrap

FORMAT = "ember-1"


class _Writer:
    def __init__(self):
        self.arrays = {}

    def encode(self, obj):
        """obj -> JSON-able description; tensors are set aside under keys t0, t1, ..."""
        if isinstance(obj, Tensor):
            from .nn.parameter import Parameter
            key = self._store(_backend.move(obj._data, _backend.CPU))  # a GPU tensor is written from a host copy
            node = {"tensor": key, "requires_grad": obj.requires_grad, "parameter": isinstance(obj, Parameter)}
            if obj.is_cuda:
                node["device"] = str(obj.device)  # loaded back there unless map_location says otherwise
            return node
        if isinstance(obj, np.ndarray):
            return {"ndarray": self._store(obj)}
        if obj is None or isinstance(obj, (bool, int, float, str)):
            return {"value": obj}
        if isinstance(obj, np.generic):
            return {"value": obj.item()}
        if isinstance(obj, dict):
            kind = "odict" if isinstance(obj, OrderedDict) else "dict"
            return {kind: [[self.encode(k), self.encode(v)] for k, v in obj.items()]}
        if isinstance(obj, (list, tuple)):
            return {"list" if isinstance(obj, list) else "tuple": [self.encode(v) for v in obj]}
        raise TypeError(
            f"ember.save can store tensors, numbers, strings, None and lists/tuples/dicts of them, not "
            f"{type(obj).__name__}: save model.state_dict() (and optimizer.state_dict()) rather than whole objects. "
            "This keeps saved files free of code."
        )

    def _store(self, array):
        key = f"t{len(self.arrays)}"
        self.arrays[key] = _contiguous(array)
        return key


def save(obj, f):
    """Write obj (a tensor, a state dict, nested lists/dicts of tensors and numbers) to a path or binary file."""
    from safetensors.numpy import save as to_bytes
    writer = _Writer()
    structure = writer.encode(obj)
    checksums = {k: zlib.crc32(a.tobytes()) for k, a in writer.arrays.items()}
    metadata = {"format": FORMAT, "structure": json.dumps(structure), "checksums": json.dumps(checksums)}
    data = to_bytes(writer.arrays, metadata=metadata)
    if hasattr(f, "write"):
        f.write(data)
        return
    path = os.fspath(f)
    folder = os.path.dirname(os.path.abspath(path))
    handle, tmp = tempfile.mkstemp(prefix=".ember-save-", dir=folder)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)  # atomic: readers see the old file or the new one, never half of one
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


class LoadError(RuntimeError):
    """A file that ember.load refuses: not an ember file, truncated, or corrupted."""


def load(f, map_location=None, weights_only=True, **_ignored):
    """Read what save wrote. Tensors go back to the device they were saved from, or where map_location
    says: a device ('cpu', 'cuda:0', ember.device), a dict {'cuda:1': 'cuda:0'}, or a function
    fn(tensor, location) returning the tensor to use (as torch's fn(storage, location))."""
    from safetensors.numpy import load as from_bytes
    name = getattr(f, "name", None) if hasattr(f, "read") else os.fspath(f)
    try:
        data = f.read() if hasattr(f, "read") else open(name, "rb").read()
    except FileNotFoundError:
        raise FileNotFoundError(f"ember.load: no such file: {name}") from None
    try:
        metadata = _metadata(data)
        arrays = from_bytes(data)
    except Exception as error:  # whatever the parser says, the user needs the file and the reason
        raise LoadError(f"ember.load: {name} is not a valid ember file (truncated or corrupted?): {error}") from None
    if metadata.get("format") != FORMAT:
        raise LoadError(f"ember.load: {name} is a safetensors file but was not written by ember.save "
                        f"(format {metadata.get('format')!r}); open it with safetensors directly")
    try:
        checksums = json.loads(metadata["checksums"])
        structure = json.loads(metadata["structure"])
    except (KeyError, ValueError) as error:
        raise LoadError(f"ember.load: {name} has damaged metadata: {error}") from None
    for key, crc in checksums.items():
        if key not in arrays or zlib.crc32(_contiguous(arrays[key]).tobytes()) != crc:
            raise LoadError(f"ember.load: {name} is corrupted: tensor {key} does not match its checksum")
    return _decode(structure, arrays, name, _placer(map_location))


def _placer(map_location):
    """map_location -> place(tensor on the CPU, saved location) -> the tensor where it belongs."""
    def place(t, location):
        if callable(map_location) and not isinstance(map_location, (str, _backend.device)):
            moved = map_location(t, location)
            return moved if isinstance(moved, Tensor) else t.to(location)
        if isinstance(map_location, dict):
            target = map_location.get(location, location)
        else:
            target = location if map_location is None else map_location
        if _backend.device(target).type == "cuda" and _backend.cuda_runtime_or_none() is None:
            raise RuntimeError("Attempting to deserialize object on a CUDA device but torch.cuda.is_available() is "
                               "False. If you are running on a CPU-only machine, please use torch.load with "
                               "map_location=torch.device('cpu') to map your storages to the CPU.")
        return t.to(target)
    return place


def _contiguous(array):
    """C-ordered, keeping 0-d arrays 0-d (np.ascontiguousarray would make them 1-d)."""
    return array if array.flags.c_contiguous else array.copy(order="C")


def _metadata(data):
    """The __metadata__ of a safetensors header: 8 bytes of header length, then JSON."""
    if len(data) < 8:
        raise ValueError("file too short for a safetensors header")
    (size,) = struct.unpack("<Q", data[:8])
    if size > len(data) - 8:
        raise ValueError("header length runs past the end of the file")
    header = json.loads(data[8:8 + size])
    return header.get("__metadata__", {})


def _decode(node, arrays, name, place):
    if not isinstance(node, dict) or len(node) == 0:
        raise LoadError(f"ember.load: {name} has a malformed structure entry: {node!r}")
    if "tensor" in node:
        t = place(_wrap(np.array(arrays[node["tensor"]])), node.get("device", "cpu"))
        if node.get("parameter"):
            from .nn.parameter import Parameter
            return Parameter(t, requires_grad=node.get("requires_grad", True))
        return t.requires_grad_(True) if node.get("requires_grad") else t
    if "ndarray" in node:
        return np.array(arrays[node["ndarray"]])
    if "value" in node:
        return node["value"]
    if "dict" in node or "odict" in node:
        items = [(_key(_decode(k, arrays, name, place)), _decode(v, arrays, name, place))
                 for k, v in node.get("dict", node.get("odict"))]
        return OrderedDict(items) if "odict" in node else dict(items)
    if "list" in node:
        return [_decode(v, arrays, name, place) for v in node["list"]]
    if "tuple" in node:
        return tuple(_decode(v, arrays, name, place) for v in node["tuple"])
    raise LoadError(f"ember.load: {name} has an unknown structure entry: {sorted(node)}")


def _key(k):
    return tuple(k) if isinstance(k, list) else k

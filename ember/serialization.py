"""ember.save / ember.load: tensors and nested containers in a safetensors file that cannot lie. Never pickle.

The file is a standard safetensors file, readable by any safetensors tool: the tensors, and in its metadata

- ``format``: ``ember-2``;
- ``structure``: JSON describing the dicts, lists, tuples, numbers and strings around the tensors, which it
  names by key (``{"tensor": "t0", "requires_grad": false, "parameter": false}``);
- ``digest``: the SHA-256 of the whole file as written, with the digest's own 64 hex digits set to ``0``.

ember.load recomputes the digest before it trusts anything in the file, so a change to any byte (the header's
names, dtypes, shapes, offsets and metadata, the tensor data, or the digest itself) is refused. A file that
passes is then checked like any foreign file (safetensors validates offsets and sizes; the structure is decoded
strictly), so every failure to read raises one error, ``LoadError``, naming the file and what is wrong.

Saving writes a temporary file beside the target and renames it over the target, so a crash or a SIGKILL
mid-save leaves the previous file intact; the temporary file a killed save leaves behind is removed by the next
save to that path. ember.load also reads PyTorch's ``torch.save`` checkpoints (see checkpoint_formats.py).

Whole models (an object holding an nn.Module) cannot be tensors and JSON: ember.save writes them in torch.save's
zip format, and ember.load(path, weights_only=False) reads them, both in checkpoint_formats.py, through the
allowlist that keeps every file free of code.
"""
import contextlib
import hashlib
import io
import json
import os
import tempfile
from collections import OrderedDict

import numpy as np

from . import _backend
from .checkpoint_formats import (LoadError, add_safe_globals, clear_safe_globals, detect, get_safe_globals,
                                 read_pytorch, safe_globals, target_device, write_pytorch)
from .tensor import Size, Tensor, _wrap

FORMAT = "ember-2"
MAX_DEPTH = 200  # containers nested deeper than this are refused by save and load alike
_DIGEST_KEY = b'"digest":"'  # how the digest's entry starts in the header's JSON; its value is 64 hex digits
_ZEROS = b"0" * 64


# ---------------------------------------------------------------------------------------------------------------
# save
# ---------------------------------------------------------------------------------------------------------------
class _WholeModule(Exception):
    """Raised by _Writer on meeting an nn.Module: the object is saved in torch.save's format instead."""


class _Writer:
    def __init__(self):
        self.arrays = {}
        self._keys = {}  # id(tensor) -> key: a tensor stored twice is stored once and loads as one tensor

    def encode(self, obj, depth=0):
        """obj -> JSON-able description; tensors are set aside under keys t0, t1, ..."""
        if depth > MAX_DEPTH:
            raise RecursionError(f"ember.save: the object is nested more than {MAX_DEPTH} levels deep (or contains "
                                 "itself); save a flatter structure")
        if isinstance(obj, Tensor):
            from .nn.parameter import Parameter
            key = self._keys.get(id(obj))
            if key is None:
                key = self._keys[id(obj)] = self._store(obj.detach().cpu()._data)
            node = {"tensor": key, "requires_grad": obj.requires_grad, "parameter": isinstance(obj, Parameter)}
            if obj.is_cuda:
                node["device"] = str(obj.device)  # loaded back there unless map_location says otherwise
            return node
        from .nn import Module
        if isinstance(obj, Module):
            raise _WholeModule
        if isinstance(obj, np.ndarray):
            _backend.dtype_of(obj)  # TypeError for arrays of a dtype ember cannot hold
            return {"ndarray": self._store(obj)}
        if obj is None or isinstance(obj, (bool, int, float, str)):
            return {"value": obj}
        if isinstance(obj, (np.bool_, np.integer, np.floating)):
            return {"value": obj.item()}
        if isinstance(obj, dict):
            kind = "odict" if isinstance(obj, OrderedDict) else "dict"
            return {kind: [[self.encode(k, depth + 1), self.encode(v, depth + 1)] for k, v in obj.items()]}
        if isinstance(obj, (list, tuple)):
            kind = "size" if isinstance(obj, Size) else "list" if isinstance(obj, list) else "tuple"
            return {kind: [self.encode(v, depth + 1) for v in obj]}
        raise TypeError(
            f"ember.save can store tensors, NumPy arrays, numbers, strings, None, nn.Modules and lists/tuples/dicts "
            f"of them, not {type(obj).__name__}: save model.state_dict() (and optimizer.state_dict()) rather than "
            "whole objects. This keeps saved files free of code."
        )

    def _store(self, array):
        key = f"t{len(self.arrays)}"
        self.arrays[key] = array if array.flags.c_contiguous else array.copy(order="C")
        return key


def save(obj, f):
    """Write obj (a tensor, a state dict, nested lists/dicts of tensors and numbers) to a path or binary file.
    An object holding a whole nn.Module is written in torch.save's zip format instead (checkpoint_formats.py)."""
    from safetensors.numpy import save as safetensors_bytes
    writer = _Writer()
    try:
        structure = json.dumps(writer.encode(obj))
    except (_WholeModule, TypeError) as error:
        if isinstance(error, TypeError) and not _holds_module(obj):
            raise
        return _write(f, (write_pytorch(obj),))  # which refuses, with a TypeError, what it cannot write either
    data = safetensors_bytes(writer.arrays, metadata={"format": FORMAT, "structure": structure,
                                                      "digest": _ZEROS.decode()})
    slot = _digest_slot(data)
    if slot is None:  # safetensors wrote its JSON differently from what the digest's place is found by
        raise RuntimeError("ember.save: cannot find the digest's place in the header safetensors wrote")
    view = memoryview(data)
    _write(f, (view[:slot], _digest(data, slot).encode(), view[slot + 64:]))  # the file, its digest filled in


def _holds_module(obj, depth=0):
    """Whether an nn.Module is somewhere in obj's containers (a whole-model checkpoint)."""
    from .nn import Module
    if isinstance(obj, Module):
        return True
    parts = [p for item in obj.items() for p in item] if isinstance(obj, dict) else \
        obj if isinstance(obj, (list, tuple, set, frozenset)) else ()
    return depth < MAX_DEPTH and any(_holds_module(part, depth + 1) for part in parts)


def _write(f, pieces):
    if hasattr(f, "write"):
        for piece in pieces:
            f.write(piece)
    else:
        _write_atomically(os.fspath(f), pieces)


def _write_atomically(path, pieces):
    """Write a temporary file beside path, then rename it over path: readers see the old file or the new one."""
    folder, base = os.path.split(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise RuntimeError(f"Parent directory {folder} does not exist.")
    prefix = f".{base}.ember-save-"
    _remove_abandoned(folder, prefix)
    handle, tmp = tempfile.mkstemp(prefix=f"{prefix}{os.getpid()}-", dir=folder)
    try:
        with os.fdopen(handle, "wb") as out:
            for piece in pieces:
                out.write(piece)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def _remove_abandoned(folder, prefix):
    """Temporary files of earlier saves to the same path whose process died before its rename (a SIGKILL)."""
    if os.name != "posix":  # os.kill(pid, 0) only asks "are you there?" on POSIX
        return
    for name in os.listdir(folder):
        pid = name[len(prefix):].partition("-")[0] if name.startswith(prefix) else ""
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            with contextlib.suppress(OSError):
                os.remove(os.path.join(folder, name))


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists, under another user
        return True
    return True


# ---------------------------------------------------------------------------------------------------------------
# load
# ---------------------------------------------------------------------------------------------------------------
def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None, **pickle_load_args):
    """Read what ember.save wrote, or a PyTorch checkpoint written by torch.save.

    map_location is torch.load's (a device, a string, a dict {saved device: wanted device} or a function);
    ember's own files hold CPU tensors. As torch.load, weights_only is True unless given (or a pickle_module is,
    or TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1 is set; TORCH_FORCE_WEIGHTS_ONLY_LOAD=1 forces it): a file may hold tensors,
    numbers, strings and containers of them (and the classes given to add_safe_globals); weights_only=False also
    lets it hold nn.Modules (a whole model saved with save(model, path)) and NumPy arrays, still through an
    allowlist, so no file runs code (pickle_module is never used). mmap and pickle options change nothing.
    Raises LoadError (a RuntimeError and a pickle.UnpicklingError) naming the file and what is wrong with it.
    """
    weights_only = _weights_only(weights_only, pickle_module)
    name, data = _read(f)
    try:
        kind = detect(data)
        if kind == "ember":
            return _from_bytes(data, map_location)
        return read_pytorch(data, kind, map_location, weights_only)
    except LoadError as error:
        raise LoadError(f"ember.load: {name}: {error}") from None


def _weights_only(weights_only, pickle_module):
    """torch.load's choice: True unless given, or a pickle_module is; TORCH_FORCE_WEIGHTS_ONLY_LOAD=1 forces
    True, TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1 False where the call did not say."""
    yes = ("1", "y", "yes", "true")
    force, force_not = (os.getenv(v, "0").lower() in yes for v in ("TORCH_FORCE_WEIGHTS_ONLY_LOAD",
                                                                   "TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD"))
    if force and force_not:
        raise RuntimeError("Only one of `TORCH_FORCE_WEIGHTS_ONLY_LOAD` or `TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD` should "
                           "be set, but both were set.")
    chosen = force or (weights_only if weights_only is not None else pickle_module is None and not force_not)
    if chosen and pickle_module is not None:
        raise RuntimeError("Can not safely load weights when explicit pickle_module is specified")
    return bool(chosen)


def load_unverified(f, map_location=None):
    """Read a file written by ember.save before format ember-2. Only its tensor bytes are checked (by CRC-32): a
    changed header goes unnoticed, so use this only on files you trust, and save them again with ember.save."""
    import zlib
    name, data = _read(f)
    try:
        header, metadata = _parse_header(data)
        if metadata.get("format") != "ember-1":
            raise LoadError(f"it is not an ember-1 file (format {metadata.get('format')!r}); use ember.load")
        return _decoded(data, header, metadata, map_location,
                        lambda arrays: all(zlib.crc32(np.ascontiguousarray(arrays[k]).tobytes()) == crc
                                           for k, crc in json.loads(metadata["checksums"]).items()))
    except LoadError as error:
        raise LoadError(f"ember.load_unverified: {name}: {error}") from None


def _read(f):
    if isinstance(f, io.TextIOBase):
        raise TypeError(f"ember.load reads bytes, but {getattr(f, 'name', 'the file')} was opened as text: open it "
                        "with open(path, 'rb')")
    if hasattr(f, "read"):
        return getattr(f, "name", f"<{type(f).__name__}>"), f.read()
    name = os.fspath(f)
    try:
        with open(name, "rb") as file:
            return name, file.read()
    except FileNotFoundError:
        raise FileNotFoundError(f"ember.load: no such file: {name}") from None


def _from_bytes(data, map_location):
    """An ember-2 file: the digest first, then everything else."""
    slot = _digest_slot(data)
    if slot is None:
        raise LoadError(_why_no_digest(data))
    digest = bytes(data[slot:slot + 64]).decode()
    if _digest(data, slot) != digest:
        raise LoadError("it was changed after ember.save wrote it: its bytes (header or tensor data) do not match "
                        "the SHA-256 digest it carries, so it is corrupted or was edited")
    header, metadata = _parse_header(data)
    if metadata.get("format") != FORMAT or metadata.get("digest") != digest:
        raise LoadError(f"its metadata does not describe an {FORMAT} file (format {metadata.get('format')!r})")
    return _decoded(data, header, metadata, map_location, lambda arrays: True)


_DTYPES = ("BOOL", "U8", "I8", "I16", "I32", "I64", "F16", "F32", "F64")  # safetensors' names of ember's dtypes


def _decoded(data, header, metadata, map_location, arrays_are_intact):
    from safetensors.numpy import load as safetensors_arrays
    for name, entry in header.items():
        if name != "__metadata__" and type(entry) is dict and entry.get("dtype") not in _DTYPES:
            raise LoadError(f"its tensor {name!r} has dtype {_short(entry.get('dtype'))}, which ember does not "
                            f"support (ember's are {', '.join(_DTYPES)})")
    try:
        arrays = safetensors_arrays(bytes(data))
        if not arrays_are_intact(arrays):
            raise LoadError("a tensor does not match its checksum: the file is corrupted")
        structure = _json(metadata.get("structure"), "structure")
        return _Decoder(arrays, map_location).decode(structure)
    except LoadError:
        raise
    except RecursionError:
        raise LoadError("its structure is nested too deeply") from None
    except Exception as error:  # safetensors' and NumPy's complaints about a malformed file
        raise LoadError(f"it is malformed ({type(error).__name__}: {error})") from None


def _header_bytes(data):
    """The JSON header of a safetensors file: 8 bytes giving its length, then the header."""
    if len(data) < 8:
        raise LoadError(f"it is {len(data)} bytes long, too short to be a checkpoint (truncated?)")
    size = int.from_bytes(data[:8], "little")
    if size > len(data) - 8:
        raise LoadError(f"its first 8 bytes give a header of {size} bytes but only {len(data) - 8} follow: it is "
                        "truncated, or not an ember or PyTorch checkpoint")
    return bytes(data[8:8 + size])


def _digest_slot(data):
    """Where the digest's 64 hex digits are: after the one '"digest":"' in the header (a JSON string in the
    header cannot contain that sequence unescaped), or None."""
    header = _header_bytes(data)
    start = header.find(_DIGEST_KEY)
    if start < 0 or header.find(_DIGEST_KEY, start + 1) >= 0:
        return None
    slot = start + len(_DIGEST_KEY)
    value = header[slot:slot + 65]
    if len(value) != 65 or value[64:] != b'"' or value[:64].strip(b"0123456789abcdef"):
        return None
    return 8 + slot


def _digest(data, slot):
    """SHA-256 of the file with the digest's own digits read as zeros."""
    view = memoryview(data)
    digest = hashlib.sha256(view[:slot])
    digest.update(_ZEROS)
    digest.update(view[slot + 64:])
    return digest.hexdigest()


def _why_no_digest(data):
    try:
        _, metadata = _parse_header(data)
    except LoadError as error:
        return str(error)
    version = metadata.get("format")
    if version == "ember-1":
        return ("it was written by an older ember.save (format ember-1), whose header carries no checksum, so "
                "ember.load cannot tell whether it was altered. If you trust it, read it with "
                "ember.serialization.load_unverified(path) and save it again with ember.save")
    if version != FORMAT:
        return (f"it is a safetensors file not written by ember.save (format {version!r}); read its tensors with "
                "safetensors.numpy.load_file(path)")
    return "its integrity digest is missing or damaged"


def _parse_header(data):
    header = _json(_header_bytes(data), "header")
    metadata = header.get("__metadata__", {}) if type(header) is dict else None
    if type(metadata) is not dict or not all(type(v) is str for v in metadata.values()):
        raise LoadError("its header is not a safetensors header (a JSON object with a __metadata__ of strings)")
    return header, metadata


def _json(text, what):
    def no_duplicates(pairs):
        keys = [k for k, _ in pairs]
        if len(set(keys)) != len(keys):
            raise LoadError(f"its {what} names {max(keys, key=keys.count)!r} twice")
        return dict(pairs)
    if text is None:
        raise LoadError(f"it has no {what}")
    try:
        return json.loads(text, object_pairs_hook=no_duplicates)
    except RecursionError:
        raise LoadError(f"its {what} is nested too deeply") from None
    except ValueError as error:  # includes UnicodeDecodeError
        raise LoadError(f"its {what} is not valid JSON ({error})") from None


class _Decoder:
    """structure + arrays -> the saved object. Every entry is checked: a malformed one raises LoadError."""

    def __init__(self, arrays, map_location):
        self.arrays, self.map_location, self.tensors = arrays, map_location, {}

    def decode(self, node, depth=0):
        if depth > MAX_DEPTH:
            raise LoadError(f"its structure is nested more than {MAX_DEPTH} levels deep")
        if type(node) is not dict or not node:
            raise LoadError(f"its structure has a malformed entry {_short(node)}")
        if "tensor" in node:
            return self._tensor(node)
        kind, body = next(iter(node.items())) if len(node) == 1 else (None, None)
        if kind == "value" and (body is None or type(body) in (bool, int, float, str)):
            return body
        if kind == "ndarray":
            return self._array(body)
        if kind in ("list", "tuple", "size") and type(body) is list:
            items = [self.decode(v, depth + 1) for v in body]
            if kind == "size" and not all(type(n) is int for n in items):
                raise LoadError(f"its structure has a Size of non-integers {_short(items)}")
            return items if kind == "list" else tuple(items) if kind == "tuple" else Size(items)
        if kind in ("dict", "odict") and type(body) is list and all(type(p) is list and len(p) == 2 for p in body):
            pairs = [(self.decode(k, depth + 1), self.decode(v, depth + 1)) for k, v in body]
            try:
                return OrderedDict(pairs) if kind == "odict" else dict(pairs)
            except TypeError:
                raise LoadError("its structure has a dict key that cannot be a key (a list or a dict)") from None
        raise LoadError(f"its structure has a malformed entry {_short(node)}")

    def _array(self, key):
        if type(key) is not str or key not in self.arrays:
            raise LoadError(f"its structure refers to tensor {_short(key)}, which the file does not hold")
        return self.arrays[key]

    def _tensor(self, node):
        key, requires_grad, parameter = node["tensor"], node.get("requires_grad", False), node.get("parameter", False)
        location = node.get("device", "cpu")
        if set(node) - {"tensor", "requires_grad", "parameter", "device"} or type(key) is not str or \
                type(requires_grad) is not bool or type(parameter) is not bool or type(location) is not str:
            raise LoadError(f"its structure has a malformed tensor entry {_short(node)}")
        if key not in self.tensors:
            tensor = _wrap(self._array(key))
            device = target_device(location, self.map_location, tensor)
            if device != _backend.CPU:
                tensor = tensor.to(device)
            if parameter:
                from .nn.parameter import Parameter
                tensor = Parameter(tensor, requires_grad=requires_grad)
            elif requires_grad:
                tensor.requires_grad_(True)
            self.tensors[key] = tensor
        return self.tensors[key]


def _short(x):
    text = repr(x)
    return text if len(text) < 80 else text[:77] + "..."

"""Which format a checkpoint is, and PyTorch's checkpoints read without running their code.

Format detection (``detect``) looks at the first bytes of the file:

- ``PK\\x03\\x04``, a zip archive: PyTorch's format since 1.6, what ``torch.save`` writes. ``<name>/data.pkl``
  is a pickle of the saved object in which every tensor's storage is a persistent id ``('storage', type, key,
  location, numel)``; ``<name>/data/<key>`` holds that storage's raw bytes, ``<name>/byteorder`` their byte
  order. Each record carries a CRC-32, checked as it is read.
- ``\\x80``, a pickle: PyTorch's legacy format (``_use_new_zipfile_serialization=False``): a magic number, a
  protocol version and system information pickled one after another, then the object's pickle, the list of
  storage keys, and each storage as an 8-byte element count followed by its bytes. It has no checksums.
- anything else goes to ember's own reader (safetensors, ``serialization.py``), which says what is wrong with it.

The allowlist. A pickle is a small program for a stack machine: its GLOBAL opcode imports any callable by name
and REDUCE calls it, which is how a malicious checkpoint runs ``os.system``. ``_AllowlistUnpickler`` runs the
program on Python's own unpickler with its opcode table cut down:

1. GLOBAL resolves names only from ``_allowed_globals()``: PyTorch's tensor rebuilders, storage types, dtypes,
   ``torch.Size``, ``torch.device`` and ``collections.OrderedDict``, each mapped to ember's own implementation
   here, plus a few builtin data types. Any other name is refused before anything is imported.
2. REDUCE calls only the callables of that table.
3. Only opcodes that push data (numbers, strings, tuples, lists, dicts, sets, the memo) run. INST, OBJ,
   NEWOBJ, the extension registry and out-of-band buffers are refused; BUILD may only set attributes on an
   OrderedDict (a module's ``state_dict()`` carries ``_metadata`` that way).

So a file can make tensors, numbers, strings and containers of them, and nothing else: what
``torch.load(weights_only=True)`` makes. Tensors that view one storage share memory, as in PyTorch.
"""
import codecs
import functools
import io
import pickle
import pickletools
import zipfile
from collections import OrderedDict

import numpy as np

from . import _backend
from .tensor import Size, Tensor, _wrap


class LoadError(RuntimeError, pickle.UnpicklingError):
    """A file that ember.load refuses: truncated, corrupted, altered, or asking to build something it must not.

    It is both a RuntimeError and a pickle.UnpicklingError because torch.load raises one or the other for a bad
    file (RuntimeError for a damaged zip, UnpicklingError for a refused or broken pickle): code written for
    PyTorch catches ember's error with either.
    """


def detect(data):
    """'torch-zip', 'torch-legacy' or 'ember' (the safetensors reader decides whether it really is one)."""
    if data[:4] == b"PK\x03\x04":
        return "torch-zip"
    if data[8:9] == b"{":  # safetensors: 8 bytes of header length, then the JSON header
        return "ember"
    if data[:1] == pickle.PROTO:
        return "torch-legacy"
    return "ember"


def target_device(location, map_location, flat=None):
    """Where a storage saved on `location` goes under torch.load's `map_location` (None, a device, a string, a
    dict {saved: wanted}, or a function(storage, location) returning a tensor on the wanted device, or None)."""
    target = location
    if callable(map_location):
        placed = map_location(flat if flat is not None else _wrap(np.empty(0)), location)
        target = location if placed is None else placed.device
    elif isinstance(map_location, dict):
        target = map_location.get(location, location)
    elif map_location is not None:
        target = map_location
    try:
        device = _backend.to_device(str(target))  # refuses a device this machine does not have, as torch
    except AssertionError:  # no GPU here: torch's words
        raise LoadError(f"it holds tensors saved on {location!r}. Attempting to deserialize object on a CUDA device "
                        "but torch.cuda.is_available() is False. If you are running on a CPU-only machine, please "
                        "use torch.load with map_location=torch.device('cpu') to map your storages to the CPU "
                        "(ember.load(path, map_location='cpu'))") from None
    except (RuntimeError, TypeError) as error:
        raise LoadError(f"it holds tensors saved on {location!r}, which ember cannot place on {target!r} "
                        f"({error}); pass map_location='cpu' to load them on the CPU") from None
    return device


# ---------------------------------------------------------------------------------------------------------------
# What a pickle may construct: PyTorch's names mapped to ember's implementations
# ---------------------------------------------------------------------------------------------------------------
class _Storage:
    """One storage of the file: a flat array that every tensor viewing it shares, and where it goes."""

    __slots__ = ("array", "device")

    def __init__(self, array, device):
        self.array, self.device = array, device


class _StorageType:
    """What a storage-type name in the pickle (torch.FloatStorage, ...) stands for: its element type."""

    __slots__ = ("dtype",)

    def __init__(self, dtype):
        self.dtype = dtype


def _rebuild_tensor(storage, storage_offset, size, stride, requires_grad=False, backward_hooks=None,
                    metadata=None):
    """torch._utils._rebuild_tensor_v2: a tensor viewing `storage` with the given offset, sizes and strides."""
    if not isinstance(storage, _Storage):
        raise LoadError(f"a tensor is built from {type(storage).__name__}, not from a storage")
    if metadata:
        raise LoadError(f"a tensor carries {metadata!r} (conjugate or negative bits), which ember does not support")
    flat = storage.array
    if not (_is_int(storage_offset) and _ints(size) and _ints(stride) and len(size) == len(stride)):
        raise LoadError(f"a tensor has a malformed layout: offset {storage_offset!r}, size {size!r}, "
                        f"stride {stride!r}")
    end = storage_offset + sum((n - 1) * s for n, s in zip(size, stride)) + 1 if all(size) else storage_offset
    if end > flat.size:
        raise LoadError(f"a tensor of size {list(size)}, stride {list(stride)} and offset {storage_offset} "
                        f"reaches element {end - 1} of a storage of {flat.size} elements")
    array = np.lib.stride_tricks.as_strided(flat[storage_offset:], shape=tuple(size),
                                            strides=tuple(s * flat.itemsize for s in stride))
    tensor = _wrap(array)
    if storage.device != _backend.CPU:
        tensor = tensor.to(storage.device)
    if requires_grad is not False:
        if requires_grad is not True:
            raise LoadError(f"a tensor's requires_grad is {requires_grad!r}, not a bool")
        tensor.requires_grad_(True)
    return tensor


def _rebuild_tensor_v1(storage, storage_offset, size, stride):
    """torch._utils._rebuild_tensor (older files)."""
    return _rebuild_tensor(storage, storage_offset, size, stride)


def _rebuild_tensor_v3(storage, storage_offset, size, stride, requires_grad, backward_hooks, dtype,
                       metadata=None):
    """torch._utils._rebuild_tensor_v3: the dtype is given apart from an untyped (byte) storage."""
    if not isinstance(storage, _Storage) or not isinstance(dtype, _backend.dtype) or storage.array.dtype != np.uint8:
        raise LoadError("a tensor is built from an untyped storage and a dtype, but they are malformed")
    if storage.array.size % dtype.itemsize:
        raise LoadError(f"a storage of {storage.array.size} bytes cannot hold {dtype} elements")
    typed = _Storage(storage.array.view(dtype.np), storage.device)
    return _rebuild_tensor(typed, storage_offset, size, stride, requires_grad, backward_hooks, metadata)


def _rebuild_parameter(data, requires_grad, backward_hooks, state=None):
    """torch._utils._rebuild_parameter and _rebuild_parameter_with_state."""
    from .nn.parameter import Parameter
    if not isinstance(data, Tensor) or not isinstance(requires_grad, bool):
        raise LoadError("a Parameter is built from something other than a tensor")
    if state:
        raise LoadError(f"a Parameter carries Python attributes {sorted(state)!r}, which ember tensors cannot hold")
    return Parameter(data.detach(), requires_grad=requires_grad)


def _rebuild_from_type_v2(func, new_type, args, state):
    """torch._tensor._rebuild_from_type_v2: a tensor (or Parameter) rebuilt by `func`, plus Python attributes."""
    from .nn.parameter import Parameter
    if not any(func is f for f in (_rebuild_tensor, _rebuild_tensor_v1, _rebuild_tensor_v3, _rebuild_parameter)) or \
            new_type not in (Tensor, Parameter) or type(args) is not tuple:
        raise LoadError(f"a tensor of type {getattr(new_type, '__name__', new_type)!r} is rebuilt in a way "
                        "ember does not support")
    if state:
        raise LoadError(f"a tensor carries Python attributes {sorted(state)!r}, which ember tensors cannot hold")
    tensor = func(*args)
    return tensor if new_type is Tensor or isinstance(tensor, Parameter) else Parameter(tensor)


def _encode_bytes(text, encoding):
    """_codecs.encode, as protocol-2 pickles spell a bytes object: only latin-1 text."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise LoadError("a bytes object is encoded in a way PyTorch never writes")
    return codecs.encode(text, "latin1")


def _bytearray(data=b""):
    if not isinstance(data, (bytes, bytearray)):
        raise LoadError("a bytearray is built from something other than bytes")
    return bytearray(data)


def _is_int(x):
    return type(x) is int and x >= 0


def _ints(xs):
    return isinstance(xs, tuple) and all(_is_int(x) for x in xs)


_STORAGE_DTYPES = {"DoubleStorage": "float64", "FloatStorage": "float32", "HalfStorage": "float16",
                   "LongStorage": "int64", "IntStorage": "int32", "ShortStorage": "int16", "CharStorage": "int8",
                   "ByteStorage": "uint8", "BoolStorage": "bool", "UntypedStorage": "uint8"}
_TORCH_DTYPES = {"float64": "float64", "double": "float64", "float32": "float32", "float": "float32",
                 "float16": "float16", "half": "float16", "int64": "int64", "long": "int64", "int32": "int32",
                 "int": "int32", "int16": "int16", "short": "int16", "int8": "int8", "uint8": "uint8",
                 "bool": "bool"}


@functools.cache
def _allowed_globals():
    """{(module, name): what it stands for in ember}, and the callables among them that REDUCE may call."""
    from .nn.parameter import Parameter
    table = {
        ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
        ("torch._utils", "_rebuild_tensor_v3"): _rebuild_tensor_v3,
        ("torch._utils", "_rebuild_tensor"): _rebuild_tensor_v1,
        ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
        ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter,
        ("torch._tensor", "_rebuild_from_type_v2"): _rebuild_from_type_v2,
        ("collections", "OrderedDict"): OrderedDict,
        ("torch", "Size"): Size,
        ("torch", "device"): _backend.device,
        ("_codecs", "encode"): _encode_bytes,
        # markers that tensors are rebuilt from; REDUCE never calls them
        ("torch", "Tensor"): Tensor,
        ("torch.nn.parameter", "Parameter"): Parameter,
    }
    for module in ("builtins", "__builtin__"):  # protocol 2 spells builtins the Python 2 way
        table.update({(module, "set"): set, (module, "frozenset"): frozenset, (module, "complex"): complex,
                      (module, "bytearray"): _bytearray})
    for name, dtype in _STORAGE_DTYPES.items():
        table[("torch", name)] = _StorageType(_backend.to_dtype(dtype))
    table[("torch.storage", "UntypedStorage")] = table[("torch", "UntypedStorage")]
    for name, dtype in _TORCH_DTYPES.items():
        table[("torch", name)] = _backend.to_dtype(dtype)
    callables = [v for k, v in table.items() if callable(v) and v not in (Tensor, Parameter)]
    return table, callables


_FOREIGN_STORAGES = {"BFloat16Storage": "bfloat16", "ComplexFloatStorage": "complex64",
                     "ComplexDoubleStorage": "complex128", "QInt8Storage": "qint8", "QUInt8Storage": "quint8",
                     "QInt32Storage": "qint32", "QUInt4x2Storage": "quint4x2", "QUInt2x4Storage": "quint2x4"}


def _refuse_global(module, name):
    full = f"{module}.{name}"
    dtype = _FOREIGN_STORAGES.get(name, name)
    if module == "torch" and (dtype in _FOREIGN_STORAGES.values() or dtype.startswith(("uint", "float8", "complex",
                                                                                      "int1", "int2", "int3"))):
        return LoadError(f"it holds a tensor of dtype torch.{dtype}, which ember does not support (ember has "
                         f"{', '.join(d.name for d in _backend.ALL_DTYPES)}); convert it in PyTorch before saving, "
                         "e.g. tensor.float()")
    return LoadError(f"its pickle asks for {full}, which ember.load will not construct: ember reads only tensors, "
                     "numbers, strings and containers of them (as torch.load(weights_only=True) does), so a "
                     "file cannot run code. If this is a whole pickled model, save model.state_dict() instead.")


# ---------------------------------------------------------------------------------------------------------------
# The unpickler
# ---------------------------------------------------------------------------------------------------------------
def _load_reduce(self):
    args = self.stack.pop()
    func = self.stack[-1]
    if not any(func is f for f in _allowed_globals()[1]) or type(args) is not tuple:
        raise LoadError(f"its pickle calls {getattr(func, '__name__', type(func).__name__)}, which is not "
                        "on ember's allowlist")
    self.stack[-1] = func(*args)


def _load_build(self):
    state = self.stack.pop()
    target = self.stack[-1]
    if type(target) is not OrderedDict or type(state) is not dict or not all(type(k) is str for k in state):
        raise LoadError(f"its pickle uses BUILD to set the state of a {type(target).__name__}; only an "
                        "OrderedDict's attributes may be set")
    target.__dict__.update(state)


def _refuse_opcode(op):
    def refuse(self):
        raise LoadError(f"its pickle uses the {op.name} opcode, which builds arbitrary objects; PyTorch "
                        "checkpoints never need it")
    return refuse


_DATA_OPCODES = set(
    "PROTO FRAME STOP MARK POP POP_MARK DUP INT BININT BININT1 BININT2 LONG LONG1 LONG4 STRING BINSTRING "
    "SHORT_BINSTRING BINBYTES SHORT_BINBYTES BINBYTES8 BYTEARRAY8 UNICODE BINUNICODE SHORT_BINUNICODE BINUNICODE8 "
    "NONE NEWTRUE NEWFALSE FLOAT BINFLOAT EMPTY_LIST APPEND APPENDS LIST EMPTY_TUPLE TUPLE TUPLE1 TUPLE2 TUPLE3 "
    "EMPTY_DICT DICT SETITEM SETITEMS EMPTY_SET ADDITEMS FROZENSET GET BINGET LONG_BINGET PUT BINPUT LONG_BINPUT "
    "MEMOIZE GLOBAL STACK_GLOBAL PERSID BINPERSID".split())


def _data_only_dispatch():
    table = dict(pickle._Unpickler.dispatch)
    for op in pickletools.opcodes:
        if op.name not in _DATA_OPCODES:
            table[ord(op.code)] = _refuse_opcode(op)
    table[pickle.REDUCE[0]] = _load_reduce
    table[pickle.BUILD[0]] = _load_build
    return table


def _no_storages(pid):
    raise LoadError(f"its pickle refers to an external object {pid!r} where none may be")


class _AllowlistUnpickler(pickle._Unpickler):
    """Python's pure-Python unpickler with the opcode table cut down to data, GLOBAL limited to the allowlist and
    REDUCE to its callables (the C unpickler cannot be stopped from setting attributes on what GLOBAL returns)."""

    dispatch = _data_only_dispatch()

    def __init__(self, file, persistent_load=_no_storages):
        super().__init__(file, encoding="utf-8")
        self._persistent_load = persistent_load

    def find_class(self, module, name):
        try:
            return _allowed_globals()[0][(module, name)]
        except (KeyError, TypeError):
            raise _refuse_global(module, name) from None

    def persistent_load(self, pid):
        return self._persistent_load(pid)


def _storage_id(pid, fields):
    """Check a persistent id ('storage', storage type, key, location, numel, ...) and return its parts."""
    if type(pid) is not tuple or len(pid) != fields or pid[0] != "storage":
        kind = pid[0] if type(pid) is tuple and pid else pid
        raise LoadError(f"its pickle refers to an external object {kind!r}; ember reads only tensor storages"
                        + (" (a whole pickled nn.Module: save model.state_dict() instead)" if kind == "module"
                           else ""))
    storage_type, key, location, numel = pid[1:5]
    if not isinstance(storage_type, _StorageType) or type(key) is not str or type(location) is not str or \
            not _is_int(numel):
        raise LoadError(f"its pickle has a malformed storage reference {pid!r}")
    return storage_type.dtype, key, location, numel


def read_pytorch(data, kind, map_location):
    """Read a torch.save checkpoint (kind 'torch-zip' or 'torch-legacy') from its bytes."""
    reader = _read_zip if kind == "torch-zip" else _read_legacy
    try:
        return reader(data, map_location)
    except LoadError:
        raise
    except RecursionError:
        raise LoadError("its objects are nested too deeply to read") from None
    except Exception as error:  # a damaged file fails in many ways; the user needs to know it is damaged
        raise LoadError(f"it is a damaged PyTorch checkpoint ({type(error).__name__}: {error})") from None


def _read_zip(data, map_location):
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as error:
        raise LoadError(f"it starts like a PyTorch (zip) checkpoint but is not a complete zip archive "
                        f"(truncated?): {error}") from None
    names = archive.namelist()
    if len(set(names)) != len(names):
        raise LoadError("its zip archive holds two records of the same name")
    pickles = [n for n in names if n.count("/") == 1 and n.endswith("/data.pkl")]
    if len(pickles) != 1:
        what = "a TorchScript archive (torch.jit.save)" if any(n.endswith("/constants.pkl") for n in names) \
            else "a zip archive without exactly one <name>/data.pkl"
        raise LoadError(f"it is {what}, not a torch.save checkpoint; in PyTorch, torch.save(model.state_dict(), "
                        "path) writes one ember can read")
    prefix = pickles[0][:-len("data.pkl")]

    def record(name):
        info = archive.getinfo(prefix + name)
        if info.compress_type != zipfile.ZIP_STORED:
            raise LoadError(f"its record {prefix + name} is compressed, which torch.save never does")
        return archive.read(info)  # checks the record's CRC-32

    order = record("byteorder") if prefix + "byteorder" in names else b"little"
    if order not in (b"little", b"big"):
        raise LoadError(f"its byteorder record says {order[:20]!r}")
    storages = {}

    def load_storage(pid):
        dtype, key, location, numel = _storage_id(pid, 5)
        if key not in storages:
            raw = record(f"data/{key}")
            if len(raw) != numel * dtype.itemsize:
                raise LoadError(f"storage {key} should hold {numel} {dtype} elements but has {len(raw)} bytes")
            array = np.frombuffer(raw, dtype.np.newbyteorder("<" if order == b"little" else ">"))
            flat = _wrap(array.astype(dtype.np))  # a writable, native-order copy
            storages[key] = _Storage(flat._data, target_device(location, map_location, flat))
        elif storages[key].array.dtype != dtype.np:
            raise LoadError(f"storage {key} is read as two different dtypes")
        return storages[key]

    return _AllowlistUnpickler(io.BytesIO(record("data.pkl")), load_storage).load()


_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
_LEGACY_PROTOCOL = 1001


def _read_legacy(data, map_location):
    stream = io.BytesIO(data)  # several pickles one after another, then the storages' bytes

    def next_pickle(persistent_load=_no_storages):
        return _AllowlistUnpickler(stream, persistent_load).load()

    try:
        magic = next_pickle()
    except Exception:  # whatever this pickle is, it is not a PyTorch checkpoint; it never runs
        magic = None
    if magic != _LEGACY_MAGIC:
        raise LoadError("it is a pickle but not a PyTorch checkpoint (no torch.save magic number); ember.load reads "
                        "only ember's safetensors files and PyTorch checkpoints, never arbitrary pickles")
    protocol, info = next_pickle(), next_pickle()
    if protocol != _LEGACY_PROTOCOL or not isinstance(info, dict) or info.get("little_endian") is not True:
        raise LoadError(f"it is a legacy PyTorch checkpoint of protocol {protocol!r} / {info!r} that ember cannot "
                        "read; save it again with a current torch.save")
    storages = {}

    def load_storage(pid):
        if type(pid) is tuple and len(pid) == 6 and pid[5] is not None:
            raise LoadError("it uses storage views of PyTorch before 0.4; save it again with a current torch.save")
        dtype, key, location, numel = _storage_id(pid, 6)
        if target_device(location, map_location) != _backend.CPU:
            raise LoadError("ember reads legacy PyTorch files to the CPU only: pass map_location='cpu' and move "
                            "the tensors afterwards")
        if key not in storages:  # filled after the object's pickle, where the data follow
            storages[key] = _Storage(np.zeros(numel, dtype.np), _backend.CPU)
        elif storages[key].array.dtype != dtype.np or storages[key].array.size != numel:
            raise LoadError(f"storage {key} is read as two different types")
        return storages[key]

    result = next_pickle(load_storage)
    keys = next_pickle()
    if not isinstance(keys, list) or sorted(keys) != sorted(storages):
        raise LoadError("its list of storages does not match the storages its objects use")
    for key in keys:
        array = storages[key].array
        count = int.from_bytes(stream.read(8), "little")
        raw = stream.read(array.nbytes)
        if count != array.size or len(raw) != array.nbytes:
            raise LoadError(f"storage {key} is truncated or has the wrong size")
        array[...] = np.frombuffer(raw, array.dtype)
    return result

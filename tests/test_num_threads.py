"""set_num_threads / get_num_threads / set_num_interop_threads / get_num_interop_threads, and the deterministic-algorithm
switches, against torch."""
import json
import subprocess
import sys

import numpy as np
import pytest
import torch

import ember


@pytest.fixture
def restore_threads():
    before = ember.get_num_threads()
    yield
    ember.set_num_threads(before)


def test_set_num_threads_sets_what_get_num_threads_reads(restore_threads):
    for lib in (ember, torch):
        before = lib.get_num_threads()
        lib.set_num_threads(1)
        assert lib.get_num_threads() == 1
        lib.set_num_threads(np.int64(2))
        assert lib.get_num_threads() == 2
        lib.set_num_threads(before)


def test_set_num_threads_limits_blas():
    from threadpoolctl import threadpool_info
    code = ("import ember, json, threadpoolctl; ember.set_num_threads(1); "
            "print(json.dumps([i['num_threads'] for i in threadpoolctl.threadpool_info() if i['user_api'] == 'blas']))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    if any(i["user_api"] == "blas" for i in threadpool_info()):
        assert set(json.loads(out)) == {1}


@pytest.mark.parametrize("name", ["set_num_threads", "set_num_interop_threads"])
@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2", None, torch.tensor(2)], ids=repr)
def test_bad_thread_counts_raise_torchs_errors(name, bad):
    if isinstance(bad, torch.Tensor):
        bad_ember = ember.tensor(2)
    else:
        bad_ember = bad
    messages = []
    for lib, arg in ((torch, bad), (ember, bad_ember)):
        with pytest.raises(RuntimeError) as info:
            getattr(lib, name)(arg)
        messages.append(str(info.value))
    assert messages[0] == messages[1]


def test_interop_threads_are_set_once_as_in_torch():
    """Run in fresh processes: torch refuses a second set_num_interop_threads for the life of the process."""
    code = """
import sys
lib = __import__(sys.argv[1])
print(lib.get_num_interop_threads() >= 1)
lib.set_num_interop_threads(3)
print(lib.get_num_interop_threads())
try:
    lib.set_num_interop_threads(4)
except RuntimeError as error:
    print(type(error).__name__, error)
print(lib.get_num_interop_threads())
"""
    outs = [subprocess.run([sys.executable, "-c", code, lib], capture_output=True, text=True, check=True).stdout
            for lib in ("torch", "ember")]
    assert outs[0] == outs[1]
    assert outs[1].splitlines()[1] == "3"


def test_small_products_run_on_one_blas_thread_and_large_ones_on_all():
    """The per-product rule (ember/_threads.py): below SPLIT_MACS one BLAS thread, above it the count BLAS had or
    set_num_threads gave; a result is the same either way."""
    from ember import _threads
    blas = lambda: _threads._numpy_blas().num_threads  # noqa: E731  (NumPy's BLAS: scipy may load another)
    before = ember.get_num_threads()
    try:
        ember.set_num_threads(2)
        small = ember.ones(8, 8)
        small @ small
        assert blas() == 1
        n = int(np.ceil(_threads.SPLIT_MACS ** (1 / 3)))
        big = ember.ones(n, n)
        big @ big
        assert blas() == 2
        small @ small
        assert blas() == 1
        ember.set_num_threads(2)
        assert blas() == 2
    finally:
        ember.set_num_threads(before)


def test_deterministic_algorithm_switches_as_torch():
    # (ember's ops are all deterministic: the switches are kept, checked and read back as torch's)
    calls = [("use_deterministic_algorithms", (True,), {}), ("use_deterministic_algorithms", (1,), {}),
             ("use_deterministic_algorithms", (True,), {"warn_only": 1}),
             ("use_deterministic_algorithms", (True,), {"warn_only": True}), ("set_deterministic_debug_mode", ("x",), {}),
             ("set_deterministic_debug_mode", (3,), {}), ("set_deterministic_debug_mode", (1.0,), {}),
             ("set_deterministic_debug_mode", ("error",), {}), ("set_deterministic_debug_mode", (1,), {}),
             ("set_deterministic_debug_mode", ("default",), {})]
    seen = []
    for lib in (ember, torch):
        states = []
        for name, args, kwargs in calls:
            try:
                getattr(lib, name)(*args, **kwargs)
                states.append((lib.are_deterministic_algorithms_enabled(),
                               lib.is_deterministic_algorithms_warn_only_enabled(), lib.get_deterministic_debug_mode()))
            except Exception as error:  # noqa: BLE001
                states.append((type(error).__name__, str(error)))
        lib.use_deterministic_algorithms(False)
        seen.append(states)
    assert seen[0] == seen[1]


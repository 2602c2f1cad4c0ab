"""Print options (torch.set_printoptions, torch._tensor_str.get_printoptions and printoptions): after the same
call in both libraries, every tensor prints the characters torch prints, and a value that cannot work fails
with torch's error when a tensor is printed."""
import math
import os
import re
import subprocess
import sys
import threading

import numpy as np
import pytest
import torch

import ember
from ember import _tensor_str

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RNG = np.random.default_rng(0)


@pytest.fixture(autouse=True)
def default_print_options():
    """The options are process-wide in both libraries: every test starts and ends with the defaults."""
    for lib in (torch, ember):
        lib.set_printoptions(profile="default")
    yield
    for lib in (torch, ember):
        lib.set_printoptions(profile="default")


def set_both(*args, **kwargs):
    for lib in (torch, ember):
        lib.set_printoptions(*args, **kwargs)


def printed(t):
    """What repr(t) gives, or the error it raises (type and words); str(t) must give the same."""
    try:
        text = repr(t)
    except Exception as error:  # noqa: BLE001 - the error is what is compared
        return f"{type(error).__name__}: {error}"
    assert str(t) == text
    return text.replace("torch.", "ember.")


def assert_prints_as_torch(e, t, what=""):
    ours, theirs = printed(e), printed(t)
    assert ours == theirs, f"{what}\nember:\n{ours}\ntorch:\n{theirs}"


# ---- the same values in both libraries ------------------------------------------------------------------------
VALUES = {
    "fractions": [1.5, -2.25, 3.0],
    "whole": [1.0, -2.0, 30.0],
    "tiny": [1e-5, 2e-6, -3e-7],
    "huge": [1e9, 2.5e10, -3e12],
    "mixed": [1e-3, 1.0, 5e3],
    "ratio_under_1000": [0.5, 400.0],
    "ratio_over_1000": [0.5, 600.0],
    "negative_zero": [-0.0, 0.0, 1.0],
    "only_zeros": [-0.0, 0.0],
    "inf_nan": [math.inf, -math.inf, math.nan, 1.5],
    "inf_nan_whole": [math.inf, math.nan, 2.0],
    "only_inf_nan": [math.inf, math.nan],
    "whole_over_1e8": [123456789.0, 1.0],
    "whole_ratio": [1e4, 2.0],
    "rounding_up": [0.99995, 9.99995, 1.00005],
    "half_range": [65504.0, 0.1, -1e-3],
    "scalar": 3.14159,
    "scalar_whole": 7.0,
    "scalar_zero": 0.0,
    "scalar_nan": math.nan,
    "scalar_tiny": -2.5e-9,
    "normal_2d": RNG.normal(size=(4, 5)),
    "normal_3d": RNG.normal(size=(2, 3, 4)) * 100,
    "uniform_4d": RNG.uniform(size=(2, 2, 2, 3)),
    "long_row": np.arange(40) * 1.25,
    "wide_rows": RNG.normal(size=(3, 30)) * 1e3,
    "negative_2d": -np.arange(1, 7.0).reshape(2, 3),
    "large_1d": RNG.normal(size=2000),
    "large_2d": np.arange(1500.0).reshape(30, 50) / 7,
    "large_3d": RNG.normal(size=(12, 10, 11)),
    "large_whole": np.arange(1200.0).reshape(40, 30) - 600,
    "empty": np.zeros(0),
    "empty_2d": np.zeros((2, 0)),
    "empty_3d": np.zeros((0, 3, 1)),
}
DTYPES = ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool"]


def pair(values, dtype="float32"):
    """(ember tensor, torch tensor) of the same values; integer and bool dtypes take finite values in their range."""
    a = np.asarray(values, dtype=np.float64)
    if dtype not in ("float32", "float64", "float16"):
        a = np.nan_to_num(a, nan=0.0, posinf=0.0, neginf=0.0)
        a = np.clip(np.abs(a) if dtype == "uint8" else a, -100, 100)
    with np.errstate(over="ignore"):
        a = a.astype(dtype)  # float16 overflows to inf, as a cast in torch does
    return ember.tensor(a, dtype=getattr(ember, dtype)), torch.tensor(a, dtype=getattr(torch, dtype))


def assert_all_values_print_as_torch(dtype):
    for name, values in VALUES.items():
        e, t = pair(values, dtype)
        assert_prints_as_torch(e, t, f"{name} as {dtype}, options {_tensor_str.get_printoptions()}")


# ---- every option, over every kind of value and dtype ----------------------------------------------------------
OPTIONS = [
    {},
    dict(precision=0), dict(precision=1), dict(precision=2), dict(precision=6), dict(precision=12),
    dict(sci_mode=True), dict(sci_mode=False), dict(sci_mode=True, precision=1), dict(sci_mode=False, precision=7),
    dict(threshold=0), dict(threshold=5), dict(threshold=20, edgeitems=1), dict(threshold=math.inf),
    dict(threshold=2.5), dict(threshold=math.nan),
    dict(edgeitems=0), dict(edgeitems=0, threshold=3), dict(edgeitems=1, threshold=3), dict(edgeitems=5),
    dict(edgeitems=True, threshold=4), dict(edgeitems=50, threshold=4),
    dict(linewidth=0), dict(linewidth=20), dict(linewidth=45.5), dict(linewidth=120), dict(linewidth=-10),
    dict(profile="default"), dict(profile="short"), dict(profile="full"),
    dict(profile="short", precision=5, sci_mode=True), dict(profile="full", edgeitems=1, threshold=10),
    dict(precision=3, threshold=8, edgeitems=2, linewidth=50, sci_mode=False),
    # values torch takes and that print all the same, or fail with Python's own error at print time
    dict(profile="no such profile"), dict(sci_mode="yes"), dict(sci_mode=0),
    dict(edgeitems=-1, threshold=5), dict(edgeitems=-3, threshold=5), dict(edgeitems=1.5, threshold=5),
    dict(edgeitems="2", threshold=5), dict(threshold="many"), dict(precision=-1), dict(precision=1.5),
    dict(precision="4"), dict(precision="a"), dict(precision=True), dict(precision=2.0, sci_mode=True),
    dict(linewidth="wide"),
    dict(linewidth=math.inf), dict(linewidth=math.nan),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("options", OPTIONS, ids=repr)
def test_every_value_prints_as_torch_under_the_options(options, dtype):
    set_both(**options)
    assert _tensor_str.get_printoptions() == torch._tensor_str.get_printoptions()
    assert_all_values_print_as_torch(dtype)


@pytest.mark.parametrize("options", [
    dict(precision=-1), dict(precision=1.5), dict(precision="a"), dict(linewidth="wide"), dict(linewidth=math.inf),
    dict(linewidth=math.nan), dict(threshold="many"), dict(edgeitems=-1, threshold=5), dict(edgeitems=1.5, threshold=5),
    dict(edgeitems="2", threshold=5),
], ids=repr)
def test_an_option_that_cannot_work_fails_at_print_time_with_torchs_error(options):
    e, t = pair(np.arange(24.0).reshape(4, 6) / 7)
    set_both(**options)  # nothing is checked here, in torch either
    with pytest.raises(Exception) as theirs:
        repr(t)
    with pytest.raises(theirs.type, match=f"^{re.escape(str(theirs.value))}$"):
        repr(e)


# ---- the rule behind each option ------------------------------------------------------------------------------
@pytest.mark.parametrize("precision", range(0, 9))
@pytest.mark.parametrize("values", [[1.0, -2.0, 30.0], [1.0, 1e10], [3.0, 5000.0], [0.5, 2.0], [1e-6, 1.0],
                                    [123.456789, -0.000123], [2.5, 3.5, -0.5]])
def test_precision_sets_decimals_but_not_of_whole_number_floats_in_fixed_notation(precision, values):
    set_both(precision=precision)
    for dtype in ("float32", "float64", "float16"):
        assert_prints_as_torch(*pair(values, dtype), dtype)
    if precision == 0:
        e, _ = pair([1.0, -2.0, 30.0])
        assert repr(e) == "tensor([ 1., -2., 30.])"  # whole numbers keep their "." whatever the precision


@pytest.mark.parametrize("sci_mode", [None, True, False])
@pytest.mark.parametrize("values", [
    [1.0, 1000.0], [1.0, 1000.5], [1.0, 1001.0], [0.001, 1.0], [0.0009, 1.0],  # ratio of 1000, just over
    [1e8, 1e8], [100000008.0, 100000008.0], [1.5e8],  # largest at 1e8, over
    [1e-4, 2e-4], [9.9e-5, 2e-4],  # smallest at 1e-4, under
    [0.0, 1e-9], [math.inf, 1e-9, math.nan], [-0.0, 5e9], [0.0, math.inf],
])
def test_sci_mode_none_chooses_from_the_finite_non_zero_values_true_and_false_force_it(sci_mode, values):
    set_both(sci_mode=sci_mode)
    for dtype in ("float32", "float64"):
        assert_prints_as_torch(*pair(values, dtype), dtype)


@pytest.mark.parametrize("edgeitems", [0, 1, 2, 3, 4])
@pytest.mark.parametrize("shape", [(7,), (8,), (9,), (3, 9), (9, 3), (2, 9, 8), (9, 2, 3, 2)])
def test_threshold_and_edgeitems_decide_what_is_summarised(edgeitems, shape):
    n = int(np.prod(shape))
    e, t = pair(RNG.normal(size=shape) * 10)
    for threshold in (n - 1, n):  # summarised only above the threshold, axes only when longer than 2 * edgeitems
        set_both(threshold=threshold, edgeitems=edgeitems)
        assert_prints_as_torch(e, t, f"threshold {threshold}")


def test_a_summary_sizes_its_columns_from_the_elements_shown_only():
    values = np.ones(2001)
    values[1000] = 123456.5  # hidden in the middle: the columns stay narrow and fixed
    set_both(threshold=1000)
    assert_prints_as_torch(*pair(values))
    assert repr(pair(values)[0]) == "tensor([1., 1., 1.,  ..., 1., 1., 1.])"


@pytest.mark.parametrize("linewidth", list(range(0, 130, 9)) + [79, 80, 81])
@pytest.mark.parametrize("make", [
    lambda lib: lib.arange(30.0) * 1.5,
    lambda lib: lib.arange(60).reshape(3, 20),
    lambda lib: (lib.arange(2000.0) / 3).reshape(40, 50),
    lambda lib: lib.arange(24.0, dtype=lib.float64).reshape(2, 3, 4),
    lambda lib: lib.arange(12.0, requires_grad=True),
    lambda lib: lib.arange(12.0, requires_grad=True) * 2,
    lambda lib: lib.tensor([1, 2, 3], dtype=lib.int8),
    lambda lib: lib.zeros(2, 0, dtype=lib.int32),
    lambda lib: lib.tensor(5.0, dtype=lib.float64, requires_grad=True),
], ids=["float_row", "int_rows", "summary", "float64_3d", "requires_grad", "grad_fn", "int8", "empty", "scalar"])
def test_linewidth_wraps_rows_and_moves_suffixes_to_a_new_line(linewidth, make):
    set_both(linewidth=linewidth)
    assert_prints_as_torch(make(ember), make(torch))


def test_parameters_print_under_the_options():
    w = RNG.normal(size=(3, 40))
    set_both(precision=2, linewidth=60, threshold=50, edgeitems=2)
    assert repr(ember.nn.Parameter(ember.tensor(w))) == \
        repr(torch.nn.Parameter(torch.tensor(w))).replace("torch.", "ember.")


def test_views_and_other_default_dtypes_print_as_torch():
    a = RNG.normal(size=(6, 8)) * 1e-3
    set_both(precision=3, threshold=20, edgeitems=2)
    e, t = pair(a)
    for view in (lambda x: x.t(), lambda x: x[::2, 1::3], lambda x: x[2], lambda x: x[1, 1]):
        assert_prints_as_torch(view(e), view(t))
    for lib in (torch, ember):
        lib.set_default_dtype(lib.float64)
    try:
        assert_prints_as_torch(e, t)  # float32 now shows its dtype
        assert_prints_as_torch(ember.tensor(a), torch.tensor(a))
    finally:
        for lib in (torch, ember):
            lib.set_default_dtype(lib.float32)


def test_print_writes_the_same_characters(capsys):
    e, t = pair(np.arange(50.0).reshape(5, 10) ** 3)
    set_both(sci_mode=False, linewidth=50)
    print(t)
    theirs = capsys.readouterr().out
    print(e)
    assert capsys.readouterr().out == theirs


# ---- the API: what each call sets and resets ------------------------------------------------------------------
def test_the_same_names_as_torch():
    assert ember.set_printoptions is _tensor_str.set_printoptions
    for name in ("set_printoptions", "get_printoptions", "printoptions", "PRINT_OPTS"):
        assert hasattr(_tensor_str, name) == hasattr(torch._tensor_str, name)
    for name in ("set_printoptions", "get_printoptions", "printoptions"):  # torch 2.13 has only the first
        assert hasattr(ember, name) == hasattr(torch, name)
    assert _tensor_str.get_printoptions() == torch._tensor_str.get_printoptions() == dict(
        precision=4, threshold=1000, edgeitems=3, linewidth=80, sci_mode=None)
    assert list(_tensor_str.get_printoptions()) == list(torch._tensor_str.get_printoptions())


CHANGE_ALL = dict(precision=7, threshold=3, edgeitems=1, linewidth=30, sci_mode=True)


@pytest.mark.parametrize("profile", ["default", "short", "full", "unknown", None])
def test_a_profile_resets_precision_threshold_edgeitems_linewidth_and_every_call_resets_sci_mode(profile):
    set_both(**CHANGE_ALL)
    set_both(profile=profile)
    assert _tensor_str.get_printoptions() == torch._tensor_str.get_printoptions()
    assert _tensor_str.PRINT_OPTS.sci_mode is None
    assert_all_values_print_as_torch("float32")


def test_other_arguments_override_the_profile():
    set_both(profile="full", precision=2, edgeitems=5, sci_mode=False)
    assert _tensor_str.get_printoptions() == torch._tensor_str.get_printoptions() == dict(
        precision=2, threshold=math.inf, edgeitems=5, linewidth=80, sci_mode=False)


def test_arguments_left_out_keep_their_values_but_sci_mode_goes_back_to_none():
    set_both(precision=2, sci_mode=True)
    set_both(linewidth=40)
    assert _tensor_str.get_printoptions() == torch._tensor_str.get_printoptions() == dict(
        precision=2, threshold=1000, edgeitems=3, linewidth=40, sci_mode=None)


def test_positional_arguments_in_torchs_order():
    set_both(2, 10, 1, 60, "short", True)
    assert _tensor_str.get_printoptions() == torch._tensor_str.get_printoptions()
    assert_all_values_print_as_torch("float64")


def test_get_printoptions_round_trips_through_set_printoptions():
    set_both(**CHANGE_ALL)
    saved = _tensor_str.get_printoptions()
    assert saved == CHANGE_ALL == torch._tensor_str.get_printoptions()
    saved["precision"] = 99  # a copy: changing it changes nothing
    assert _tensor_str.PRINT_OPTS.precision == 7
    ember.set_printoptions(profile="default")
    ember.set_printoptions(**_tensor_str.get_printoptions() | CHANGE_ALL)
    assert _tensor_str.get_printoptions() == CHANGE_ALL


def test_printoptions_sets_the_options_for_a_with_block_only():
    e, t = pair([1.123456, 2e-5, 300.0])
    set_both(precision=6, linewidth=50)
    with ember._tensor_str.printoptions(precision=2, sci_mode=False), \
            torch._tensor_str.printoptions(precision=2, sci_mode=False):
        assert_prints_as_torch(e, t)
        assert _tensor_str.get_printoptions() == torch._tensor_str.get_printoptions()
        with ember._tensor_str.printoptions(profile="short"), torch._tensor_str.printoptions(profile="short"):
            assert _tensor_str.get_printoptions() == torch._tensor_str.get_printoptions()
        assert _tensor_str.PRINT_OPTS.precision == 2 and _tensor_str.PRINT_OPTS.sci_mode is False
    assert _tensor_str.get_printoptions() == torch._tensor_str.get_printoptions() == dict(
        precision=6, threshold=1000, edgeitems=3, linewidth=50, sci_mode=None)
    assert_prints_as_torch(e, t)


def test_printoptions_puts_the_options_back_when_the_block_raises():
    with pytest.raises(KeyError):
        with _tensor_str.printoptions(precision=1, threshold=2):
            raise KeyError("inside")
    assert _tensor_str.get_printoptions() == torch._tensor_str.get_printoptions()


@pytest.mark.parametrize("call", [
    lambda lib: lib.set_printoptions(precison=2),
    lambda lib: lib.set_printoptions(1, 2, 3, 4, "full", True, 7),
    lambda lib: lib._tensor_str.printoptions(2),
    lambda lib: lib._tensor_str.printoptions(colour=True).__enter__(),
    lambda lib: lib._tensor_str.get_printoptions(4),
], ids=["unknown keyword", "too many", "printoptions positional", "printoptions unknown", "get with argument"])
def test_wrong_arguments_are_torchs_type_error(call):
    with pytest.raises(TypeError) as theirs:
        call(torch)
    with pytest.raises(TypeError, match=f"^{re.escape(str(theirs.value))}$"):
        call(ember)
    assert _tensor_str.get_printoptions() == torch._tensor_str.get_printoptions()


def test_options_are_process_wide():
    set_both(precision=1, sci_mode=True)
    seen = {}

    def show():
        seen["ember"], seen["torch"] = repr(ember.tensor([1.25, 2.5])), repr(torch.tensor([1.25, 2.5]))

    worker = threading.Thread(target=show)
    worker.start()
    worker.join()
    assert seen["ember"] == seen["torch"] == "tensor([1.2e+00, 2.5e+00])"


def test_ember_run_program_uses_the_options_as_torch(tmp_path):
    program = tmp_path / "options.py"
    program.write_text(
        "import torch\n"
        "from torch._tensor_str import printoptions, get_printoptions\n"
        "x = torch.arange(30.0).reshape(3, 10) / 7\n"
        "torch.set_printoptions(precision=2, linewidth=40)\n"
        "print(x)\n"
        "with printoptions(sci_mode=True, threshold=5, edgeitems=1):\n"
        "    print(x, get_printoptions())\n"
        "torch.set_printoptions(profile='short')\n"
        "print(x * 1000, torch._tensor_str.PRINT_OPTS.edgeitems)\n")
    theirs = subprocess.run([sys.executable, str(program)], capture_output=True, text=True, check=True).stdout
    ours = subprocess.run([sys.executable, "-m", "ember.cli", "run", str(program)], capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=ROOT), check=True).stdout
    assert ours == theirs

"""torch.amp on ember, against torch on this CPU-only machine: autocast's state and warnings, the deprecated
torch.cuda.amp / torch.cpu.amp spellings, a disabled GradScaler("cuda"), and GradScaler("cpu") step for step."""
import pickle
import re
import threading
import warnings

import numpy as np
import pytest
import torch

import ember
from test_cli import python_and_ember

LIBS = pytest.mark.parametrize("lib", [torch, ember], ids=["torch", "ember"])


def outcome(fn):
    """What fn gives: ("value", result) or ("error", type name, message), and its warnings as
    (category name, message), torch's C++ suffix "(Triggered internally at ...)" left off; ember's dtypes, which
    print as ember.float16 outside ember run, read as torch's."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = ("value", fn())
        except Exception as error:  # noqa: BLE001 - the error is what is compared
            result = ("error", type(error).__name__, str(error).replace("'ember.", "'torch."))
    said = [(w.category.__name__, re.sub(r" \(Triggered internally at .*\)$", "", str(w.message))
             .replace("ember.", "torch."))
            for w in caught]
    return result, said


def same(make):
    """make(lib) under torch and under ember: the same result (dtypes by name), warnings and errors."""
    theirs, ours = outcome(lambda: make(torch)), outcome(lambda: make(ember))

    def plain(o):
        (result, said) = o
        if result[0] == "value":
            value = result[1]
            result = ("value", repr(value).replace("ember.", "torch.") if isinstance(value, (ember.dtype, torch.dtype)
                                                                             ) or type(value).__name__ == "_Bfloat16"
                      else value)
        return result, said
    assert plain(ours) == plain(theirs)
    return ours


# ---- autocast: the state functions ----------------------------------------------------------------------------
@pytest.mark.parametrize("make", [
    lambda t: t.is_autocast_enabled(),
    lambda t: t.is_autocast_enabled("cpu"),
    lambda t: t.is_autocast_enabled("cuda"),
    lambda t: t.is_autocast_enabled("cuda:0"),
    lambda t: t.is_autocast_enabled("mps"),
    lambda t: t.is_autocast_enabled("gpu"),
    lambda t: t.is_autocast_enabled("meta"),
    lambda t: t.is_autocast_enabled(1),
    lambda t: t.get_autocast_dtype("cpu"),
    lambda t: t.get_autocast_dtype("cuda"),
    lambda t: t.get_autocast_dtype("xla"),
    lambda t: t.get_autocast_dtype("meta"),
    lambda t: t.get_autocast_gpu_dtype(),
    lambda t: t.get_autocast_cpu_dtype(),
    lambda t: t.is_autocast_cpu_enabled(),
    lambda t: t.is_autocast_cache_enabled(),
    lambda t: t.amp.is_autocast_available("cuda"),
    lambda t: t.amp.is_autocast_available("cpu"),
    lambda t: t.amp.is_autocast_available("meta"),
    lambda t: t.amp.is_autocast_available("gpu"),
    lambda t: t.set_autocast_enabled(1),
    lambda t: t.set_autocast_enabled("cpu"),
    lambda t: t.autocast(),
    lambda t: t.autocast(t.device("cpu")),
    lambda t: t.autocast("gpu"),
    lambda t: t.autocast("meta"),
    lambda t: t.autocast("cpu", enabled=False)(3),
    lambda t: t.amp.custom_fwd(device_type=t.device("cpu")),
])
def test_state_functions_answer_and_refuse_as_torch(make):
    same(make)


def test_the_setters_change_this_threads_state_and_warn_where_torch_warns():
    def sequence(t):
        seen = []
        for call in (lambda: t.set_autocast_enabled(True), lambda: t.is_autocast_enabled(),
                     lambda: t.is_autocast_enabled("cuda"), lambda: t.is_autocast_enabled("cpu"),
                     lambda: t.set_autocast_enabled(False), lambda: t.set_autocast_enabled("cpu", True),
                     lambda: t.is_autocast_enabled(), lambda: t.is_autocast_cpu_enabled(),
                     lambda: t.set_autocast_enabled("cpu", False), lambda: t.set_autocast_cpu_enabled(True),
                     lambda: t.is_autocast_enabled("cpu"), lambda: t.set_autocast_cpu_enabled(False),
                     lambda: t.set_autocast_gpu_dtype(t.float32), lambda: t.get_autocast_dtype("cuda"),
                     lambda: t.set_autocast_gpu_dtype(t.float16), lambda: t.set_autocast_cpu_dtype(t.float16),
                     lambda: t.get_autocast_dtype("cpu"), lambda: t.set_autocast_dtype("cpu", t.float64),
                     lambda: t.get_autocast_cpu_dtype(), lambda: t.autocast_increment_nesting(),
                     lambda: t.autocast_increment_nesting(), lambda: t.autocast_decrement_nesting(),
                     lambda: t.autocast_decrement_nesting(), lambda: t.set_autocast_cache_enabled(False),
                     lambda: t.is_autocast_cache_enabled(), lambda: t.set_autocast_cache_enabled(True)):
            (result, said) = outcome(call)
            seen.append((repr(result).replace("ember.", "torch."), said))
        return seen

    default_cpu = torch.get_autocast_dtype("cpu")
    try:
        theirs = sequence(torch)
    finally:
        torch.set_autocast_dtype("cpu", default_cpu)
    try:
        ours = sequence(ember)
    finally:
        ember.set_autocast_dtype("cpu", ember.amp.autocast_mode.bfloat16)
    assert ours == theirs
    assert ("DeprecationWarning", "torch.set_autocast_cpu_enabled(enabled) is deprecated. Please use "
            "torch.set_autocast_enabled('cpu', enabled) instead.") in [s for _, said in ours for s in said]


# ---- autocast("cuda") without a GPU, and the deprecated spellings ------------------------------------------------
@pytest.mark.parametrize("make", [
    lambda t: t.autocast("cuda"),
    lambda t: t.amp.autocast("cuda"),
    lambda t: t.autocast(device_type="cuda", dtype=t.float16),
    lambda t: t.autocast("cuda", dtype=t.float32),
    lambda t: t.autocast("cuda", enabled=False),
    lambda t: t.cuda.amp.autocast(),
    lambda t: t.cuda.amp.autocast(enabled=False),
    lambda t: t.cpu.amp.autocast(enabled=False),
    lambda t: t.autocast("cpu", dtype=t.float32),
    lambda t: t.autocast("cpu", dtype=t.float64),
    lambda t: t.autocast("cpu", enabled=False),
    lambda t: t.autocast("mps", enabled=False),
])
def test_constructing_autocast_warns_as_torch(make):
    ours = same(lambda t: type(make(t)).__name__)
    assert ours[0] == ("value", "autocast")


def test_cuda_autocast_without_a_gpu_warns_and_the_block_runs_unchanged():
    for lib in (torch, ember):
        x = lib.tensor([[1.0, 2.0], [3.0, 4.0]])
        with pytest.warns(UserWarning, match="^CUDA is not available or torch_xla is imported. Disabling autocast.$"):
            with lib.autocast("cuda"):
                assert lib.is_autocast_enabled() is False and lib.is_autocast_enabled("cuda") is False
                y = x @ x
        assert y.dtype == lib.float32 and y.tolist() == [[7.0, 10.0], [15.0, 22.0]]
        with pytest.warns(FutureWarning, match=re.escape(
                "`torch.cuda.amp.autocast(args...)` is deprecated. Please use `torch.amp.autocast('cuda', "
                "args...)` instead.")):
            with pytest.warns(UserWarning, match="CUDA is not available"):
                scope = lib.cuda.amp.autocast()

        @scope
        def forward(a):
            return lib.is_autocast_enabled(), a * 2
        assert forward(x)[0] is False and forward(x)[1].tolist() == [[2.0, 4.0], [6.0, 8.0]]


def test_the_usual_guard_disables_autocast_and_scaler_without_a_warning():
    for lib in (torch, ember):
        use_amp = lib.cuda.is_available()
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            scaler = lib.amp.GradScaler("cuda", enabled=use_amp)
            with lib.autocast(device_type="cuda", dtype=lib.float16, enabled=use_amp):
                assert not lib.is_autocast_enabled("cuda")
        assert scaler.is_enabled() is False


def test_enabled_cpu_autocast_is_refused_with_a_clear_error():
    # torch runs matmul, linear, conv... in bfloat16 here; ember has no bfloat16 and no CPU autocast op lists
    for make in (lambda: ember.autocast("cpu"), lambda: ember.autocast("cpu", dtype=ember.float16),
                 lambda: ember.amp.autocast("cpu"), lambda: ember.cpu.amp.autocast()):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            with pytest.raises(RuntimeError, match="ember cannot run CPU autocast.*no bfloat16.*enabled=False"):
                make()
    assert ember.is_autocast_enabled("cpu") is False


# ---- nesting, exceptions, threads -------------------------------------------------------------------------------
@LIBS
def test_nesting_disabled_inside_and_restoring_after_an_exception(lib):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lib.set_autocast_enabled("cuda", True)  # as a GPU machine's autocast("cuda") leaves the state inside
        try:
            assert lib.is_autocast_enabled() and lib.is_autocast_enabled("cuda")
            with lib.autocast("cuda", enabled=False):
                assert not lib.is_autocast_enabled("cuda")
                with lib.autocast("cpu", enabled=False, dtype=lib.float16):
                    assert lib.get_autocast_dtype("cpu") == lib.float16
                    with pytest.raises(ValueError):
                        with lib.autocast("mps", enabled=False):
                            assert lib.autocast_increment_nesting() == 4
                            lib.autocast_decrement_nesting()
                            raise ValueError("inside")
                    assert lib.autocast_increment_nesting() == 3
                    lib.autocast_decrement_nesting()
                assert repr(lib.get_autocast_dtype("cpu")).endswith(".bfloat16")
            assert lib.is_autocast_enabled("cuda")
        finally:
            lib.set_autocast_enabled("cuda", False)
    assert lib.autocast_increment_nesting() == 1 and lib.autocast_decrement_nesting() == 0


@LIBS
def test_the_state_belongs_to_one_thread(lib):
    seen = {}
    lib.set_autocast_enabled("cuda", True)
    lib.set_autocast_dtype("cuda", lib.float32)
    try:
        thread = threading.Thread(target=lambda: seen.update(on=lib.is_autocast_enabled("cuda"),
                                                             dtype=lib.get_autocast_dtype("cuda")))
        thread.start()
        thread.join()
    finally:
        lib.set_autocast_enabled("cuda", False)
        lib.set_autocast_dtype("cuda", lib.float16)
    assert seen == {"on": False, "dtype": lib.float16}


# ---- custom_fwd / custom_bwd ------------------------------------------------------------------------------------
@LIBS
def test_custom_fwd_and_bwd_in_an_autograd_function(lib):
    class Double(lib.autograd.Function):
        @staticmethod
        @lib.amp.custom_fwd(device_type="cpu", cast_inputs=lib.float16)
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * 2

        @staticmethod
        @lib.amp.custom_bwd(device_type="cpu")
        def backward(ctx, grad):
            return grad * 2

    x = lib.tensor([1.5, -2.0], requires_grad=True)
    y = Double.apply(x)  # outside autocast: cast_inputs has no effect
    y.sum().backward()
    assert y.dtype == lib.float32 and y.tolist() == [3.0, -4.0] and x.grad.tolist() == [2.0, 2.0]
    ours = same(lambda t: t.cuda.amp.custom_fwd(lambda ctx, v: v, cast_inputs=t.float16).__name__)
    assert ours[1][0][0] == "FutureWarning"
    same(lambda t: t.cuda.amp.custom_bwd(lambda ctx, v: v).__name__)


@LIBS
def test_custom_fwd_with_cast_inputs_casts_and_turns_autocast_off_inside(lib):
    seen = []

    @lib.amp.custom_fwd(device_type="cpu", cast_inputs=lib.float16)
    def forward(ctx, x, pair, label, n):
        seen.append((lib.is_autocast_enabled("cpu"), x.dtype, pair[0].dtype, pair[1].dtype, label, n.dtype,
                     ctx._fwd_used_autocast, ctx._dtype))
        return x

    class Ctx:
        pass
    lib.set_autocast_enabled("cpu", True)  # (the state only: an enabled CPU autocast region is refused by ember)
    try:
        forward(Ctx(), lib.ones(2), (lib.ones(1, dtype=lib.float64), lib.ones(1)), "a", lib.ones(1, dtype=lib.int64))
        assert lib.is_autocast_enabled("cpu")
    finally:
        lib.set_autocast_enabled("cpu", False)
    assert seen[0][:7] == (False, lib.float16, lib.float64, lib.float16, "a", lib.int64, False)
    assert repr(seen[0][7]).endswith(".bfloat16")


# ---- GradScaler("cuda") without a GPU: disabled -----------------------------------------------------------------
@pytest.mark.parametrize("make", [
    lambda t: t.amp.GradScaler("cuda"),
    lambda t: t.amp.GradScaler(),
    lambda t: t.cuda.amp.GradScaler(),
    lambda t: t.cuda.amp.GradScaler(init_scale=8.0, growth_factor=1.0),
    lambda t: t.amp.GradScaler("cuda", enabled=False),
])
@pytest.mark.parametrize("use", ["get_scale", "is_enabled", "state_dict", "_get_growth_tracker", "get_growth_factor",
                                 "get_backoff_factor", "get_growth_interval", "update", "scale", "unscale_",
                                 "load_state_dict", "set_growth_factor", "pickle"])
def test_a_disabled_scaler_answers_as_torchs(make, use):
    def run(t):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            scaler = make(t)
        if use == "scale":
            x = t.ones(2)
            return scaler.scale(x) is x
        if use == "unscale_":
            return scaler.unscale_(t.optim.SGD([t.nn.Parameter(t.ones(1))], lr=0.1))
        if use == "load_state_dict":
            return scaler.load_state_dict({}), scaler.state_dict()
        if use == "set_growth_factor":
            return scaler.set_growth_factor(3.0), scaler.get_growth_factor()
        if use == "pickle":
            return pickle.loads(pickle.dumps(scaler)).state_dict()
        return getattr(scaler, use)()
    same(run)
    same(lambda t: outcome(lambda: make(t))[1])  # the warnings it gives


@LIBS
def test_a_disabled_scaler_steps_the_optimizer_and_returns_what_it_returns(lib):
    w = lib.nn.Parameter(lib.tensor([1.0, 2.0]))
    opt = lib.optim.SGD([w], lr=0.5)
    with pytest.warns(UserWarning, match=re.escape("torch.cuda.amp.GradScaler is enabled, but CUDA is not "
                                                   "available.  Disabling.")):
        scaler = lib.amp.GradScaler("cuda")
    loss = scaler.scale((w * w).sum())
    loss.backward()
    assert loss.item() == 5.0
    assert scaler.step(opt, lambda: lib.tensor(7.0)).item() == 7.0  # the closure's loss, as opt.step returns it
    scaler.update()
    assert w.tolist() == [0.0, 0.0]


# ---- GradScaler("cpu"): real loss scaling -----------------------------------------------------------------------
def scaled_training(t, optimizer, steps=14):
    """A training loop with GradScaler("cpu"): gradients exact in both libraries (the loss is linear in the
    parameters), inf and NaN inputs on some steps, unscale_ by hand on every other step."""
    rng = np.random.default_rng(0)
    w = t.nn.Parameter(t.tensor(rng.standard_normal(6).astype(np.float32)))
    b = t.nn.Parameter(t.tensor(rng.standard_normal((2, 3)).astype(np.float32)))
    opt = (t.optim.SGD([w, b], lr=0.1, momentum=0.9, weight_decay=0.01) if optimizer == "sgd" else
           t.optim.Adam([w, b], lr=0.01))
    scaler = t.amp.GradScaler("cpu", init_scale=3.0e4, growth_interval=3, growth_factor=1.7, backoff_factor=0.3)
    rows = []
    for step in range(steps):
        x = t.tensor((rng.standard_normal(6) * 1e-3).astype(np.float32))
        z = t.tensor((rng.standard_normal((2, 3)) * 1e-3).astype(np.float32))
        if step in (4, 9):
            x[1] = float("inf") if step == 4 else float("nan")
        if step == 11:
            x[0] = 3e38  # finite: the scaled gradient overflows
        opt.zero_grad()
        scaled = scaler.scale((w * x).sum() + (b * z).sum())
        scaled.backward()
        if step % 2:
            scaler.unscale_(opt)
        result = scaler.step(opt)
        grads = (w.grad.numpy().tobytes(), b.grad.numpy().tobytes())  # unscaled, by unscale_ or by step
        scaler.update()
        rows.append((step, scaler.get_scale(), scaler._get_growth_tracker(), result, grads,
                     w.detach().numpy().tobytes(), b.detach().numpy().tobytes(), scaler._scale.dtype.__repr__()[-7:],
                     scaler._growth_tracker.dtype.__repr__()[-5:]))
    return rows, scaler.state_dict()


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])  # (AdamW: the same gradients, but its update differs
                                                        # from torch's by an ulp now and then, scaler or not)
def test_a_training_loop_with_the_cpu_scaler_gives_torchs_bits_step_for_step(optimizer):
    theirs, ours = scaled_training(torch, optimizer), scaled_training(ember, optimizer)
    assert ours == theirs
    scales = [row[1] for row in ours[0]]
    assert scales[2] == 51000.0 and scales[4] == 15300.0 and scales[11] == 2340.89990234375  # grew, backed off


def test_scale_of_tensors_in_lists_and_the_dtype_of_the_result():
    same(lambda t: [v.tolist() for v in t.amp.GradScaler("cpu", init_scale=3.0).scale([t.ones(2), t.ones(1)])])
    same(lambda t: t.amp.GradScaler("cpu").scale((t.ones(1), [t.ones(1) * 2]))[1][0].tolist())
    same(lambda t: t.amp.GradScaler("cpu").scale([t.ones(2), 3]))
    same(lambda t: t.amp.GradScaler("cpu").scale(3))
    for dtype in ("float16", "float64"):
        same(lambda t: repr(t.amp.GradScaler("cpu", init_scale=0.1).scale(t.ones(2, dtype=getattr(t, dtype)))
                            .numpy().tolist()))
        same(lambda t: t.amp.GradScaler("cpu").scale(t.ones(2, dtype=getattr(t, dtype))).dtype)


def misuse(t, case):
    w = t.nn.Parameter(t.tensor([1.0, -1.0]))
    opt = t.optim.SGD([w], lr=0.1)
    scaler = t.amp.GradScaler("cpu")
    if case == "update before scale":
        return scaler.update()
    if case == "unscale before scale":
        return scaler.unscale_(opt)
    if case == "step before scale":
        return scaler.step(opt)
    scaler.scale((w * 3).sum()).backward()
    if case == "unscale twice":
        scaler.unscale_(opt)
        return scaler.unscale_(opt)
    if case == "unscale after step":
        scaler.step(opt)
        return scaler.unscale_(opt)
    if case == "step twice":
        scaler.step(opt)
        return scaler.step(opt)
    if case == "closure":
        return scaler.step(opt, closure=lambda: 0.0)
    if case == "update without step":
        return scaler.update()
    if case == "fp16 grads":
        half = t.nn.Parameter(t.tensor([1.0, -1.0], dtype=t.float16))
        scaler.scale((half * 3).sum()).backward()
        return scaler.unscale_(t.optim.SGD([half], lr=0.1))
    if case == "pickle mid-iteration":
        scaler.unscale_(opt)
        return pickle.dumps(scaler)
    if case == "update with a float and a tensor":
        scaler.step(opt)
        scaler.update(2.5)
        first = scaler.get_scale()
        scaler.scale((w * 3).sum())
        scaler.update(t.tensor(0.75))
        return first, scaler.get_scale(), scaler._get_growth_tracker()
    if case == "update with a two-element tensor":
        scaler.step(opt)
        return scaler.update(t.tensor([1.0, 2.0]))
    if case == "update with a tensor that requires grad":
        scaler.step(opt)
        return scaler.update(t.tensor(2.0, requires_grad=True))
    if case == "update with an int":
        scaler.step(opt)
        return scaler.update(4)
    if case == "step after update without scale":
        scaler.step(opt)
        scaler.update()
        return scaler.step(opt)
    if case == "growth factor 1":
        return t.amp.GradScaler("cpu", growth_factor=1.0)
    if case == "backoff factor 1":
        return t.amp.GradScaler("cpu", backoff_factor=1.0)
    if case == "load an empty state":
        return scaler.load_state_dict({})
    raise AssertionError(case)


@pytest.mark.parametrize("case", [
    "update before scale", "unscale before scale", "step before scale", "unscale twice", "unscale after step",
    "step twice", "closure", "update without step", "fp16 grads", "pickle mid-iteration",
    "update with a float and a tensor", "update with a two-element tensor", "update with a tensor that requires grad",
    "update with an int", "step after update without scale", "growth factor 1", "backoff factor 1",
    "load an empty state"])
def test_misuse_gives_torchs_errors(case):
    same(lambda t: misuse(t, case) if case != "growth factor 1" and case != "backoff factor 1" else
         type(misuse(t, case)).__name__)


def test_state_dict_load_and_pickle_carry_scale_and_tracker():
    def run(t):
        w = t.nn.Parameter(t.tensor([1.0, 2.0]))
        opt = t.optim.SGD([w], lr=0.01)
        scaler = t.amp.GradScaler("cpu", init_scale=1024.0, growth_interval=5)
        for _ in range(3):
            opt.zero_grad()
            scaler.scale((w * w).sum()).backward()
            scaler.step(opt)
            scaler.update()
        state = scaler.state_dict()
        fresh = t.amp.GradScaler("cpu", init_scale=1.0)
        fresh.load_state_dict(state)
        before_use = (fresh.get_scale(), fresh._get_growth_tracker(), fresh.state_dict())
        fresh.scale(t.ones(1))
        again = pickle.loads(pickle.dumps(scaler))
        return state, before_use, fresh.state_dict(), again.state_dict(), again._scale
    ours = same(run)
    assert ours[0][1][0]["_growth_tracker"] == 3


def test_the_deprecated_cpu_spellings_warn_and_work():
    ours = same(lambda t: t.cpu.amp.GradScaler(init_scale=4.0).state_dict())
    assert ours[1] == [("FutureWarning", "`torch.cpu.amp.GradScaler(args...)` is deprecated. Please use "
                                         "`torch.amp.GradScaler('cpu', args...)` instead.")]
    same(lambda t: (t.cpu.is_available(), t.cpu.device_count(), t.cpu.current_device(), t.cpu.synchronize()))


# ---- a program, unchanged, under ember run ----------------------------------------------------------------------
AMP_PROGRAM = """
import warnings
import torch
from torch.cuda.amp import GradScaler, autocast

torch.manual_seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"
use_amp = device == "cuda"
model = torch.nn.Linear(3, 1).to(device)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    scaler = GradScaler(enabled=use_amp)
    plain = GradScaler()
    cpu_scaler = torch.amp.GradScaler("cpu", init_scale=256.0)
    with torch.autocast(device_type="cuda"):
        pass
for w in caught:
    print(w.category.__name__, w.message)
x = torch.tensor([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]], device=device)
y = torch.tensor([[1.0], [0.0]], device=device)
for step in range(3):
    opt.zero_grad()
    with autocast(enabled=use_amp):
        loss = ((model(x) - y) ** 2).mean()
    scaler.scale(loss).backward()
    scaler.step(opt)
    scaler.update()
    print(step, torch.is_autocast_enabled(), scaler.get_scale(), scaler.is_enabled(), f"{loss.item():.6f}")
print(plain.state_dict(), cpu_scaler.state_dict(), torch.get_autocast_dtype("cpu"), torch.get_autocast_dtype("cuda"))
"""


def test_an_amp_program_runs_unchanged_under_ember_run(tmp_path):
    ours, theirs = python_and_ember(tmp_path, AMP_PROGRAM)
    assert theirs.returncode == 0, theirs.stderr
    assert ours.returncode == 0, ours.stderr
    assert ours.stdout == theirs.stdout
    assert "FutureWarning `torch.cuda.amp.GradScaler(args...)` is deprecated" in ours.stdout
    assert "torch.bfloat16 torch.float16" in ours.stdout

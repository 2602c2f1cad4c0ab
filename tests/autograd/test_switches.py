"""autograd's process-wide switches against torch: anomaly detection (detect_anomaly / set_detect_anomaly) and
set_multithreading_enabled."""
import threading
import warnings

import pytest
import torch

import ember


def _run(lib, program):
    """program(lib) under anomaly detection: (its error's type and words, the warnings' first lines)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            with lib.autograd.detect_anomaly():
                program(lib)
            error = None
        except Exception as e:  # noqa: BLE001
            error = (type(e).__name__, str(e))
    return error, [str(w.message) for w in caught]


def _sqrt_of_negative(lib):
    x = lib.tensor([-1.0, 4.0], requires_grad=True)
    lib.sqrt(x).sum().backward()  # forward gives nan at -1; its backward too


def _nan_times(lib):
    x = lib.tensor([1.0], requires_grad=True)
    (x * float("nan")).sum().backward()


class Boom:
    @staticmethod
    def make(lib):
        class F(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, g):
                raise ValueError("boom")
        return F


def _custom_raises(lib):
    x = lib.ones(2, requires_grad=True)
    Boom.make(lib).apply(x).sum().backward()


@pytest.mark.parametrize("program", [_sqrt_of_negative, _nan_times, _custom_raises])
def test_a_backward_gone_wrong_names_its_node_and_shows_the_forward_line(program):
    # the rule: the node whose backward raises or returns NaN is named, with the stack of the forward call that made
    # it (the user's line in it), in a warning before the error; NaN is torch's RuntimeError naming the output
    results = [_run(lib, program) for lib in (ember, torch)]
    (e_error, e_warnings), (t_error, t_warnings) = results
    assert e_error == t_error
    assert e_warnings[0] == t_warnings[0]  # "Anomaly Detection has been enabled. ..."
    e_head, t_head = e_warnings[1].split("\n")[0], t_warnings[1].split("\n")[0]
    assert e_head == t_head
    assert program.__name__ in e_warnings[1] and "test_switches.py" in e_warnings[1]


def test_a_node_made_before_detection_was_on_says_so():
    for lib in (ember, torch):
        x = lib.tensor([-1.0], requires_grad=True)
        y = lib.sqrt(x).sum()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with lib.autograd.set_detect_anomaly(True), pytest.raises(RuntimeError, match="returned nan values"):
                y.backward()
        assert "No forward pass information available" in str(caught[-1].message)


def test_the_switches_and_their_scope_as_torch():
    for lib in (ember, torch):
        assert not lib.is_anomaly_enabled() and lib.is_anomaly_check_nan_enabled()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with lib.autograd.detect_anomaly(check_nan=False):
                seen = []
                thread = threading.Thread(target=lambda: seen.append(lib.is_anomaly_enabled()))
                thread.start()
                thread.join()
                assert seen == [True]  # one switch for the process, not per thread (torch's)
                assert lib.is_anomaly_enabled() and not lib.is_anomaly_check_nan_enabled()
                x = lib.tensor([-1.0], requires_grad=True)
                lib.sqrt(x).sum().backward()  # NaN allowed: no error
            assert not lib.is_anomaly_enabled() and lib.is_anomaly_check_nan_enabled()
        lib.autograd.set_detect_anomaly(True)  # a plain call switches it on until switched off
        assert lib.is_anomaly_enabled()
        lib.autograd.set_detect_anomaly(False)
        assert not lib.is_anomaly_enabled()

        with pytest.raises(TypeError):  # not a decorator, in torch either
            lib.autograd.detect_anomaly()(lambda: None)
        lib.set_anomaly_enabled(True, check_nan=False)
        assert lib.is_anomaly_enabled() and not lib.is_anomaly_check_nan_enabled()
        lib.set_anomaly_enabled(False)
        assert not lib.is_anomaly_enabled() and lib.is_anomaly_check_nan_enabled()


def test_set_multithreading_enabled_is_accepted_as_torch():
    for lib in (ember, torch):
        with lib.autograd.set_multithreading_enabled(False):
            x = lib.ones(2, requires_grad=True)
            (x * 2).sum().backward()
        assert x.grad.tolist() == [2.0, 2.0]
        with pytest.raises(TypeError, match="must be bool, not int"):
            lib.autograd.set_multithreading_enabled(1)

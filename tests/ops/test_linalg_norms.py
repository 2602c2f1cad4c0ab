"""ember.linalg's norms (vector_norm, matrix_norm, norm) against torch.linalg: values, gradients and graph nodes in
float32 and float64, every ord and dim form, finite differences, torch's refusals (also of a norm without an
identity over an empty tensor, ember.norm's too), and `import torch.linalg` under `ember run`."""
import math
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

import ember
from helpers import check_gradcheck, check_parity

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
X = np.random.default_rng(43).normal(size=(3, 4, 5))
INF = math.inf

CASES = {
    "vector_default": lambda lib, a: lib.linalg.vector_norm(a),
    "vector_1_dim": lambda lib, a: lib.linalg.vector_norm(a, 1, dim=1),
    "vector_inf_tuple_keepdim": lambda lib, a: lib.linalg.vector_norm(a, INF, (0, 2), True),
    "vector_minus_inf": lambda lib, a: lib.linalg.vector_norm(a, -INF, -1),
    "vector_half": lambda lib, a: lib.linalg.vector_norm(a, 0.5, -1),
    "vector_3": lambda lib, a: lib.linalg.vector_norm(a, 3, (1, 2)),
    "vector_0": lambda lib, a: lib.linalg.vector_norm(a, 0, 0) + a.sum(),
    "matrix_fro": lambda lib, a: lib.linalg.matrix_norm(a),
    "matrix_1": lambda lib, a: lib.linalg.matrix_norm(a, 1),
    "matrix_minus_1_dims": lambda lib, a: lib.linalg.matrix_norm(a, -1, (0, 2)),
    "matrix_inf_keepdim": lambda lib, a: lib.linalg.matrix_norm(a, INF, keepdim=True),
    "matrix_minus_inf_swapped": lambda lib, a: lib.linalg.matrix_norm(a, -INF, (2, 0)),
    "norm_all": lambda lib, a: lib.linalg.norm(a),
    "norm_2d": lambda lib, a: lib.linalg.norm(a[0]),
    "norm_2d_ord_1": lambda lib, a: lib.linalg.norm(a[0], 1),
    "norm_2d_ord_inf": lambda lib, a: lib.linalg.norm(a[0], INF),
    "norm_1d_ord_inf": lambda lib, a: lib.linalg.norm(a[0, 0], INF),
    "norm_dim": lambda lib, a: lib.linalg.norm(a, dim=1),
    "norm_ord_two_dims": lambda lib, a: lib.linalg.norm(a, 1, dim=(0, 1)),
    "norm_fro_dims": lambda lib, a: lib.linalg.norm(a, "fro", dim=(1, 2)),
    "norm_ord_dim_keepdim": lambda lib, a: lib.linalg.norm(a, 3, dim=2, keepdim=True),
}


@pytest.mark.parametrize("name", CASES)
def test_norms_match_torch(name):
    check_parity(CASES[name], [X])
    check_parity(CASES[name], [X.astype(np.float32)], atol=1e-5, rtol=1e-5)
    e, t = (CASES[name](lib, lib.tensor(X, requires_grad=True)) for lib in (ember, torch))
    assert e.grad_fn.name() == t.grad_fn.name()


@pytest.mark.parametrize("name", ["vector_1_dim", "vector_3", "matrix_1", "matrix_inf_keepdim", "norm_dim"])
def test_finite_differences(name):
    check_gradcheck(CASES[name], [X[:2, :3, :3]])


def test_dtype_computes_in_it():
    check_parity(lambda lib, a: lib.linalg.vector_norm(a.float(), dtype=lib.float64), [X], atol=1e-7, rtol=1e-6)
    check_parity(lambda lib, a: lib.linalg.norm(a, 1, dim=(0, 1), dtype=lib.float64), [X])


REFUSALS = {
    "vector_ord_string": lambda lib: lib.linalg.vector_norm(lib.ones(3), "fro"),
    "vector_of_integers": lambda lib: lib.linalg.vector_norm(lib.tensor([1, 2])),
    "vector_dtype_narrowing": lambda lib: lib.linalg.vector_norm(lib.ones(3, dtype=lib.float64), dtype=lib.float32),
    "vector_inf_of_nothing": lambda lib: lib.linalg.vector_norm(lib.zeros(0), INF),
    "vector_negative_of_nothing": lambda lib: lib.linalg.vector_norm(lib.zeros(0), -0.5),
    "vector_inf_of_an_empty_dim": lambda lib: lib.linalg.vector_norm(lib.zeros(3, 0, 2), -INF, (2, 1)),
    "norm_inf_of_nothing": lambda lib: lib.norm(lib.zeros(2, 0), INF),
    "norm_inf_of_an_empty_dim": lambda lib: lib.norm(lib.zeros(2, 0), INF, 1),
    "matrix_of_a_vector": lambda lib: lib.linalg.matrix_norm(lib.ones(3)),
    "matrix_three_dims": lambda lib: lib.linalg.matrix_norm(lib.ones(2, 2, 2), dim=(0, 1, 2)),
    "matrix_int_dim": lambda lib: lib.linalg.matrix_norm(lib.ones(2, 2), dim=1),
    "matrix_order_3": lambda lib: lib.linalg.matrix_norm(lib.ones(2, 2), 3),
    "norm_three_dims": lambda lib: lib.linalg.norm(lib.ones(2, 2, 2), dim=(0, 1, 2)),
    "norm_ord_of_3d": lambda lib: lib.linalg.norm(lib.ones(2, 2, 2), 2),
    "norm_fro_of_a_vector": lambda lib: lib.linalg.norm(lib.ones(3), "fro"),
    "norm_fro_one_dim": lambda lib: lib.linalg.norm(lib.ones(2, 2), "fro", dim=1),
}


@pytest.mark.parametrize("name", REFUSALS)
def test_refusals_are_torchs(name):
    with pytest.raises(Exception) as t_error:
        REFUSALS[name](torch)
    with pytest.raises(type(t_error.value)) as e_error:
        REFUSALS[name](ember)
    if name != "matrix_int_dim":  # (torch's argument parser lists its signatures there)
        assert str(e_error.value).startswith(str(t_error.value)), (str(e_error.value), str(t_error.value))


def test_empty_norms_with_an_identity_are_zero():
    for p in (0, 1, 2, 3):
        check_parity(lambda lib, a: lib.linalg.vector_norm(a, p), [np.zeros(0)], grad=False)
    check_parity(lambda lib, a: lib.linalg.vector_norm(a, -INF, (0, 2)), [np.zeros((3, 0, 2))], grad=False)


def test_spectral_and_nuclear_norms_say_what_ember_lacks():
    for ord in ("nuc", 2, -2):
        with pytest.raises(NotImplementedError, match="singular values"):
            ember.linalg.matrix_norm(ember.ones(2, 2), ord)


def test_import_torch_linalg_under_ember_run(tmp_path):
    program = tmp_path / "norms.py"
    program.write_text("import torch\nimport torch.linalg\nfrom torch.linalg import vector_norm\n"
                       "print(vector_norm(torch.tensor([3.0, 4.0])).item(), torch.linalg.norm(torch.ones(2, 2)))\n")
    run = subprocess.run([sys.executable, "-m", "ember.cli", "run", str(program)], capture_output=True, text=True,
                         env=dict(os.environ, PYTHONPATH=ROOT), cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.stdout == "5.0 tensor(2.)\n"

"""take, index_add, fmax/fmin, clamp_min/max, rsub, logical_xor, isposinf/isneginf/isreal, gcd/lcm, ldexp, frexp, bit
shifts, the comparison aliases and the in-place forms torch has, against torch 2.13: values (float64 and float32),
gradients, broadcasting, integer and bool inputs, in-place versions and autograd, node names and errors."""
import numpy as np
import pytest
import torch

import ember
from helpers import assert_same, check_gradcheck, check_parity, sample

NAMES = ("take index_add fmax fmin clamp_min clamp_max rsub logical_xor isposinf isneginf isreal gcd lcm ldexp frexp "
         "bitwise_left_shift bitwise_right_shift greater greater_equal less less_equal not_equal").split()
INPLACE = ("index_add_ clamp_min_ clamp_max_ gcd_ lcm_ ldexp_ bitwise_left_shift_ bitwise_right_shift_ greater_ "
           "greater_equal_ less_ less_equal_ not_equal_ remainder_ floor_divide_ lerp_ nan_to_num_ negative_ absolute_ "
           "true_divide_ divide_ multiply_ subtract_ eq_ ne_ lt_ le_ gt_ ge_ logical_not_ logical_and_ logical_or_ "
           "logical_xor_ fmod_ copysign_").split()


@pytest.mark.parametrize("name", NAMES)
def test_exists_where_torch_has_it(name):
    assert hasattr(ember, name)
    assert hasattr(ember.Tensor, name) == hasattr(torch.Tensor, name)


@pytest.mark.parametrize("name", INPLACE)
def test_inplace_form_exists(name):
    assert hasattr(torch.Tensor, name) and hasattr(ember.Tensor, name)


def both(fn):
    """fn(lib) under ember and torch: the same result, or the same exception type."""
    out = {}
    for lib in (ember, torch):
        try:
            out[lib] = fn(lib), None
        except Exception as e:  # noqa: BLE001 (compared with torch's)
            out[lib] = None, e
    (e_res, e_err), (t_res, t_err) = out[ember], out[torch]
    if t_err is not None:
        assert e_err is not None, f"torch raises {t_err!r}, ember returns {e_res}"
        assert type(e_err) is type(t_err), (e_err, t_err)
        return e_err, t_err
    assert e_err is None, f"ember raises {e_err!r}, torch does not"
    assert_same(e_res, t_res)
    return e_res, t_res


# ----------------------------------------------------------------------------
# take and index_add
# ----------------------------------------------------------------------------
def test_take_values_and_gradient_scatter_back():
    index = np.array([[0, 5, -1], [5, 5, 2]])
    check_parity(lambda lib, a: lib.take(a, lib.tensor(index)), [sample((2, 3))])
    check_parity(lambda lib, a: a.take(lib.tensor(index)), [sample((2, 3))], noncontiguous=True)
    check_parity(lambda lib, a: lib.take(a, lib.tensor([0, 0])), [sample(())])
    check_gradcheck(lambda lib, a: lib.take(a, lib.tensor(index)), [sample((2, 3))])


def test_take_float32_int_and_node_name():
    x = sample((3, 4)).astype(np.float32)
    both(lambda lib: lib.take(lib.tensor(x), lib.tensor([1, 11])))
    both(lambda lib: lib.tensor([[1, 2], [3, 4]]).take(lib.tensor([3, 0])))
    both(lambda lib: lib.tensor([True, False]).take(lib.tensor([1])))
    for lib in (ember, torch):
        assert lib.take(lib.ones(2, requires_grad=True), lib.tensor([0])).grad_fn.name() == "TakeBackward0"


@pytest.mark.parametrize("index", [[6], [-7], np.array([0.0]), np.array([0], np.int32), [0]])
def test_take_errors(index):
    as_tensor = not isinstance(index, list) or index != [0]
    both(lambda lib: lib.take(lib.zeros(2, 3), lib.tensor(index) if as_tensor else index))


def test_index_add_values_and_gradients():
    idx = np.array([1, 0, 1])
    check_parity(lambda lib, a, s: lib.index_add(a, 0, lib.tensor(idx), s), [sample((2, 4)), sample((3, 4))])
    check_parity(lambda lib, a, s: a.index_add(1, lib.tensor(idx), s, alpha=-2.5), [sample((4, 2)), sample((4, 3))])
    check_parity(lambda lib, a, s: lib.index_add(a, -1, lib.tensor(idx).int(), s, alpha=3),
                 [sample((2, 3, 2)), sample((2, 3, 3))], noncontiguous=True)
    check_parity(lambda lib, a, s: lib.index_add(a, 0, lib.tensor([0]), s), [sample(()), sample(())])
    check_gradcheck(lambda lib, a, s: lib.index_add(a, 0, lib.tensor(idx), s, alpha=2), [sample((2, 4)),
                                                                                          sample((3, 4))])


def test_index_add_dtypes_and_node_name():
    both(lambda lib: lib.index_add(lib.zeros(3, dtype=lib.float32), 0, lib.tensor([2, 2]),
                                   lib.tensor([1.5, 2.0], dtype=lib.float32)))
    both(lambda lib: lib.index_add(lib.tensor([1, 2, 3]), 0, lib.tensor([0, 0]), lib.tensor([5, 7]), alpha=2))
    both(lambda lib: lib.index_add(lib.tensor([1, 2, 3]), 0, lib.tensor([1]), lib.tensor([5]), alpha=0.5))
    for lib in (ember, torch):
        out = lib.index_add(lib.ones(2, requires_grad=True), 0, lib.tensor([0]), lib.ones(1))
        assert out.grad_fn.name() == "IndexAddBackward0"


@pytest.mark.parametrize("call", [
    lambda lib: lib.index_add(lib.zeros(2, 3), 0, lib.tensor([1.0, 1.0]), lib.ones(2, 3)),
    lambda lib: lib.index_add(lib.zeros(2, 3), 0, lib.tensor([1, 1]), lib.ones(2, 3, dtype=lib.float64)),
    lambda lib: lib.index_add(lib.zeros(2, 3), 0, lib.tensor([1, 2]), lib.ones(2, 3)),
    lambda lib: lib.index_add(lib.zeros(2, 3), 1, lib.tensor([0, -1]), lib.ones(2, 2)),
    lambda lib: lib.index_add(lib.zeros(2, 3), 0, lib.tensor([-1]), lib.ones(1, 3)),
    lambda lib: lib.index_add(lib.zeros(2, 3), 0, lib.tensor([1]), lib.ones(2, 3)),
    lambda lib: lib.index_add(lib.zeros(2, 3), 2, lib.tensor([1]), lib.ones(1, 3)),
    lambda lib: lib.index_add(lib.zeros(2, 3), 0, lib.tensor([[1]]), lib.ones(1, 3)),
    lambda lib: lib.index_add(lib.zeros(2, 3), 0, lib.tensor([1]), lib.ones(1, 2)),
])
def test_index_add_errors(call):
    both(call)


def test_index_add_in_place_bumps_version_and_keeps_autograd():
    for lib in (ember, torch):
        x = lib.zeros(3, 2)
        v = x._version
        assert x.index_add_(0, lib.tensor([2, 2]), lib.ones(2, 2), alpha=2) is x
        assert x._version > v and x.tolist() == [[0, 0], [0, 0], [4, 4]]
    results, a0, s0 = {}, sample((3, 2)), sample((2, 2))
    for lib in (ember, torch):
        a = lib.tensor(a0, requires_grad=True)
        s = lib.tensor(s0, requires_grad=True)
        y = a * 2
        y.index_add_(0, lib.tensor([0, 2]), s * s, alpha=1.5)
        (y * lib.arange(6.0, dtype=lib.float64).reshape(3, 2)).sum().backward()
        results[lib] = (y, a.grad, s.grad, y.grad_fn.name())
    assert results[ember][3] == results[torch][3] == "IndexAddBackward0"
    assert_same(results[ember][:3], results[torch][:3])


# ----------------------------------------------------------------------------
# fmax, fmin, clamp_min, clamp_max, rsub
# ----------------------------------------------------------------------------
NAN = float("nan")


@pytest.mark.parametrize("name", ["fmax", "fmin"])
def test_fmax_fmin_values_gradients_nans_and_ties(name):
    a = np.array([1.0, NAN, 3.0, NAN, 2.0, -1.0])
    b = np.array([2.0, 1.0, NAN, NAN, 2.0, -3.0])
    check_parity(lambda lib, x, y: getattr(lib, name)(x, y), [a, b])
    check_parity(lambda lib, x, y: getattr(x, name)(y), [sample((2, 3)), sample((3,))])  # broadcasting
    check_parity(lambda lib, x, y: getattr(lib, name)(x, y), [sample((3, 1)), sample((1, 4))], noncontiguous=True)
    check_gradcheck(lambda lib, x, y: getattr(lib, name)(x, y), [sample((6,), "distinct"), sample((6,))])
    both(lambda lib: getattr(lib, name)(lib.tensor([1, 5]), lib.tensor([3, 2])))  # integers
    both(lambda lib: getattr(lib, name)(lib.tensor([True, False]), lib.tensor([False, False])))
    both(lambda lib: getattr(lib, name)(lib.tensor([1, 5]), lib.tensor([2.5], dtype=lib.float32)))  # promotion
    both(lambda lib: getattr(lib, name)(lib.tensor([1.0, NAN], dtype=lib.float32), lib.tensor([NAN, 0.0])))
    both(lambda lib: getattr(lib, name)(lib.ones(2), 2.0))  # other must be a tensor: TypeError
    both(lambda lib: getattr(lib, name)(lib.ones(2), lib.ones(3)))
    for lib in (ember, torch):
        node = getattr(lib, name)(lib.ones(2, requires_grad=True), lib.ones(2)).grad_fn.name()
        assert node == name.capitalize() + "Backward0"


@pytest.mark.parametrize("name", ["clamp_min", "clamp_max"])
def test_clamp_min_max(name):
    x = np.array([-1.0, 0.0, 0.5, 2.0, NAN])
    check_parity(lambda lib, a: getattr(lib, name)(a, 0.5), [x])
    check_parity(lambda lib, a: getattr(a, name)(0), [sample((3, 4))], noncontiguous=True)
    check_parity(lambda lib, a, b: getattr(lib, name)(a, b), [sample((3, 4)), sample((4,))])  # tensor bound
    check_parity(lambda lib, a, b: getattr(a, name)(b), [np.array([1.0, 2.0, 3.0]), np.array([2.0, 2.0, 2.0])])
    both(lambda lib: getattr(lib, name)(lib.tensor([1, 5, -3]), 2))
    both(lambda lib: getattr(lib, name)(lib.tensor([1, 5, -3]), 0.5))  # an integer tensor goes floating
    both(lambda lib: getattr(lib, name)(lib.tensor([1.0, 5.0], dtype=lib.float32), lib.tensor([2.0])))
    for lib in (ember, torch):
        leaf = lib.ones(2, requires_grad=True)
        assert getattr(lib, name)(leaf, 0).grad_fn.name() == f"{name.title().replace('_', '')}Backward0"
        assert getattr(lib, name)(leaf, lib.zeros(2)).grad_fn.name() == f"{name.title().replace('_', '')}Backward1"


def test_rsub():
    check_parity(lambda lib, a: lib.rsub(a, 2), [sample((2, 3))])
    check_parity(lambda lib, a, b: lib.rsub(a, b, alpha=2.5), [sample((2, 3)), sample((3,))])
    check_parity(lambda lib, a, b: lib.rsub(a, b), [sample((3, 1)), sample((1, 2))], noncontiguous=True)
    both(lambda lib: lib.rsub(lib.tensor([1, 2]), 10, alpha=3))
    both(lambda lib: lib.rsub(lib.tensor([1, 2]), lib.tensor([0.5], dtype=lib.float32)))
    both(lambda lib: lib.rsub(lib.tensor([1, 2]), 3, alpha=0.5))
    both(lambda lib: lib.rsub(lib.tensor([True]), lib.tensor([False])))
    both(lambda lib: lib.rsub(2, lib.ones(2)))
    both(lambda lib: lib.rsub(lib.ones(2), 1, out=lib.empty(0)))
    for lib in (ember, torch):
        leaf = lib.ones(2, requires_grad=True)
        assert lib.rsub(leaf, 1).grad_fn.name() == "RsubBackward1"
        assert lib.rsub(leaf, leaf).grad_fn.name() == "RsubBackward0"


# ----------------------------------------------------------------------------
# tests and integer maths
# ----------------------------------------------------------------------------
SPECIAL = [1.0, -float("inf"), float("inf"), NAN, 0.0, -2.5]


def test_logical_xor():
    both(lambda lib: lib.logical_xor(lib.tensor([0.0, 1.0, -2.0, NAN]), lib.tensor([0.0, 0.0, 3.0, 0.0])))
    both(lambda lib: lib.logical_xor(lib.tensor([[1], [0]]), lib.tensor([True, False])))  # broadcast, int and bool
    both(lambda lib: lib.tensor([1, 0]).logical_xor(lib.tensor([0.5], dtype=lib.float32)))
    both(lambda lib: lib.logical_xor(lib.ones(2), 1))
    both(lambda lib: lib.logical_xor(lib.ones(2), lib.ones(3)))


@pytest.mark.parametrize("name", ["isposinf", "isneginf", "isreal"])
def test_isposinf_isneginf_isreal(name):
    both(lambda lib: getattr(lib, name)(lib.tensor(SPECIAL)))
    both(lambda lib: getattr(lib.tensor(SPECIAL, dtype=lib.float32), name)())
    both(lambda lib: getattr(lib, name)(lib.tensor([[1, -2]])))
    both(lambda lib: getattr(lib, name)(lib.tensor([True])))
    both(lambda lib: getattr(lib, name)([1.0]))
    for lib in (ember, torch):
        assert not getattr(lib, name)(lib.ones(2, requires_grad=True)).requires_grad


@pytest.mark.parametrize("name", ["gcd", "lcm"])
def test_gcd_lcm(name):
    a, b = [12, -18, 0, 7, 0], [8, 12, 5, -3, 0]
    both(lambda lib: getattr(lib, name)(lib.tensor(a), lib.tensor(b)))
    both(lambda lib: getattr(lib.tensor(a, dtype=lib.int32), name)(lib.tensor(b, dtype=lib.int32)))
    both(lambda lib: getattr(lib, name)(lib.tensor([[4], [6]]), lib.tensor([6, 9, 10], dtype=lib.int16)))
    both(lambda lib: getattr(lib, name)(lib.tensor([4], dtype=lib.uint8), lib.tensor([6], dtype=lib.int8)))
    both(lambda lib: getattr(lib, name)(lib.ones(2), lib.ones(2)))  # NotImplementedError for floats
    both(lambda lib: getattr(lib, name)(lib.tensor([True]), lib.tensor([True])))
    both(lambda lib: getattr(lib, name)(lib.tensor([4]), 2))  # TypeError: other must be a tensor
    both(lambda lib: getattr(lib, name)(lib.tensor([4, 2]), lib.tensor([1, 2, 3])))


def test_ldexp_values_gradients_dtypes():
    check_parity(lambda lib, a, e: lib.ldexp(a, e), [sample((2, 3)), sample((3,))])
    check_parity(lambda lib, a, e: a.ldexp(e), [sample((2, 3)), np.array([[1, -2, 3], [0, 4, -1]])])
    check_gradcheck(lambda lib, a, e: lib.ldexp(a, e), [sample((2, 3)), sample((2, 3))])
    both(lambda lib: lib.ldexp(lib.tensor([1.5, -2.0], dtype=lib.float32), lib.tensor([3, -1])))
    both(lambda lib: lib.ldexp(lib.tensor([1, 2]), lib.tensor([3, 1])))  # integers: float32
    both(lambda lib: lib.ldexp(lib.tensor([1.0], dtype=lib.float32), lib.tensor([1.0])))  # float64 exponent
    both(lambda lib: lib.ldexp(lib.ones(2), 2))
    for lib in (ember, torch):
        assert lib.ldexp(lib.ones(2, requires_grad=True), lib.ones(2)).grad_fn.name() == "LdexpBackward0"


def test_frexp():
    values = [0.0, 1.0, -3.5, 1e-310, 1e300, float("inf"), NAN, 0.75]
    for dt in ("float64", "float32"):
        e, t = both(lambda lib: lib.frexp(lib.tensor(values, dtype=getattr(lib, dt))))
        assert type(e).__name__ == "frexp" and e.mantissa is e[0] and e.exponent.dtype == ember.int32
    check_parity(lambda lib, a: lib.frexp(a).mantissa * 3, [sample((2, 3)) * 50])
    check_parity(lambda lib, a: a.frexp()[0], [sample((3, 4)) * 50], noncontiguous=True)
    both(lambda lib: lib.frexp(lib.tensor([1, 2])))
    for lib in (ember, torch):
        assert lib.frexp(lib.ones(2, requires_grad=True)).mantissa.grad_fn.name() == "FrexpBackward0"


@pytest.mark.parametrize("name", ["bitwise_left_shift", "bitwise_right_shift"])
def test_bit_shifts(name):
    a, s = [1, -8, 5, 1024], [0, 2, 3, 1]
    both(lambda lib: getattr(lib, name)(lib.tensor(a), lib.tensor(s)))
    both(lambda lib: getattr(lib, name)(lib.tensor(a), 2))
    both(lambda lib: getattr(lib, name)(3, lib.tensor(s)))
    both(lambda lib: getattr(lib.tensor(a, dtype=lib.int32), name)(lib.tensor([[1], [2]], dtype=lib.int32)))
    both(lambda lib: getattr(lib, name)(lib.tensor([7], dtype=lib.uint8), lib.tensor([1])))
    both(lambda lib: getattr(lib, name)(lib.ones(2), 1))  # NotImplementedError for floats
    both(lambda lib: getattr(lib, name)(lib.tensor([True]), lib.tensor([True])))


@pytest.mark.parametrize("alias, name", [("greater", "gt"), ("greater_equal", "ge"), ("less", "lt"),
                                         ("less_equal", "le"), ("not_equal", "ne")])
def test_comparison_aliases(alias, name):
    a, b = [1.0, 2.0, NAN, 3.0], [2.0, 2.0, 1.0, 1.0]
    both(lambda lib: getattr(lib, alias)(lib.tensor(a), lib.tensor(b)))
    both(lambda lib: getattr(lib.tensor(a), alias)(2))
    both(lambda lib: getattr(lib, alias)(lib.tensor([[1], [3]]), lib.tensor(b, dtype=lib.float32)))
    both(lambda lib: getattr(lib, alias)(lib.ones(2), lib.ones(3)))
    x = ember.tensor(a)
    assert getattr(x, alias)(2).tolist() == getattr(x, name)(2).tolist()


# ----------------------------------------------------------------------------
# in-place forms
# ----------------------------------------------------------------------------
INPLACE_CASES = {  # name -> (self's values, args(lib))
    "remainder_": ([-3.5, 2.0, 7.25], lambda lib, dt: (1.5,)),
    "floor_divide_": ([-3.5, 2.0, 7.25], lambda lib, dt: (lib.tensor([2.0, -1.5, 2.0]),)),
    "lerp_": ([-3.5, 2.0, 7.25], lambda lib, dt: (lib.tensor([1.0, -1.0, 4.0], dtype=dt), 0.25)),
    "nan_to_num_": ([NAN, float("inf"), -float("inf"), 1.0], lambda lib, dt: (0.5, 9.0)),
    "negative_": ([-3.5, 2.0, 0.0], lambda lib, dt: ()),
    "absolute_": ([-3.5, 2.0, 0.0], lambda lib, dt: ()),
    "true_divide_": ([-3.5, 2.0, 7.25], lambda lib, dt: (4,)),
    "divide_": ([-3.5, 2.0, 7.25], lambda lib, dt: (lib.tensor([2.0]),)),
    "multiply_": ([-3.5, 2.0, 7.25], lambda lib, dt: (lib.tensor([2.0, 3.0, -1.0]),)),
    "subtract_": ([-3.5, 2.0, 7.25], lambda lib, dt: (lib.tensor([2.0]),)),
    "clamp_min_": ([-3.5, 2.0, 7.25], lambda lib, dt: (0.0,)),
    "clamp_max_": ([-3.5, 2.0, 7.25], lambda lib, dt: (lib.tensor([0.0, 3.0, 1.0]),)),
    "ldexp_": ([-3.5, 2.0, 7.25], lambda lib, dt: (lib.tensor([1, -1, 2]),)),
    "fmod_": ([-3.5, 2.0, 7.25], lambda lib, dt: (2.0,)),
    "copysign_": ([-3.5, 2.0, 7.25], lambda lib, dt: (lib.tensor([1.0, -1.0, -0.0]),)),
    "eq_": ([1.0, 2.0, 3.0], lambda lib, dt: (2,)),
    "ne_": ([1.0, 2.0, 3.0], lambda lib, dt: (lib.tensor([1.0, 0.0, 3.0]),)),
    "lt_": ([1.0, 2.0, 3.0], lambda lib, dt: (2.5,)),
    "le_": ([1.0, 2.0, NAN], lambda lib, dt: (2,)),
    "gt_": ([1.0, 2.0, 3.0], lambda lib, dt: (lib.tensor([0.0]),)),
    "ge_": ([1.0, 2.0, 3.0], lambda lib, dt: (2,)),
    "greater_": ([1.0, 2.0, 3.0], lambda lib, dt: (2,)),
    "greater_equal_": ([1.0, 2.0, 3.0], lambda lib, dt: (2,)),
    "less_": ([1.0, 2.0, 3.0], lambda lib, dt: (2,)),
    "less_equal_": ([1.0, 2.0, 3.0], lambda lib, dt: (2,)),
    "not_equal_": ([1.0, 2.0, 3.0], lambda lib, dt: (2,)),
    "logical_not_": ([1.0, 0.0, 3.0], lambda lib, dt: ()),
    "logical_and_": ([1.0, 0.0, 3.0], lambda lib, dt: (lib.tensor([0.0, 1.0, 2.0]),)),
    "logical_or_": ([1.0, 0.0, 0.0], lambda lib, dt: (lib.tensor([0.0, 0.0, 2.0]),)),
    "logical_xor_": ([1.0, 0.0, 3.0], lambda lib, dt: (lib.tensor([1.0, 1.0, 0.0]),)),
}
DIFFERENTIABLE = ("remainder_", "lerp_", "nan_to_num_", "negative_", "absolute_", "true_divide_", "divide_",
                  "multiply_", "subtract_", "clamp_min_", "clamp_max_", "ldexp_", "fmod_", "copysign_", "eq_", "ne_",
                  "lt_", "le_", "gt_", "ge_", "greater_", "less_equal_")


@pytest.mark.parametrize("name", list(INPLACE_CASES))
@pytest.mark.parametrize("dt", ["float64", "float32"])
def test_inplace_values_dtype_and_version(name, dt):
    values, args = INPLACE_CASES[name]
    results = {}
    for lib in (ember, torch):
        x = lib.tensor(values, dtype=getattr(lib, dt))
        v = x._version
        assert getattr(x, name)(*args(lib, getattr(lib, dt))) is x
        assert x._version > v
        results[lib] = x
    assert_same(results[ember], results[torch], atol=1e-6)


@pytest.mark.parametrize("name", DIFFERENTIABLE)
def test_inplace_autograd_as_torch(name):
    values, args = INPLACE_CASES[name]
    results = {}
    for lib in (ember, torch):
        a = lib.tensor(values, dtype=lib.float64, requires_grad=True)
        y = a * 1.5
        getattr(y, name)(*args(lib, lib.float64))
        (y * lib.tensor([1.0, -2.0, 3.0, 0.5][:len(values)], dtype=lib.float64)).sum().backward()
        results[lib] = (y, a.grad, y.grad_fn.name())
    assert results[ember][2] == results[torch][2]
    assert_same(results[ember][:2], results[torch][:2])


def test_inplace_on_a_leaf_that_requires_grad_is_refused():
    for lib in (ember, torch):
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
            lib.ones(2, requires_grad=True).clamp_min_(0)
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
            lib.ones(2, requires_grad=True).eq_(0)


def test_inplace_saved_value_overwritten_is_detected():
    for lib in (ember, torch):
        a = lib.ones(3, requires_grad=True)
        y = a * 2
        z = y.exp()  # saves its result... and y.sin() saves y
        w = y.sin()
        y.clamp_max_(1.5)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            w.sum().backward()
        assert z is not None


def test_inplace_integer_and_bool_selves():
    both(lambda lib: lib.tensor([1, 2, 3]).eq_(2))  # keeps int64
    both(lambda lib: lib.tensor([True, False]).logical_xor_(lib.tensor([True, True])))
    both(lambda lib: lib.tensor([12, 18]).gcd_(lib.tensor([8, 12])))
    both(lambda lib: lib.tensor([4, 6]).lcm_(lib.tensor([6, 4])))
    both(lambda lib: lib.tensor([1, -4]).bitwise_left_shift_(2))
    both(lambda lib: lib.tensor([16, -4]).bitwise_right_shift_(lib.tensor([1, 1])))
    both(lambda lib: lib.tensor([7, -7]).remainder_(3))
    both(lambda lib: lib.tensor([7, -7]).floor_divide_(2))
    both(lambda lib: lib.tensor([7, -7]).divide_(2, rounding_mode="trunc"))
    both(lambda lib: lib.tensor([7, -7]).subtract_(2, alpha=3))
    both(lambda lib: lib.tensor([5, 6]).remainder_(0))  # integer division by zero
    both(lambda lib: lib.tensor([1, 2]).ldexp_(lib.tensor([1, 2])))  # a float result into an int tensor
    both(lambda lib: lib.tensor([1, 2]).clamp_min_(0.5))
    both(lambda lib: lib.tensor([1, 2]).true_divide_(2))
    both(lambda lib: lib.ones(2).eq_(lib.ones(3)))  # broadcasting must keep self's shape
    both(lambda lib: lib.ones(2).lt_(lib.ones(2, 2)))

"""F.embedding_bag and nn.EmbeddingBag against torch: modes sum / mean / max on 1-d input with offsets (empty bags,
include_last_offset) and 2-d input, per_sample_weights, padding_idx, max_norm (in place), scale_grad_by_freq
(torch's CPU divisors), float32 and float64: values and the gradients of the weight and of per_sample_weights;
finite differences; torch's init, repr, state_dict and refusals; the text-classification tutorial's use."""
import numpy as np
import pytest
import torch

import ember
from helpers import check_gradcheck

RNG = np.random.default_rng(31)
INPUT = np.array([1, 2, 4, 5, 4, 3, 2, 9, 0, 0, 7, 4, 4, 4, 6])
BAGS = {  # offsets into INPUT (with include_last_offset the last one ends the last bag)
    "two": ([0, 4], False),
    "empty_bags": ([0, 0, 3, 3, 9, 15], False),  # an empty first bag, one in the middle, one at the end
    "ragged": ([0, 1, 6, 7], False),
    "last_offset": ([0, 4, 9, 15], True),
    "last_offset_empty": ([0, 0, 15, 15], True),
    "one_bag": ([0], False),
}
OPTIONS = [dict(), dict(padding_idx=4), dict(padding_idx=-1), dict(scale_grad_by_freq=True),
           dict(scale_grad_by_freq=True, padding_idx=0), dict(max_norm=1.0), dict(max_norm=0.7, norm_type=1.0),
           dict(sparse=True)]


def _run(lib, weight, input, offsets, upstream, psw=None, module=False, **options):
    """(output, weight after the call, the weight's gradient, per_sample_weights' gradient) as arrays."""
    w = lib.tensor(weight, requires_grad=True)
    x = lib.tensor(input)
    off = None if offsets is None else lib.tensor(offsets)
    p = None if psw is None else lib.tensor(psw, requires_grad=True)
    if module:
        bag = lib.nn.EmbeddingBag(*weight.shape, _weight=w, **options)
        out, w = bag(x, off, p), bag.weight
    else:
        out = lib.nn.functional.embedding_bag(x, w, off, per_sample_weights=p, **options)
    out.backward(lib.tensor(upstream))
    grad = w.grad.to_dense() if lib is torch and w.grad.is_sparse else w.grad  # (ember's is dense)
    return [out.detach().numpy(), w.detach().numpy(), grad.numpy()] + ([] if p is None else [p.grad.numpy()])


def _compare(dtype, weight, input, offsets, psw=None, module=False, **options):
    bags = len(offsets) - options.get("include_last_offset", False) if offsets is not None else len(input)
    upstream = RNG.normal(size=(bags, weight.shape[1])).astype(dtype)
    mine, theirs = (_run(lib, weight.astype(dtype), input, offsets, upstream,
                         None if psw is None else psw.astype(dtype), module, **options) for lib in (ember, torch))
    tol = dict(rtol=2e-6, atol=2e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-13)
    for what, e, t in zip(["output", "weight", "weight gradient", "per_sample_weights gradient"], mine, theirs):
        assert e.shape == t.shape and e.dtype == t.dtype, what
        np.testing.assert_allclose(e, t, err_msg=what, **tol)


@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()) or "plain")
@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("bags", BAGS)
def test_bags_match_torch(bags, mode, options):
    if mode == "max" and ("scale_grad_by_freq" in options or "sparse" in options):
        pytest.skip("refused by torch (tested below)")
    offsets, last = BAGS[bags]
    weight = RNG.normal(size=(10, 3))
    for dtype in (np.float64, np.float32):
        _compare(dtype, weight, INPUT, offsets, mode=mode, include_last_offset=last, **options)


@pytest.mark.parametrize("options", OPTIONS[:5], ids=str)
@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_2d_input_is_one_bag_per_row(mode, options):
    if mode == "max" and "scale_grad_by_freq" in options:
        return
    _compare(np.float64, RNG.normal(size=(10, 4)), INPUT.reshape(3, 5), None, mode=mode, **options)
    _compare(np.float32, RNG.normal(size=(10, 4)), INPUT.reshape(5, 3), None, mode=mode, **options)


@pytest.mark.parametrize("bags", ["two", "empty_bags", "last_offset"])
@pytest.mark.parametrize("options", [dict(), dict(padding_idx=4), dict(scale_grad_by_freq=True)], ids=str)
def test_per_sample_weights_in_sum_mode(bags, options):
    offsets, last = BAGS[bags]
    psw = RNG.normal(size=INPUT.shape)
    for dtype in (np.float64, np.float32):
        _compare(dtype, RNG.normal(size=(10, 3)), INPUT, offsets, psw, mode="sum", include_last_offset=last,
                 **options)
    _compare(np.float64, RNG.normal(size=(10, 3)), INPUT.reshape(3, 5), None, psw.reshape(3, 5), mode="sum")


def test_max_picks_the_first_of_ties_as_torch():
    weight = np.array([[1.0, 2.0], [1.0, 3.0], [0.0, 3.0], [-1.0, 0.0]])
    _compare(np.float64, weight, np.array([0, 1, 2, 3, 3, 3]), [0, 3], mode="max")


def test_module_matches_torch():
    offsets, _ = BAGS["empty_bags"]
    weight = RNG.normal(size=(10, 3))
    for options in (dict(), dict(mode="sum", padding_idx=2), dict(mode="max", max_norm=1.0)):
        _compare(np.float64, weight, INPUT, offsets, module=True, **options)


def test_empty_input_and_no_bags():
    weight = RNG.normal(size=(10, 3))
    for mode in ("sum", "mean", "max"):
        _compare(np.float64, weight, np.zeros(0, dtype=np.int64), [0, 0, 0], mode=mode)
        _compare(np.float64, weight, np.zeros((0, 4), dtype=np.int64), None, mode=mode)
        # entries but no bag (no offsets, or include_last_offset and one): torch 2.13 crashes (a segmentation
        # fault) on a weight that requires grad; ember gives no rows, and a zero gradient
        for offsets, last in (([], False), ([0], True)):
            w = ember.tensor(weight, requires_grad=True)
            out = ember.nn.functional.embedding_bag(ember.tensor(INPUT), w, ember.tensor(offsets, dtype=ember.long),
                                                    mode=mode, include_last_offset=last)
            assert tuple(out.shape) == (0, 3) and out.requires_grad
            out.sum().backward()
            assert not w.grad.numpy().any()


def test_int32_indices_and_offsets():
    weight = RNG.normal(size=(10, 3))
    _compare(np.float64, weight, INPUT.astype(np.int32), np.array([0, 4], dtype=np.int32))
    _compare(np.float64, weight, INPUT.astype(np.int32), np.array([0, 4]))


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_finite_differences(mode):
    offsets = ember.tensor([0, 0, 3, 7])
    x = ember.tensor([1, 2, 4, 5, 4, 3, 2, 9, 0])
    check_gradcheck(lambda lib, w: lib.nn.functional.embedding_bag(x, w, offsets, mode=mode),
                    [RNG.normal(size=(10, 3))])
    if mode == "sum":
        check_gradcheck(lambda lib, w, p: lib.nn.functional.embedding_bag(x, w, offsets, mode=mode,
                                                                           per_sample_weights=p),
                        [RNG.normal(size=(10, 3)), RNG.normal(size=9)])


def test_second_derivatives_flow():
    """torch has no double backward for embedding_bag; its value as a composition in torch is the reference."""
    def grads(lib):
        w = lib.tensor(RNG_FIXED_WEIGHT, requires_grad=True)
        p = lib.tensor(RNG_FIXED_PSW, requires_grad=True)
        x, offsets = lib.tensor(INPUT), lib.tensor([0, 4, 9])
        if lib is ember:
            out = lib.nn.functional.embedding_bag(x, w, offsets, mode="sum", per_sample_weights=p)
        else:
            bag_of = torch.bucketize(torch.arange(len(INPUT)), offsets, right=True) - 1
            out = torch.zeros(3, 3, dtype=w.dtype).index_add(0, bag_of, w[x] * p[:, None])
        gw, = lib.autograd.grad((out * out).sum(), w, create_graph=True)
        return [g.detach().numpy() for g in lib.autograd.grad((gw * gw).sum(), (w, p))]
    for e, t in zip(grads(ember), grads(torch)):
        np.testing.assert_allclose(e, t, rtol=1e-12, atol=1e-12)


RNG_FIXED_WEIGHT = np.random.default_rng(3).normal(size=(10, 3))
RNG_FIXED_PSW = np.random.default_rng(4).normal(size=INPUT.shape)


def test_init_repr_and_state_dict_are_torchs():
    for args, kwargs in [((10, 3), {}), ((5, 2), dict(padding_idx=1)), ((10, 3), dict(mode="sum", padding_idx=-2,
                         max_norm=1.0, norm_type=1.0, scale_grad_by_freq=True, sparse=True, include_last_offset=True)),
                         ((6, 4), dict(mode="max"))]:
        modules = []
        for lib in (ember, torch):
            lib.manual_seed(0)
            modules.append(lib.nn.EmbeddingBag(*args, **kwargs))
        e, t = modules
        assert repr(e) == repr(t)
        assert list(e.state_dict()) == list(t.state_dict()) == ["weight"]
        np.testing.assert_array_equal(e.weight.detach().numpy(), t.weight.detach().numpy())
        assert (e.padding_idx, e.mode, e.include_last_offset) == (t.padding_idx, t.mode, t.include_last_offset)
    frozen = ember.nn.EmbeddingBag.from_pretrained(ember.ones(3, 2), mode="sum")
    assert not frozen.weight.requires_grad and repr(frozen) == "EmbeddingBag(3, 2, mode='sum')"


def test_the_text_classification_tutorial():
    """PyTorch's tutorial: EmbeddingBag(vocab, dim, sparse=False) on (text, offsets), then a linear layer."""
    def model(lib):
        lib.manual_seed(0)
        embedding = lib.nn.EmbeddingBag(20, 8, sparse=False)
        fc = lib.nn.Linear(8, 4)
        embedding.weight.data.uniform_(-0.5, 0.5)
        fc.weight.data.uniform_(-0.5, 0.5)
        fc.bias.data.zero_()
        return embedding, fc
    text, offsets, label = INPUT, [0, 3, 8, 11], np.array([0, 3, 1, 2])
    results = []
    for lib in (ember, torch):
        embedding, fc = model(lib)
        loss = lib.nn.functional.cross_entropy(fc(embedding(lib.tensor(text), lib.tensor(offsets))),
                                               lib.tensor(label))
        loss.backward()
        results.append([loss.detach().numpy(), embedding.weight.grad.numpy(), fc.weight.grad.numpy()])
    for e, t in zip(*results):
        np.testing.assert_allclose(e, t, rtol=1e-6, atol=1e-7)


def _w(lib):
    return lib.tensor(RNG_FIXED_WEIGHT)


def _x(lib):
    return lib.tensor(INPUT[:8])


REFUSALS = {
    "offset_0_not_0": lambda lib: lib.nn.functional.embedding_bag(_x(lib), _w(lib), lib.tensor([1, 4])),
    "offset_beyond": lambda lib: lib.nn.functional.embedding_bag(_x(lib), _w(lib), lib.tensor([0, 9])),
    "last_offset_beyond": lambda lib: lib.nn.functional.embedding_bag(_x(lib), _w(lib), lib.tensor([0, 4, 9]),
                                                                      include_last_offset=True),
    "offset_negative": lambda lib: lib.nn.functional.embedding_bag(_x(lib), _w(lib), lib.tensor([0, -1])),
    "offsets_decrease": lambda lib: lib.nn.functional.embedding_bag(_x(lib), _w(lib).float(), lib.tensor([0, 5, 3])),
    "offsets_decrease_last": lambda lib: lib.nn.functional.embedding_bag(_x(lib), _w(lib).float(),
                                                                         lib.tensor([0, 5, 3]),
                                                                         include_last_offset=True),
    "index_too_big_fbgemm": lambda lib: lib.nn.functional.embedding_bag(lib.tensor([1, 10, 11]), _w(lib).float(),
                                                                        lib.tensor([0])),
    "index_too_big_max": lambda lib: lib.nn.functional.embedding_bag(lib.tensor([1, 10, 11]), _w(lib).float(),
                                                                     lib.tensor([0]), mode="max"),
    "no_offsets_last": lambda lib: lib.nn.functional.embedding_bag(_x(lib), _w(lib), lib.tensor([], dtype=lib.long),
                                                                   include_last_offset=True),
    "index_too_big": lambda lib: lib.nn.functional.embedding_bag(lib.tensor([1, 10]), _w(lib), lib.tensor([0])),
    "index_negative": lambda lib: lib.nn.functional.embedding_bag(lib.tensor([1, -1]), _w(lib), lib.tensor([0])),
    "float_input": lambda lib: lib.nn.functional.embedding_bag(lib.tensor([1.0, 2.0]), _w(lib), lib.tensor([0])),
    "float_offsets": lambda lib: lib.nn.functional.embedding_bag(_x(lib), _w(lib), lib.tensor([0.0, 4.0])),
    "long_weight": lambda lib: lib.nn.functional.embedding_bag(_x(lib), _w(lib).long(), lib.tensor([0])),
    "1d_weight": lambda lib: lib.nn.functional.embedding_bag(_x(lib), _w(lib)[0], lib.tensor([0])),
    "bad_mode": lambda lib: lib.nn.functional.embedding_bag(_x(lib), _w(lib), lib.tensor([0]), mode="min"),
    "module_bad_mode": lambda lib: lib.nn.EmbeddingBag(10, 3, mode="min")(_x(lib), lib.tensor([0])),
    "weights_in_mean": lambda lib: lib.nn.functional.embedding_bag(_x(lib), _w(lib), lib.tensor([0]),
                                                                   per_sample_weights=lib.ones(8, dtype=lib.float64)),
    "weights_shape": lambda lib: lib.nn.functional.embedding_bag(_x(lib), _w(lib), lib.tensor([0]), mode="sum",
                                                                 per_sample_weights=lib.ones(7, dtype=lib.float64)),
    "weights_dtype": lambda lib: lib.nn.functional.embedding_bag(_x(lib), _w(lib), lib.tensor([0]), mode="sum",
                                                                 per_sample_weights=lib.ones(8)),
    "2d_with_offsets": lambda lib: lib.nn.functional.embedding_bag(_x(lib).reshape(2, 4), _w(lib), lib.tensor([0])),
    "2d_empty_rows": lambda lib: lib.nn.functional.embedding_bag(lib.zeros(3, 0, dtype=lib.long), _w(lib)),
    "1d_without_offsets": lambda lib: lib.nn.functional.embedding_bag(_x(lib), _w(lib)),
    "2d_offsets": lambda lib: lib.nn.functional.embedding_bag(_x(lib), _w(lib), lib.tensor([[0, 4]])),
    "3d_input": lambda lib: lib.nn.functional.embedding_bag(_x(lib).reshape(2, 2, 2), _w(lib)),
    "0d_input": lambda lib: lib.nn.functional.embedding_bag(lib.tensor(3), _w(lib)),
    "max_with_freq": lambda lib: lib.nn.functional.embedding_bag(_x(lib), _w(lib), lib.tensor([0]), mode="max",
                                                                 scale_grad_by_freq=True),
    "max_sparse": lambda lib: lib.nn.functional.embedding_bag(_x(lib), _w(lib), lib.tensor([0]), mode="max",
                                                              sparse=True),
    "padding_idx_out_of_range": lambda lib: lib.nn.functional.embedding_bag(_x(lib), _w(lib), lib.tensor([0]),
                                                                            padding_idx=10),
    "padding_idx_too_negative": lambda lib: lib.nn.functional.embedding_bag(_x(lib), _w(lib), lib.tensor([0]),
                                                                            padding_idx=-11),
    "module_padding_idx": lambda lib: lib.nn.EmbeddingBag(10, 3, padding_idx=10),
    "module_padding_idx_negative": lambda lib: lib.nn.EmbeddingBag(10, 3, padding_idx=-11),
    "module_weight_shape": lambda lib: lib.nn.EmbeddingBag(10, 3, _weight=lib.ones(3, 10)),
    "pretrained_1d": lambda lib: lib.nn.EmbeddingBag.from_pretrained(lib.ones(3)),
}


@pytest.mark.parametrize("name", REFUSALS)
def test_refusals_are_torchs(name):
    with pytest.raises(Exception) as t_error:
        REFUSALS[name](torch)
    with pytest.raises(type(t_error.value)) as e_error:
        REFUSALS[name](ember)
    theirs = str(t_error.value).split("\n")[0].replace("torch.", "")  # (torch appends the offending tensor)
    assert str(e_error.value).replace("ember.", "").replace("torch.", "").startswith(theirs), \
        (str(e_error.value), theirs)


def test_the_old_argument_order_warns_and_works():
    with pytest.warns(UserWarning, match="Argument order"):
        out = ember.nn.functional.embedding_bag(ember.tensor(RNG_FIXED_WEIGHT), ember.tensor(INPUT[:8]),
                                                ember.tensor([0, 4]))
    expected = torch.nn.functional.embedding_bag(torch.tensor(INPUT[:8]), torch.tensor(RNG_FIXED_WEIGHT),
                                                 torch.tensor([0, 4]))
    np.testing.assert_array_equal(out.numpy(), expected.numpy())

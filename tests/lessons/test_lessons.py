"""Each lesson's numbers, computed by ember, are the ones the notes' maths says they must be."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import ember
from ember import lessons


@pytest.fixture(scope="module")
def out_dir(tmp_path_factory):
    return str(tmp_path_factory.mktemp("lessons"))


def results(lesson_id, out_dir):
    return lessons.run(lesson_id, out_dir)[1]


def test_linear_model_minimum_is_w_2_with_cost_0(out_dir):
    r = results("linear-model", out_dir)
    assert r["best_w"] == pytest.approx(2.0) and r["best_cost"] == pytest.approx(0.0, abs=1e-12)
    assert len(r["costs"]) == 41 and r["costs"][0] == pytest.approx(56 / 3)  # w = 0: mean(y^2)


def test_gradient_descent_matches_the_closed_form(out_dir):
    r = results("gradient-descent", out_dir)
    assert r["final_w"] == pytest.approx(r["closed_form_w"], abs=1e-12)
    assert all(a >= b for a, b in zip(r["costs"], r["costs"][1:]))  # cost never goes up


def test_gradient_descent_shows_autograds_gradient_beside_the_formula(out_dir):
    page, r = lessons.run("gradient-descent", out_dir)
    np.testing.assert_allclose(r["grads"], r["formula"], rtol=1e-12, atol=1e-12)
    headers = [payload[0] for kind, payload in page.blocks if kind == "table"][0]
    assert "d(cost)/dw by autograd" in headers and any("formula" in h for h in headers)


def test_sgd_and_batch_descent_are_compared_after_the_same_epochs(out_dir):
    r = results("stochastic-gradient-descent", out_dir)
    start = np.mean((np.array([1.0, 2.0, 3.0]) * 1.0 - np.array([2.0, 4.0, 6.0])) ** 2)  # w = 1: 4.667
    assert r["gd_costs"][0] < start and r["sgd_costs"][0] < start  # both after one epoch of updates
    w_after_one_epoch = 1.0 - 0.01 * np.mean(2 * np.array([1.0, 2.0, 3.0]) * (np.array([1.0, 2.0, 3.0]) - [2, 4, 6]))
    assert r["gd_costs"][0] == pytest.approx(np.mean((np.array([1.0, 2.0, 3.0]) * w_after_one_epoch - [2, 4, 6]) ** 2))


def test_the_large_learning_rate_diverges_and_the_others_converge(out_dir):
    r = results("learning-rate", out_dir)
    assert r[0.25][-1] > 100 * r[0.25][0]
    for lr in (0.01, 0.05, 0.1, 0.2):
        assert r[lr][-1] < r[lr][0]


def test_sgd_beats_batch_descent_per_epoch(out_dir):
    r = results("stochastic-gradient-descent", out_dir)
    assert r["sgd_w"] == pytest.approx(2.0, abs=1e-6) and r["sgd_costs"][9] < r["gd_costs"][9]


def test_mini_batches(out_dir):
    r = results("mini-batch", out_dir)  # (the seconds it reports are shown, not asserted: no timing in tests)
    assert r[1]["costs"][-1] < 0.02 and r[16]["costs"][-1] < 0.02  # many updates per epoch: at the noise floor
    assert r[16]["costs"][-1] < r[128]["costs"][-1] < r[lessons.mini_batch.POINTS]["costs"][-1]  # fewer updates, less progress


def test_saddle_point_gradient_descent_stalls_and_noise_escapes(out_dir):
    r = results("saddle-point", out_dir)
    assert r["gd_end"][0] == 0.0 and abs(r["gd_end"][1]) < 1e-6  # stuck exactly on the ridge, at the saddle
    assert abs(abs(r["sgd_end"][0]) - 1.0) < 0.3  # near a minimum at x = +-1


def test_autograd_lesson_prints_torchs_gradients(out_dir):
    r = results("autograd", out_dir)
    w = torch.tensor([1.0], requires_grad=True)
    expected = []
    for _ in range(100):
        for x, y in zip([1.0, 2.0, 3.0], [2.0, 4.0, 6.0]):
            ((x * w - y) ** 2).backward()
            expected.append(w.grad.item())
            w.data = w.data - 0.01 * w.grad.data
            w.grad.data.zero_()
    assert r["grads"] == expected and r["final_w"] == w.item()
    assert r["accumulated_w"] > 2.5 and "leaf Variable" in r["inplace_error"]


def test_computational_graph_paths_sum_to_autograd(out_dir):
    r = results("computational-graph", out_dir)
    assert r["linear"] == {"x": -4.0, "w": -8.0, "y": 4.0}
    for leaf, grad in r["network_grads"].items():
        assert r["network"][leaf] == pytest.approx(grad, rel=1e-12)
        assert r["explained"][leaf] == pytest.approx(grad, rel=1e-12)


def test_tensors_and_neural_network_lessons(out_dir):
    r = results("tensors", out_dir)
    assert r["view_shares_memory"] and r["grad_b"] == [18.0, 22.0, 26.0] and "view size" in r["view_error"]
    r = results("neural-network", out_dir)
    assert r["collapse_difference"] < 1e-5
    assert r["accuracy"]["sigmoid network"] > 0.95 > r["accuracy"]["linear"]


def test_supervised_learning_chooses_a_middle_capacity(out_dir):
    r = results("supervised-learning", out_dir)
    assert 3 <= r["best_degree"] <= 7 and r["test_mse"] < 0.06
    assert r["train_mse"][-1] < r["train_mse"][0] and r["dev_mse"][-1] > min(r["dev_mse"])  # overfitting shows


def test_digits_lesson_reaches_97_percent(out_dir):
    r = results("digits", out_dir)
    assert r["test_accuracy"] >= 0.97


UNARY = ["exp", "sigmoid", "tanh", "sin"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["+", "-", "*", "/"]), st.sampled_from(UNARY + [None]),
                          st.integers(0, 3), st.integers(0, 3)), min_size=1, max_size=6),
       st.lists(st.floats(-2, 2), min_size=3, max_size=3))
def test_explain_gradients_equal_autograd_on_random_graphs(steps, values):
    leaves = {name: ember.tensor(v, dtype=ember.float64, requires_grad=True) for name, v in zip("abc", values)}
    pool = list(leaves.values())
    for op, fn, i, j in steps:
        left, right = pool[i % len(pool)], pool[j % len(pool)]
        if fn:
            left = getattr(left, fn)()
        right = right * right + 1 if op == "/" else right
        pool.append({"+": left + right, "-": left - right, "*": left * right, "/": left / right}[op])
    out = pool[-1]
    if out.grad_fn is None:
        return
    explained = ember.autograd.explain(out, names=leaves)
    out.backward()
    for name, leaf in leaves.items():
        if leaf.grad is None:
            assert name not in explained.gradients
        else:
            np.testing.assert_allclose(explained.gradients[name], leaf.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_the_lessons_digits_are_scikit_learns_and_the_moons_interleave():
    from sklearn.datasets import load_digits
    from ember.lessons.datasets import digits, two_moons
    images, labels = digits()
    reference = load_digits()
    np.testing.assert_array_equal(images, reference.images)
    np.testing.assert_array_equal(labels, reference.target)
    points, labels = two_moons(101, noise=0.0, seed=0)
    assert points.shape == (101, 2) and labels.sum() == 50
    np.testing.assert_allclose(np.hypot(*points[labels == 0].T), 1.0)  # the outer moon: the unit half circle
    np.testing.assert_allclose(np.hypot(points[labels == 1, 0] - 1, points[labels == 1, 1] - 0.5), 1.0)


def test_fitting_every_degree_at_once_equals_separate_fits():
    from ember.lessons.supervised_learning import fit_polynomials, make_data
    x, y = make_data(20, 0)
    together = fit_polynomials(x, y, 5, steps=200)
    for degree in range(6):
        alone = fit_polynomials(x, y, degree, steps=200)[degree]
        np.testing.assert_allclose(together[degree, :degree + 1].numpy(), alone.numpy(), rtol=1e-9, atol=1e-12)
        assert np.all(together[degree, degree + 1:].numpy() == 0)


def test_a_lesson_leaves_blas_threads_to_embers_rule(out_dir):
    """Building a lesson must not change BLAS's thread count behind ember's back: after it, a small product still
    runs on one thread (a threadpoolctl context around the lesson put two back while ember believed it had one)."""
    from ember import _threads
    blas = _threads._numpy_blas()
    if not blas or _threads._intended_threads() < 2:
        pytest.skip("one BLAS thread here: nothing to lower")
    _threads.threads_for(2 ** 40)  # (a large product: all threads)
    lessons.run("neural-network", out_dir)  # (small products inside: ember lowers BLAS to one thread)
    _threads.threads_for(10)  # a small product after it
    assert blas.num_threads == 1

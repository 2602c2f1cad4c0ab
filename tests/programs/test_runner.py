"""The program runner's comparison can fail: different text, numbers outside the tolerance, missing lines."""
import pytest

from tests.programs.conftest import assert_same_output


def test_exact_and_tolerant_comparisons():
    assert_same_output("loss 0.25\nok\n", "loss 0.25\nok\n")
    assert_same_output("loss 0.2500001\n", "loss 0.25\n", rtol=1e-5)
    for ours, theirs, tolerance in [("loss 0.2500001", "loss 0.25", {}), ("loss 0.26", "loss 0.25", {"rtol": 1e-5}),
                                    ("Loss 0.25", "loss 0.25", {"rtol": 1e-5}), ("a\nb", "a", {}),
                                    ("tensor(2)/16", "2/16", {"atol": 1})]:
        with pytest.raises(AssertionError):
            assert_same_output(ours, theirs, **tolerance)

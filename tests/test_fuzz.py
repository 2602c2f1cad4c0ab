"""A CI-sized sample of the random differential programs (tests/fuzz.py runs any number: see its docstring)."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
import fuzz  # noqa: E402

CASES = 1000
CHUNKS = 10


@pytest.mark.parametrize("chunk", range(CHUNKS))
def test_random_programs_agree_with_torch(chunk):
    per = CASES // CHUNKS
    failures = []
    for k in range(chunk * per, (chunk + 1) * per):
        try:
            fuzz.run_case(k)
        except Exception as e:  # noqa: BLE001 - reported with the case to replay
            failures.append(f"case 0:{k} ({type(e).__name__}): {str(e)[:300]}")
    assert not failures, ("replay one with `python tests/fuzz.py --case 0:K`:\n" + "\n".join(failures))


def test_the_harness_catches_a_wrong_gradient(monkeypatch):
    """The check can fail: a deliberately wrong backward for exp is reported as a disagreement."""
    import ember
    from ember.ops import elementwise

    original = elementwise.Exp.backward
    monkeypatch.setattr(elementwise.Exp, "backward", staticmethod(lambda ctx, grad: original(ctx, grad) * 1.001))
    program = {"leaves": [(__import__("numpy").array([0.5, 1.0]), True)], "steps": [("exp", [0], {}, 1)], "mode": 0,
               "seed": 0}
    with pytest.raises(fuzz.Disagreement, match="gradient"):
        fuzz.run_program(program)
    assert ember  # (imported for the patch)

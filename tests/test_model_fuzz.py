"""A CI-sized sample of the random-model differential (tests/model_fuzz.py runs any number: see its docstring)."""
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))
import model_fuzz  # noqa: E402

CASES = 16
CHUNKS = 2


@pytest.mark.parametrize("chunk", range(CHUNKS))
def test_random_models_agree_with_torch(chunk):
    per = CASES // CHUNKS
    failures, _, _ = model_fuzz.run(per, 0, start=chunk * per)
    assert not failures, ("replay one with `python tests/model_fuzz.py --case SEED:K`:\n"
                          + "\n".join(f"case {case}: {message[:400]}" for case, message in failures))


def test_every_family_is_drawn():
    """The sample reaches every model family, dtype, loss kind and a packed recurrence."""
    sources = [model_fuzz.generate(k)["source"] for k in range(200)]
    text = "\n".join(sources)
    for needle in ("nn.Linear", "nn.Conv1d", "nn.Conv2d", "pack_padded_sequence", "nn.TransformerEncoder(",
                   "nn.MultiheadAttention", "nn.LSTM", "nn.GRU", "nn.RNN", "nn.LSTMCell", "nn.GRUCell", "torch.float32", "torch.float64",
                   "CrossEntropyLoss", "BCEWithLogitsLoss", "lr_scheduler", "Dropout", "max_norm", "add_bias_kv=True"):
        assert needle in text, needle


def test_the_harness_catches_a_wrong_gradient(monkeypatch):
    """The check can fail: a deliberately wrong backward for tanh is reported as a disagreement."""
    from ember.ops import elementwise
    original = elementwise.Tanh.backward
    monkeypatch.setattr(elementwise.Tanh, "backward", staticmethod(lambda ctx, grad: original(ctx, grad) * 1.001))
    case = {"seed": 0, "dtype": "float64", "source": (
        "torch.manual_seed(0)\ntorch.set_default_dtype(torch.float64)\n"
        "model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))\n"
        "x = torch.randn(5, 3)\nloss = model(x).sum()\nloss.backward()\n"
        "record('grad', {n: p.grad for n, p in model.named_parameters()})\n")}
    mine, theirs = (model_fuzz.execute(case, lib) for lib in model_fuzz.LIBS)
    with pytest.raises(model_fuzz.Disagreement, match="grad/0"):
        model_fuzz.compare(case, mine, theirs)


def test_the_printed_case_is_a_torch_program(capsys):
    """--case prints a program that runs under torch alone and prints what it records."""
    model_fuzz.main(["--case", "0:3"])
    program = capsys.readouterr().out.split("\n# ")[0]
    import subprocess
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "trained" in result.stdout and "eval" in result.stdout
    assert np  # (numpy is what the harness compares with)


def test_a_flat_normalisation_is_noticed():
    """A group of one value (or of equal values) makes the run's flat_at the number of arrays recorded before
    it; an ordinary group does not (see model_fuzz.FLAT_NORMS)."""
    for lib in model_fuzz.LIBS:
        for group, flat in ((1, True), (3, False)):
            case = {"seed": 0, "dtype": "float64", "source": (
                "torch.manual_seed(0)\ntorch.set_default_dtype(torch.float64)\n"
                f"x = torch.randn(2, 2, {group})\nrecord('x', x)\nrecord('y', nn.GroupNorm(2, 2)(x))\n")}
            records = model_fuzz.execute(case, lib)
            assert records.flat_at == (1 if flat else None), (lib.__name__, group)
            assert lib.nn.functional.group_norm.__name__ == "group_norm"  # put back


def test_the_flat_cut_does_not_hide_a_wrong_normalisation(monkeypatch):
    """ember's normalisations off by a relative 1e-6 are reported in every float64 case of the sample that has
    one (the flat cut must not excuse them)."""
    from ember.ops import normalization
    original = normalization.NativeBatchNorm.forward
    monkeypatch.setattr(normalization.NativeBatchNorm, "forward",
                        staticmethod(lambda ctx, *args: original(ctx, *args) * (1 + 1e-6)))
    seeds = [k for k in range(200) if model_fuzz.generate(k)["dtype"] == "float64"
             and "Norm" in model_fuzz.generate(k)["source"]][:6]
    assert len(seeds) == 6
    for seed in seeds:
        with pytest.raises(model_fuzz.Disagreement):
            model_fuzz.run_case(seed)


def test_the_divergence_cut_starts_at_the_diverged_loss():
    """Only a loss beyond GROWTH x max(|first loss|, 1) (or not finite) cuts, from that loss on."""
    def records(*losses):
        out = {"init/w": np.ones(2)}
        for k, value in enumerate(losses):
            out[f"loss {k}"], out[f"grad {k}/w"] = np.array(value), np.ones(2)
        return out
    assert model_fuzz._divergence_cut(records(14.0, 1.3e3, 6e21)) == {"loss 2", "grad 2/w"}
    assert model_fuzz._divergence_cut(records(0.5, float("nan"))) == {"loss 1", "grad 1/w"}
    assert model_fuzz._divergence_cut(records(1e-9, 3e5, 1e2)) == set()  # a rise from a tiny loss is not growth


def test_a_collapsed_step_is_compared_on_the_earlier_scale():
    """Only a step's gradient scale below 1 / COLLAPSE of an earlier step's is raised, to the earlier one's."""
    scales = {"init": 1.0, "grad 0": 4.0, "loss 1": 7.0, "grad 1": 4e-7, "grad 2": 0.01}
    assert model_fuzz._collapse(scales)
    assert scales == {"init": 1.0, "grad 0": 4.0, "loss 1": 7.0, "grad 1": 4.0, "grad 2": 0.01}
    assert not model_fuzz._collapse({"grad 0": 1e-6, "grad 1": 5.0, "grad 2": 0.1})

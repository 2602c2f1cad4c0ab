"""PyTorch tutorial programs (NLP and sequence models, a Transformer language model, whole-model checkpoints),
unchanged in what they do, under `ember run` and under PyTorch: the same output."""
import os


def test_ngram_language_model(programs):
    # float32 sums of 113 losses: the totals may differ in the 8th digit
    lines = programs.check("ngram_language_model.py", rtol=1e-7)
    losses = [float(v) for v in lines[1].strip("[]").split(", ")]
    assert len(losses) == 10 and losses == sorted(losses, reverse=True)


def test_lstm_tagger(programs):
    lines = programs.check("lstm_tagger.py", rtol=1e-4, atol=1e-5)
    assert lines[-1] == "tensor([0, 1, 2, 0, 1])"


def test_transformer_language_model(programs):
    lines = programs.check("transformer_lm.py", rtol=1e-4, atol=1e-4)
    assert "padded positions equal the norm's bias: True" in lines
    losses = [float(line.split()[-1]) for line in lines if line.startswith("epoch")]
    assert losses == sorted(losses, reverse=True)


def test_whole_model_save_and_load(programs):
    lines = programs.check("whole_model_save.py", rtol=1e-4, atol=1e-5)
    assert "torch.load(path) refuses a whole model" in lines and lines[-1].startswith("resumed loss")
    # across libraries: each reads the model file the other wrote
    programs.run_ember("whole_model_save.py", "train", "ember.pt")
    programs.run_torch("whole_model_save.py", "train", "torch.pt")
    assert os.path.exists(os.path.join(programs.cwd, "ember.pt"))
    for path in ("ember.pt", "torch.pt"):
        ours = programs.run_ember("whole_model_save.py", "read", path).stdout
        theirs = programs.run_torch("whole_model_save.py", "read", path).stdout
        assert ours.splitlines()[0] == theirs.splitlines()[0] == "Net False ('circle', 'square', 'line') relu"
        ours, theirs = ([float(v) for v in out.splitlines()[1].strip("[]").split(", ")] for out in (ours, theirs))
        assert max(abs(a - b) for a, b in zip(ours, theirs)) < 1e-4

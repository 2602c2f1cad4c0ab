"""nn.utils.rnn: padding and packing sequence batches, and the recurrent layers on packed batches, against torch."""
import numpy as np
import pytest
import torch

import ember
from helpers import assert_same, copy_module, sample

LENGTHS = [3, 5, 1, 5, 2]  # unsorted, with a tie
PADDED = sample((5, 5, 3))


def _sequences(lib, lengths=LENGTHS, features=(3,), seed=0):
    rng = np.random.default_rng(seed)
    return [lib.tensor(rng.normal(size=(n, *features)), requires_grad=True) for n in lengths]


def _weighted_sum(lib, tensors, seed=1):
    rng = np.random.default_rng(seed)
    return sum((t * lib.tensor(rng.normal(size=tuple(t.shape)))).sum() for t in tensors)


def _both(fn):
    """fn(lib) -> (outputs, leaves) on both libraries; outputs and the leaves' gradients must agree."""
    (e_out, e_leaves), (t_out, t_leaves) = fn(ember), fn(torch)
    for e, t in zip(e_out, t_out):
        if isinstance(t, torch.Tensor):
            assert_same(e, t)
        else:
            assert e == t
    differentiable = [(e, t) for e, t in zip(e_out, t_out) if isinstance(t, torch.Tensor) and t.requires_grad]
    _weighted_sum(ember, [e for e, _ in differentiable]).backward()
    _weighted_sum(torch, [t for _, t in differentiable]).backward()
    for i, (e, t) in enumerate(zip(e_leaves, t_leaves)):
        assert_same(e.grad, t.grad, what=f"gradient of leaf {i}")


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("padding_side", ["right", "left"])
def test_pad_sequence_matches_torch(batch_first, padding_side):
    def run(lib):
        seqs = _sequences(lib, features=(2, 3))
        return [lib.nn.utils.rnn.pad_sequence(seqs, batch_first=batch_first, padding_value=-1.5,
                                              padding_side=padding_side)], seqs
    _both(run)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("as_tensor", [False, True])
def test_pack_padded_sequence_unsorted_matches_torch(batch_first, as_tensor):
    def run(lib):
        padded = lib.tensor(PADDED, requires_grad=True)
        lengths = lib.tensor(LENGTHS) if as_tensor else LENGTHS
        packed = lib.nn.utils.rnn.pack_padded_sequence(padded, lengths, batch_first=batch_first, enforce_sorted=False)
        assert isinstance(packed, lib.nn.utils.rnn.PackedSequence) and isinstance(packed, tuple)
        return [packed.data, packed.batch_sizes, packed.sorted_indices, packed.unsorted_indices], [padded]
    _both(run)


def test_pack_padded_sequence_sorted_has_no_indices_and_roundtrips():
    def run(lib):
        padded = lib.tensor(PADDED[:4, :3, :2].copy(), requires_grad=True)
        packed = lib.nn.utils.rnn.pack_padded_sequence(padded, [4, 2, 1])
        assert packed.sorted_indices is None and packed.unsorted_indices is None
        back, lengths = lib.nn.utils.rnn.pad_packed_sequence(packed, padding_value=7.0, total_length=6)
        return [packed.data, packed.batch_sizes, back, lengths], [padded]
    _both(run)


@pytest.mark.parametrize("batch_first", [False, True])
def test_pad_packed_sequence_restores_the_original_order(batch_first):
    def run(lib):
        seqs = _sequences(lib)
        packed = lib.nn.utils.rnn.pack_sequence(seqs, enforce_sorted=False)
        padded, lengths = lib.nn.utils.rnn.pad_packed_sequence(packed, batch_first=batch_first, padding_value=0.5)
        return [packed.data, padded, lengths], seqs
    _both(run)


def test_unpack_and_unpad_sequence_match_torch():
    def run(lib):
        seqs = _sequences(lib)
        rnn = lib.nn.utils.rnn
        unpacked = rnn.unpack_sequence(rnn.pack_sequence(seqs, enforce_sorted=False))
        unpadded = rnn.unpad_sequence(rnn.pad_sequence(seqs), lib.tensor(LENGTHS))
        return unpacked + unpadded, seqs
    _both(run)


def test_packing_errors_match_torch():
    for lib, error in ((ember, RuntimeError), (torch, RuntimeError)):
        rnn = lib.nn.utils.rnn
        with pytest.raises(error, match="sorted in decreasing order"):
            rnn.pack_padded_sequence(lib.zeros(5, 3, 2), [2, 5, 1])
        with pytest.raises(error, match="greater than 0"):
            rnn.pack_padded_sequence(lib.zeros(5, 3, 2), [5, 2, 0])
        with pytest.raises(error):
            rnn.pack_padded_sequence(lib.zeros(5, 3, 2), [5, 2])
    for lib in (ember, torch):
        packed = lib.nn.utils.rnn.pack_padded_sequence(lib.zeros(5, 3, 2), [5, 2, 1])
        with pytest.raises(ValueError, match="total_length"):
            lib.nn.utils.rnn.pad_packed_sequence(packed, total_length=3)


def test_packed_sequence_to_and_dtype_keep_the_indices():
    packed = ember.nn.utils.rnn.pack_sequence(_sequences(ember), enforce_sorted=False)
    for moved in (packed.to("cpu"), packed.float(), packed.double(), packed.cpu()):
        assert isinstance(moved, ember.nn.utils.rnn.PackedSequence)
        assert moved.sorted_indices is packed.sorted_indices and moved.batch_sizes is packed.batch_sizes
    assert packed.float().data.dtype == ember.float32
    data, batch_sizes, sorted_indices, unsorted_indices = packed  # a namedtuple, as in torch
    assert batch_sizes.tolist() == [5, 4, 3, 2, 2]


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("options", [dict(), dict(bidirectional=True), dict(num_layers=2, bidirectional=True),
                                     dict(num_layers=2, batch_first=True)])
@pytest.mark.parametrize("with_state", [False, True])
def test_recurrent_layers_on_packed_batches_match_torch(kind, options, with_state):
    """Packed output, each sequence's own final state in the caller's order, every gradient."""
    torch.manual_seed(0)
    t_layer = getattr(torch.nn, kind)(3, 4, **options).double()
    e_layer = copy_module(t_layer, getattr(ember.nn, kind)(3, 4, **options).double())
    layers = options.get("num_layers", 1) * (2 if options.get("bidirectional") else 1)
    states = [sample((layers, len(LENGTHS), 4)) for _ in range(2 if kind == "LSTM" else 1)] if with_state else []

    def run(lib):
        layer = e_layer if lib is ember else t_layer
        seqs = _sequences(lib)
        hx = [lib.tensor(s, requires_grad=True) for s in states]
        padded = lib.nn.utils.rnn.pad_sequence(seqs, batch_first=options.get("batch_first", False))
        packed = lib.nn.utils.rnn.pack_padded_sequence(padded, lib.tensor(LENGTHS),
                                                      batch_first=options.get("batch_first", False),
                                                      enforce_sorted=False)
        out, h_n = layer(packed, (tuple(hx) if kind == "LSTM" else hx[0]) if hx else None)
        assert isinstance(out, lib.nn.utils.rnn.PackedSequence)
        assert out.sorted_indices is packed.sorted_indices
        unpacked, lengths = lib.nn.utils.rnn.pad_packed_sequence(out, batch_first=options.get("batch_first", False))
        finals = list(h_n) if kind == "LSTM" else [h_n]
        return [out.data, unpacked, lengths] + finals, seqs + hx
    _both(run)
    for (name, p), t in zip(e_layer.named_parameters(), t_layer.parameters()):
        assert_same(p.grad, t.grad, what=f"{name} gradient")


def test_name_classifier_pattern_bidirectional_gru_over_a_packed_padded_batch():
    """The name-classification lecture: embed padded name batches, pack, bidirectional GRU, classify from h_n."""
    torch.manual_seed(0)
    names = [[3, 7, 1, 4], [5, 2], [9, 9, 8, 1, 2, 6], [4]]
    lengths = [len(n) for n in names]
    tokens = np.zeros((len(names), max(lengths)), np.int64)
    for i, n in enumerate(names):
        tokens[i, :len(n)] = n
    labels = [1, 0, 2, 1]
    results = []
    for lib in (torch, ember):
        class Classifier(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.embedding = lib.nn.Embedding(10, 5)
                self.gru = lib.nn.GRU(5, 6, num_layers=2, bidirectional=True)
                self.fc = lib.nn.Linear(12, 3)

            def forward(self, tokens, lengths):
                embedded = self.embedding(tokens.t())  # (T, B, 5)
                packed = lib.nn.utils.rnn.pack_padded_sequence(embedded, lengths, enforce_sorted=False)
                _, hidden = self.gru(packed)
                return self.fc(lib.cat([hidden[-1], hidden[-2]], dim=1))
        model = Classifier().double()
        if lib is ember:
            model = copy_module(results[0][1], model)
        loss = lib.nn.functional.cross_entropy(model(lib.tensor(tokens), lib.tensor(lengths)), lib.tensor(labels))
        loss.backward()
        results.append((loss, model))
    (t_loss, t_model), (e_loss, e_model) = results
    assert_same(e_loss, t_loss)
    for (name, p), t in zip(e_model.named_parameters(), t_model.parameters()):
        assert_same(p.grad, t.grad, what=f"{name} gradient")


def test_torch_nn_utils_rnn_imports_under_ember_run(tmp_path):
    import os
    import subprocess
    import sys
    script = tmp_path / "packed.py"
    script.write_text(
        "import torch\n"
        "from torch.nn.utils.rnn import pack_sequence, PackedSequence\n"
        "import torch.nn.utils.rnn as rnn_utils\n"
        "packed = pack_sequence([torch.ones(3, 2), torch.ones(1, 2)])\n"
        "out, h = torch.nn.GRU(2, 4)(packed)\n"
        "assert isinstance(out, PackedSequence) and rnn_utils.PackedSequence is PackedSequence\n"
        "print(torch.__name__, out.batch_sizes.tolist(), tuple(h.shape))\n")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    result = subprocess.run([sys.executable, "-m", "ember.cli", "run", str(script)], capture_output=True, text=True,
                            env=dict(os.environ, PYTHONPATH=root))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["ember", "[2,", "1,", "1]", "(1,", "2,", "4)"]

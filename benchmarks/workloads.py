"""The benchmark workloads, one function per (workload, library), each returning (seconds per unit, result).

Workloads are fixed so that results stay comparable over time. Every library
starts from the same weights and must reach the same result.
"""
import os
import statistics
import time

clock = time.perf_counter  # run.py --cpu swaps in time.process_time


def _tensor_libraries(run):
    """The same workload for ember and for PyTorch: the module is the only difference."""
    return {"ember": lambda: run(__import__("ember")), "torch": lambda: run(__import__("torch"))}


def _median_time(step, warmup, repeats):
    for _ in range(warmup):
        step()
    times = []
    for _ in range(repeats):
        start = clock()
        step()
        times.append(clock() - start)
    return statistics.median(times)


# ----------------------------------------------------------------------------
# W1: the notes' training loop. Scalar w, x = [1, 2, 3], y = [2, 4, 6], 100 epochs of
# per-sample (x*w - y)**2, backward, w.data -= 0.01 * w.grad.data, w.grad.data.zero_(): 300 steps.
# ----------------------------------------------------------------------------
X_DATA, Y_DATA = [1.0, 2.0, 3.0], [2.0, 4.0, 6.0]


def _w1_tensor_library(torch):
    def loop():
        w = torch.tensor([1.0], requires_grad=True)
        for _ in range(100):
            for x, y in zip(X_DATA, Y_DATA):
                loss = (x * w - y) ** 2
                loss.backward()
                w.data -= 0.01 * w.grad.data
                w.grad.data.zero_()
        return w

    seconds = _median_time(loop, warmup=3, repeats=25) / 300
    return seconds, f"w = {loop().item():.6f}"




def w1_micrograd():
    from micrograd.engine import Value

    def loop():
        w = Value(1.0)
        for _ in range(100):
            for x, y in zip(X_DATA, Y_DATA):
                loss = (x * w - y) ** 2
                loss.backward()
                w.data -= 0.01 * w.grad
                w.grad = 0.0
        return w

    seconds = _median_time(loop, warmup=3, repeats=25) / 300
    return seconds, f"w = {loop().data:.6f}"


WORKLOADS = {
    "W1": {"what": "the notes' loop, per step", "unit": "us",
           "libraries": {**_tensor_libraries(_w1_tensor_library), "micrograd": w1_micrograd}},
}


# ----------------------------------------------------------------------------
# W2: digits MLP. scikit-learn's 8x8 digits scaled to [0, 1], the first 1,437 for training; MLP 64-128-10
# with ReLU, cross-entropy, SGD lr 0.1, batch 64, fixed order, 20 epochs. Time per step; result: final loss.
# ----------------------------------------------------------------------------
def _digits():
    import numpy as np
    from sklearn.datasets import load_digits
    digits = load_digits()
    x = (digits.data[:1437] / 16.0).astype(np.float32)
    y = digits.target[:1437].astype(np.int64)
    rng = np.random.default_rng(0)
    bound1, bound2 = 1 / np.sqrt(64), 1 / np.sqrt(128)
    weights = [rng.uniform(-bound1, bound1, (128, 64)), rng.uniform(-bound1, bound1, 128),
               rng.uniform(-bound2, bound2, (10, 128)), rng.uniform(-bound2, bound2, 10)]
    return x, y, [w.astype(np.float32) for w in weights]


def _time_digits_sgd(torch, make_model):
    """Time 20 epochs of SGD on the digits (batch 64); make_model() -> (forward, parameters). Seconds per step."""
    x_all, y_all, weights = _digits()
    x_all, y_all = torch.tensor(x_all), torch.tensor(y_all)

    def train(epochs):
        forward, params = make_model(torch, weights)
        optimizer = torch.optim.SGD(params, lr=0.1)
        for _ in range(epochs):
            for start in range(0, len(x_all), 64):
                xb, yb = x_all[start:start + 64], y_all[start:start + 64]
                optimizer.zero_grad()
                loss = torch.nn.functional.cross_entropy(forward(xb), yb)
                loss.backward()
                optimizer.step()
        return loss.item()

    steps_per_epoch = -(-1437 // 64)
    train(1)  # warm-up
    start = clock()
    loss = train(20)
    return (clock() - start) / (20 * steps_per_epoch), f"loss = {loss:.5f}"


def _linear_mlp(torch, weights):
    model = torch.nn.Sequential(torch.nn.Linear(64, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))
    with torch.no_grad():
        for p, w in zip(model.parameters(), weights):
            p.copy_(torch.tensor(w))
    return model, model.parameters()


def _w2_tensor_library(torch):
    return _time_digits_sgd(torch, _linear_mlp)


WORKLOADS["W2"] = {"what": "digits MLP 64-128-10, SGD, batch 64, per step", "unit": "us",
                   "libraries": _tensor_libraries(_w2_tensor_library)}


# ----------------------------------------------------------------------------
# W2r: W2's model written as the notes write models: raw tensors, relu(x @ W1 + b1) @ W2 + b2 with W stored
# (in, out), SGD on the four tensors. Same data, weights, order and steps as W2: the same loss.
# ----------------------------------------------------------------------------
def _raw_mlp(torch, weights):
    w1, b1, w2, b2 = [torch.tensor(w.T.copy() if w.ndim == 2 else w, requires_grad=True) for w in weights]
    return (lambda x: torch.relu(x @ w1 + b1) @ w2 + b2), [w1, b1, w2, b2]


def _w2r_tensor_library(torch):
    return _time_digits_sgd(torch, _raw_mlp)


WORKLOADS["W2r"] = {"what": "digits MLP as raw tensors (x @ W + b), SGD, per step", "unit": "us",
                    "libraries": _tensor_libraries(_w2r_tensor_library)}


# ----------------------------------------------------------------------------
# W4: a small CNN training step on a batch of 64 images 1x28x28: conv 1->8 3x3 pad 1, ReLU, maxpool 2,
# conv 8->16 3x3 pad 1, ReLU, maxpool 2, flatten, linear 784->10, cross-entropy, SGD. ms per step.
# ----------------------------------------------------------------------------
def _time_sgd_steps(torch, model, x, y, weights, repeats):
    """Give model the weights, then time SGD steps of cross-entropy on (x, y); returns (seconds, last loss)."""
    with torch.no_grad():
        for p, w in zip(model.parameters(), weights):
            p.copy_(torch.tensor(w))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)

    def step():
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        return loss

    return _median_time(step, warmup=3, repeats=repeats), step().item()


def _w4_tensor_library(torch):
    import numpy as np
    rng = np.random.default_rng(0)
    x = torch.tensor(rng.random((64, 1, 28, 28), dtype=np.float32))
    y = torch.tensor(rng.integers(0, 10, 64))
    weights = [rng.uniform(-0.3, 0.3, s).astype(np.float32) for s in
               [(8, 1, 3, 3), (8,), (16, 8, 3, 3), (16,), (10, 784), (10,)]]
    nn = torch.nn
    model = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(8, 16, 3, padding=1),
                          nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(784, 10))
    seconds, loss = _time_sgd_steps(torch, model, x, y, weights, repeats=30)
    return seconds, f"loss = {loss:.5f}"


WORKLOADS["W4"] = {"what": "small CNN step, batch 64 of 1x28x28", "unit": "ms",
                   "libraries": _tensor_libraries(_w4_tensor_library)}


# ----------------------------------------------------------------------------
# W7, W8: the convolution lecture's two nets, one SGD step on a batch of 64 images 1x28x28 (ms per step).
# W7 (GoogLeNet-style): conv 1->10 5x5, maxpool 2, ReLU; an inception block (1x1 -> 16; 1x1 -> 16 -> 5x5 pad 2 -> 24;
# 1x1 -> 16 -> 3x3 pad 1 -> 24 -> 3x3 pad 1 -> 24; avg-pool 3x3 stride 1 pad 1 -> 1x1 -> 24; cat: 88 channels);
# conv 88->20 5x5, maxpool 2, ReLU; the block again; linear 1408->10.
# W8 (ResNet-style): conv 1->16 5x5, ReLU, maxpool 2; a residual block (relu(x + conv3x3(relu(conv3x3(x))))); conv
# 16->32 5x5, ReLU, maxpool 2; the block again; linear 512->10.
# ----------------------------------------------------------------------------
def _conv_lecture_models(torch):
    nn, F = torch.nn, torch.nn.functional

    class Inception(nn.Module):
        def __init__(self, in_channels):
            super().__init__()
            self.branch1x1 = nn.Conv2d(in_channels, 16, kernel_size=1)
            self.branch5x5_1 = nn.Conv2d(in_channels, 16, kernel_size=1)
            self.branch5x5_2 = nn.Conv2d(16, 24, kernel_size=5, padding=2)
            self.branch3x3_1 = nn.Conv2d(in_channels, 16, kernel_size=1)
            self.branch3x3_2 = nn.Conv2d(16, 24, kernel_size=3, padding=1)
            self.branch3x3_3 = nn.Conv2d(24, 24, kernel_size=3, padding=1)
            self.branch_pool = nn.Conv2d(in_channels, 24, kernel_size=1)

        def forward(self, x):
            b1 = self.branch1x1(x)
            b5 = self.branch5x5_2(self.branch5x5_1(x))
            b3 = self.branch3x3_3(self.branch3x3_2(self.branch3x3_1(x)))
            bp = self.branch_pool(F.avg_pool2d(x, kernel_size=3, stride=1, padding=1))
            return torch.cat([b1, b5, b3, bp], dim=1)

    class GoogLeNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1, self.conv2 = nn.Conv2d(1, 10, kernel_size=5), nn.Conv2d(88, 20, kernel_size=5)
            self.incep1, self.incep2 = Inception(10), Inception(20)
            self.mp, self.fc = nn.MaxPool2d(2), nn.Linear(1408, 10)

        def forward(self, x):
            x = self.incep1(F.relu(self.mp(self.conv1(x))))
            x = self.incep2(F.relu(self.mp(self.conv2(x))))
            return self.fc(x.view(x.size(0), -1))

    class ResidualBlock(nn.Module):
        def __init__(self, channels):
            super().__init__()
            self.conv1 = nn.Conv2d(channels, channels, kernel_size=3, padding=1)
            self.conv2 = nn.Conv2d(channels, channels, kernel_size=3, padding=1)

        def forward(self, x):
            return F.relu(x + self.conv2(F.relu(self.conv1(x))))

    class ResNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1, self.conv2 = nn.Conv2d(1, 16, kernel_size=5), nn.Conv2d(16, 32, kernel_size=5)
            self.rblock1, self.rblock2 = ResidualBlock(16), ResidualBlock(32)
            self.mp, self.fc = nn.MaxPool2d(2), nn.Linear(512, 10)

        def forward(self, x):
            x = self.rblock1(self.mp(F.relu(self.conv1(x))))
            x = self.rblock2(self.mp(F.relu(self.conv2(x))))
            return self.fc(x.view(x.size(0), -1))

    return GoogLeNet, ResNet


def _conv_lecture_step(torch, which):
    import numpy as np
    rng = np.random.default_rng(0)
    x = torch.tensor(rng.random((64, 1, 28, 28), dtype=np.float32))
    y = torch.tensor(rng.integers(0, 10, 64))
    model = _conv_lecture_models(torch)[which]()
    seconds, loss = _time_sgd_steps(torch, model, x, y, _same_weights(model, rng, bound=0.1), repeats=10)
    return seconds, f"loss = {loss:.5f}"


WORKLOADS["W7"] = {"what": "GoogLeNet-style net (two inception blocks) step, batch 64 of 1x28x28", "unit": "ms",
                   "libraries": _tensor_libraries(lambda torch: _conv_lecture_step(torch, 0))}
WORKLOADS["W8"] = {"what": "ResNet-style net (two residual blocks) step, batch 64 of 1x28x28", "unit": "ms",
                   "libraries": _tensor_libraries(lambda torch: _conv_lecture_step(torch, 1))}


# ----------------------------------------------------------------------------
# W3: large MLP. One random float32 batch 256x784; MLP 784-1024-1024-10, ReLU, cross-entropy, SGD.
# ms per step after warm-up, and the achieved GFLOP/s (forward + backward matrix products: 3 x 2 x batch x weights).
# ----------------------------------------------------------------------------
W3_FLOPS = 3 * 2 * 256 * (784 * 1024 + 1024 * 1024 + 1024 * 10)


def _w3_tensor_library(torch):
    import numpy as np
    rng = np.random.default_rng(0)
    x = torch.tensor(rng.random((256, 784), dtype=np.float32))
    y = torch.tensor(rng.integers(0, 10, 256))
    nn = torch.nn
    model = nn.Sequential(nn.Linear(784, 1024), nn.ReLU(), nn.Linear(1024, 1024), nn.ReLU(), nn.Linear(1024, 10))
    weights = [rng.uniform(-0.03, 0.03, tuple(p.shape)).astype(np.float32) for p in model.parameters()]
    seconds, loss = _time_sgd_steps(torch, model, x, y, weights, repeats=20)
    return seconds, f"loss = {loss:.5f}, {W3_FLOPS / seconds / 1e9:.0f} GFLOP/s"


WORKLOADS["W3"] = {"what": "MLP 784-1024-1024-10, batch 256, per step", "unit": "ms",
                   "libraries": _tensor_libraries(_w3_tensor_library)}


# ----------------------------------------------------------------------------
# W5: a character-level language-model step: Embedding(50, 32) -> LSTM(32, 64, batch_first) -> Linear(64, 50),
# batch 16 x 20 steps, cross-entropy over every step, SGD. ms per step.
# W6: the name-classification lecture's shape: GRU(32, 64, 2 layers, bidirectional) over 20 steps, batch 32,
# the last step's output -> Linear(128, 18), cross-entropy, SGD. ms per step.
# ----------------------------------------------------------------------------
def _same_weights(module, rng, bound=0.2):
    import numpy as np
    return [rng.uniform(-bound, bound, tuple(p.shape)).astype(np.float32) for p in module.parameters()]


def _w5_tensor_library(torch):
    import numpy as np
    rng = np.random.default_rng(0)
    x = torch.tensor(rng.integers(0, 50, (16, 20)))
    y = torch.tensor(rng.integers(0, 50, 16 * 20))
    nn = torch.nn

    class CharModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed, self.lstm, self.head = nn.Embedding(50, 32), nn.LSTM(32, 64, batch_first=True), nn.Linear(64, 50)

        def forward(self, x):
            out, _ = self.lstm(self.embed(x))
            return self.head(out.reshape(-1, 64))

    model = CharModel()
    seconds, loss = _time_sgd_steps(torch, model, x, y, _same_weights(model, rng), repeats=30)
    return seconds, f"loss = {loss:.5f}"


def _w6_tensor_library(torch):
    import numpy as np
    rng = np.random.default_rng(0)
    x = torch.tensor(rng.normal(size=(32, 20, 32)).astype(np.float32))
    y = torch.tensor(rng.integers(0, 18, 32))
    nn = torch.nn

    class NameClassifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.gru = nn.GRU(32, 64, num_layers=2, bidirectional=True, batch_first=True)
            self.head = nn.Linear(128, 18)

        def forward(self, x):
            out, _ = self.gru(x)
            return self.head(out[:, -1])

    model = NameClassifier()
    seconds, loss = _time_sgd_steps(torch, model, x, y, _same_weights(model, rng), repeats=20)
    return seconds, f"loss = {loss:.5f}"


WORKLOADS["W5"] = {"what": "Embedding -> LSTM(32, 64) -> Linear, batch 16 x 20 steps", "unit": "ms",
                   "libraries": _tensor_libraries(_w5_tensor_library)}
WORKLOADS["W6"] = {"what": "GRU(32, 64, 2 layers, bidirectional) classifier, batch 32 x 20", "unit": "ms",
                   "libraries": _tensor_libraries(_w6_tensor_library)}


# ----------------------------------------------------------------------------
# W9: the name-classification lecture as it is written: each batch of 256 names (3-14 letters) turned into a padded
# LongTensor of character codes from Python lists (the legacy constructors), sorted by length, embedded
# (Embedding(128, 100)), packed, a 2-layer bidirectional GRU(100, 100), the two last hidden states -> Linear(200, 18),
# cross-entropy, SGD. ms per step.
# ----------------------------------------------------------------------------
def _names(rng, count):
    letters = "abcdefghijklmnopqrstuvwxyz"
    return ["".join(rng.choice(list(letters), size=int(rng.integers(3, 15)))).capitalize() for _ in range(count)]


def _w9_tensor_library(torch):
    import numpy as np
    nn = torch.nn
    rng = np.random.default_rng(0)
    names, countries = _names(rng, 256), torch.LongTensor(rng.integers(0, 18, 256).tolist())

    def make_tensors(names, countries):  # as the lecture writes it
        sequences = [[ord(c) for c in name] for name in names]
        seq_lengths = torch.LongTensor([len(s) for s in sequences])
        seq_tensor = torch.zeros(len(sequences), seq_lengths.max()).long()
        for idx, (seq, seq_len) in enumerate(zip(sequences, seq_lengths)):
            seq_tensor[idx, :seq_len] = torch.LongTensor(seq)
        seq_lengths, perm_idx = seq_lengths.sort(dim=0, descending=True)
        return seq_tensor[perm_idx], seq_lengths, countries[perm_idx]

    class RNNClassifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(128, 100)
            self.gru = nn.GRU(100, 100, 2, bidirectional=True)
            self.fc = nn.Linear(200, 18)

        def forward(self, inputs, seq_lengths):
            inputs = inputs.t()
            hidden = torch.zeros(4, inputs.size(1), 100)
            packed = nn.utils.rnn.pack_padded_sequence(self.embedding(inputs), seq_lengths)
            _, hidden = self.gru(packed, hidden)
            return self.fc(torch.cat([hidden[-1], hidden[-2]], dim=1))

    model = RNNClassifier()
    with torch.no_grad():
        for p, w in zip(model.parameters(), _same_weights(model, rng, bound=0.1)):
            p.copy_(torch.tensor(w))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)

    def step():
        inputs, seq_lengths, target = make_tensors(names, countries)
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(inputs, seq_lengths), target)
        loss.backward()
        optimizer.step()
        return loss

    return _median_time(step, warmup=2, repeats=10), f"loss = {step().item():.5f}"


WORKLOADS["W9"] = {"what": "name classifier: lists -> padded LongTensor, packed 2-layer bi-GRU(100), batch 256",
                   "unit": "ms", "libraries": _tensor_libraries(_w9_tensor_library)}


# ----------------------------------------------------------------------------
# W10: the data pipeline lecture: a map-style Dataset of 759 rows x 8 features whose __getitem__ returns
# (x[i], y[i]), a DataLoader with batch 32 and shuffle, a small MLP (8-6-4-1, sigmoid) run under no_grad on every
# batch. ms per epoch; result: the sum of the outputs over one seeded epoch (the shuffle is torch's stream).
# ----------------------------------------------------------------------------
def _w10_tensor_library(torch):
    import numpy as np
    rng = np.random.default_rng(0)
    data = rng.random((759, 9), dtype=np.float32)

    class DiabetesDataset(torch.utils.data.Dataset):
        def __init__(self):
            self.len = data.shape[0]
            self.x_data = torch.from_numpy(data[:, :-1])
            self.y_data = torch.from_numpy(data[:, [-1]])

        def __getitem__(self, index):
            return self.x_data[index], self.y_data[index]

        def __len__(self):
            return self.len

    loader = torch.utils.data.DataLoader(DiabetesDataset(), batch_size=32, shuffle=True)
    nn = torch.nn
    model = nn.Sequential(nn.Linear(8, 6), nn.Sigmoid(), nn.Linear(6, 4), nn.Sigmoid(), nn.Linear(4, 1), nn.Sigmoid())
    with torch.no_grad():
        for p, w in zip(model.parameters(), _same_weights(model, rng)):
            p.copy_(torch.tensor(w))

    def epoch():
        total = 0.0
        with torch.no_grad():
            for x, y in loader:
                total += model(x).sum().item()
        return total

    seconds = _median_time(epoch, warmup=2, repeats=15)
    torch.manual_seed(0)
    return seconds, f"sum = {epoch():.4f}"


WORKLOADS["W10"] = {"what": "DataLoader epoch: 759 rows, x[i] per sample, batch 32, shuffle, MLP under no_grad",
                    "unit": "ms", "libraries": _tensor_libraries(_w10_tensor_library)}


# ----------------------------------------------------------------------------
# M1: memory. 20,000 steps of W2 with the resident memory sampled along the way: it must stay flat
# (no graph or gradient kept alive between steps). Result: RSS at 10% of the steps and at the end.
# (W3's peak RSS is in the W3 row.)
# ----------------------------------------------------------------------------
def _current_rss_mib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2 ** 20


def _m1_tensor_library(torch):
    x_all, y_all, weights = _digits()
    x_all, y_all = torch.tensor(x_all), torch.tensor(y_all)
    model = torch.nn.Sequential(torch.nn.Linear(64, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    samples, steps = [], 20000
    start = clock()
    for step in range(steps):
        begin = (step * 64) % 1408
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x_all[begin:begin + 64]), y_all[begin:begin + 64])
        loss.backward()
        optimizer.step()
        if step % 2000 == 1999:
            samples.append(_current_rss_mib())
    seconds = (clock() - start) / steps
    return seconds, f"RSS {samples[0]:.1f} -> {samples[-1]:.1f} MiB (growth {samples[-1] - samples[0]:+.1f})"




WORKLOADS["M1"] = {"what": "20,000 W2 steps, RSS sampled", "unit": "us",
                   "libraries": _tensor_libraries(_m1_tensor_library)}


# ----------------------------------------------------------------------------
# R1, R2: random streams. Both libraries draw the same numbers (ember reproduces torch's generator), so the
# result column must agree exactly. R1: randn(1000, 1000) after manual_seed(0); R2: a seeded nn.Linear(1024, 1024)
# (kaiming_uniform_ weight, uniform bias). Result: a checksum of the draws.
# ----------------------------------------------------------------------------
def _r1_tensor_library(torch):
    def draw():
        torch.manual_seed(0)
        return torch.randn(1000, 1000)

    return _median_time(draw, warmup=2, repeats=15), f"sum = {draw().double().sum().item():.6f}"


def _r2_tensor_library(torch):
    def build():
        torch.manual_seed(0)
        return torch.nn.Linear(1024, 1024)

    layer = build()
    checksum = layer.weight.double().sum().item() + layer.bias.double().sum().item()
    return _median_time(build, warmup=2, repeats=15), f"sum = {checksum:.6f}"


WORKLOADS["R1"] = {"what": "seeded randn(1000, 1000)", "unit": "ms", "libraries": _tensor_libraries(_r1_tensor_library)}
WORKLOADS["R2"] = {"what": "seeded nn.Linear(1024, 1024)", "unit": "ms",
                   "libraries": _tensor_libraries(_r2_tensor_library)}


# ----------------------------------------------------------------------------
# O1: an optimizer's step on a large parameter. Adam on a 1000x1000 weight and its bias (1,001,000 values), the
# gradients fixed; time per step. Result: a checksum of the two moments, which agree bit for bit (the parameter
# itself can part by an ulp where torch's sqrt is not correctly rounded: docs/design.md).
# ----------------------------------------------------------------------------
def _o1_tensor_library(torch):
    torch.manual_seed(0)
    weight, bias = torch.randn(1000, 1000, requires_grad=True), torch.randn(1000, requires_grad=True)
    weight.grad, bias.grad = torch.randn(1000, 1000) * 0.01, torch.randn(1000) * 0.01
    optimizer = torch.optim.Adam([weight, bias], lr=1e-3)
    seconds = _median_time(optimizer.step, warmup=3, repeats=15)
    moments = [optimizer.state[p][key] for p in (weight, bias) for key in ("exp_avg", "exp_avg_sq")]
    return seconds, f"moments = {sum(m.double().sum().item() for m in moments):.6f}"


WORKLOADS["O1"] = {"what": "Adam step on a 1M-value parameter", "unit": "ms",
                   "libraries": _tensor_libraries(_o1_tensor_library)}


# ----------------------------------------------------------------------------
# The floor: the same workloads written by hand in NumPy, no framework (numpy_floor.py). W2r's model is W2's.
# ----------------------------------------------------------------------------
import numpy_floor  # noqa: E402  (it reads this module's data and timer)

for _name, _program in (("W1", numpy_floor.w1_numpy), ("W2", numpy_floor.w2_numpy), ("W2r", numpy_floor.w2_numpy),
                        ("W5", numpy_floor.w5_numpy), ("W4", numpy_floor.w4_numpy), ("W7", numpy_floor.w7_numpy),
                        ("W8", numpy_floor.w8_numpy), ("R1", numpy_floor.r1_numpy)):
    WORKLOADS[_name]["libraries"]["numpy"] = _program

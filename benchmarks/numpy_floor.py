"""The floor: W1, W2 and W5 written by hand in NumPy, gradients derived on paper, no framework at all.

A framework that runs these workloads through NumPy makes at least these NumPy calls (these programs fuse
by hand, write in place and check nothing), and does its bookkeeping on top. run.py times them beside ember and
torch as the library "numpy": how far each framework is from what NumPy itself does, and whether a target below
that is within reach of NumPy calls at all. (A floor in practice, not a proof: each is the fastest version
written so far; W5's uses the tricks ember's LSTM uses, and the two run level.)
They start from the workloads' weights and must reach the same results.
"""
import numpy as np


def w1_numpy():
    """The notes' loop: loss = (x w - y)^2, dloss/dw = 2 (x w - y) x, w -= 0.01 dloss/dw."""
    import workloads  # (which imports this module: imported when run)

    def loop():
        w = np.array([1.0], np.float32)
        for _ in range(100):
            for x, y in zip(workloads.X_DATA, workloads.Y_DATA):
                residual = x * w - y
                loss = residual ** 2  # (computed, as the loop does, though only its gradient is used)
                w -= 0.01 * (2 * residual * x)
        return w, loss

    seconds = workloads._median_time(loop, warmup=3, repeats=25) / 300
    return seconds, f"w = {loop()[0].item():.6f}"


def _cross_entropy(z, y):
    """(mean cross-entropy, its gradient with respect to the logits z)."""
    shifted = z - z.max(1, keepdims=True)
    e = np.exp(shifted)
    total = e.sum(1, keepdims=True)
    rows = np.arange(len(y))
    loss = (np.log(total[:, 0]) - shifted[rows, y]).mean()
    dz = e / total
    dz[rows, y] -= 1
    dz /= len(y)
    return loss, dz


def w2_numpy():
    """The digits MLP: relu(x W1^T + b1) W2^T + b2, cross-entropy, SGD lr 0.1, batch 64, 20 epochs."""
    import workloads  # (which imports this module: imported when run)

    x_all, y_all, weights = workloads._digits()

    def train(epochs):
        w1, b1, w2, b2 = [w.copy() for w in weights]
        for _ in range(epochs):
            for start in range(0, len(x_all), 64):
                x, y = x_all[start:start + 64], y_all[start:start + 64]
                h = x @ w1.T
                h += b1
                r = np.maximum(h, 0)
                z = r @ w2.T
                z += b2
                loss, dz = _cross_entropy(z, y)
                dr = dz @ w2
                dr *= h > 0
                for p, g in ((w2, dz.T @ r), (b2, dz.sum(0)), (w1, dr.T @ x), (b1, dr.sum(0))):
                    p -= 0.1 * g
        return loss

    steps_per_epoch = -(-1437 // 64)
    train(1)
    start = workloads.clock()
    loss = train(20)
    return (workloads.clock() - start) / (20 * steps_per_epoch), f"loss = {loss:.5f}"


def w5_numpy():
    """Embedding -> LSTM -> Linear -> cross-entropy -> SGD, forward and backpropagation through time by hand.

    With the tricks a fast NumPy LSTM needs: sigmoid(a) = tanh(a / 2) / 2 + 1 / 2, so one tanh per step serves all
    four gates (the i, f, o pre-activations halved once, up front); the cell's local derivatives computed for all
    steps at once after the forward loop, so the backward loop keeps only what must be sequential.
    """
    import workloads  # (which imports this module: imported when run)

    rng = np.random.default_rng(0)
    tokens = rng.integers(0, 50, (16, 20))
    y = rng.integers(0, 50, 16 * 20)
    shapes = [(50, 32), (256, 32), (256, 64), (256,), (256,), (50, 64), (50,)]  # the model's parameters, in order
    params = [rng.uniform(-0.2, 0.2, s).astype(np.float32) for s in shapes]
    emb, w_ih, w_hh, b_ih, b_hh, w_out, b_out = params
    steps, batch, hidden = 20, 16, 64
    time_major = tokens.T  # (20, 16)
    half = np.full(4 * hidden, 0.5, np.float32)
    half[2 * hidden:3 * hidden] = 1  # g's quarter is a tanh, the others sigmoids

    def step():
        x = emb[time_major].reshape(-1, 32)  # (T N, 32)
        gi = (x @ w_ih.T + (b_ih + b_hh)) * half
        gi = gi.reshape(steps, batch, 4 * hidden)
        w_t = (w_hh * half[:, None]).T
        hs = np.zeros((steps + 1, batch, hidden), np.float32)  # h_0 = 0, then every step's h
        cs = np.zeros((steps + 1, batch, hidden), np.float32)
        ts = np.empty((steps, batch, 4 * hidden), np.float32)  # each step's tanh of the (halved) gates
        for t in range(steps):
            g4 = np.tanh(gi[t] + hs[t] @ w_t, out=ts[t])
            s = g4 * 0.5 + 0.5
            cs[t + 1] = s[:, hidden:2 * hidden] * cs[t] + s[:, :hidden] * g4[:, 2 * hidden:3 * hidden]
            hs[t + 1] = s[:, 3 * hidden:] * np.tanh(cs[t + 1])
        out = hs[1:].transpose(1, 0, 2).reshape(-1, hidden)  # batch-first rows, as the model reshapes them
        loss, dz = _cross_entropy(out @ w_out.T + b_out, y)
        d_out = (dz @ w_out).reshape(batch, steps, hidden).transpose(1, 0, 2)
        # local derivatives of every step at once: h = o tanh(c), c = f c_prev + i g
        s = ts * 0.5 + 0.5
        i, f, o, g = s[..., :hidden], s[..., hidden:2 * hidden], s[..., 3 * hidden:], ts[..., 2 * hidden:3 * hidden]
        tc = np.tanh(cs[1:])
        dc_from_h = o * (1 - tc * tc)
        factors = np.concatenate([g * i * (1 - i), cs[:-1] * f * (1 - f), i * (1 - g * g), tc * o * (1 - o)], -1)
        da = np.empty((steps, batch, 4 * hidden), np.float32)
        dh = np.zeros((batch, hidden), np.float32)
        dc = np.zeros((batch, hidden), np.float32)
        for t in range(steps - 1, -1, -1):
            dh += d_out[t]
            dc += dh * dc_from_h[t]
            np.multiply(np.concatenate([dc, dc, dc, dh], 1), factors[t], out=da[t])
            dh = da[t] @ w_hh
            dc *= f[t]
        flat = da.reshape(-1, 4 * hidden)
        d_emb = np.zeros_like(emb)  # rows picked by token: add each token's gradient to its row (np.add.at is
        # ~8x faster on the flat array, element by element)
        positions = (time_major.reshape(-1, 1) * 32 + np.arange(32)).reshape(-1)
        np.add.at(d_emb.reshape(-1), positions, (flat @ w_ih).reshape(-1))
        grads = [d_emb, flat.T @ x, flat.T @ hs[:-1].reshape(-1, hidden), flat.sum(0), flat.sum(0),
                 dz.T @ out, dz.sum(0)]
        for p, grad in zip(params, grads):
            p -= 0.01 * grad
        return loss

    seconds = workloads._median_time(step, warmup=3, repeats=30)
    return seconds, f"loss = {step():.5f}"

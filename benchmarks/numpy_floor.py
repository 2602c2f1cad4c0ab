"""The floor: the workloads written by hand in NumPy, gradients derived on paper, no framework at all.

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
        w_t = np.ascontiguousarray((w_hh * half[:, None]).T)  # (a transposed view makes h @ w_t ~40% slower)
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


# ----------------------------------------------------------------------------
# W7, W8: the convolution lecture's nets. Their convolutions and pools call ember's array routines (ember/ops/
# conv.py: pure NumPy, no Tensor and no graph), the fastest NumPy routes found (im2col in cache-sized chunks, long
# runs for stride 1, the flipped-kernel input gradient where it pays); everything else is written here. The floor
# row is then what these nets cost in NumPy without any framework, and ember's distance to it is its graph,
# modules and checks.
# ----------------------------------------------------------------------------
def _conv_net_tools():
    from ember.ops import conv

    def conv_f(x, w, b, padding):
        keep = []
        y = conv.conv_forward(x, w, (1, 1), (padding, padding), (1, 1), 1, keep=keep)
        y += b.reshape(1, -1, 1, 1)
        return y, (x, w, padding, keep)

    def conv_b(dy, cache, need_x=True):
        x, w, padding, keep = cache
        p = (padding, padding)
        dw = conv.conv_weight_grad(x, dy, w.shape[2:], (1, 1), p, (1, 1), 1, keep)
        dx = conv.conv_input_grad(dy, w, x.shape, (1, 1), p, (1, 1), 1) if need_x else None
        return dx, dw, dy.sum((0, 2, 3))

    def pool_f(x):  # max-pool 2x2
        best, position, out_hw = conv.window_max(x, (2, 2), (2, 2), (0, 0), (1, 1), False)
        return best, (x.shape, position, out_hw)

    def pool_b(dy, cache):
        shape, position, out_hw = cache
        dx = np.zeros(shape, dy.dtype)
        for i, j, (rows, columns) in conv.offsets((2, 2), (2, 2), (1, 1), out_hw):
            dx[:, :, rows, columns] = np.where(position == i * 2 + j, dy, 0)
        return dx

    return conv, conv_f, conv_b, pool_f, pool_b


def _sgd_floor(shapes, step_fn, bound=0.1):
    """The workloads' data and weights (rng as _conv_lecture_step draws them), then time step_fn(x, y, params)."""
    import workloads

    rng = np.random.default_rng(0)
    x = rng.random((64, 1, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, 64)
    params = [rng.uniform(-bound, bound, s).astype(np.float32) for s in shapes]
    step = lambda: step_fn(x, y, params)  # noqa: E731
    seconds = workloads._median_time(step, warmup=3, repeats=10)
    return seconds, f"loss = {step():.5f}"


def _inception_shapes(c):
    return [(16, c, 1, 1), (16,), (16, c, 1, 1), (16,), (24, 16, 5, 5), (24,), (16, c, 1, 1), (16,),
            (24, 16, 3, 3), (24,), (24, 24, 3, 3), (24,), (24, c, 1, 1), (24,)]


def w7_numpy():
    """The GoogLeNet-style step: forward, backpropagation by hand, SGD lr 0.01."""
    conv, conv_f, conv_b, pool_f, pool_b = _conv_net_tools()
    pads = (1, 1, 1, 1)

    def inception_f(x, p):
        b1, c1 = conv_f(x, p[0], p[1], 0)
        t5, c51 = conv_f(x, p[2], p[3], 0)
        b5, c52 = conv_f(t5, p[4], p[5], 2)
        t3, c31 = conv_f(x, p[6], p[7], 0)
        u3, c32 = conv_f(t3, p[8], p[9], 1)
        b3, c33 = conv_f(u3, p[10], p[11], 1)
        avg = conv.window_sum(x, (3, 3), (1, 1), pads, x.shape[2:])
        avg /= 9  # (count_include_pad: every window counts 9)
        bp, cp = conv_f(avg, p[12], p[13], 0)
        return np.concatenate([b1, b5, b3, bp], 1), (x.shape, c1, c51, c52, c31, c32, c33, cp)

    def inception_b(dy, cache):
        shape, c1, c51, c52, c31, c32, c33, cp = cache
        d1, d5, d3, dp = dy[:, :16], dy[:, 16:40], dy[:, 40:64], dy[:, 64:]
        grads = [None] * 14
        dx, grads[0], grads[1] = conv_b(np.ascontiguousarray(d1), c1)
        dt, grads[4], grads[5] = conv_b(np.ascontiguousarray(d5), c52)
        dx2, grads[2], grads[3] = conv_b(dt, c51)
        dx += dx2
        du, grads[10], grads[11] = conv_b(np.ascontiguousarray(d3), c33)
        dt, grads[8], grads[9] = conv_b(du, c32)
        dx2, grads[6], grads[7] = conv_b(dt, c31)
        dx += dx2
        davg, grads[12], grads[13] = conv_b(np.ascontiguousarray(dp), cp)
        dx += conv.window_spread(davg / 9, shape, (3, 3), (1, 1), pads)
        return dx, grads

    def step(x, y, params):
        w1, b1, w2, b2 = params[:4]
        inc1, inc2, (wf, bf) = params[4:18], params[18:32], params[32:]
        h, cc1 = conv_f(x, w1, b1, 0)
        h, cp1 = pool_f(h)
        r1 = np.maximum(h, 0)
        h, ci1 = inception_f(r1, inc1)
        h, cc2 = conv_f(h, w2, b2, 0)
        h, cp2 = pool_f(h)
        r2 = np.maximum(h, 0)
        h, ci2 = inception_f(r2, inc2)
        flat = h.reshape(64, -1)
        loss, dz = _cross_entropy(flat @ wf.T + bf, y)
        grads = [None] * 4
        dh, g_inc2 = inception_b((dz @ wf).reshape(h.shape), ci2)
        dh = pool_b(dh * (r2 > 0), cp2)
        dh, grads[2], grads[3] = conv_b(dh, cc2)
        dh, g_inc1 = inception_b(dh, ci1)
        dh = pool_b(dh * (r1 > 0), cp1)
        _, grads[0], grads[1] = conv_b(dh, cc1, need_x=False)
        grads += g_inc1 + g_inc2 + [dz.T @ flat, dz.sum(0)]
        for p, g in zip(params, grads):
            p -= 0.01 * g
        return loss

    shapes = [(10, 1, 5, 5), (10,), (20, 88, 5, 5), (20,)] + _inception_shapes(10) + _inception_shapes(20) + [
        (10, 1408), (10,)]
    return _sgd_floor(shapes, step)


def w8_numpy():
    """The ResNet-style step: forward, backpropagation by hand, SGD lr 0.01."""
    conv, conv_f, conv_b, pool_f, pool_b = _conv_net_tools()

    def block_f(x, w1, b1, w2, b2):  # relu(x + conv2(relu(conv1(x))))
        h, c1 = conv_f(x, w1, b1, 1)
        r = np.maximum(h, 0)
        h, c2 = conv_f(r, w2, b2, 1)
        h += x
        out = np.maximum(h, 0)
        return out, (c1, r, c2, out)

    def block_b(dy, cache):
        c1, r, c2, out = cache
        dh = dy * (out > 0)
        dr, gw2, gb2 = conv_b(dh, c2)
        dx, gw1, gb1 = conv_b(dr * (r > 0), c1)
        dx += dh
        return dx, [gw1, gb1, gw2, gb2]

    def step(x, y, params):
        w1, b1, w2, b2 = params[:4]
        blk1, blk2, (wf, bf) = params[4:8], params[8:12], params[12:]
        h, cc1 = conv_f(x, w1, b1, 0)
        r1 = np.maximum(h, 0)
        h, cp1 = pool_f(r1)
        h, cb1 = block_f(h, *blk1)
        h, cc2 = conv_f(h, w2, b2, 0)
        r2 = np.maximum(h, 0)
        h, cp2 = pool_f(r2)
        h, cb2 = block_f(h, *blk2)
        flat = h.reshape(64, -1)
        loss, dz = _cross_entropy(flat @ wf.T + bf, y)
        grads = [None] * 4
        dh, g_blk2 = block_b((dz @ wf).reshape(h.shape), cb2)
        dh = pool_b(dh, cp2) * (r2 > 0)
        dh, grads[2], grads[3] = conv_b(dh, cc2)
        dh, g_blk1 = block_b(dh, cb1)
        dh = pool_b(dh, cp1) * (r1 > 0)
        _, grads[0], grads[1] = conv_b(dh, cc1, need_x=False)
        grads += g_blk1 + g_blk2 + [dz.T @ flat, dz.sum(0)]
        for p, g in zip(params, grads):
            p -= 0.01 * g
        return loss

    shapes = [(16, 1, 5, 5), (16,), (32, 16, 5, 5), (32,), (16, 16, 3, 3), (16,), (16, 16, 3, 3), (16,),
              (32, 32, 3, 3), (32,), (32, 32, 3, 3), (32,), (10, 512), (10,)]
    return _sgd_floor(shapes, step)


def w4_numpy():
    """The small CNN step (conv 3x3 pad 1, relu, max-pool, twice; linear): by hand, convolutions as in W7/W8."""
    import workloads

    conv, conv_f, conv_b, pool_f, pool_b = _conv_net_tools()
    rng = np.random.default_rng(0)
    x = rng.random((64, 1, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, 64)
    params = [rng.uniform(-0.3, 0.3, s).astype(np.float32) for s in
              [(8, 1, 3, 3), (8,), (16, 8, 3, 3), (16,), (10, 784), (10,)]]

    def step():
        w1, b1, w2, b2, wf, bf = params
        h, c1 = conv_f(x, w1, b1, 1)
        r1 = np.maximum(h, 0)
        h, p1 = pool_f(r1)
        h, c2 = conv_f(h, w2, b2, 1)
        r2 = np.maximum(h, 0)
        h, p2 = pool_f(r2)
        flat = h.reshape(64, -1)
        loss, dz = _cross_entropy(flat @ wf.T + bf, y)
        dh = pool_b((dz @ wf).reshape(h.shape), p2) * (r2 > 0)
        dh, gw2, gb2 = conv_b(dh, c2)
        dh = pool_b(dh, p1) * (r1 > 0)
        _, gw1, gb1 = conv_b(dh, c1, need_x=False)
        for p, g in zip(params, (gw1, gb1, gw2, gb2, dz.T @ flat, dz.sum(0))):
            p -= 0.01 * g
        return loss

    seconds = workloads._median_time(step, warmup=3, repeats=30)
    return seconds, f"loss = {step():.5f}"


# ----------------------------------------------------------------------------
# R1: the seeded randn(1000, 1000) by NumPy alone. torch's draws are its Mersenne Twister's words turned into
# uniforms and then normals by an AVX2 Box-Muller whose float32 log, sine and cosine are polynomials evaluated with
# fused multiply-adds. NumPy has no fused multiply-add, so each one is emulated exactly in float64 (a few passes
# over the million values each): ember's own array kernels (ember/random.py's _normal, no Tensor, no graph) are
# the fastest such route found, and are this floor.
# ----------------------------------------------------------------------------
def r1_numpy():
    import workloads  # (which imports this module: imported when run)
    from ember.random import Generator, _normal

    def draw():
        generator = Generator()
        generator.manual_seed(0)
        return _normal(generator, 1000 * 1000, np.float32, 0.0, 1.0).reshape(1000, 1000)

    return workloads._median_time(draw, warmup=2, repeats=15), f"sum = {draw().astype(np.float64).sum():.6f}"


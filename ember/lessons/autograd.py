"""Lesson 8: the notes' PyTorch program, run on ember: requires_grad, backward, .grad, .data, zero_()."""
import ember as torch

ID = "autograd"
TITLE = "8. Pytorch构建计算图 Autograd: the notes' program"
X_DATA, Y_DATA = [1.0, 2.0, 3.0], [2.0, 4.0, 6.0]


def notes_program(epochs=100, zero_grad=True):
    """The notes' program (typos fixed), with ember imported as torch; returns the printed gradients."""
    w = torch.Tensor([1.0])
    w.requires_grad = True  # keep a gradient for w
    printed = []
    for epoch in range(epochs):
        for x, y in zip(X_DATA, Y_DATA):
            l = (x * w - y) ** 2  # forward: builds the computational graph
            l.backward()  # backward: d(l)/dw lands in w.grad, the graph is freed
            printed.append((epoch, x, y, w.grad.item()))  # .item(): the number inside a one-element tensor
            w.data = w.data - 0.01 * w.grad.data  # update through .data: outside the graph
            if zero_grad:
                w.grad.data.zero_()  # reset: backward adds to .grad
    return w.item(), printed


def build(page):
    page.text("""
        A Tensor holds data (its values) and grad (a Tensor of the same shape: d(loss)/d(this tensor)). With
        requires_grad = True, every operation on it is recorded as a graph; l.backward() runs the chain rule
        back through that graph and adds each leaf's gradient into its .grad, then frees the graph.""")
    page.text("""
        Corrected from the notes' listing: `1 = loss(x, y)` and `1.backward()` use the digit 1 where the letter
        l is meant; `for epoch in range(100)` needs its colon; and w.grad.data.zero_() belongs inside the
        sample loop, right after the update, as below. And not every gradient of the backward pass is stored
        in a .grad, as the notes say: only the leaves (here w) keep theirs; the intermediate results of the
        graph pass theirs on and keep nothing, unless retain_grad() asks for it.""")
    page.code(notes_program)
    w, printed = notes_program()
    page.table(["epoch", "x", "y", "grad"], [list(r) for r in printed[:9]], "the first three epochs, as printed")
    page.text(f"""
        After 100 epochs w = {w:.6f}, and the model predicts {4 * w:.4f} for x = 4. The numbers are exactly
        PyTorch's (the test suite runs the same program on both).""")
    page.heading("不清零会怎样 Without w.grad.data.zero_()")
    w_acc, acc = notes_program(epochs=3, zero_grad=False)
    page.table(["step", "x", "grad (accumulated)"], [[i, r[1], r[3]] for i, r in enumerate(acc)])
    page.text(f"""
        backward() adds to .grad rather than replacing it, so without zeroing every step uses the sum of all
        the gradients so far. The steps grow and w overshoots: after 3 epochs w = {w_acc:.4f} instead of
        {notes_program(epochs=3)[0]:.4f}. (Accumulation is on purpose: it is how a gradient can be summed over
        several backward calls.)""")
    page.heading("为什么通过 .data 更新 Why the update goes through .data")
    v = torch.Tensor([1.0])
    v.requires_grad = True
    (v * 2).sum().backward()
    try:
        v -= 0.01 * v.grad
        message = "(no error)"
    except RuntimeError as error:
        message = str(error)
    page.text(f"""
        w is a leaf that requires grad; changing it in place while autograd records would rewrite a value the
        graph may need, so ember, like PyTorch, refuses: "{message}". w.data is the same numbers without the
        autograd bookkeeping, so updating through it records nothing. The same goes for the gradient:
        w.grad.data is used so that the update itself does not build a new graph. (Modern code writes the
        update inside `with torch.no_grad():`.)""")
    return {"final_w": w, "grads": [r[3] for r in printed], "accumulated_w": w_acc, "inplace_error": message}

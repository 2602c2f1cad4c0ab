"""Lesson 10: tensors: view/reshape, broadcasting, and why a broadcast operand's gradient is summed."""
import ember

ID = "tensors"
TITLE = "10. Tensor的基本方法与广播机制 Tensors: view, reshape and broadcasting"


def broadcast_gradient():
    """b is added to every row of a: its gradient is the sum over those rows."""
    a = ember.ones(4, 3, requires_grad=True)
    b = ember.tensor([1.0, 2.0, 3.0], requires_grad=True)
    ((a + b) * ember.arange(12.0).view(4, 3)).sum().backward()
    return a.grad, b.grad


def build(page):
    t = ember.arange(12.0)
    page.text("""
        tensor.view(shape) gives the same numbers in another shape, without copying: the new tensor shares the
        data (the notes' tensor.data.view(): like reshape). -1 lets ember work out one dimension.""")
    v = t.view(3, 4)
    v[0, 0] = 100.0
    rows = [["t", list(t.shape), "arange(12)"], ["t.view(3, 4)", list(v.shape), "rows of 4"],
            ["t.view(2, -1, 3)", list(t.view(2, -1, 3).shape), "-1 is inferred: 2"],
            ["t.view(3, 4).t()", list(v.t().shape), "a transposed view: not contiguous"]]
    page.table(["expression", "shape", ""], rows)
    page.text(f"""
        After v[0, 0] = 100, t[0] is {t[0].item():g}: a view and its tensor are the same memory. view needs a
        layout where the new shape can walk the memory in order; a transposed tensor cannot be viewed flat:""")
    try:
        v.t().view(12)
        message = "(no error)"
    except RuntimeError as error:
        message = str(error)
    page.table(["v.t().view(12)"], [[message]])
    page.text("reshape() does the same as view() when it can, and copies when it must: v.t().reshape(12) works.")
    page.heading("广播机制 Broadcasting")
    page.text("""
        When two tensors' shapes differ, broadcasting stretches them to a common shape: the shapes are aligned
        from the right, missing leading dims count as 1, and each pair of dims must be equal or contain a 1
        (which is repeated). Nothing is copied: the stretched values are read again.""")
    examples = [((3, 4), (4,)), ((3, 4), ()), ((2, 1, 3), (4, 1)), ((5, 1), (1, 6)), ((3, 4), (3,))]
    rows = []
    for a, b in examples:
        try:
            shape = list((ember.zeros(*a) + ember.zeros(*b)).shape)
        except RuntimeError as error:
            shape = f"error: {str(error).split(':')[0]}"
        rows.append([str(list(a)), str(list(b)), str(shape)])
    page.table(["a", "b", "a + b"], rows, "the last one fails: 4 and 3 are different and neither is 1")
    page.heading("广播与梯度 Why a broadcast operand's gradient is summed back")
    page.code(broadcast_gradient)
    grad_a, grad_b = broadcast_gradient()
    page.text(f"""
        b (shape [3]) was used once for each of the 4 rows of a, so every one of those uses contributes to its
        gradient: b.grad = {grad_b.tolist()} is the column sum of the upstream gradient
        {ember.arange(12.0).view(4, 3).sum(0).tolist()}, and has b's shape, as every gradient has its tensor's
        shape. ember's engine does this summing in one place for every op.""")
    return {"view_shares_memory": t[0].item() == 100.0, "grad_b": grad_b.tolist(), "view_error": message}

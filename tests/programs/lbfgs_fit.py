"""Fitting a curve three ways, as the optimizer lectures compare them: SGD, ASGD and L-BFGS (with a closure and
the strong-Wolfe line search), in float64 from the same starting weights."""
import torch

torch.set_default_dtype(torch.float64)
x = torch.linspace(-1, 1, 21).unsqueeze(1)
y = torch.sin(3 * x) + 0.5 * x ** 2


def make_model():
    model = torch.nn.Sequential(torch.nn.Linear(1, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    with torch.no_grad():
        for i, p in enumerate(model.parameters()):
            p.copy_(torch.cos(torch.arange(p.numel()) * 0.7 + i).reshape(p.shape) * 0.5)
    return model


for name in ("SGD", "ASGD", "LBFGS"):
    model = make_model()
    if name == "LBFGS":
        optimizer = torch.optim.LBFGS(model.parameters(), lr=1, history_size=10, max_iter=20,
                                      line_search_fn="strong_wolfe")
        steps = 5
    else:
        optimizer = getattr(torch.optim, name)(model.parameters(), lr=0.1)
        steps = 200

    def closure():
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        return loss

    for step in range(steps):
        loss = optimizer.step(closure)
        if step % (1 if name == "LBFGS" else 50) == 0:
            print(name, step, "%.10f" % loss.item())
    final = torch.nn.functional.mse_loss(model(x), y).item()
    print(name, "final %.10f" % final)
    if name == "LBFGS":
        state = optimizer.state[next(iter(model.parameters()))]
        print("evaluations", state["func_evals"], "iterations", state["n_iter"])

"""A course CNN trained on the GPU equals the same run on the CPU (to float32 rounding); the tutorial idiom runs.

Random draws (initial weights, dropout masks, shuffling) come from ember's host generator on every device,
so the two runs see the same numbers and differ only in the GPU's float32 arithmetic. Skipped without a GPU.
"""
import numpy as np

import ember
from cuda.gpu import needs_gpu

pytestmark = needs_gpu
nn, F = ember.nn, ember.nn.functional


class Net(nn.Module):  # examples/digits_cnn.py's network
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(32, 64, kernel_size=3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.dropout = nn.Dropout(0.25)
        self.fc = nn.Linear(64 * 2 * 2, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        return self.fc(self.dropout(x.flatten(1)))


def _train(device, epochs=2):
    from sklearn.datasets import load_digits
    digits = load_digits()
    images = (digits.images[:, None] / 16.0).astype(np.float32)
    ember.manual_seed(0)
    data = ember.utils.data.TensorDataset(ember.tensor(images[:800]), ember.tensor(digits.target[:800]))
    loader = ember.utils.data.DataLoader(data, batch_size=32, shuffle=True, pin_memory=True)
    model = Net().to(device)
    optimizer = ember.optim.Adam(model.parameters(), lr=2e-3)
    losses = []
    for _ in range(epochs):
        model.train()
        for xb, yb in loader:
            xb, yb = xb.to(device, non_blocking=True), yb.to(device, non_blocking=True)
            optimizer.zero_grad()
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            ember.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            optimizer.step()
            losses.append(loss.item())
    model.eval()
    with ember.no_grad():
        test = ember.tensor(images[800:1000]).to(device)
        predictions = model(test).argmax(1).cpu()
    return np.array(losses), [p.detach().cpu().numpy() for p in model.parameters()], predictions.numpy()


def test_cnn_on_the_gpu_equals_the_cpu_run():
    cpu_losses, cpu_params, cpu_pred = _train("cpu")
    gpu_losses, gpu_params, gpu_pred = _train("cuda")
    np.testing.assert_allclose(gpu_losses, cpu_losses, rtol=2e-3, atol=2e-4)
    for c, g in zip(cpu_params, gpu_params):
        np.testing.assert_allclose(g, c, rtol=2e-3, atol=2e-4)
    assert (gpu_pred != cpu_pred).sum() <= 2
    assert (cpu_losses[-10:].mean() < cpu_losses[:10].mean())


def test_the_tutorial_idiom_runs_on_the_gpu(tmp_path):
    device = ember.device("cuda" if ember.cuda.is_available() else "cpu")
    assert device.type == "cuda"
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2)).to(device)
    x = ember.randn(16, 4, device=device)
    out = model(x)
    assert out.is_cuda and out.device == ember.device("cuda", 0)
    ember.save(model.state_dict(), tmp_path / "m.safetensors")
    state = ember.load(tmp_path / "m.safetensors", map_location="cpu")
    assert all(v.device == ember.device("cpu") for v in state.values())
    start, end = ember.cuda.Event(enable_timing=True), ember.cuda.Event(enable_timing=True)
    start.record()
    model(x).sum().backward()
    end.record()
    ember.cuda.synchronize()
    assert start.elapsed_time(end) >= 0 and ember.cuda.memory_allocated() > 0
    import torch
    assert ember.cuda.get_device_name() == torch.cuda.get_device_name()
    assert ember.cuda.device_count() == torch.cuda.device_count()
    assert ember.cuda.get_device_properties(0).total_memory == torch.cuda.get_device_properties(0).total_memory

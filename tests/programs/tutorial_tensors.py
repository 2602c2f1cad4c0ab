"""PyTorch's "Tensors" tutorial, as a learner types it: making tensors, their attributes, operations (with out=),
the NumPy bridge, the default device, and what they print."""
import numpy as np
import torch
import torch.onnx  # imported at the top by programs that export only when asked

torch.manual_seed(0)

# Initializing a tensor
data = [[1, 2], [3, 4]]
x_data = torch.tensor(data)
np_array = np.array(data)
x_np = torch.from_numpy(np_array)
print(x_data, x_np)
x_ones = torch.ones_like(x_data)
print(f"Ones Tensor: \n {x_ones} \n")
x_rand = torch.rand_like(x_data, dtype=torch.float)
print(f"Random Tensor: \n {x_rand} \n")
shape = (2, 3,)
rand_tensor = torch.rand(shape)
ones_tensor = torch.ones(shape)
zeros_tensor = torch.zeros(shape)
print(f"Random Tensor: \n {rand_tensor} \n")
print(f"Ones Tensor: \n {ones_tensor} \n")
print(f"Zeros Tensor: \n {zeros_tensor}")

# Attributes of a tensor
tensor = torch.rand(3, 4)
print(f"Shape of tensor: {tensor.shape}")
print(f"Datatype of tensor: {tensor.dtype}")
print(f"Device tensor is stored on: {tensor.device}")
print(type(tensor), type(tensor.shape), tensor.size(), tensor.type())
print(torch.float64, torch.int64, torch.get_default_dtype(), torch.get_default_device())

# Operations on tensors
if torch.accelerator.is_available():
    tensor = tensor.to(torch.accelerator.current_accelerator())
print(torch.accelerator.current_accelerator(), torch.accelerator.device_count())
device = torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"
torch.set_default_device(device)
print(f"Using {device} device", torch.get_default_device())
with torch.device("cpu"):
    inside = torch.zeros(2)
print(inside.device, torch.get_default_device())
tensor = torch.ones(4, 4)
print(f"First row: {tensor[0]}")
print(f"First column: {tensor[:, 0]}")
print(f"Last column: {tensor[..., -1]}")
tensor[:, 1] = 0
print(tensor)
t1 = torch.cat([tensor, tensor, tensor], dim=1)
print(t1)

# Arithmetic operations: three ways to the same product, and out=
y1 = tensor @ tensor.T
y2 = tensor.matmul(tensor.T)
y3 = torch.rand_like(y1)
result = torch.matmul(tensor, tensor.T, out=y3)
print(y1, y3, result is y3)
z1 = tensor * tensor
z2 = tensor.mul(tensor)
z3 = torch.rand_like(tensor)
torch.mul(tensor, tensor, out=z3)
print(z3)
total = torch.empty(0)
torch.add(tensor, 1, out=total)
print(total.shape, total)
values, indices = torch.empty(0), torch.empty(0, dtype=torch.long)
print(torch.max(torch.arange(12.).reshape(3, 4), 1, out=(values, indices)))
print(torch.sum(t1, 0, out=torch.empty(0, dtype=torch.float64)))
print(torch.arange(5, out=torch.empty(0)), torch.zeros(2, 2, out=torch.empty(0, dtype=torch.int32)))
print(torch.max(torch.tensor([[1.0, 5.0], [7.0, 2.0]]), dim=1))

# Single-element tensors
agg = tensor.sum()
agg_item = agg.item()
print(agg_item, type(agg_item))

# In-place operations
print(f"{tensor} \n")
tensor.add_(5)
print(tensor)

# Bridge with NumPy
t = torch.ones(5)
print(f"t: {t}")
n = t.numpy()
print(f"n: {n}")
t.add_(1)
print(f"t: {t}")
print(f"n: {n}")
n = np.ones(5)
t = torch.from_numpy(n)
np.add(n, 1, out=n)
print(f"t: {t}")
print(f"n: {n}")
print(torch.tensor([1.5, 2.5], dtype=torch.float64), torch.zeros(0, 2, dtype=torch.int8))
try:
    torch.add(torch.ones(2), 1, out=torch.empty(2, dtype=torch.long))
except RuntimeError as error:
    print("RuntimeError:", error)
print("exporting:", torch.onnx.is_in_onnx_export())

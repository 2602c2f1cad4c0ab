"""PyTorch's "Profiling your PyTorch Module" recipe on the CPU (no .cuda()), with a (50, 50, 50) mask for its
(500, 500, 500) one. Timings differ from run to run, so the program prints what does not: the tables' columns,
the record_function labels with their calls, and the memory the profiler saw inside them. The table's columns are
compared without "Source Location": ember shows the Python stack there, torch 2.13's table leaves it out."""
import re

import numpy as np
import torch
import torch.autograd.profiler as profiler
from torch import nn


class MyModule(nn.Module):
    def __init__(self, in_features: int, out_features: int, bias: bool = True):
        super(MyModule, self).__init__()
        self.linear = nn.Linear(in_features, out_features, bias)

    def forward(self, input, mask):
        with profiler.record_function("LINEAR PASS"):
            out = self.linear(input)

        with profiler.record_function("MASK INDICES"):
            threshold = out.sum(axis=1).mean().item()
            hi_idx = np.argwhere(mask.cpu().numpy() > threshold)
            hi_idx = torch.from_numpy(hi_idx)

        return out, hi_idx


class MyModuleImproved(MyModule):
    def forward(self, input, mask):
        with profiler.record_function("LINEAR PASS"):
            out = self.linear(input)

        with profiler.record_function("MASK INDICES"):
            threshold = out.sum(axis=1).mean()
            hi_idx = (mask > threshold).nonzero(as_tuple=True)

        return out, hi_idx


def report(prof, memory_of):
    table = prof.key_averages(group_by_stack_n=5).table(sort_by="self_cpu_time_total", row_limit=5)
    lines = table.splitlines()
    print("columns:", [name for name in re.split(r"\s{2,}", lines[1].strip()) if name != "Source Location"])
    print("footer:", lines[-1].split(":")[0])
    for a in prof.key_averages():
        if a.key in ("LINEAR PASS", "MASK INDICES"):
            print(" ", a.key, "calls", a.count, "memory", a.cpu_memory_usage if a.key in memory_of else "-")


torch.manual_seed(0)
model = MyModule(500, 10)
input = torch.rand(128, 500)
mask = torch.rand((50, 50, 50), dtype=torch.double)

model(input, mask)  # warm-up
with profiler.profile(with_stack=True, profile_memory=True) as prof:
    out, idx = model(input, mask)
report(prof, memory_of=("LINEAR PASS",))  # (torch counts the array torch.from_numpy wraps; ember does not)

model = MyModuleImproved(500, 10)
mask = torch.rand((50, 50, 50), dtype=torch.float)
model(input, mask)
with profiler.profile(with_stack=True, profile_memory=True) as prof:
    out, idx = model(input, mask)
report(prof, memory_of=("LINEAR PASS",))  # (ember's graph keeps out.sum(axis=1)'s 512 bytes: each node keeps its
#                                              output array, which torch's frees)
print("indices:", [tuple(i.shape) for i in idx] == [tuple(i.shape) for i in (mask > out.sum(axis=1).mean()).nonzero(as_tuple=True)])

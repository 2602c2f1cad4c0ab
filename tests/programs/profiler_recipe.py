"""PyTorch's "PyTorch Profiler" recipe on the CPU, with its resnet18 replaced by a small convolutional net (no
torchvision models here) and 32x32 inputs. Timings differ from run to run, so the program prints what does not:
each table's columns, and for the ops both libraries record, the calls, input shapes and memory the profiler saw.
Input shapes are compared without the [] entries of numbers (ember's ops take other numbers than torch's), and
the stack table's columns without "Source Location" (ember shows the Python stack there; torch 2.13's table
leaves it out)."""
import json
import re

import torch
import torch.nn as nn
from torch.profiler import ProfilerActivity, profile, record_function, schedule

torch.manual_seed(0)
model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
                      nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                      nn.Linear(16, 10))
model.eval()
inputs = torch.randn(5, 3, 32, 32)
OPS = ["model_inference", "aten::conv2d", "aten::batch_norm", "aten::relu", "aten::max_pool2d",
       "aten::adaptive_avg_pool2d", "aten::flatten", "aten::linear", "aten::addmm"]

# ember's max_pool2d keeps its indices on the graph node, not as a second result (torch's 81920 bytes more), and its
# adaptive_avg_pool2d is a composition whose intermediate results the graph keeps
DIFFERENT_MEMORY = ("aten::max_pool2d", "aten::adaptive_avg_pool2d", "model_inference")


def columns(table):
    lines = table.splitlines()
    names = re.split(r"\s{2,}", lines[1].strip())
    print("columns:", [name for name in names if name != "Source Location"])
    print("footer:", lines[-1].split(":")[0])


def show(averages, what):
    found = {}
    for a in averages:
        if a.key in OPS:
            found.setdefault(a.key, []).append(what(a))
    for key in OPS:
        if key in found:
            print(" ", key, sorted(found[key]))


# 1. Using profiler to analyze execution time
with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
    with record_function("model_inference"):
        model(inputs)
columns(prof.key_averages().table(sort_by="cpu_time_total", row_limit=10))
show(prof.key_averages(), lambda a: a.count)
columns(prof.key_averages(group_by_input_shape=True).table(sort_by="cpu_time_total", row_limit=10))
show(prof.key_averages(group_by_input_shape=True), lambda a: ([s for s in a.input_shapes if s], a.count))

# 2. Using profiler to analyze memory consumption
with profile(activities=[ProfilerActivity.CPU], profile_memory=True, record_shapes=True) as prof:
    model(inputs)
columns(prof.key_averages().table(sort_by="self_cpu_memory_usage", row_limit=10))
columns(prof.key_averages().table(sort_by="cpu_memory_usage", row_limit=10))
show(prof.key_averages(), lambda a: (a.count, a.cpu_memory_usage if a.key not in DIFFERENT_MEMORY else "-"))

# 3. Using tracing functionality
with profile(activities=[ProfilerActivity.CPU]) as prof:
    model(inputs)
prof.export_chrome_trace("trace.json")
trace = json.load(open("trace.json"))
print("trace events:", sorted({e["name"] for e in trace["traceEvents"] if e.get("ph") == "X"} & set(OPS)))

# 4. Examining stack traces
with profile(activities=[ProfilerActivity.CPU], with_stack=True) as prof:
    model(inputs)
columns(prof.key_averages(group_by_stack_n=5).table(sort_by="self_cpu_time_total", row_limit=2))

# 5. Using profiler to analyze long-running jobs
def trace_handler(p):
    output = p.key_averages().table(sort_by="self_cpu_time_total", row_limit=10)
    print("trace ready at step", p.step_num)
    columns(output)
    print("  steps:", sorted(a.key for a in p.key_averages() if a.key.startswith("ProfilerStep")))
    p.export_chrome_trace("trace_" + str(p.step_num) + ".json")


with profile(activities=[ProfilerActivity.CPU], schedule=schedule(wait=1, warmup=1, active=2),
             on_trace_ready=trace_handler) as p:
    for idx in range(8):
        model(inputs)
        p.step()

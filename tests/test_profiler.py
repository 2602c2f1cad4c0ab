"""ember.profiler and ember.autograd.profiler against torch's: the events a program makes (names, nesting, counts,
shapes), the table's layout (on the same events, to the character), schedules, traces, and that nothing stays
wrapped once the profiler has stopped."""
import gzip
import json
import os
import re
import threading
import warnings

import numpy as np
import pytest
import torch

import ember
import ember.nn as enn
import ember.nn.functional as EF
from ember.autograd import engine
from ember.autograd.function import Function, Op
from ember.profiler import ProfilerAction, ProfilerActivity, profile, record_function, schedule


BACKWARD = "autograd::engine::evaluate_function: "


def tree(events, inside_nodes=False):
    """Each top-level event as nested (name, [children]) tuples. What a backward node runs is left out unless
    inside_nodes: torch's node runs its kernels, where ember's hot nodes compute on arrays and record nothing."""
    def walk(e):
        if not inside_nodes and e.name.startswith(BACKWARD):  # (torch's engine also sums a broadcast gradient
            return (e.name, [(e.cpu_children[0].name, [])])   # back to its input's shape in there: ember's too)
        return (e.name, [walk(c) for c in e.cpu_children])
    return [walk(e) for e in events if e.cpu_parent is None]


def names(events):
    return [e.name for e in events]


def keep(node, wanted):
    """A tree with only the events in wanted (a child of a dropped event moves up)."""
    name, children = node
    kept = [k for c in children for k in keep(c, wanted)]
    return [(name, kept)] if name in wanted else kept


def torch_events(fn, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU], **options) as p:
            fn(torch)
    return p.events()


def ember_events(fn, **options):
    with profile(activities=[ProfilerActivity.CPU], **options) as p:
        fn(ember)
    return p.events()


def all_names(nodes):
    return {n for name, children in nodes for n in [name, *all_names(children)]}


def same_tree_on(fn, wanted=None, inside_nodes=False, **options):
    """ember's tree of events equals torch's on the names wanted (by default every name ember records; torch
    records more, inside them, and its extra events are dropped with their children moved up)."""
    ours = tree(ember_events(fn, **options), inside_nodes)
    wanted = wanted or all_names(ours)
    ours = [k for node in ours for k in keep(node, wanted)]
    theirs = [k for node in tree(torch_events(fn, **options), inside_nodes) for k in keep(node, wanted)]
    assert ours == theirs
    return ours


# ---- what is recorded ------------------------------------------------------------------------------------------------
def linear_relu(lib):
    lib.manual_seed(0)
    model = lib.nn.Sequential(lib.nn.Linear(4, 3), lib.nn.ReLU())
    x = lib.randn(2, 4)
    with lib.profiler.record_function("forward"):
        y = model(x).sum()
    y.backward()


def test_linear_relu_forward_and_backward_as_torch():
    ours = same_tree_on(linear_relu)
    assert ours[1] == ("forward", [("aten::linear", [("aten::t", []), ("aten::addmm", [])]), ("aten::relu", []),
                                   ("aten::sum", [])])
    assert ("autograd::engine::evaluate_function: AddmmBackward0", [("AddmmBackward0", [])]) in ours
    assert ours.count(("autograd::engine::evaluate_function: torch::autograd::AccumulateGrad",
                       [("torch::autograd::AccumulateGrad", [])])) == 2


def conv_net(lib):
    lib.manual_seed(0)
    nn = lib.nn
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(8, 3))
    x, y = lib.randn(2, 1, 6, 6), lib.tensor([0, 2])
    lib.nn.functional.cross_entropy(net(x), y).backward()


def test_conv_net_as_torch():
    ours = same_tree_on(conv_net, wanted={
        "aten::conv2d", "aten::convolution", "aten::relu", "aten::max_pool2d", "aten::max_pool2d_with_indices",
        "aten::linear", "aten::t", "aten::addmm", "aten::cross_entropy_loss", "aten::log_softmax",
        "aten::nll_loss", "aten::flatten", "aten::randn", "aten::view",
        "autograd::engine::evaluate_function: ConvolutionBackward0", "ConvolutionBackward0",
        "autograd::engine::evaluate_function: MaxPool2DWithIndicesBackward0", "MaxPool2DWithIndicesBackward0",
        "autograd::engine::evaluate_function: NllLossBackward0", "NllLossBackward0",
        "autograd::engine::evaluate_function: LogSoftmaxBackward0", "LogSoftmaxBackward0",
        "autograd::engine::evaluate_function: ReluBackward0", "ReluBackward0",
        "autograd::engine::evaluate_function: torch::autograd::AccumulateGrad", "torch::autograd::AccumulateGrad"})
    assert ("aten::conv2d", [("aten::convolution", [])]) in ours
    assert ("aten::max_pool2d", [("aten::max_pool2d_with_indices", [])]) in ours
    assert ("aten::flatten", [("aten::view", [])]) in ours


def custom_function(lib):
    class Square(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

    x = lib.ones(3, requires_grad=True)
    Square.apply(x).sum().backward()


def test_a_custom_function_is_named_for_its_class():
    ours = same_tree_on(custom_function, inside_nodes=True, wanted={"aten::ones", "Square", "aten::mul", "aten::sum", "SquareBackward",
                                                 "autograd::engine::evaluate_function: SquareBackward"})
    assert ("Square", [("aten::mul", [])]) in ours
    assert ("autograd::engine::evaluate_function: SquareBackward",
            [("SquareBackward", [("aten::mul", []), ("aten::mul", [])])]) in ours


def nested_labels(lib):
    x = lib.ones(2, 2)
    with lib.profiler.record_function("outer"):
        with lib.autograd.profiler.record_function("inner"):
            x = x * 2
        x = x + 1

    @lib.profiler.record_function("decorated")
    def f(x):
        return x.exp()

    f(x)


def test_record_function_nests_as_torch_and_decorates():
    ours = same_tree_on(nested_labels, wanted={"outer", "inner", "decorated", "aten::mul", "aten::add", "aten::exp",
                                                "aten::ones"})
    assert ours == [("aten::ones", []), ("outer", [("inner", [("aten::mul", [])]), ("aten::add", [])]),
                    ("decorated", [("aten::exp", [])])]


def test_self_time_is_total_less_children():
    events = ember_events(nested_labels)
    for e in events:
        assert e.self_cpu_time_total == pytest.approx(e.cpu_time_total - sum(c.cpu_time_total
                                                                               for c in e.cpu_children))
        assert e.cpu_time_total >= 0 and e.time_range.end >= e.time_range.start
    outer = next(e for e in events if e.name == "outer")
    assert outer.cpu_time_total >= sum(c.cpu_time_total for c in outer.cpu_children)


def test_record_shapes_as_torch_prints_them():
    def program(lib):
        lib.nn.functional.linear(lib.ones(2, 4), lib.ones(3, 4), lib.ones(3))
        lib.relu(lib.ones(5, 1))
    for events in (ember_events(program, record_shapes=True), torch_events(program, record_shapes=True)):
        shapes = {e.name: e.input_shapes for e in events}
        assert shapes["aten::linear"] == [[2, 4], [3, 4], [3]]
        assert shapes["aten::relu"] == [[5, 1]]
    assert all(e.input_shapes == [] for e in ember_events(program))  # not asked for


def test_profile_memory_counts_the_bytes_of_new_results():
    def program(lib):
        x = lib.ones(4, 8, dtype=lib.float64)
        y = x.t()  # a view: nothing allocated
        (y * 2).sum()
    ours = {e.name: (e.cpu_memory_usage, e.self_cpu_memory_usage) for e in ember_events(program, profile_memory=True)}
    theirs = {e.name: (e.cpu_memory_usage, e.self_cpu_memory_usage)
              for e in torch_events(program, profile_memory=True)}
    for name in ("aten::ones", "aten::t", "aten::mul", "aten::sum"):  # (the whole range's: torch's ones allocates
        assert ours[name][0] == theirs[name][0] == {"aten::ones": 256, "aten::t": 0, "aten::mul": 256,  # in its
                                                    "aten::sum": 8}[name]  # aten::empty, and its mul copies the 2)
    assert ours["aten::t"][1] == theirs["aten::t"][1] == 0 and ours["aten::sum"][1] == theirs["aten::sum"][1] == 8
    frees = lambda events: [e.cpu_memory_usage for e in events if e.name == "[memory]" and e.cpu_memory_usage < 0]
    assert frees(ember_events(program, profile_memory=True)) == [-256, -8, -256]  # (y * 2, its sum, x: released
    assert frees(torch_events(program, profile_memory=True))[-3:] == [-256, -8, -256]  # as the program returns)
    linear = {e.name: e for e in ember_events(lambda lib: lib.nn.functional.linear(lib.ones(2, 4), lib.ones(3, 4),
                                                                                      lib.ones(3)),
                                              profile_memory=True)}["aten::linear"]
    assert (linear.cpu_memory_usage, linear.self_cpu_memory_usage) == (24, 0)  # (the addmm inside made it)


def test_key_averages_count_and_group_by_input_shape():
    def program(lib):
        for n in (2, 2, 3):
            lib.ones(n) * 2
    for events_of in (lambda: ember_events(program, record_shapes=True),
                      lambda: torch_events(program, record_shapes=True)):
        events = events_of()
        averages = {a.key: a for a in events.key_averages()}
        assert averages["aten::mul"].count == 3 and averages["aten::mul"].input_shapes == ""
        by_shape = {(a.key, str(a.input_shapes)): a.count for a in events.key_averages(group_by_input_shapes=True)}
        assert by_shape[("aten::mul", "[[2], []]")] == 2 and by_shape[("aten::mul", "[[3], []]")] == 1
        mul = averages["aten::mul"]
        assert mul.cpu_time_total == pytest.approx(sum(e.cpu_time_total for e in events if e.name == "aten::mul"))
        assert mul.cpu_time == pytest.approx(mul.cpu_time_total / 3)


def test_only_the_profiling_thread_is_recorded():
    def elsewhere():
        ember.ones(3) * 5

    with profile() as p:
        t = threading.Thread(target=elsewhere)
        t.start()
        t.join()
        ember.ones(2) + 1
    assert names(p.events()) == ["aten::ones", "aten::add"]


# ---- nothing is left behind ------------------------------------------------------------------------------------------
def test_the_wrappers_are_gone_after_the_profiler_and_after_an_error():
    originals = (Op.__dict__["apply"], Function.__dict__["apply"], engine.call_backward, engine._accumulate,
                 EF.linear, ember.ones, ember.Tensor.__dict__["flatten"])
    with pytest.raises(ValueError):
        with profile():
            assert Op.__dict__["apply"] is not originals[0] and engine.call_backward is not originals[2]
            raise ValueError
    with profile():
        with profile():  # nested: the inner one sees its part, the outer one all
            pass
    assert (Op.__dict__["apply"], Function.__dict__["apply"], engine.call_backward, engine._accumulate,
            EF.linear, ember.ones, ember.Tensor.__dict__["flatten"]) == originals
    from ember.autograd import anomaly_mode
    assert anomaly_mode.WATCHED == []


def test_nested_profilers_each_see_their_part():
    with profile() as outer:
        ember.ones(2)
        with profile() as inner:
            ember.zeros(2)
        ember.empty(2)
    assert names(outer.events()) == ["aten::ones", "aten::zeros", "aten::empty"]
    assert names(inner.events()) == ["aten::zeros"]


def test_anomaly_detection_still_works_beside_the_profiler():
    x = ember.tensor([-1.0], requires_grad=True)
    with ember.autograd.detect_anomaly():
        with profile() as p:
            with pytest.raises(RuntimeError, match="returned nan values"):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    ember.sqrt(x).backward()
    assert "SqrtBackward0" in names(p.events())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(RuntimeError, match="returned nan values"):  # after it: anomaly's own hook still runs
            with ember.autograd.detect_anomaly():
                ember.sqrt(x).backward()


def test_a_profiled_training_step_computes_the_same_numbers():
    def step(lib, profiled):
        lib.manual_seed(0)
        model = lib.nn.Sequential(lib.nn.Linear(5, 4), lib.nn.Tanh(), lib.nn.Linear(4, 2))
        loss = lib.nn.functional.cross_entropy(model(lib.randn(6, 5)), lib.tensor([0, 1, 0, 1, 1, 0]))
        if profiled:
            with lib.profiler.profile():
                loss.backward()
        else:
            loss.backward()
        return [p.grad.numpy().copy() for p in model.parameters()]
    for a, b in zip(step(ember, True), step(ember, False)):
        np.testing.assert_array_equal(a, b)


# ---- the table -------------------------------------------------------------------------------------------------------
def same_events(lib, events):
    """The same FunctionEvents in lib's classes: (id, name, start, end, parent id, memory, shapes, stack)."""
    util = lib.autograd.profiler_util
    made = {}
    for i, name, start, end, parent, memory, shapes, stack in events:
        e = util.FunctionEvent(i, name, 1, start, end, input_shapes=shapes, stack=stack, cpu_memory_usage=memory)
        if parent is not None and lib is ember:
            e.set_cpu_parent(made[parent])
        made[i] = e
    result = util.EventList(list(made.values()), profile_memory=any(m for *_, m, _, _ in events))
    result._build_tree()
    return result


EVENTS = [(1, "model_inference", 0.0, 1500.0, None, 600, [], []),
          (2, "aten::conv2d", 10.0, 900.0, 1, 512, [[2, 1, 6, 6], [2, 1, 3, 3], [2]], []),
          (3, "aten::convolution", 20.0, 880.0, 2, 512, [[2, 1, 6, 6], [2, 1, 3, 3], [2]], []),
          (4, "aten::relu", 910.0, 950.5, 1, 64, [[2, 2, 4, 4]], []),
          (5, "aten::relu", 960.0, 1001.25, 1, 64, [[2, 2, 4, 4]], []),
          (6, "a_rather_long_name_of_a_range_that_runs_past_the_name_column_width", 1100.0, 1400.0, 1, 0, [], []),
          (7, "aten::mul", 1401.0, 1402.5, 1, 8, [[1], []], [])]


@pytest.mark.parametrize("sort_by", [None, "cpu_time_total", "self_cpu_time_total", "count", "cpu_memory_usage",
                                     "self_cpu_memory_usage", "cuda_time_total"])
def test_the_table_is_torchs_to_the_character(sort_by):
    for group in (False, True):
        ours = same_events(ember, EVENTS).key_averages(group_by_input_shapes=group)
        theirs = same_events(torch, EVENTS).key_averages(group_by_input_shapes=group)
        for limit in (100, 3):
            assert ours.table(sort_by=sort_by, row_limit=limit) == theirs.table(sort_by=sort_by, row_limit=limit)
    ours, theirs = same_events(ember, EVENTS), same_events(torch, EVENTS)
    assert ours.table(sort_by=sort_by, header="all events", top_level_events_only=True, time_unit="ms") == \
        theirs.table(sort_by=sort_by, header="all events", top_level_events_only=True, time_unit="ms")
    no_memory = [e[:5] + (0,) + e[6:] for e in EVENTS]
    assert same_events(ember, no_memory).key_averages().table(sort_by=sort_by) == \
        same_events(torch, no_memory).key_averages().table(sort_by=sort_by)


def test_the_table_with_stacks_is_torchs():
    stacked = [e[:7] + ([f"prog.py({e[0]}): forward", "prog.py(40): <module>"],) for e in EVENTS]
    ours = same_events(ember, stacked).key_averages(group_by_stack_n=2)
    theirs = same_events(torch, stacked).key_averages(group_by_stack_n=2)
    assert ours.table(sort_by="self_cpu_time_total") == theirs.table(sort_by="self_cpu_time_total")


def test_a_real_table_has_torchs_columns_and_footer():
    with profile(record_shapes=True, profile_memory=True) as p:
        linear_relu(ember)
    text = p.key_averages(group_by_input_shape=True).table(sort_by="cpu_time_total", row_limit=4)
    lines = text.splitlines()
    assert re.split(r"\s{2,}", lines[1].strip()) == ["Name", "Self CPU %", "Self CPU", "CPU total %", "CPU total",
                                                     "CPU time avg", "CPU Mem", "Self CPU Mem", "# of Calls",
                                                     "Input Shapes"]
    assert len(lines) == 3 + 4 + 2 and lines[0] == lines[2] == lines[-2] and set(lines[0]) == {"-", " "}
    assert re.fullmatch(r"Self CPU time total: \d+\.\d{3}(us|ms|s)", lines[-1])
    assert str(p.key_averages()) == p.key_averages().table()


def test_averages_and_events_have_torchs_attributes():
    with profile(record_shapes=True) as p:
        linear_relu(ember)
    average = p.key_averages()[0]
    for name in ("key", "count", "cpu_time_total", "self_cpu_time_total", "cpu_time", "input_shapes",
                 "cpu_memory_usage", "self_cpu_memory_usage", "device_time_total", "cuda_time_total",
                 "self_cpu_time_total_str", "cpu_time_str", "stack", "is_async", "node_id", "flops"):
        getattr(average, name)
    event = p.events()[0]
    for name in ("id", "name", "thread", "time_range", "cpu_children", "cpu_parent", "input_shapes", "stack",
                 "cpu_time_total", "self_cpu_time_total", "cpu_time", "key", "count", "cpu_memory_usage"):
        getattr(event, name)
    total = p.events().total_average()
    assert total.key == "Total" and total.count == len(p.events())
    assert p.events().self_cpu_time_total == pytest.approx(total.self_cpu_time_total)


# ---- schedules and traces ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("args", [dict(wait=1, warmup=1, active=2), dict(wait=1, warmup=1, active=2, repeat=2),
                                  dict(wait=0, warmup=2, active=1, repeat=1, skip_first=3),
                                  dict(wait=2, warmup=1, active=3, skip_first=1, skip_first_wait=1)])
def test_schedule_states_are_torchs(args):
    ours, theirs = schedule(**args), torch.profiler.schedule(**args)
    assert [ours(i).name for i in range(20)] == [theirs(i).name for i in range(20)]


def test_schedule_refuses_bad_arguments_and_warns_without_warmup():
    for lib in (ember, torch):
        with pytest.raises(AssertionError, match="Invalid profiler schedule arguments"):
            lib.profiler.schedule(wait=1, warmup=1, active=0)
        with pytest.warns(UserWarning, match="won't be using warmup"):
            lib.profiler.schedule(wait=1, warmup=0, active=1)


def scheduled(lib, seen, **options):
    def ready(p):
        seen.append((p.step_num, sorted({e.key for e in p.key_averages()})))

    with lib.profiler.profile(schedule=lib.profiler.schedule(wait=1, warmup=1, active=2, repeat=2),
                              on_trace_ready=ready, **options) as p:
        for step in range(10):
            lib.ones(1) * step
            p.step()
    return p


def test_a_scheduled_profile_hands_over_the_traces_torch_does():
    ours, theirs = [], []
    scheduled(ember, ours)
    scheduled(torch, theirs)
    assert [s for s, _ in ours] == [s for s, _ in theirs] == [4, 8]
    for (_, keys), (_, torch_keys) in zip(ours, theirs):
        assert keys == ["ProfilerStep*", "aten::mul", "aten::ones"]  # (the steps average as one row, as torch's)
        assert set(keys) <= set(torch_keys)


def test_chrome_trace_is_json_with_the_events(tmp_path):
    with profile(record_shapes=True) as p:
        linear_relu(ember)
    path = str(tmp_path / "trace.json")
    p.export_chrome_trace(path)
    trace = json.load(open(path))
    complete = [e for e in trace["traceEvents"] if e["ph"] == "X"]
    assert [e["name"] for e in complete] == names(p.events())
    linear = next(e for e in complete if e["name"] == "aten::linear")
    assert linear["cat"] == "cpu_op" and linear["args"]["Input Dims"] == [[2, 4], [3, 4], [3]]
    assert linear["dur"] >= 0 and next(e for e in complete if e["name"] == "forward")["cat"] == "user_annotation"
    p.export_chrome_trace(path + ".gz")
    assert json.loads(gzip.open(path + ".gz").read())["traceEvents"] == trace["traceEvents"]


def test_tensorboard_trace_handler_names_files_as_torch(tmp_path):
    for lib in (ember, torch):
        folder = tmp_path / lib.__name__
        handler = lib.profiler.tensorboard_trace_handler(str(folder), worker_name="w0")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with lib.profiler.profile(schedule=lib.profiler.schedule(wait=0, warmup=1, active=1),
                                      on_trace_ready=handler) as p:
                for _ in range(3):  # steps 1 and 3 are recorded: the second trace is handed over at the exit
                    lib.ones(2)
                    p.step()
        files = os.listdir(folder)
        assert len(files) == 2 and all(re.fullmatch(r"w0\.\d+\.pt\.trace\.json", f) for f in files)
        first = min(files, key=lambda f: int(f.split(".")[1]))  # (the second holds step 3's empty range)
        assert "aten::ones" in {e["name"] for e in json.load(open(folder / first))["traceEvents"]}


def test_export_stacks(tmp_path):
    with profile(with_stack=True) as p:
        ember.ones(2) * 3
    assert any(__file__ in frame for frame in p.events()[0].stack)
    ember_dir = os.path.dirname(ember.__file__)
    assert all(ember_dir not in frame for frame in p.events()[0].stack)  # (the program's frames only)
    path = tmp_path / "stacks.txt"
    p.export_stacks(str(path))
    lines = open(path).read().splitlines()
    assert len(lines) == 2 and all(re.fullmatch(r".*test_profiler\.py.* \d+", line) for line in lines)
    with profile() as q:
        pass
    with pytest.raises(AssertionError, match="requires with_stack=True"):
        q.export_stacks(str(path))


# ---- the older API and errors ---------------------------------------------------------------------------------------
def test_the_autograd_profiler_api():
    import ember.autograd.profiler as profiler
    with profiler.profile(record_shapes=True) as prof:
        with profiler.record_function("label"):
            ember.ones(2, 2).sum()
    assert names(prof.function_events) == ["label", "aten::ones", "aten::sum"]
    assert {a.key for a in prof.key_averages()} == {"label", "aten::ones", "aten::sum"}
    assert prof.self_cpu_time_total == pytest.approx(prof.function_events.self_cpu_time_total)
    assert str(prof).startswith("-") and "Self CPU time total" in prof.table()
    with profiler.profile(enabled=False) as off:
        ember.ones(1)
    assert len(off.function_events) == 0


def test_errors_as_torch():
    for lib in (ember, torch):
        p = lib.profiler.profile()
        with pytest.raises(AssertionError, match="Profiler must be initialized before getting key averages"):
            p.key_averages()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with lib.profiler.profile() as q:
                lib.ones(1)
        with pytest.raises(AttributeError):
            q.key_averages().table(sort_by="no_such_column")
        with pytest.raises(AssertionError, match="No valid profiler activities"):
            lib.profiler.profile(activities=[])
        assert len(lib.autograd.profiler.profile().function_events) == 0  # the older one: empty before it runs
    with ember.autograd.profiler.profile() as r:
        with pytest.raises(RuntimeError, match="not reentrant"):
            r.__enter__()


def test_names_and_actions_are_torchs():
    assert [a.name for a in ProfilerActivity] == ["CPU", "XPU", "CUDA", "HPU", "MTIA", "PrivateUse1"]
    for a in ProfilerActivity:
        assert a.value == getattr(torch.profiler.ProfilerActivity, a.name).value
    assert [(a.name, a.value) for a in ProfilerAction] == [(a.name, a.value) for a in torch.profiler.ProfilerAction
                                                           if a.name != "DEVICE_STOPPED"]
    assert ProfilerActivity.CPU in ember.profiler.supported_activities()


def test_errors_before_the_profiler_has_run_are_torchs(tmp_path):
    for lib in (ember, torch):
        with pytest.raises(AssertionError, match="Profiler must be initialized before accessing events"):
            lib.profiler.profile().events()
        with pytest.raises(AssertionError, match="Profiler must be initialized before exporting chrome trace"):
            lib.profiler.profile().export_chrome_trace(str(tmp_path / "t.json"))
        with pytest.raises(AttributeError):  # the older profiler, not run or still running: nothing to export
            lib.autograd.profiler.profile().export_chrome_trace(str(tmp_path / "t.json"))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with lib.autograd.profiler.profile() as running:
                with pytest.raises(AttributeError):
                    running.export_chrome_trace(str(tmp_path / "t.json"))
    assert not os.path.exists(tmp_path / "t.json")


def test_a_second_cycle_warns_once_that_events_are_cleared():
    import ember.profiler as eprofiler
    eprofiler._WARNED.clear()
    torch.profiler.profiler._WARNINGS_SHOWN.clear()  # (an earlier test may have shown torch's)
    for lib in (ember, torch):
        with pytest.warns(UserWarning, match="Profiler clears events at the end of each cycle"):
            scheduled(lib, [])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # once a process, as torch's
        scheduled(ember, [])
        scheduled(ember, [], acc_events=True)


# ---- the same program's table in both libraries ---------------------------------------------------------------------
def forward_only(lib):
    lib.manual_seed(0)
    model = lib.nn.Sequential(lib.nn.Linear(4, 3), lib.nn.ReLU(), lib.nn.Linear(3, 2))
    x = lib.randn(5, 4)
    with lib.profiler.record_function("model_inference"):
        for _ in range(3):
            model(x).sum()


def profiled_table(lib, **table):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with lib.profiler.profile(activities=[lib.profiler.ProfilerActivity.CPU], record_shapes=True,
                                  profile_memory=True) as p:
            forward_only(lib)
    averages = p.key_averages(group_by_input_shape=table.pop("group", False))
    return averages, averages.table(**table)


@pytest.mark.parametrize("group", [False, True])
@pytest.mark.parametrize("sort_by", ["cpu_time_total", "self_cpu_memory_usage", "count"])
def test_a_real_programs_table_has_torchs_columns_and_rows(sort_by, group):
    (ours, ours_text), (theirs, theirs_text) = (profiled_table(lib, sort_by=sort_by, group=group, row_limit=100)
                                                for lib in (ember, torch))
    head = lambda text: re.split(r"\s{2,}", text.splitlines()[1].strip())
    assert head(ours_text) == head(theirs_text)
    footer = lambda text: re.sub(r"\d+\.\d+", "N", text.splitlines()[-1])
    assert re.sub(r"[mu]?s$", "", footer(ours_text)) == re.sub(r"[mu]?s$", "", footer(theirs_text)) == \
        "Self CPU time total: N"
    rows = lambda text: {line.split()[0] for line in text.splitlines()[3:-2]}
    assert rows(ours_text) <= rows(theirs_text)  # torch records more, inside these
    # (the shapes of the Tensor arguments: torch lists every argument of the aten op's schema, ember those of the
    # Python call, so the [] of numbers differ)
    key = (lambda a: (a.key, [s for s in a.input_shapes if s])) if group else (lambda a: a.key)
    their_counts = {str(key(a)): a.count for a in theirs}
    for a in ours:  # the same calls (with the same input shapes), whatever the timings
        if a.key != "[memory]":  # (torch frees the results of the ops it runs inside these)
            assert a.count == their_counts[str(key(a))], key(a)
    assert {a.key for a in ours} == {"aten::randn", "model_inference", "aten::linear", "aten::t", "aten::addmm",
                                     "aten::relu", "aten::sum", "[memory]"}


# ---- no profiler, no cost --------------------------------------------------------------------------------------------
def test_without_a_profiler_the_engine_never_calls_the_hook(monkeypatch):
    def hook(node, grad_out):
        raise AssertionError("the engine called its hook point with no profiler or anomaly detection on")
    monkeypatch.setattr(engine, "call_backward", hook)
    x = ember.ones(3, requires_grad=True)
    with record_function("no profiler: nothing recorded"):
        (x * 2).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0, 2.0]
    from ember.autograd import anomaly_mode, profiler as autograd_profiler
    assert anomaly_mode.WATCHED == [] and autograd_profiler._RECORDINGS == {}
    assert "timed" not in Op.__dict__["apply"].__func__.__qualname__


def test_the_hot_paths_are_the_originals_until_a_profiler_starts():
    import inspect
    from ember.autograd import function
    assert "timed" not in inspect.getsource(function.Op.apply.__func__)  # (no test inside Op.apply)
    before = {cls: cls.__dict__["apply"] for cls in (Op, Function)}
    with profile():
        during = {cls: cls.__dict__["apply"] for cls in (Op, Function)}
    assert all(during[c] is not before[c] for c in before)
    assert {cls: cls.__dict__["apply"] for cls in (Op, Function)} == before

"""ember.utils.tensorboard: the event files SummaryWriter writes, read back with a reader written here.

The reader checks every record's two CRCs (with a bit-by-bit CRC32C, not ember's table) and decodes the protobuf
fields by number, so the suite needs no tensorboard or protobuf package. The GOLDEN records are the bytes torch's
own SummaryWriter (torch 2.13, tensorboard 2.21) wrote for the same calls.
"""
import io
import os
import re
import socket
import struct
import subprocess
import sys
import time

import numpy as np
import pytest
from PIL import Image

import ember
from ember.utils.tensorboard import SummaryWriter
from ember.utils.tensorboard.event_file import crc32c, varint

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WALL = 1234567890.5


# ---------------------------------------------------------------------------------------------------------------
# the reader: TFRecords, protobuf wire format, and the fields of Event, Summary.Value and their parts
# ---------------------------------------------------------------------------------------------------------------

def crc32c_bitwise(data):
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 * (crc & 1))
    return crc ^ 0xFFFFFFFF


def masked(crc):
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def read_records(path):
    """The data of each record in the file, every length and data CRC checked."""
    data, records, i = open(path, "rb").read(), [], 0
    while i < len(data):
        header = data[i:i + 8]
        (n,) = struct.unpack("<Q", header)
        assert struct.unpack("<I", data[i + 8:i + 12])[0] == masked(crc32c_bitwise(header))
        body = data[i + 12:i + 12 + n]
        assert len(body) == n and struct.unpack("<I", data[i + 12 + n:i + 16 + n])[0] == masked(crc32c_bitwise(body))
        records.append(body)
        i += 16 + n
    return records


def read_varint(data, i):
    shift = value = 0
    while True:
        byte = data[i]
        value |= (byte & 0x7F) << shift
        shift, i = shift + 7, i + 1
        if byte < 0x80:
            return value, i


def fields(message):
    """{field number: [values]}: varints as ints, fixed 64/32-bit and length-delimited fields as bytes."""
    out, i = {}, 0
    while i < len(message):
        key, i = read_varint(message, i)
        wire = key & 7
        if wire == 0:
            value, i = read_varint(message, i)
        elif wire in (1, 5):
            size = 8 if wire == 1 else 4
            value, i = message[i:i + size], i + size
        else:
            assert wire == 2, f"wire type {wire}"
            size, i = read_varint(message, i)
            value, i = message[i:i + size], i + size
        out.setdefault(key >> 3, []).append(value)
    return out


def double(raw):
    return struct.unpack("<d", raw)[0]


def packed_varints(raw):
    values, i = [], 0
    while i < len(raw):
        v, i = read_varint(raw, i)
        values.append(v - (1 << 64) if v >= 1 << 63 else v)
    return values


def decode_tensor(raw):
    f = fields(raw)
    shape = None if 2 not in f else [read_varint(d, 1)[0] if d else 0 for d in fields(f[2][0]).get(2, [])]
    values = {}
    for number, name, decode in [(5, "float_val", lambda r: list(struct.unpack(f"<{len(r) // 4}f", r))),
                                 (6, "double_val", lambda r: list(struct.unpack(f"<{len(r) // 8}d", r))),
                                 (7, "int_val", packed_varints), (10, "int64_val", packed_varints),
                                 (11, "bool_val", packed_varints), (16, "uint32_val", packed_varints)]:
        if number in f:
            values[name] = decode(f[number][0])
    if 8 in f:
        values["string_val"] = f[8]
    return {"dtype": f.get(1, [0])[0], "shape": shape, **values}


def decode_value(raw):
    f = fields(raw)
    value = {"tag": f[1][0].decode()}
    if 2 in f:
        value["simple_value"] = struct.unpack("<f", f[2][0])[0]
    if 4 in f:
        img = fields(f[4][0])
        value["image"] = {"height": img[1][0], "width": img[2][0], "colorspace": img[3][0],
                          "pixels": np.asarray(Image.open(io.BytesIO(img[4][0])))}
    if 5 in f:
        h = fields(f[5][0])
        value["histo"] = {name: double(h[n][0]) if n in h else 0.0
                          for n, name in enumerate(["min", "max", "num", "sum", "sum_squares"], 1)}
        value["histo"]["bucket_limit"] = list(struct.unpack(f"<{len(h[6][0]) // 8}d", h[6][0]))
        value["histo"]["bucket"] = list(struct.unpack(f"<{len(h[7][0]) // 8}d", h[7][0]))
    if 8 in f:
        value["tensor"] = decode_tensor(f[8][0])
    if 9 in f:
        plugin = fields(fields(f[9][0])[1][0])
        value["plugin"] = plugin[1][0].decode()
        value["content"] = plugin.get(2, [b""])[0]
    return value


def decode_event(raw):
    f = fields(raw)
    step = f.get(2, [0])[0]
    event = {"wall_time": double(f[1][0]) if 1 in f else 0.0, "step": step - (1 << 64) if step >= 1 << 63 else step}
    if 3 in f:
        event["file_version"] = f[3][0].decode()
    if 5 in f:
        event["values"] = [decode_value(v) for v in fields(f[5][0]).get(1, [])]
    if 7 in f:
        event["session_log"] = fields(f[7][0]).get(1, [0])[0]
    if 10 in f:
        event["writer"] = fields(f[10][0])[1][0].decode()
    return event


def event_files(directory):
    return sorted(os.path.join(directory, f) for f in os.listdir(directory) if f.startswith("events.out.tfevents."))


def events(directory):
    """The events of the one event file in directory, after its file_version record."""
    (path,) = event_files(directory)
    decoded = [decode_event(r) for r in read_records(path)]
    assert decoded[0]["file_version"] == "brain.Event:2" and "values" not in decoded[0]
    return decoded[1:]


def values(directory):
    return [(e["step"], v) for e in events(directory) for v in e.get("values", [])]


# ---------------------------------------------------------------------------------------------------------------
# the format
# ---------------------------------------------------------------------------------------------------------------

def test_crc32c_matches_the_castagnoli_check_values_and_a_bitwise_crc():
    assert crc32c(b"") == 0 and crc32c(b"123456789") == 0xE3069283
    assert crc32c(bytes(32)) == 0x8A9136AA and crc32c(b"\xff" * 32) == 0x62A8AB43  # RFC 3720's test vectors
    assert crc32c(bytes(range(32))) == 0x46DD794E
    data = np.random.default_rng(0).integers(0, 256, 1000, dtype=np.uint8).tobytes()
    assert all(crc32c(data[:n]) == crc32c_bitwise(data[:n]) for n in (1, 7, 100, 1000))


def test_varints_as_protobuf_writes_them():
    assert varint(0) == b"\x00" and varint(1) == b"\x01" and varint(300) == b"\xac\x02"
    assert varint(-1) == b"\xff" * 9 + b"\x01"  # a negative int64: its 64-bit two's complement, 10 bytes


GOLDEN = (  # the records torch's SummaryWriter wrote for these calls, framing and CRCs included
    # w.add_scalar("loss", 0.25, 3, walltime=WALL)
    "1a00000000000000129bd82d090000a0b48065d24110032a0d0a0b0a046c6f7373150000803e70376ab9"
    # w.add_scalar("lr", 0.1, 7, walltime=WALL, new_style=True, double_precision=True)
    "2e00000000000000c5cb57fa090000a0b48065d24110072a210a1f0a026c72420c080232089a9999999999b93f4a0b0a090a077363616c"
    "61727378226495"
    # w.add_text("notes", "héllo", 2, walltime=WALL)
    "3f0000000000000051657661090000a0b48065d24110022a320a300a126e6f7465732f746578745f73756d6d6172794210080712041202"
    "0801420668c3a96c6c6f4a080a060a0474657874e782f34a"
    # w.add_histogram("h", np.array([1.0, 2, 2, 3]), 1, bins=3, walltime=WALL)
    "8500000000000000e98acc59090000a0b48065d24110012a780a760a01682a7109000000000000f03f1100000000000008401900000000"
    "000010402100000000000020402900000000000032403220000000000000f03faaaaaaaaaaaafa3faaaaaaaaaaaa024000000000000008"
    "403a200000000000000000000000000000f03f0000000000000040000000000000f03f48d3d65b"
)


def test_records_are_byte_for_byte_those_of_torchs_writer(tmp_path):
    with SummaryWriter(tmp_path) as w:
        w.add_scalar("loss", 0.25, 3, walltime=WALL)
        w.add_scalar("lr", 0.1, 7, walltime=WALL, new_style=True, double_precision=True)
        w.add_text("notes", "héllo", 2, walltime=WALL)
        w.add_histogram("h", np.array([1.0, 2, 2, 3]), 1, bins=3, walltime=WALL)
    data = open(event_files(tmp_path)[0], "rb").read()
    header = 16 + struct.unpack("<Q", data[:8])[0]
    assert data[header:].hex() == GOLDEN


def test_event_file_name_header_and_log_dir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    before = int(time.time())
    w = SummaryWriter(comment="_lr0.1", filename_suffix=".v2")
    (run,) = os.listdir(tmp_path / "runs")
    assert re.fullmatch(r"[A-Z][a-z]{2}\d\d_\d\d-\d\d-\d\d_" + re.escape(socket.gethostname()) + "_lr0.1", run)
    assert w.get_logdir() == os.path.join("runs", run)
    (path,) = event_files(tmp_path / "runs" / run)
    match = re.fullmatch(r"events\.out\.tfevents\.(\d{10})\.(.+)\.(\d+)\.(\d+)\.v2", os.path.basename(path))
    assert match and before <= int(match[1]) <= time.time() and match[2] == socket.gethostname()
    assert int(match[3]) == os.getpid()
    (header,) = [decode_event(r) for r in read_records(path)]  # there at once, before any add_*
    assert header["file_version"] == "brain.Event:2" and abs(header["wall_time"] - time.time()) < 60
    w.close()
    named = SummaryWriter(tmp_path / "mine", comment="ignored")  # a pathlib.Path: kept as given
    assert named.get_logdir() == tmp_path / "mine" and len(event_files(tmp_path / "mine")) == 1
    named.close()


# ---------------------------------------------------------------------------------------------------------------
# scalars and text
# ---------------------------------------------------------------------------------------------------------------

def test_add_scalar_takes_numbers_numpy_values_and_tensors(tmp_path):
    w = SummaryWriter(tmp_path)
    loss = (ember.tensor([1.5, 2.5], requires_grad=True) ** 2).mean()  # a 0-d tensor that requires grad
    w.add_scalar("loss", loss, 0, walltime=WALL)
    w.add_scalar("int", 3, np.int64(1), walltime=WALL + 1)
    w.add_scalar("np", np.float32(0.5), ember.tensor(2))
    w.add_scalar("one", ember.tensor([[7.0]]), 3)
    w.add_scalar("bool", True, 4)
    w.add_scalar("nostep", -1.25)
    w.close()
    got = events(tmp_path)
    assert [(e["step"], e["values"][0]["tag"], e["values"][0]["simple_value"]) for e in got] == [
        (0, "loss", np.float32(4.25)), (1, "int", 3.0), (2, "np", 0.5), (3, "one", 7.0), (4, "bool", 1.0),
        (0, "nostep", -1.25)]
    assert got[0]["wall_time"] == WALL and got[1]["wall_time"] == WALL + 1
    assert abs(got[2]["wall_time"] - time.time()) < 60  # time.time() when no walltime is given
    assert all(set(e["values"][0]) == {"tag", "simple_value"} for e in got)


def test_add_scalar_new_style_and_double_precision(tmp_path):
    with SummaryWriter(tmp_path) as w:
        w.add_scalar("f", 0.1, 1, new_style=True)
        w.add_scalar("d", 0.1, 2, new_style=True, double_precision=True)
        w.add_scalar("ignored", 0.1, 3, double_precision=True)  # without new_style: a simple_value as before
    (_, f), (_, d), (_, plain) = values(tmp_path)
    assert f["plugin"] == d["plugin"] == "scalars" and f["content"] == b""
    assert f["tensor"] == {"dtype": 1, "shape": None, "float_val": [np.float32(0.1)]}  # DT_FLOAT, a scalar
    assert d["tensor"] == {"dtype": 2, "shape": None, "double_val": [0.1]}  # DT_DOUBLE
    assert plain == {"tag": "ignored", "simple_value": np.float32(0.1)}


def test_add_scalar_refuses_what_torch_refuses(tmp_path):
    w = SummaryWriter(tmp_path)
    with pytest.raises(AssertionError, match=r"Tensor should contain one element \(0 dimensions\). Was given size: "
                                             r"3 and 1 dimensions"):
        w.add_scalar("x", ember.tensor([1.0, 2.0, 3.0]))
    with pytest.raises(NotImplementedError, match="Got <class 'list'>, but numpy array or torch tensor are expected"):
        w.add_scalar("x", [1.0])
    with pytest.raises(ValueError, match="could not convert string to float"):
        w.add_scalar("x", "high")
    w.close()
    assert events(tmp_path) == []


def test_add_scalars_writes_each_key_to_a_sub_directory_writer(tmp_path):
    w = SummaryWriter(tmp_path, filename_suffix=".x")
    w.add_scalars("loss/run", {"train": 1.0, "test": ember.tensor(2.0)}, 1)
    w.add_scalars("loss/run", {"train": 0.5, "val": np.float64(3.0)}, 2, walltime=WALL)
    subs = {f"{tmp_path}/loss_run_{k}" for k in ("train", "test", "val")}
    assert set(w.all_writers) == subs | {str(tmp_path)}
    w.close()
    assert sorted(os.listdir(tmp_path)) == sorted([os.path.basename(event_files(tmp_path)[0]), "loss_run_test",
                                                   "loss_run_train", "loss_run_val"])
    assert events(tmp_path) == []  # nothing in the main writer's file
    train = events(tmp_path / "loss_run_train")
    assert [(e["step"], e["values"]) for e in train] == [(1, [{"tag": "loss/run", "simple_value": 1.0}]),
                                                           (2, [{"tag": "loss/run", "simple_value": 0.5}])]
    assert train[1]["wall_time"] == WALL and event_files(tmp_path / "loss_run_train")[0].endswith(".x")
    first_call = {e["wall_time"] for d in ("train", "test") for e in events(tmp_path / f"loss_run_{d}")[:1]}
    assert len(first_call) == 1  # one wall time for all the keys of one call
    assert values(tmp_path / "loss_run_val") == [(2, {"tag": "loss/run", "simple_value": 3.0})]


def test_add_text(tmp_path):
    with SummaryWriter(tmp_path) as w:
        w.add_text("notes", "**héllo** 世界", 5)
    [(step, value)] = values(tmp_path)
    assert step == 5 and value["tag"] == "notes/text_summary" and value["plugin"] == "text"
    assert value["tensor"] == {"dtype": 7, "shape": [1], "string_val": ["**héllo** 世界".encode()]}  # DT_STRING


def test_add_tensor(tmp_path):
    with SummaryWriter(tmp_path) as w:
        w.add_tensor("f", ember.tensor([[1.0, 2.5], [3.0, 4.0]]), 1)
        w.add_tensor("i", ember.tensor([1, -2, 3]), 2)
        w.add_tensor("b", ember.tensor([True, False]), 3)
        with pytest.raises(ValueError, match="h has unsupported tensor dtype"):
            w.add_tensor("h", ember.ones(2, dtype=ember.float16))
    (_, f), (_, i), (_, b) = values(tmp_path)
    assert f["plugin"] == "tensor" and f["tensor"] == {"dtype": 1, "shape": [2, 2], "float_val": [1.0, 2.5, 3.0, 4.0]}
    assert i["tensor"] == {"dtype": 9, "shape": [3], "int64_val": [1, -2, 3]}
    assert b["tensor"] == {"dtype": 10, "shape": [2], "bool_val": [1, 0]}


# ---------------------------------------------------------------------------------------------------------------
# histograms
# ---------------------------------------------------------------------------------------------------------------

def test_add_histogram_tensorflow_bins(tmp_path):
    x = np.random.default_rng(0).normal(size=500).astype(np.float32)
    with SummaryWriter(tmp_path) as w:
        w.add_histogram("weights", ember.tensor(x, requires_grad=True), 3)
        bins = w.default_bins
    [(step, value)] = values(tmp_path)
    h, x64 = value["histo"], x.astype(float)
    assert step == 3 and h["num"] == 500 and h["min"] == x64.min() and h["max"] == x64.max()
    assert np.isclose(h["sum"], x64.sum()) and np.isclose(h["sum_squares"], x64 @ x64)
    assert len(bins) == 1 + 2 * 774 and bins[775] == 1e-12 and bins[774] == 0 and bins[-1] > 1e20 / 1.1
    # right edges from TensorBoard's default ones; the first bucket (count 0) is the edge where the data starts
    counts, edges = np.histogram(x64, bins=bins)
    first, last = np.flatnonzero(counts)[[0, -1]]
    assert h["bucket_limit"] == edges[first:last + 2].tolist()
    assert h["bucket"] == [0.0] + counts[first:last + 1].tolist() and sum(h["bucket"]) == 500


def test_add_histogram_numpy_bins_and_max_bins(tmp_path):
    x = np.random.default_rng(1).normal(size=300)
    with SummaryWriter(tmp_path) as w:
        w.add_histogram("three", np.array([1.0, 2, 2, 3]), bins=3)
        w.add_histogram("auto", x, bins="auto")
        w.add_histogram("fd", x, bins="fd")
        w.add_histogram("merged", x, bins=50, max_bins=7)
        w.add_histogram("number", 3.0)
    (_, three), (_, auto), (_, fd), (_, merged), (_, number) = values(tmp_path)
    assert three["histo"]["bucket_limit"] == np.linspace(1, 3, 4).tolist() and three["histo"]["bucket"] == [0, 1, 2, 1]
    for value, bins in [(auto, "auto"), (fd, "fd")]:
        counts, edges = np.histogram(x, bins=bins)
        assert value["histo"]["bucket_limit"] == edges.tolist() and value["histo"]["bucket"] == [0] + counts.tolist()
    counts, edges = np.histogram(x, bins=50)  # 7 bins of 50 // 7 = 7 neighbours each, the last one short
    assert merged["histo"]["bucket"] == [0] + [counts[i:i + 7].sum() for i in range(0, 50, 7)]
    assert merged["histo"]["bucket_limit"] == edges[0:50:7].tolist() + [edges[-1]]
    assert number["histo"]["num"] == 1 and number["histo"]["sum"] == 3.0


def test_add_histogram_errors(tmp_path):
    with SummaryWriter(tmp_path) as w:
        with pytest.raises(ValueError, match="The input has no element"):
            w.add_histogram("empty", np.zeros(0))
        with pytest.raises(ValueError, match="histogram is empty"):
            w.add_histogram("nan", np.full(3, np.nan))
        with pytest.raises(ValueError, match=r"len\(bucket_limits\) != len\(bucket_counts\)"):
            w.add_histogram_raw("raw", 0, 1, 2, 1, 1, [1.0], [1, 1])
        w.add_histogram_raw("raw", 0, 9, 10, 45, 285, [3.0, 6.0, 9.0], ember.tensor([4, 3, 3]), 1)
    [(_, raw)] = values(tmp_path)
    assert raw["histo"] == {"min": 0.0, "max": 9.0, "num": 10.0, "sum": 45.0, "sum_squares": 285.0,
                            "bucket_limit": [3.0, 6.0, 9.0], "bucket": [4.0, 3.0, 3.0]}


# ---------------------------------------------------------------------------------------------------------------
# images
# ---------------------------------------------------------------------------------------------------------------

def test_add_image_layouts_and_scaling(tmp_path):
    rng = np.random.default_rng(2)
    chw = rng.random((3, 5, 7)).astype(np.float32)
    hwc = rng.integers(0, 256, (5, 7, 3), dtype=np.uint8)
    with SummaryWriter(tmp_path) as w:
        w.add_image("chw", ember.tensor(chw), 1)
        w.add_image("hwc", hwc, 2, dataformats="HWC")
        w.add_image("hw", chw[0], 3, dataformats="HW")
        w.add_image("wh", chw[0], 4, dataformats="wh")
        w.add_image("clipped", chw[:1] * 4 - 2, 5)
        w.add_image("rgba", np.concatenate([chw, chw[:1]]), 6)
        w.add_image("ints", np.full((1, 2, 2), 1, dtype=np.int64), 7)  # not uint8: taken as 0-1, as torch does
    got = dict((v["tag"], v["image"]) for _, v in values(tmp_path))
    as_uint8 = (chw * 255).astype(np.uint8).transpose(1, 2, 0)
    assert np.array_equal(got["chw"]["pixels"], as_uint8) and got["chw"]["colorspace"] == 3
    assert (got["chw"]["height"], got["chw"]["width"]) == (5, 7)
    assert np.array_equal(got["hwc"]["pixels"], hwc)
    assert np.array_equal(got["hw"]["pixels"], np.stack([as_uint8[:, :, 0]] * 3, 2))
    assert got["wh"]["pixels"].shape == (7, 5, 3) and np.array_equal(got["wh"]["pixels"][:, :, 1], as_uint8[:, :, 0].T)
    expected = ((chw[0] * 4 - 2) * 255).clip(0, 255).astype(np.uint8)
    assert np.array_equal(got["clipped"]["pixels"], np.stack([expected] * 3, 2))
    assert got["rgba"]["colorspace"] == 4 and got["rgba"]["pixels"].shape == (5, 7, 4)
    assert (got["ints"]["pixels"] == 255).all()


def test_add_images_puts_a_batch_on_a_grid_of_eight_columns(tmp_path):
    batch = np.random.default_rng(3).random((11, 1, 4, 6)).astype(np.float32)
    with SummaryWriter(tmp_path) as w:
        w.add_images("nchw", ember.tensor(batch), 1)
        w.add_images("nhwc", batch.transpose(0, 2, 3, 1), 1, dataformats="NHWC")
        w.add_images("one", batch[0], 1, dataformats="CHW")
    (_, nchw), (_, nhwc), (_, one) = values(tmp_path)
    grid = nchw["image"]["pixels"]
    assert grid.shape == (8, 48, 3) and (nchw["image"]["height"], nchw["image"]["width"]) == (8, 48)
    grey = (batch[:, 0] * 255).astype(np.uint8)
    assert np.array_equal(grid[4:8, 12:18, 0], grey[10]) and (grid[4:8, 18:] == 0).all()  # row 2: images 8-10
    assert np.array_equal(grid[:4, 42:48, 2], grey[7])
    assert np.array_equal(nhwc["image"]["pixels"], grid) and one["image"]["pixels"].shape == (4, 6, 3)


def test_add_image_refuses_bad_dataformats(tmp_path):
    with SummaryWriter(tmp_path) as w:
        with pytest.raises(AssertionError, match="You can not use the same dimension shorthand twice"):
            w.add_image("x", np.zeros((3, 4, 4)), dataformats="CHH")
        with pytest.raises(AssertionError, match="size of input tensor and input format are different"):
            w.add_image("x", np.zeros((4, 4)))
        with pytest.raises(ValueError, match="dataformats should be an order of NCHW"):
            w.add_image("x", np.zeros((3, 4, 4)), dataformats="CHX")
        with pytest.raises(AssertionError, match="Input should be a 4D numpy array with 3 channels"):
            w.add_images("x", np.zeros((2, 2, 4, 4)))
    assert events(tmp_path) == []


def test_add_figure(tmp_path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    figure = plt.figure(figsize=(2, 1), dpi=40)
    plt.plot([0, 1], [0, 1])
    with SummaryWriter(tmp_path) as w:
        w.add_figure("plot", figure, 1)
    [(_, value)] = values(tmp_path)
    assert value["image"]["pixels"].shape == (40, 80, 3) and value["image"]["pixels"].std() > 0
    assert not plt.fignum_exists(figure.number)  # close=True closed it


# ---------------------------------------------------------------------------------------------------------------
# hparams, purge_step
# ---------------------------------------------------------------------------------------------------------------

def test_add_hparams_writes_the_plugins_three_summaries_and_the_metrics_in_a_run_of_their_own(tmp_path):
    with SummaryWriter(tmp_path) as w:
        w.add_hparams({"lr": 0.1, "opt": "adam", "bn": True, "skip": None, "wd": ember.tensor(0.5)},
                      {"hp/acc": 0.75, "hp/loss": ember.tensor(0.25)}, hparam_domain_discrete={"opt": ["adam", "sgd"]},
                      run_name="trial1", global_step=3)
    assert events(tmp_path) == []
    got = events(tmp_path / "trial1")
    tags = [v["tag"] for e in got for v in e["values"]]
    assert tags == ["_hparams_/experiment", "_hparams_/session_start_info", "_hparams_/session_end_info",
                    "hp/acc", "hp/loss"]
    assert all(e["step"] == 3 for e in got) and [v["simple_value"] for v in got[3]["values"] + got[4]["values"]] == [
        0.75, 0.25]
    experiment, start, end = (fields(e["values"][0]["content"]) for e in got[:3])
    assert all(e["values"][0]["plugin"] == "hparams" and "tensor" not in e["values"][0] for e in got[:3])
    infos = [fields(i) for i in fields(experiment[2][0])[4]]
    assert [(i[1][0], i[4][0]) for i in infos] == [(b"lr", 3), (b"opt", 1), (b"bn", 3), (b"wd", 3)]  # 3: FLOAT64
    assert [fields(v)[3][0] for v in fields(infos[1][5][0])[1]] == [b"adam", b"sgd"]  # domain_discrete
    assert [fields(fields(m)[1][0])[2][0] for m in fields(experiment[2][0])[5]] == [b"hp/acc", b"hp/loss"]
    entries = {fields(e)[1][0]: fields(fields(e)[2][0]) for e in fields(start[3][0])[1]}
    assert {k: (double(v[2][0]) if 2 in v else v[3][0]) for k, v in entries.items()} == {
        b"lr": 0.1, b"opt": b"adam", b"bn": 1.0, b"wd": 0.5}  # torch logs a bool as the number 1.0
    assert fields(end[4][0]) == {1: [1]}  # STATUS_SUCCESS


def test_add_hparams_errors(tmp_path):
    with SummaryWriter(tmp_path) as w:
        with pytest.raises(TypeError, match="hparam_dict and metric_dict should be dictionary."):
            w.add_hparams([("lr", 0.1)], {})
        with pytest.raises(TypeError, match=re.escape("hparam_domain_discrete[opt] should be a list of same type")):
            w.add_hparams({"opt": "adam"}, {}, hparam_domain_discrete={"opt": [1, 2]})
        with pytest.raises(ValueError, match="value should be one of int, float, str, bool, or torch.Tensor"):
            w.add_hparams({"layers": [1, 2]}, {})
    assert os.listdir(tmp_path) == [os.path.basename(event_files(tmp_path)[0])]


def test_purge_step_starts_the_file_with_torchs_two_events(tmp_path):
    with SummaryWriter(tmp_path, purge_step=7) as w:
        w.add_scalar("x", 1.0, 7)
    restart, session, scalar = events(tmp_path)
    assert restart["step"] == 7 and restart["file_version"] == "brain.Event:2"
    assert session["step"] == 7 and session["session_log"] == 1  # SessionLog.START
    assert scalar["values"] == [{"tag": "x", "simple_value": 1.0}]


# ---------------------------------------------------------------------------------------------------------------
# flush, close, the end of the program
# ---------------------------------------------------------------------------------------------------------------

def test_events_wait_for_max_queue_flush_or_close(tmp_path):
    w = SummaryWriter(tmp_path / "a", max_queue=3)
    w.add_scalar("x", 1.0, 1)
    w.add_scalar("x", 2.0, 2)
    assert events(tmp_path / "a") == []  # two waiting in memory
    w.add_scalar("x", 3.0, 3)
    assert [s for s, _ in values(tmp_path / "a")] == [1, 2, 3]  # the third filled the queue
    w.add_scalar("x", 4.0, 4)
    w.flush()
    assert [s for s, _ in values(tmp_path / "a")] == [1, 2, 3, 4]
    w.add_scalar("x", 5.0, 5)
    w.close()
    assert [s for s, _ in values(tmp_path / "a")] == [1, 2, 3, 4, 5]
    w.close()  # a second close does nothing
    w.flush()
    eager = SummaryWriter(tmp_path / "b", flush_secs=0)
    eager.add_scalar("x", 1.0)
    assert len(values(tmp_path / "b")) == 1  # flush_secs have passed already
    eager.close()


def test_an_add_after_close_starts_a_new_event_file(tmp_path):
    with SummaryWriter(tmp_path, filename_suffix=".s") as w:
        w.add_scalar("x", 1.0, 1)
        w.add_scalars("m", {"a": 1.0}, 1)
    assert w.all_writers is None and w.file_writer is None
    w.add_scalar("x", 2.0, 2)
    w.add_scalars("m", {"a": 2.0}, 2)
    w.close()
    first, second = event_files(tmp_path)
    assert first.endswith(".s") and second.endswith(".s")
    assert [decode_event(r)["step"] for r in read_records(second)[1:]] == [2]
    assert len(event_files(tmp_path / "m_a")) == 2


def test_a_closed_file_writer_takes_no_more_events(tmp_path):
    w = SummaryWriter(tmp_path)
    file_writer = w.file_writer
    w.close()
    with pytest.raises(OSError, match="Writer is closed"):
        file_writer.add_summary(b"", 1)


def test_a_writer_that_is_never_closed_still_writes_its_events(tmp_path):
    program = tmp_path / "forgets.py"
    program.write_text("import ember\nfrom ember.utils.tensorboard import SummaryWriter\n"
                       "w = SummaryWriter('runs/kept')\n"
                       "for i in range(3):\n    w.add_scalar('loss', 1.0 / (i + 1), i)\n"
                       "def scoped():\n    SummaryWriter('runs/scoped').add_text('t', 'gone with the function', 1)\n"
                       "scoped()\n")
    r = subprocess.run([sys.executable, str(program)], capture_output=True, text=True, cwd=tmp_path,
                       env=dict(os.environ, PYTHONPATH=ROOT))
    assert r.returncode == 0 and r.stderr == "", r.stderr
    assert [(s, v["simple_value"]) for s, v in values(tmp_path / "runs" / "kept")] == [
        (0, 1.0), (1, 0.5), (2, np.float32(1 / 3))]
    assert [v["tag"] for _, v in values(tmp_path / "runs" / "scoped")] == ["t/text_summary"]


# ---------------------------------------------------------------------------------------------------------------
# what ember leaves out, and `ember run`
# ---------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("method,args", [
    ("add_graph", (ember.nn.Linear(2, 1), ember.ones(1, 2))), ("add_embedding", (ember.ones(4, 3),)),
    ("add_audio", ("a", ember.zeros(1, 100))), ("add_video", ("v", ember.zeros(1, 2, 3, 4, 4))),
    ("add_mesh", ("m", ember.zeros(1, 3, 3))), ("add_pr_curve", ("p", np.array([0, 1]), np.array([0.2, 0.9]))),
    ("add_pr_curve_raw", ("p",) + (np.zeros(3),) * 6), ("add_onnx_graph", ("model.onnx",)),
    ("add_custom_scalars", ({},)), ("add_custom_scalars_multilinechart", (["a", "b"],)),
    ("add_custom_scalars_marginchart", (["a", "b", "c"],)),
    ("add_image_with_boxes", ("b", np.zeros((3, 4, 4)), np.zeros((1, 4)))),
])
def test_methods_ember_leaves_out_say_so_and_what_to_use(tmp_path, method, args):
    with SummaryWriter(tmp_path) as w:
        assert callable(getattr(w, method)) and getattr(SummaryWriter, method).__doc__.startswith("Not implemented")
        with pytest.raises(NotImplementedError, match=rf"^SummaryWriter\.{method} is not implemented in ember: \w"):
            getattr(w, method)(*args)


def test_ember_run_gives_a_pytorch_program_tensorboard_logging(tmp_path):
    program = tmp_path / "train.py"
    program.write_text("""\
import sys
import torch
import torch.nn as nn
from torch.utils.tensorboard import SummaryWriter

model = nn.Linear(3, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
x, y = torch.randn(16, 3), torch.randn(16, 1)
writer = SummaryWriter("runs/linear")
for step in range(4):
    loss = nn.functional.mse_loss(model(x), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    writer.add_scalar("Loss/train", loss, step)
    writer.add_histogram("weight", model.weight, step)
writer.add_images("inputs", torch.rand(2, 1, 4, 4), 0)
writer.add_text("note", "trained", 4)
writer.close()
import ember
print(sys.modules["torch.utils.tensorboard"] is ember.utils.tensorboard, type(writer).__module__)
""")
    r = subprocess.run([sys.executable, "-m", "ember.cli", "run", str(program)], capture_output=True, text=True,
                       cwd=tmp_path, env=dict(os.environ, PYTHONPATH=ROOT))
    assert r.returncode == 0, r.stderr
    assert r.stdout == "True ember.utils.tensorboard.writer\n"
    got = values(tmp_path / "runs" / "linear")
    assert [(s, v["tag"]) for s, v in got if "simple_value" in v] == [(i, "Loss/train") for i in range(4)]
    assert [s for s, v in got if "histo" in v] == [0, 1, 2, 3]
    assert [v["image"]["pixels"].shape for _, v in got if "image" in v] == [(4, 8, 3)]
    assert [v["tensor"]["string_val"] for _, v in got if "tensor" in v] == [[b"trained"]]

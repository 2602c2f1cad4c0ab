"""The bytes of a TensorBoard event file, written by hand: no protobuf or tensorflow package needed.

An event file is a sequence of records (TFRecord framing), each holding one `Event` protocol-buffer message:

    uint64 length | uint32 masked CRC32C of those 8 bytes | data | uint32 masked CRC32C of data   (little-endian)

The messages and their field numbers are those of TensorBoard's .proto files (event.proto, summary.proto,
tensor.proto, tensor_shape.proto, histogram.proto, types.proto, and the hparams plugin's api.proto and
plugin_data.proto). They are proto3: a plain field that holds its default (0, 0.0, "") is left out; a member of a
`oneof`, or a message field that is set, is written whatever it holds. Fields are written in field-number order,
as the protobuf library does, so a message comes out byte for byte as torch's writer makes it.
"""
import math
import struct

# ----------------------------------------------------------------------------------------------------------------
# CRC32C (Castagnoli), table-driven: the table holds, for each byte value, what the bit-by-bit division by the
# polynomial (0x82F63B78, bit-reversed) leaves after 8 steps, so each byte of data costs one lookup.
# ----------------------------------------------------------------------------------------------------------------


def _crc32c_table():
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        table.append(crc)
    return table


_CRC32C_TABLE = _crc32c_table()


def crc32c(data):
    """CRC32C of bytes: crc32c(b"123456789") == 0xE3069283."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc = _CRC32C_TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc32c(data):
    """TFRecord's masked CRC: rotated right by 15 bits plus a constant, so a CRC of data holding CRCs stays sound."""
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def record(data):
    """One TFRecord: the length, its checksum, the data, its checksum."""
    length = struct.pack("<Q", len(data))
    return length + struct.pack("<I", masked_crc32c(length)) + data + struct.pack("<I", masked_crc32c(data))


# ----------------------------------------------------------------------------------------------------------------
# Protocol-buffer wire format. A field is a key, varint(field_number << 3 | wire_type), then its value:
#   wire type 0  varint: 7 bits a byte, low bits first, the top bit set on every byte but the last
#   wire type 1  8 bytes (double)          wire type 5  4 bytes (float)
#   wire type 2  varint length, then that many bytes: strings, bytes, nested messages, packed repeated numbers
# ----------------------------------------------------------------------------------------------------------------


def varint(n):
    n &= (1 << 64) - 1  # a negative int64 or enum is written as its 64-bit two's complement (10 bytes)
    out = bytearray()
    while n > 0x7F:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _key(number, wire_type):
    return varint(number << 3 | wire_type)


def _is_default(value):
    return value == 0 and not (isinstance(value, float) and math.copysign(1.0, value) < 0)  # -0.0 is written


def int_field(number, value, oneof=False):
    """int32, int64, bool or enum."""
    return b"" if _is_default(value) and not oneof else _key(number, 0) + varint(int(value))


def double_field(number, value, oneof=False):
    return b"" if _is_default(value) and not oneof else _key(number, 1) + struct.pack("<d", value)


def float_field(number, value, oneof=False):
    return b"" if _is_default(value) and not oneof else _key(number, 5) + struct.pack("<f", value)


def bytes_field(number, value, oneof=False):
    """string (encoded as UTF-8) or bytes."""
    value = value.encode("utf-8") if isinstance(value, str) else bytes(value)
    return b"" if not value and not oneof else _key(number, 2) + varint(len(value)) + value


def message_field(number, message):
    """A nested message, already encoded; None: not set (an empty message that is set is still written)."""
    return b"" if message is None else _key(number, 2) + varint(len(message)) + message


def packed_doubles(number, values):
    return bytes_field(number, struct.pack(f"<{len(values)}d", *values))


def packed_floats(number, values):
    return bytes_field(number, struct.pack(f"<{len(values)}f", *values))


def packed_ints(number, values):
    return bytes_field(number, b"".join(varint(int(v)) for v in values))


# ----------------------------------------------------------------------------------------------------------------
# The messages an event file of SummaryWriter holds (field numbers from TensorBoard's .proto files)
# ----------------------------------------------------------------------------------------------------------------

DT_FLOAT, DT_DOUBLE, DT_INT32, DT_UINT8, DT_INT16, DT_INT8, DT_STRING, DT_INT64, DT_BOOL = 1, 2, 3, 4, 5, 6, 7, 9, 10
SESSION_LOG_START = 1  # SessionLog.SessionStatus: the run (re)starts here, what purge_step writes


def event(wall_time, step=0, file_version=None, summary=None, session_log_status=None, writer=None):
    """Event: wall_time = 1 (double), step = 2 (int64), oneof {file_version = 3, summary = 5, session_log = 7},
    source_metadata = 10 (SourceMetadata: writer = 1)."""
    return b"".join([
        double_field(1, wall_time),
        int_field(2, step),
        b"" if file_version is None else bytes_field(3, file_version, oneof=True),
        message_field(5, summary),
        message_field(7, None if session_log_status is None else int_field(1, session_log_status)),  # status = 1
        message_field(10, None if writer is None else bytes_field(1, writer)),
    ])


def summary(*values):
    """Summary: repeated Value value = 1."""
    return b"".join(message_field(1, value) for value in values)


def summary_value(tag, simple_value=None, image=None, histo=None, tensor=None, metadata=None):
    """Summary.Value: tag = 1, oneof value {simple_value = 2 (float), image = 4, histo = 5, tensor = 8},
    metadata = 9 (SummaryMetadata)."""
    return b"".join([
        bytes_field(1, tag),
        b"" if simple_value is None else float_field(2, simple_value, oneof=True),
        message_field(4, image),
        message_field(5, histo),
        message_field(8, tensor),
        message_field(9, metadata),
    ])


def summary_metadata(plugin_name, content=b""):
    """SummaryMetadata: plugin_data = 1 (PluginData: plugin_name = 1, content = 2 (bytes))."""
    return message_field(1, bytes_field(1, plugin_name) + bytes_field(2, content))


def image(height, width, colorspace, encoded_image):
    """Summary.Image: height = 1, width = 2, colorspace = 3 (int32: 1 grey, 3 RGB, 4 RGBA), encoded_image_string = 4
    (the PNG file's bytes)."""
    return int_field(1, height) + int_field(2, width) + int_field(3, colorspace) + bytes_field(4, encoded_image)


def histogram(min, max, num, sum, sum_squares, bucket_limit, bucket):
    """HistogramProto: min = 1, max = 2, num = 3, sum = 4, sum_squares = 5 (doubles), then packed repeated doubles
    bucket_limit = 6 (each bucket's right edge) and bucket = 7 (its count)."""
    return b"".join([double_field(1, min), double_field(2, max), double_field(3, num), double_field(4, sum),
                     double_field(5, sum_squares), packed_doubles(6, bucket_limit), packed_doubles(7, bucket)])


def tensor(dtype, shape=None, float_val=(), double_val=(), int_val=(), string_val=(), int64_val=(), bool_val=(),
           uint32_val=()):
    """TensorProto: dtype = 1 (types.proto's DataType), tensor_shape = 2 (TensorShapeProto: repeated Dim dim = 2,
    Dim: size = 1), then the values, by type: float_val = 5, double_val = 6, int_val = 7, string_val = 8 (repeated
    bytes, not packed), int64_val = 10, bool_val = 11, uint32_val = 16. shape None: not set (a scalar)."""
    tensor_shape = None if shape is None else b"".join(message_field(2, int_field(1, size)) for size in shape)
    return b"".join([
        int_field(1, dtype),
        message_field(2, tensor_shape),
        packed_floats(5, float_val),
        packed_doubles(6, double_val),
        packed_ints(7, int_val),
        b"".join(bytes_field(8, s, oneof=True) for s in string_val),  # every element is written, "" too
        packed_ints(10, int64_val),
        packed_ints(11, bool_val),
        packed_ints(16, uint32_val),
    ])


# The hparams plugin (plugins/hparams/api.proto, plugin_data.proto; google/protobuf/struct.proto's Value)
HPARAMS_DATA_TYPE = {"string": 1, "bool": 2, "float64": 3}  # DataType: DATA_TYPE_STRING, _BOOL, _FLOAT64
HPARAMS_STATUS_SUCCESS = 1


def protobuf_value(value):
    """google.protobuf.Value: oneof kind {number_value = 2 (double), string_value = 3} (bool_value = 4 unused:
    torch logs a bool hyperparameter as a number)."""
    if isinstance(value, str):
        return bytes_field(3, value, oneof=True)
    return double_field(2, float(value), oneof=True)


def hparams_experiment(hparam_infos, metric_tags):
    """HParamsPluginData {experiment = 2}: Experiment: hparam_infos = 4, metric_infos = 5 (MetricInfo: name = 1,
    MetricName: tag = 2). hparam_infos: (name, data type, discrete values or None) triples, each an HParamInfo:
    name = 1, type = 4, domain_discrete = 5 (google.protobuf.ListValue: repeated Value values = 1)."""
    infos = b""
    for name, data_type, discrete in hparam_infos:
        domain = None if discrete is None else b"".join(message_field(1, protobuf_value(v)) for v in discrete)
        infos += message_field(4, bytes_field(1, name) + int_field(4, HPARAMS_DATA_TYPE[data_type])
                               + message_field(5, domain))
    metrics = b"".join(message_field(5, message_field(1, bytes_field(2, tag))) for tag in metric_tags)
    return message_field(2, infos + metrics)  # version = 1 is 0: left out


def hparams_session_start(hparams):
    """HParamsPluginData {session_start_info = 3}: SessionStartInfo: map<string, Value> hparams = 1, each entry a
    message with key = 1 and value = 2."""
    entries = b"".join(message_field(1, bytes_field(1, key, oneof=True) + message_field(2, protobuf_value(value)))
                       for key, value in hparams.items())
    return message_field(3, entries)


def hparams_session_end(status=HPARAMS_STATUS_SUCCESS):
    """HParamsPluginData {session_end_info = 4}: SessionEndInfo: status = 1."""
    return message_field(4, int_field(1, status))

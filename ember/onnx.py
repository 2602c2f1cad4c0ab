"""``torch.onnx`` as far as ember goes: the module exists, so a program that imports it (and exports only when
asked) runs; exporting itself needs torch's tracer and ONNX writer, which ember does not have."""


class OnnxExporterError(RuntimeError):
    """Raised by export: ember cannot write ONNX files."""


def export(model, args=(), f=None, **kwargs):
    """Not available in ember: raises OnnxExporterError (a RuntimeError) saying so and what to do instead."""
    raise OnnxExporterError(
        "ember cannot export ONNX: torch.onnx.export traces the model with PyTorch's own compiler and writes it "
        "with the onnx package, neither of which ember has. Save the weights with torch.save(model.state_dict(), "
        "path) and export from a PyTorch install if you need an .onnx file.")


def is_in_onnx_export():
    """False: ember never runs a model under an ONNX export (models check this to pick an export-friendly path)."""
    return False
